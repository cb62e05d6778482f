//! The usage collector: `POST /v1/usage` receives Kestrel's reporter batches (gzip JSON),
//! keeps them in arrival order, and fails on demand so tests can take the collector "down".
//!
//! Control: `GET /_mock/usage` (batches received, decoded, plus the raw decoded bodies),
//! `DELETE /_mock/usage` (forget them and stop failing), `PUT /_mock/usage/fail`
//! `{"status": 503, "times": 3}` (fail the next 3 uploads; without `times`, until reset).

use std::io::Read;
use std::sync::{Mutex, MutexGuard};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One upload the collector accepted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceivedBatch {
    /// The decoded body (the batch JSON).
    pub body: Value,
    /// The decompressed body exactly as sent, for tests that search it for leaks.
    pub raw: String,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
}

impl ReceivedBatch {
    /// The batch's records (empty if the body has none).
    pub fn records(&self) -> &[Value] {
        self.body.get("records").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }
}

/// How the collector answers the next uploads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// The HTTP status to answer with (e.g. 503, 429).
    pub status: u16,
    /// How many uploads to fail; `None` = until reset.
    #[serde(default)]
    pub times: Option<u32>,
}

#[derive(Debug, Default)]
pub(crate) struct Collector {
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    batches: Vec<ReceivedBatch>,
    failure: Option<Failure>,
    /// Uploads refused (by a failure) so far.
    refused: u64,
}

impl Collector {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn batches(&self) -> Vec<ReceivedBatch> {
        self.lock().batches.clone()
    }

    pub(crate) fn refused(&self) -> u64 {
        self.lock().refused
    }

    pub(crate) fn reset(&self) {
        let mut s = self.lock();
        s.batches.clear();
        s.failure = None;
        s.refused = 0;
    }

    pub(crate) fn fail(&self, failure: Option<Failure>) {
        self.lock().failure = failure;
    }

    /// `POST /v1/usage`.
    pub(crate) fn receive(&self, headers: &HeaderMap, body: &Bytes) -> Response {
        {
            let mut s = self.lock();
            if let Some(f) = s.failure {
                s.failure = match f.times {
                    Some(n) if n <= 1 => None,
                    Some(n) => Some(Failure { times: Some(n - 1), ..f }),
                    None => Some(f),
                };
                s.refused += 1;
                let status = StatusCode::from_u16(f.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                return (status, Json(json!({"error": "collector told to fail"}))).into_response();
            }
        }
        let gzip = headers.get("content-encoding").and_then(|v| v.to_str().ok()) == Some("gzip");
        let raw = if gzip {
            let mut out = String::new();
            if flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut out).is_err() {
                return (StatusCode::BAD_REQUEST, Json(json!({"error": "body is not gzip"}))).into_response();
            }
            out
        } else {
            String::from_utf8_lossy(body).into_owned()
        };
        let Ok(parsed) = serde_json::from_str::<Value>(&raw) else {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "body is not JSON"}))).into_response();
        };
        if !parsed.get("records").is_some_and(Value::is_array) {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "no records array"}))).into_response();
        }
        let accepted = parsed["records"].as_array().map_or(0, Vec::len);
        let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
        self.lock().batches.push(ReceivedBatch { body: parsed, raw, authorization });
        (StatusCode::OK, Json(json!({"accepted": accepted}))).into_response()
    }
}
