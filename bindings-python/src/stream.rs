//! `NativeStream`: chunks of a routed stream, pulled one at a time as JSON.

use std::sync::Arc;

use futures_util::StreamExt;
use kestrel::ChatStream;
use pyo3::prelude::*;
use tokio::sync::Mutex;

use crate::errors::{json_error, to_py};
use crate::runtime::{awaitable, handle, wait};

/// `None` once the stream ended or was closed; dropping the `ChatStream` cancels the
/// upstream request and still records the request's usage.
type Slot = Arc<Mutex<Option<ChatStream>>>;

#[pyclass(module = "kestrel._native", frozen)]
pub struct NativeStream {
    slot: Slot,
}

impl NativeStream {
    pub fn new(stream: ChatStream) -> Self {
        NativeStream { slot: Arc::new(Mutex::new(Some(stream))) }
    }
}

/// The next chunk as JSON, or `None` at the end.
async fn pull(slot: Slot) -> PyResult<Option<String>> {
    let mut guard = slot.lock().await;
    let Some(stream) = guard.as_mut() else { return Ok(None) };
    match stream.next().await {
        Some(Ok(chunk)) => serde_json::to_string(&chunk).map(Some).map_err(json_error),
        Some(Err(e)) => {
            *guard = None;
            Err(to_py(e))
        }
        None => {
            *guard = None;
            Ok(None)
        }
    }
}

#[pymethods]
impl NativeStream {
    /// Blocks without the GIL until the next chunk; `None` at the end.
    fn next(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let slot = self.slot.clone();
        wait(py, pull(slot))?
    }

    /// The next chunk as an awaitable; `None` at the end.
    fn anext<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let slot = self.slot.clone();
        awaitable(py, pull(slot))
    }

    /// Stops the stream: the upstream request is cancelled and usage recorded.
    fn close(&self) {
        if let Ok(mut guard) = self.slot.try_lock() {
            *guard = None;
            return;
        }
        // A pull is in flight (another thread or task): close right after it. Once the
        // runtime is shut down (the interpreter is exiting) that pull is gone, and the
        // stream goes with this object.
        let slot = self.slot.clone();
        if let Ok(rt) = handle() {
            rt.spawn(async move {
                *slot.lock().await = None;
            });
        }
    }
}
