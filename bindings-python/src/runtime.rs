//! One tokio runtime per process, shared by blocking and asyncio calls.

use std::future::Future;
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Once, OnceLock};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// How often a blocking call wakes to let Ctrl-C through.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("kestrel-io")
            .enable_all()
            .build()
            .expect("the tokio runtime starts")
    })
}

/// Hands the shared runtime to pyo3-async-runtimes, so asyncio calls use it too.
pub fn init_async() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = pyo3_async_runtimes::tokio::init_with_runtime(runtime());
    });
}

/// Runs `fut` on the shared runtime while the calling thread waits without the GIL, so
/// other Python threads run. Every [`SIGNAL_CHECK`] it takes the GIL back briefly to let
/// Ctrl-C through; then the request is cancelled and `KeyboardInterrupt` raised.
pub fn wait<T: Send + 'static>(py: Python<'_>, fut: impl Future<Output = T> + Send + 'static) -> PyResult<T> {
    let (tx, rx) = sync_channel(1);
    let task = runtime().spawn(async move {
        let _ = tx.send(fut.await);
    });
    let mut rx = rx;
    loop {
        // The receiver moves into the GIL-free closure and back out each round.
        let (got, back) = py.detach(move || (rx.recv_timeout(SIGNAL_CHECK), rx));
        rx = back;
        match got {
            Ok(value) => return Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    task.abort();
                    return Err(interrupt);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("kestrel: the request task stopped without an answer"))
            }
        }
    }
}
