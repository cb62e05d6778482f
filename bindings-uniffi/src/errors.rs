//! Core errors as one typed enum whose variants are the error classes of the Python and
//! Node packages (the OpenAI SDK's, plus Kestrel's own). This is the one place the core's
//! error kinds map onto them, by the same rules as `kestrel_router/_errors.py`.

/// Every failure a Kestrel call reports; Kotlin sees `KestrelException.<Variant>`, Swift
/// `KestrelError.<variant>`. `status` is the HTTP status, `provider` the provider that
/// failed, `body_json` the provider's error object (the `error` member of `{"error": ...}`
/// bodies), `attempts` every provider call the request made. None carries an API key.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KestrelError {
    /// The client configuration or a per-call option is invalid (Python `ConfigurationError`).
    #[error("{reason}")]
    Configuration { reason: String },
    /// Kestrel refused the request before any network call; `param` is the JSON path of the
    /// offending field, e.g. `messages[2].tool_call_id` (Python `InvalidRequestError`).
    #[error("{reason}")]
    InvalidRequest { reason: String, param: Option<String> },
    /// No configured, healthy model can serve the request within the routing policy.
    #[error("{reason}")]
    NoEligibleModel { reason: String, attempts: Vec<AttemptInfo> },
    /// A stream broke after its first chunk; Kestrel never fails over mid-answer.
    #[error("{reason}")]
    StreamInterrupted { reason: String, provider: Option<String> },
    /// The provider did not answer in time (Python `APITimeoutError`).
    #[error("{reason}")]
    ApiTimeout { reason: String, provider: Option<String>, attempts: Vec<AttemptInfo> },
    /// The provider could not be reached, or the connection broke (`APIConnectionError`).
    #[error("{reason}")]
    ApiConnection { reason: String, provider: Option<String>, attempts: Vec<AttemptInfo> },
    /// A 2xx answer whose body is not a valid completion (`APIResponseValidationError`).
    #[error("{reason}")]
    ApiResponseValidation {
        reason: String,
        status: i32,
        provider: Option<String>,
        body_json: Option<String>,
        attempts: Vec<AttemptInfo>,
    },
    /// HTTP 400 from the provider (`BadRequestError`).
    #[error("{reason}")]
    BadRequest { reason: String, provider: Option<String>, body_json: Option<String>, attempts: Vec<AttemptInfo> },
    /// HTTP 401: the provider rejected the key (`AuthenticationError`).
    #[error("{reason}")]
    Authentication { reason: String, provider: Option<String>, body_json: Option<String>, attempts: Vec<AttemptInfo> },
    /// HTTP 403: the key lacks access (`PermissionDeniedError`).
    #[error("{reason}")]
    PermissionDenied { reason: String, provider: Option<String>, body_json: Option<String>, attempts: Vec<AttemptInfo> },
    /// HTTP 404: no such model or endpoint (`NotFoundError`).
    #[error("{reason}")]
    NotFound { reason: String, provider: Option<String>, body_json: Option<String>, attempts: Vec<AttemptInfo> },
    /// HTTP 409 (`ConflictError`).
    #[error("{reason}")]
    Conflict { reason: String, provider: Option<String>, body_json: Option<String>, attempts: Vec<AttemptInfo> },
    /// HTTP 422 (`UnprocessableEntityError`).
    #[error("{reason}")]
    UnprocessableEntity {
        reason: String,
        provider: Option<String>,
        body_json: Option<String>,
        attempts: Vec<AttemptInfo>,
    },
    /// HTTP 429 on every candidate tried (`RateLimitError`); `retry_after_seconds` is the
    /// provider's `Retry-After`, when it sent one.
    #[error("{reason}")]
    RateLimit {
        reason: String,
        provider: Option<String>,
        body_json: Option<String>,
        retry_after_seconds: Option<f64>,
        attempts: Vec<AttemptInfo>,
    },
    /// HTTP 5xx (`InternalServerError`).
    #[error("{reason}")]
    InternalServer {
        reason: String,
        status: i32,
        provider: Option<String>,
        body_json: Option<String>,
        attempts: Vec<AttemptInfo>,
    },
    /// Any other 4xx status (`APIStatusError`).
    #[error("{reason}")]
    ApiStatus {
        reason: String,
        status: i32,
        provider: Option<String>,
        body_json: Option<String>,
        attempts: Vec<AttemptInfo>,
    },
    /// A bug in Kestrel (a value that would not serialize, a task that panicked), reported
    /// rather than unwound across the FFI.
    #[error("{reason}")]
    Internal { reason: String },
}

/// One provider call of a request, for `attempts` (never the prompt or the key).
#[derive(Debug, Clone, uniffi::Record)]
pub struct AttemptInfo {
    pub provider: String,
    pub model: String,
    pub latency_ms: f64,
    /// The error kind (`"rate_limited"`, ...) when the call failed; `None` when it succeeded.
    pub error: Option<String>,
    /// The HTTP status of a failed call, when the provider answered.
    pub status: Option<i32>,
}

impl KestrelError {
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        KestrelError::Internal { reason: message.into() }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        KestrelError::Configuration { reason: message.into() }
    }
}

/// JSON that could not be produced: a bug, reported as an error rather than a panic.
pub(crate) fn json_error(e: serde_json::Error) -> KestrelError {
    KestrelError::internal(format!("serialization failed: {e}"))
}

impl From<kestrel_router::Error> for KestrelError {
    fn from(e: kestrel_router::Error) -> Self {
        kestrel_router::Failure::from(e).into()
    }
}

impl From<kestrel_router::Failure> for KestrelError {
    /// The same choice of class as `from_native` in `kestrel_router/_errors.py`.
    fn from(f: kestrel_router::Failure) -> Self {
        let e = f.error;
        let attempts: Vec<AttemptInfo> = f
            .attempts
            .into_iter()
            .map(|a| AttemptInfo {
                provider: a.provider,
                model: a.model,
                latency_ms: a.latency_ms,
                error: a.error.map(|k| k.as_str().to_string()),
                status: a.status.map(i32::from),
            })
            .collect();
        let reason = e.to_string();
        let provider = e.provider().map(str::to_string);
        // Like the SDKs: `body` is the `error` object of `{"error": {...}}` bodies.
        let body = e.body().map(|b| b.get("error").unwrap_or(b));
        let body_json = body.map(|b| b.to_string());
        let detail = body.and_then(|b| b.get("message")).and_then(|m| m.as_str()).filter(|m| !m.is_empty());
        let status = e.status().map(i32::from);
        match (e.kind_name(), status) {
            ("config", _) => KestrelError::Configuration { reason },
            ("invalid_request", _) => KestrelError::InvalidRequest { reason, param: e.field().map(str::to_string) },
            ("no_eligible_model", _) => KestrelError::NoEligibleModel { reason, attempts },
            ("stream_interrupted", _) => KestrelError::StreamInterrupted { reason, provider },
            ("timeout", _) => KestrelError::ApiTimeout { reason, provider, attempts },
            ("connection", _) => KestrelError::ApiConnection { reason, provider, attempts },
            ("provider", Some(s)) if s == 0 || (200..300).contains(&s) => {
                KestrelError::ApiResponseValidation { reason, status: s, provider, body_json, attempts }
            }
            (_, Some(status)) if status >= 400 => {
                let reason = format!("Error code: {status} - {}", detail.unwrap_or(&reason));
                match status {
                    400 => KestrelError::BadRequest { reason, provider, body_json, attempts },
                    401 => KestrelError::Authentication { reason, provider, body_json, attempts },
                    403 => KestrelError::PermissionDenied { reason, provider, body_json, attempts },
                    404 => KestrelError::NotFound { reason, provider, body_json, attempts },
                    409 => KestrelError::Conflict { reason, provider, body_json, attempts },
                    422 => KestrelError::UnprocessableEntity { reason, provider, body_json, attempts },
                    429 => KestrelError::RateLimit {
                        reason,
                        provider,
                        body_json,
                        retry_after_seconds: e.retry_after().map(|d| d.as_secs_f64()),
                        attempts,
                    },
                    500.. => KestrelError::InternalServer { reason, status, provider, body_json, attempts },
                    _ => KestrelError::ApiStatus { reason, status, provider, body_json, attempts },
                }
            }
            _ => KestrelError::ApiStatus { reason, status: status.unwrap_or(0), provider, body_json, attempts },
        }
    }
}

#[cfg(test)]
mod tests {
    use kestrel_router::Error;

    use super::KestrelError;

    fn status(provider_status: u16) -> KestrelError {
        let body = serde_json::json!({"error": {"message": "from the provider", "type": "x"}});
        Error::BadRequest {
            provider: "openai".into(),
            status: provider_status,
            message: "refused".into(),
            body: Some(Box::new(body)),
        }
        .into()
    }

    #[test]
    fn statuses_map_onto_the_sdk_classes() {
        assert!(matches!(status(400), KestrelError::BadRequest { .. }));
        assert!(matches!(status(409), KestrelError::Conflict { .. }));
        assert!(matches!(status(422), KestrelError::UnprocessableEntity { .. }));
        assert!(matches!(status(418), KestrelError::ApiStatus { status: 418, .. }));
        let KestrelError::Conflict { reason, body_json, provider, .. } = status(409) else { unreachable!() };
        // Like the SDKs: the message quotes the provider's, the body is its `error` object.
        assert_eq!(reason, "Error code: 409 - from the provider");
        assert_eq!(body_json.as_deref(), Some(r#"{"message":"from the provider","type":"x"}"#));
        assert_eq!(provider.as_deref(), Some("openai"));
    }

    #[test]
    fn kestrel_failures_keep_their_own_classes() {
        let e: KestrelError =
            Error::Provider { provider: "groq".into(), status: 503, message: "down".into(), body: None }.into();
        assert!(matches!(e, KestrelError::InternalServer { status: 503, .. }));
        let e: KestrelError =
            Error::Provider { provider: "groq".into(), status: 200, message: "bad".into(), body: None }.into();
        assert!(matches!(e, KestrelError::ApiResponseValidation { status: 200, .. }));
        let e: KestrelError = Error::Config("nope".into()).into();
        assert!(matches!(e, KestrelError::Configuration { .. }));
        let e: KestrelError = Error::NoEligibleModel("none".into()).into();
        assert!(matches!(e, KestrelError::NoEligibleModel { .. }));
        let e: KestrelError = Error::StreamInterrupted { provider: "openai".into(), message: "cut".into() }.into();
        assert!(matches!(e, KestrelError::StreamInterrupted { .. }));
        let e: KestrelError = Error::RateLimited {
            provider: "openai".into(),
            message: "slow".into(),
            retry_after: Some(std::time::Duration::from_millis(1500)),
            body: None,
        }
        .into();
        assert!(matches!(e, KestrelError::RateLimit { retry_after_seconds: Some(s), .. } if s == 1.5));
    }
}
