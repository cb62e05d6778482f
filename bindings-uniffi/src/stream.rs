//! `ChunkStream`: the chunks of an open stream, pulled one at a time; the Kotlin layer
//! turns it into a `Flow`, Swift into an `AsyncSequence`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use kestrel_router::ChatStream;
use tokio::sync::{Mutex, Notify};

use crate::errors::KestrelError;
use crate::records::ChatCompletionChunk;
use crate::runtime::{block_on, spawn};

/// `None` once the stream ended or was closed; dropping the `ChatStream` cancels the
/// upstream request and still records the request's usage.
type Slot = Arc<Mutex<Option<ChatStream>>>;

/// Set by `cancel()`; wakes a pull waiting for the next chunk, so closing cancels the
/// upstream request at once rather than after the next chunk.
#[derive(Default)]
struct Closer {
    closed: AtomicBool,
    wake: Notify,
}

/// An open stream of chat completion chunks.
#[derive(uniffi::Object)]
pub struct ChunkStream {
    slot: Slot,
    closer: Arc<Closer>,
}

impl std::fmt::Debug for ChunkStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkStream").field("closed", &self.closer.closed.load(Ordering::Relaxed)).finish()
    }
}

impl ChunkStream {
    pub(crate) fn new(stream: ChatStream) -> Self {
        ChunkStream { slot: Arc::new(Mutex::new(Some(stream))), closer: Arc::default() }
    }
}

async fn pull(slot: Slot, closer: Arc<Closer>) -> Result<Option<ChatCompletionChunk>, KestrelError> {
    let mut guard = slot.lock().await;
    if closer.closed.load(Ordering::Acquire) {
        *guard = None;
    }
    let Some(stream) = guard.as_mut() else { return Ok(None) };
    let item = tokio::select! {
        biased;
        _ = closer.wake.notified() => None,
        item = stream.next() => item,
    };
    match item {
        Some(Ok(chunk)) => Ok(Some(chunk.into())),
        Some(Err(e)) => {
            *guard = None;
            Err(e.into())
        }
        None => {
            *guard = None;
            Ok(None)
        }
    }
}

#[uniffi::export]
impl ChunkStream {
    /// The next chunk, `None` at the end (or once closed). A stream cut after its first
    /// chunk raises `StreamInterrupted`.
    pub async fn next(&self) -> Result<Option<ChatCompletionChunk>, KestrelError> {
        spawn(pull(self.slot.clone(), self.closer.clone())).await
    }

    /// [`ChunkStream::next`], blocking the calling thread until the next chunk.
    pub fn next_blocking(&self) -> Result<Option<ChatCompletionChunk>, KestrelError> {
        block_on(pull(self.slot.clone(), self.closer.clone()))
    }

    /// Stops the stream: the upstream request is cancelled and usage recorded. A pull in
    /// flight returns `None`.
    pub fn cancel(&self) {
        self.closer.closed.store(true, Ordering::Release);
        if let Ok(mut guard) = self.slot.try_lock() {
            *guard = None;
            return;
        }
        self.closer.wake.notify_one();
    }
}
