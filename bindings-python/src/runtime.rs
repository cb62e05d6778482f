//! One tokio runtime per process, shared by blocking and asyncio calls.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Set by the interpreter's `atexit` hook: from then on, no runtime thread may hand a
/// result to Python. An awaitable's result is delivered from a runtime thread (pyo3-async-
/// runtimes takes the GIL there and calls `loop.call_soon_threadsafe`); once `Py_FinalizeEx`
/// runs, taking the GIL from a foreign thread crashes the process or aborts it
/// (`PyGILState_Release`). Nobody awaits those results any more, so they are never delivered.
static FINALIZING: AtomicBool = AtomicBool::new(false);

/// How long the exit hook lets results already on their way to Python arrive.
const DRAIN: Duration = Duration::from_millis(50);

/// An asyncio call's future: its result reaches Python only while the interpreter is not
/// shutting down; afterwards it never resolves, so nothing touches Python from Rust.
pub async fn until_exit<F: Future>(fut: F) -> F::Output {
    let out = fut.await;
    if FINALIZING.load(Ordering::Acquire) {
        std::future::pending::<()>().await;
    }
    out
}

/// Registered with `atexit` when the module loads (atexit hooks run before finalization,
/// while Python is whole): stops results from crossing over, then lets those already
/// waiting for the GIL finish, with the GIL released so they can take it.
#[pyfunction]
pub fn _before_exit(py: Python<'_>) {
    FINALIZING.store(true, Ordering::Release);
    if RUNTIME.get().is_some() {
        py.detach(|| std::thread::sleep(DRAIN));
    }
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
