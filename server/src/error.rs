//! Errors in OpenAI's body format, `{"error": {"message", "type", "param", "code"}}`, with
//! the HTTP status the official SDKs map to the same exception class.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kestrel_router::Error;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: Option<String>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), kind, param: None, code: None, retry_after: None }
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// A missing, unknown or revoked Kestrel key (OpenAI's wording and code).
    pub fn bad_key(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message).code("invalid_api_key")
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "invalid_request_error", message).code("not_found")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
    }

    /// The body, as sent (also as an SSE event when a stream breaks).
    pub fn body(&self) -> Value {
        json!({"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}})
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let (status, kind) = match &e {
            Error::InvalidRequest { .. } | Error::Config(_) => (StatusCode::BAD_REQUEST, "invalid_request_error"),
            Error::NoEligibleModel(_) => (StatusCode::BAD_REQUEST, "invalid_request_error"),
            Error::Authentication { .. } => (StatusCode::UNAUTHORIZED, "authentication_error"),
            Error::PermissionDenied { .. } => (StatusCode::FORBIDDEN, "permission_error"),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "invalid_request_error"),
            Error::BadRequest { .. } => (status_of(&e, 400), "invalid_request_error"),
            Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limit_error"),
            Error::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            Error::Connection { .. } => (StatusCode::BAD_GATEWAY, "api_connection_error"),
            Error::Provider { .. } => {
                let s = status_of(&e, 502);
                (if s.is_server_error() { s } else { StatusCode::BAD_GATEWAY }, "server_error")
            }
            Error::StreamInterrupted { .. } => (StatusCode::BAD_GATEWAY, "server_error"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        };
        let mut out = ApiError::new(status, kind, message);
        out.param = e.field().map(str::to_owned);
        out.code = match &e {
            Error::NoEligibleModel(_) => Some("no_eligible_model".into()),
            Error::Config(_) => Some("provider_not_configured".into()),
            _ => None,
        };
        // An OpenAI-shaped provider body says more precisely what went wrong.
        if let Some(err) = e.body().and_then(|b| b.get("error")).filter(|v| v.is_object()) {
            if let Some(t) = err.get("type").and_then(Value::as_str) {
                out.kind = leak_kind(t).unwrap_or(out.kind);
            }
            if let Some(c) = err.get("code").and_then(Value::as_str) {
                out.code = Some(c.to_owned());
            }
            if let Some(p) = err.get("param").and_then(Value::as_str) {
                out.param = Some(p.to_owned());
            }
        }
        out.retry_after = e.retry_after();
        out
    }
}

fn status_of(e: &Error, fallback: u16) -> StatusCode {
    StatusCode::from_u16(e.status().unwrap_or(fallback)).unwrap_or(StatusCode::BAD_GATEWAY)
}

/// Provider error types we pass through, as static strings (anything else keeps ours).
fn leak_kind(t: &str) -> Option<&'static str> {
    Some(match t {
        "invalid_request_error" => "invalid_request_error",
        "authentication_error" => "authentication_error",
        "permission_error" => "permission_error",
        "not_found_error" => "not_found_error",
        "rate_limit_error" => "rate_limit_error",
        "insufficient_quota" => "insufficient_quota",
        "server_error" => "server_error",
        "api_error" => "api_error",
        "overloaded_error" => "overloaded_error",
        _ => return None,
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        if let Some(d) = self.retry_after {
            let secs = d.as_secs_f64().ceil().max(0.0) as u64;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            if let Ok(v) = HeaderValue::from_str(&d.as_millis().to_string()) {
                resp.headers_mut().insert("retry-after-ms", v);
            }
        }
        resp
    }
}
