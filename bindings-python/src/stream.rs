//! `NativeStream`: chunks of a routed chat stream, or events of a Responses stream,
//! pulled one at a time as JSON.

use std::sync::Arc;

use futures_util::StreamExt;
use kestrel_router::{ChatStream, ResponseStream};
use pyo3::prelude::*;
use tokio::sync::Mutex;

use crate::errors::{json_error, to_py};
use crate::runtime::{awaitable, handle, wait};

/// Either kind of routed stream (boxed: both are large, and only one is ever held).
enum Inner {
    Chat(Box<ChatStream>),
    Responses(Box<ResponseStream>),
}

/// `None` once the stream ended or was closed; dropping the stream cancels the upstream
/// request and still records the request's usage.
type Slot = Arc<Mutex<Option<Inner>>>;

#[pyclass(module = "kestrel_router._native", frozen)]
pub struct NativeStream {
    slot: Slot,
    /// The provider's HTTP answer that opened the stream, as JSON.
    response: Option<String>,
}

fn response_json(r: Option<&kestrel_router::ProviderResponse>) -> Option<String> {
    r.and_then(|r| serde_json::to_string(r).ok())
}

impl NativeStream {
    pub fn new(stream: ChatStream) -> Self {
        let response = response_json(stream.provider_response());
        NativeStream { slot: Arc::new(Mutex::new(Some(Inner::Chat(Box::new(stream))))), response }
    }

    /// A stream of Responses events (`response.created`, ..., `response.completed`).
    pub fn responses(stream: ResponseStream) -> Self {
        let response = response_json(stream.provider_response());
        NativeStream { slot: Arc::new(Mutex::new(Some(Inner::Responses(Box::new(stream))))), response }
    }
}

/// The next chunk (or event) as JSON, or `None` at the end.
async fn pull(slot: Slot) -> PyResult<Option<String>> {
    let mut guard = slot.lock().await;
    let next = match guard.as_mut() {
        None => return Ok(None),
        Some(Inner::Chat(stream)) => match stream.next().await {
            Some(Ok(chunk)) => Some(serde_json::to_string(&chunk).map_err(json_error)),
            Some(Err(e)) => Some(Err(to_py(e))),
            None => None,
        },
        // Failures arrive as `error` / `response.failed` events, as OpenAI streams them.
        Some(Inner::Responses(stream)) => stream.next().await.map(|e| serde_json::to_string(&e).map_err(json_error)),
    };
    match next {
        Some(Ok(text)) => Ok(Some(text)),
        Some(Err(e)) => {
            *guard = None;
            Err(e)
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

    /// The provider's HTTP answer that opened the stream (status, headers, request id) as
    /// JSON; `None` for a stream replayed from the cache.
    fn response(&self) -> Option<String> {
        self.response.clone()
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
