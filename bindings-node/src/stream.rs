//! `NativeStream`: chunks of a routed chat stream, or events of a Responses stream,
//! pulled one at a time as JSON.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use kestrel_router::{ChatStream, ResponseStream};
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;
use tokio::sync::{Mutex, Notify};

use crate::errors::{json_error, to_js};

/// Either kind of routed stream (boxed: both are large, and only one is ever held).
enum Inner {
    Chat(Box<ChatStream>),
    Responses(Box<ResponseStream>),
}

/// `None` once the stream ended or was closed; dropping the stream cancels the upstream
/// request and still records the request's usage.
type Slot = Arc<Mutex<Option<Inner>>>;

/// Set by `close()`; wakes a pull that is waiting for the next chunk, so an abort
/// cancels the upstream request at once rather than after the next chunk.
#[derive(Default)]
struct Closer {
    closed: AtomicBool,
    wake: Notify,
}

/// An open stream; the JS `Stream` wraps it in an async iterator.
#[napi]
pub struct NativeStream {
    slot: Slot,
    closer: Arc<Closer>,
    /// The provider's HTTP answer that opened the stream, as JSON.
    opened_by: Option<String>,
}

fn response_json(r: Option<&kestrel_router::ProviderResponse>) -> Option<String> {
    r.and_then(|r| serde_json::to_string(r).ok())
}

impl NativeStream {
    /// Wraps an open stream; the JS side pulls it with `next()`.
    pub fn new(stream: ChatStream) -> Self {
        let opened_by = response_json(stream.provider_response());
        let slot = Arc::new(Mutex::new(Some(Inner::Chat(Box::new(stream)))));
        NativeStream { slot, closer: Arc::default(), opened_by }
    }

    /// Wraps an open stream of Responses events.
    pub fn responses(stream: ResponseStream) -> Self {
        let opened_by = response_json(stream.provider_response());
        let slot = Arc::new(Mutex::new(Some(Inner::Responses(Box::new(stream)))));
        NativeStream { slot, closer: Arc::default(), opened_by }
    }
}

/// The next chunk as JSON, or `None` at the end (or once closed).
async fn pull(slot: Slot, closer: Arc<Closer>) -> Result<Option<String>> {
    let mut guard = slot.lock().await;
    if closer.closed.load(Ordering::Acquire) {
        *guard = None;
    }
    let item = match guard.as_mut() {
        None => return Ok(None),
        Some(Inner::Chat(stream)) => tokio::select! {
            biased;
            _ = closer.wake.notified() => None,
            item = stream.next() => item.map(|r| r.map_err(to_js).and_then(|c| serde_json::to_string(&c).map_err(json_error))),
        },
        // Failures arrive as `error` / `response.failed` events, as OpenAI streams them.
        Some(Inner::Responses(stream)) => tokio::select! {
            biased;
            _ = closer.wake.notified() => None,
            item = stream.next() => item.map(|e| serde_json::to_string(&e).map_err(json_error)),
        },
    };
    match item {
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

#[napi]
impl NativeStream {
    /// The next chunk as JSON, `null` at the end; a Promise, so the event loop runs meanwhile.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn next<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, Option<String>>> {
        env.spawn_future(pull(self.slot.clone(), self.closer.clone()))
    }

    /// The provider's HTTP answer that opened the stream (status, headers, request id) as
    /// JSON; `null` for a stream replayed from the cache.
    #[napi]
    pub fn response(&self) -> Option<String> {
        self.opened_by.clone()
    }

    /// Stops the stream: the upstream request is cancelled and usage recorded. A pull in
    /// flight resolves `null`.
    #[napi]
    pub fn close(&self) {
        self.closer.closed.store(true, Ordering::Release);
        if let Ok(mut guard) = self.slot.try_lock() {
            *guard = None;
            return;
        }
        // A pull holds the stream: wake it; it drops the stream.
        self.closer.wake.notify_one();
    }
}
