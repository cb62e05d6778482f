//! Core errors as one JS `Error` whose message is a JSON object of facts; the JS layer maps
//! it onto OpenAI-style classes (`js/errors.js`), the one place that mapping lives.

use serde::Serialize;

/// What the JS layer needs to pick and fill an error class. Never holds an API key: the
/// core's errors do not carry them.
#[derive(Serialize)]
struct Facts<'a> {
    kestrel_error: bool,
    kind: &'a str,
    message: String,
    status: Option<u16>,
    body: Option<&'a serde_json::Value>,
    retry_after: Option<f64>,
    provider: Option<&'a str>,
    field: Option<&'a str>,
    /// Every provider call a failed request made, in order.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    attempts: &'a [kestrel_router::usage::Attempt],
    /// The provider's HTTP answer the error comes from (status, headers, request id, body).
    #[serde(skip_serializing_if = "Option::is_none")]
    response: Option<&'a kestrel_router::ProviderResponse>,
}

fn to_error(facts: &Facts<'_>) -> napi::Error {
    // Serializing these plain fields cannot fail; fall back to the message all the same.
    let reason = serde_json::to_string(facts).unwrap_or_else(|_| facts.message.clone());
    napi::Error::from_reason(reason)
}

/// A core error as a JS error the JS layer decodes.
pub fn to_js(e: kestrel_router::Error) -> napi::Error {
    failure_to_js(kestrel_router::Failure::from(e))
}

/// A failed call, with the attempts it made, for `err.attempts`.
pub fn failure_to_js(f: kestrel_router::Failure) -> napi::Error {
    let e = &f.error;
    to_error(&Facts {
        kestrel_error: true,
        kind: e.kind_name(),
        message: e.to_string(),
        status: e.status(),
        body: e.body(),
        retry_after: e.retry_after().map(|d| d.as_secs_f64()),
        provider: e.provider(),
        field: e.field(),
        attempts: &f.attempts,
        response: f.response.as_deref(),
    })
}

/// A Kestrel error of `kind` that has no core error behind it (abort, bad options, bugs).
pub fn plain(kind: &str, message: impl Into<String>) -> napi::Error {
    to_error(&Facts {
        kestrel_error: true,
        kind,
        message: message.into(),
        status: None,
        body: None,
        retry_after: None,
        provider: None,
        field: None,
        attempts: &[],
        response: None,
    })
}

/// JSON that could not be produced: a bug, reported as an error rather than a panic.
pub fn json_error(e: serde_json::Error) -> napi::Error {
    plain("internal", format!("serialization failed: {e}"))
}

/// The JS side aborted the call (its `AbortSignal` fired).
pub fn aborted() -> napi::Error {
    plain("aborted", "Request was aborted.")
}
