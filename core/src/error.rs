//! One error type for the whole library, so bindings map errors in one place.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Every failure Kestrel reports. Variants mirror the OpenAI SDK's error classes so the
/// bindings can map them one-to-one; none of them ever carries an API key or a prompt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is malformed; `field` is a JSON path such as `messages[2].tool_call_id`.
    #[error("invalid request: {field}: {message}")]
    InvalidRequest { field: String, message: String },

    /// A catalog or configuration file is malformed or inconsistent.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// No configured, healthy model can serve the request within the policy.
    #[error("no eligible model: {0}")]
    NoEligibleModel(String),

    /// The provider rejected the key (HTTP 401).
    #[error("{provider}: authentication failed (401): {message}")]
    Authentication { provider: String, message: String, body: Option<Box<serde_json::Value>> },

    /// The key is valid but lacks access (HTTP 403).
    #[error("{provider}: permission denied (403): {message}")]
    PermissionDenied { provider: String, message: String, body: Option<Box<serde_json::Value>> },

    /// The model or endpoint does not exist (HTTP 404).
    #[error("{provider}: not found (404): {message}")]
    NotFound { provider: String, message: String, body: Option<Box<serde_json::Value>> },

    /// The provider refused the request as malformed (HTTP 400, 422, ...).
    #[error("{provider}: bad request ({status}): {message}")]
    BadRequest { provider: String, status: u16, message: String, body: Option<Box<serde_json::Value>> },

    /// Rate limited (HTTP 429) on every candidate that was tried.
    #[error("{provider}: rate limited (429): {message}")]
    RateLimited {
        provider: String,
        message: String,
        retry_after: Option<Duration>,
        body: Option<Box<serde_json::Value>>,
    },

    /// The provider did not answer in time.
    #[error("{provider}: request timed out")]
    Timeout { provider: String },

    /// The provider could not be reached, or the connection broke.
    #[error("{provider}: connection error: {message}")]
    Connection { provider: String, message: String },

    /// Any other provider failure: 5xx, a body that is not the expected shape.
    #[error("{provider}: provider error ({status}): {message}")]
    Provider { provider: String, status: u16, message: String, body: Option<Box<serde_json::Value>> },

    /// A stream broke after the caller had part of the answer. Never retried: that could
    /// show the caller a second, different answer.
    #[error("{provider}: stream interrupted after the first chunk: {message}")]
    StreamInterrupted { provider: String, message: String },
}

impl Error {
    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidRequest { field: field.into(), message: message.into() }
    }

    /// Whether another provider (or a later retry) may succeed where this failed: rate
    /// limits, timeouts, connection failures and provider faults. Request errors (400,
    /// 401, 403, 404) are not: they would fail the same way anywhere.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Connection { .. } | Error::Provider { .. }
        )
    }

    /// How long the provider asked to wait, for rate limits.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether this is a 404 about the model itself (an unknown, retired or inaccessible
    /// model, or an Azure deployment), as every provider words it, rather than about the
    /// URL (a wrong base URL answers a bare `Not Found`). Only the former retires a model.
    pub(crate) fn is_unknown_model(&self) -> bool {
        let Error::NotFound { message, body, .. } = self else { return false };
        let code = body.as_deref().and_then(|b| b.get("error")?.get("code")?.as_str());
        let message = message.to_ascii_lowercase();
        matches!(code, Some("model_not_found" | "model_not_available" | "DeploymentNotFound"))
            || message.contains("model")
            || message.contains("deployment")
    }

    /// The provider the error came from, when one was involved.
    pub fn provider(&self) -> Option<&str> {
        match self {
            Error::Authentication { provider, .. }
            | Error::PermissionDenied { provider, .. }
            | Error::NotFound { provider, .. }
            | Error::BadRequest { provider, .. }
            | Error::RateLimited { provider, .. }
            | Error::Timeout { provider }
            | Error::Connection { provider, .. }
            | Error::Provider { provider, .. }
            | Error::StreamInterrupted { provider, .. } => Some(provider),
            _ => None,
        }
    }

    /// The provider's error body, parsed, when it sent one.
    pub fn body(&self) -> Option<&serde_json::Value> {
        match self {
            Error::Authentication { body, .. }
            | Error::PermissionDenied { body, .. }
            | Error::NotFound { body, .. }
            | Error::BadRequest { body, .. }
            | Error::RateLimited { body, .. }
            | Error::Provider { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    /// The error's class as the bindings name it: the usage record's kind, except that a
    /// bad configuration is `"config"` (the caller's setup, not a request).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::Config(_) => "config",
            e => ErrorKind::from(e).as_str(),
        }
    }

    /// The request field at fault, for invalid requests.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidRequest { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The HTTP status this error corresponds to, when there is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::InvalidRequest { .. } => Some(400),
            Error::Authentication { .. } => Some(401),
            Error::PermissionDenied { .. } => Some(403),
            Error::NotFound { .. } => Some(404),
            Error::BadRequest { status, .. } | Error::Provider { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The class of a failure, without its message (messages can echo request content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    BadRequest,
    RateLimited,
    Timeout,
    Connection,
    Provider,
    NoEligibleModel,
    StreamInterrupted,
}

impl ErrorKind {
    /// Every kind, in declaration order (the index order of per-kind counters).
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::BadRequest,
        ErrorKind::RateLimited,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Provider,
        ErrorKind::NoEligibleModel,
        ErrorKind::StreamInterrupted,
    ];

    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Provider => "provider",
            ErrorKind::NoEligibleModel => "no_eligible_model",
            ErrorKind::StreamInterrupted => "stream_interrupted",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Maps the library error to its kind so the client records failures in one line. A
/// stream cut mid-answer is a `Provider` error in [`crate::Error`]; the client records
/// it as [`ErrorKind::StreamInterrupted`] itself, since only it knows the stream had started.
impl From<&Error> for ErrorKind {
    fn from(e: &Error) -> Self {
        match e {
            // A bad configuration surfaces per request as a request the library refuses.
            Error::InvalidRequest { .. } | Error::Config(_) => ErrorKind::InvalidRequest,
            Error::NoEligibleModel(_) => ErrorKind::NoEligibleModel,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::Provider { .. } => ErrorKind::Provider,
            Error::StreamInterrupted { .. } => ErrorKind::StreamInterrupted,
        }
    }
}
