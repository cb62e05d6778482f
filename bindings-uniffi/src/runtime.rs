//! One tokio runtime per process for every call, blocking or async.

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::errors::KestrelError;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static Runtime, KestrelError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("kestrel-io")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| KestrelError::internal(format!("the tokio runtime did not start: {e}")))
}

/// A task on the shared runtime, aborted when dropped: a Kotlin coroutine cancelled (or a
/// Swift task) drops its future, and with it the upstream request.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for AbortOnDrop<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx)
    }
}

/// Runs `fut` on the shared runtime; the returned future only waits for it, so any
/// executor can poll it. A panic in the task is an `Internal` error, never an unwind.
pub async fn spawn<T: Send + 'static>(
    fut: impl Future<Output = Result<T, KestrelError>> + Send + 'static,
) -> Result<T, KestrelError> {
    let task = AbortOnDrop(runtime()?.spawn(fut));
    match task.await {
        Ok(out) => out,
        Err(e) => Err(KestrelError::internal(format!("the request task stopped: {e}"))),
    }
}

/// Runs blocking work (file writes, usage flushes) off the calling thread's runtime.
pub async fn spawn_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, KestrelError> + Send + 'static,
) -> Result<T, KestrelError> {
    match runtime()?.spawn_blocking(work).await {
        Ok(out) => out,
        Err(e) => Err(KestrelError::internal(format!("the worker stopped: {e}"))),
    }
}

/// Runs `fut` on the calling (foreign) thread with the shared runtime's I/O and timers:
/// the blocking calls Java uses. No callback into the JVM per call, unlike the async
/// path, whose completion wakes a coroutine from a tokio thread.
pub fn block_on<T>(fut: impl Future<Output = Result<T, KestrelError>>) -> Result<T, KestrelError> {
    runtime()?.block_on(fut)
}
