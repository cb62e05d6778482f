//! Core errors as one Python exception type carrying the facts; the Python layer maps it
//! onto OpenAI-style classes (`kestrel/_errors.py`), the one place that mapping lives.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    NativeError,
    PyException,
    "A Kestrel error: args are (kind, message, status, body_json, retry_after_s, provider, field, attempts_json, response_json)."
);

pub fn to_py(e: kestrel_router::Error) -> PyErr {
    failure_to_py(kestrel_router::Failure::from(e))
}

/// A failed call, with every provider attempt it made (JSON), for `exc.attempts`.
pub fn failure_to_py(f: kestrel_router::Failure) -> PyErr {
    let attempts = serde_json::to_string(&f.attempts).unwrap_or_else(|_| "[]".into());
    let e = f.error;
    let status = e.status();
    let body = e.body().map(|b| b.to_string());
    let retry_after = e.retry_after().map(|d| d.as_secs_f64());
    let provider = e.provider().map(str::to_string);
    let field = e.field().map(str::to_string);
    // The provider's HTTP answer the error comes from, for `e.response` / `e.request_id`.
    let response = f.response.as_deref().and_then(|r| serde_json::to_string(r).ok());
    NativeError::new_err((e.kind_name(), e.to_string(), status, body, retry_after, provider, field, attempts, response))
}

/// JSON that could not be produced: a bug, reported as an error rather than a panic.
pub fn json_error(e: serde_json::Error) -> PyErr {
    NativeError::new_err(("internal", format!("serialization failed: {e}"), None::<u16>))
}
