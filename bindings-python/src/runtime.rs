//! One tokio runtime per process, shared by blocking and asyncio calls, and the one way a
//! result crosses from its threads back to Python.
//!
//! Exit (issue 15): once `Py_FinalizeEx` has begun, a thread that is not Python's own must
//! not take the GIL (`PyGILState_Ensure` then crashes the process or aborts it with
//! `Fatal Python error: PyGILState_Release`), nor touch a Python object. So:
//! - an `atexit` hook ([`_before_exit`], registered when the module loads, so it runs after
//!   every exit hook registered later, while Python is still whole) closes a gate, waits
//!   for the deliveries that already passed it, then shuts the runtime down;
//! - a result reaches Python only through [`deliver`], which passes that gate (and checks
//!   that the interpreter is still initialized) before it attaches to Python;
//! - Python objects a runtime thread holds are [`Held`], which leaks them instead of
//!   dropping them once the interpreter is exiting;
//! - a request made after the hook gets a `KestrelError`, not a hang.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::FutureExt;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use crate::errors::NativeError;

/// How often a blocking call wakes to let Ctrl-C through.
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// How long the exit hook waits for deliveries already past the gate (they hold no lock
/// and only wait for the GIL, which the hook releases: they take milliseconds).
const LANDING: Duration = Duration::from_secs(2);

/// How long the exit hook lets the runtime's tasks wind down before leaving them.
const SHUTDOWN: Duration = Duration::from_millis(250);

struct State {
    /// Built on first use; taken (and shut down) by the exit hook.
    runtime: Option<Runtime>,
    /// Set by the exit hook: no new request, no new delivery to Python.
    closed: bool,
    /// Deliveries past the gate that have not finished.
    delivering: usize,
}

static STATE: Mutex<State> = Mutex::new(State { runtime: None, closed: false, delivering: 0 });
/// Signalled when `delivering` drops to zero.
static LANDED: Condvar = Condvar::new();
/// `closed`, readable without the lock (for [`Held`]'s drop).
static EXITING: AtomicBool = AtomicBool::new(false);

/// The state, even if a thread panicked while holding it (nothing here is left half-done).
fn state() -> MutexGuard<'static, State> {
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The interpreter is exiting: kestrel's exit hook ran, or finalization began.
///
/// `Py_IsInitialized` is the stable-ABI way to see the latter: CPython clears it where it
/// marks the runtime finalizing, right after the exit hooks (3.9 to 3.13). `Py_IsFinalizing`
/// is public only from 3.13 (pyo3 declares it for `Py_3_13` builds only) and
/// `_Py_IsFinalizing` is private and gone in 3.13, so neither can be linked by this abi3-py39
/// module.
fn exiting() -> bool {
    // SAFETY: Py_IsInitialized only reads a flag; it may be called at any time, from any
    // thread, with or without the GIL, even after finalization.
    EXITING.load(Ordering::Acquire) || unsafe { pyo3::ffi::Py_IsInitialized() } == 0
}

fn shut_down() -> PyErr {
    NativeError::new_err((
        "internal",
        "kestrel: the runtime is shut down because the interpreter is exiting; no new requests",
        None::<u16>,
    ))
}

/// The shared runtime, started on first use; an error once the interpreter is exiting.
pub fn handle() -> PyResult<Handle> {
    let mut s = state();
    if s.closed {
        return Err(shut_down());
    }
    if let Some(rt) = &s.runtime {
        return Ok(rt.handle().clone());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .thread_name("kestrel-io")
        .enable_all()
        .build()
        .map_err(|e| PyRuntimeError::new_err(format!("kestrel: cannot start the runtime: {e}")))?;
    let handle = rt.handle().clone();
    s.runtime = Some(rt);
    Ok(handle)
}

/// Registered with `atexit` when the module loads. Exit hooks run before finalization,
/// while Python is whole, last in first out: this one runs after those the Python layer
/// registers later (its usage flush), so they still have the runtime.
///
/// With the GIL released (a delivery past the gate may be waiting for it: holding it here
/// would deadlock), closes the gate, waits for the deliveries already past it, then shuts
/// the runtime down, which cancels the tasks still in flight. Calling it again does nothing.
#[pyfunction]
pub fn _before_exit(py: Python<'_>) {
    py.detach(|| {
        let runtime = {
            let mut s = state();
            s.closed = true;
            EXITING.store(true, Ordering::Release);
            let (mut s, _) =
                LANDED.wait_timeout_while(s, LANDING, |s| s.delivering > 0).unwrap_or_else(|e| e.into_inner());
            s.runtime.take()
        };
        // Tasks are dropped here or on the runtime's threads: the Python objects they hold
        // are `Held`, so they are leaked rather than released without the GIL.
        if let Some(rt) = runtime {
            rt.shutdown_timeout(SHUTDOWN);
        }
    });
}

/// A pass through the gate: while one is alive, the exit hook waits.
struct Pass;

impl Pass {
    fn enter() -> Option<Pass> {
        let mut s = state();
        if s.closed || exiting() {
            return None;
        }
        s.delivering += 1;
        Some(Pass)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut s = state();
        s.delivering -= 1;
        if s.delivering == 0 {
            LANDED.notify_all();
        }
    }
}

/// A Python object owned by Rust code that may run on a runtime thread.
///
/// Dropping a `Py` without the GIL queues its decref in pyo3's pool, which the next thread
/// to attach drains; during finalization that can be a thread that must not attach any
/// more, or a decref into a half torn-down interpreter. So once the interpreter is exiting
/// the reference is leaked instead (never dropped, like `mem::forget`): the process is
/// ending, and a reference leaked at exit costs nothing.
struct Held(ManuallyDrop<Py<PyAny>>);

impl Held {
    fn new(obj: Bound<'_, PyAny>) -> Self {
        Held(ManuallyDrop::new(obj.unbind()))
    }

    fn bind<'py>(&self, py: Python<'py>) -> &Bound<'py, PyAny> {
        self.0.bind(py)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if !exiting() {
            // SAFETY: taken once, here, and never used again.
            drop(unsafe { ManuallyDrop::take(&mut self.0) });
        }
    }
}

/// Where an awaitable's result goes: the asyncio future and its event loop.
struct Target {
    event_loop: Held,
    future: Held,
}

/// Runs `fut` on the runtime and returns an asyncio future (of the running loop) for its
/// result. Cancelling the asyncio future cancels `fut`; a panic in `fut` becomes a
/// `KestrelError`; once the interpreter is exiting, the result is never delivered.
///
/// (This replaces pyo3-async-runtimes' `future_into_py`, which attaches to Python from a
/// runtime thread to deliver a result or to see a cancellation, with no way to stop it at
/// exit.)
pub fn awaitable<'py, T, F>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let handle = handle()?;
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let future = event_loop.call_method0("create_future")?;
    let target = Target { event_loop: Held::new(event_loop), future: Held::new(future.clone()) };
    let task = handle.spawn(async move {
        let out = match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(out) => out,
            Err(panic) => Err(internal_panic(&*panic)),
        };
        // The GIL may be busy: wait for it on the blocking pool, not on a worker. If the
        // runtime is shutting down, the closure is dropped unrun (and `target` leaked).
        tokio::task::spawn_blocking(move || deliver(target, out));
    });
    future.call_method1("add_done_callback", (Canceller { task: task.abort_handle() },))?;
    Ok(future)
}

fn internal_panic(panic: &(dyn std::any::Any + Send)) -> PyErr {
    let what = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic");
    NativeError::new_err(("internal", format!("kestrel: internal error: {what}"), None::<u16>))
}

/// Hands `out` to the asyncio future, on its loop's thread. Only through the gate: once the
/// interpreter is exiting nobody can await the result any more, and attaching could crash.
fn deliver<T>(target: Target, out: PyResult<T>)
where
    T: for<'a> IntoPyObject<'a>,
{
    let Some(pass) = Pass::enter() else { return };
    // `try_attach` declines (rather than panics) if the interpreter is not initialized;
    // the closure, with `target`, is then dropped unrun. Run, it drops `target` attached.
    let _ = Python::try_attach(move |py| {
        let future = target.future.bind(py);
        if future.call_method0("done").and_then(|d| d.is_truthy()).unwrap_or(true) {
            return; // cancelled meanwhile
        }
        let (ok, value) = match out.and_then(|v| v.into_py_any(py)) {
            Ok(v) => (true, v),
            Err(e) => (false, e.into_value(py).into_any()),
        };
        let Ok(complete) = wrap_pyfunction!(complete, py) else { return };
        // Fails only if the loop is closed: then nobody awaits this future any more.
        let _ = target.event_loop.bind(py).call_method1("call_soon_threadsafe", (complete, future, ok, value));
    });
    drop(pass);
}

/// Runs on the event loop's thread: settles the future unless it was cancelled meanwhile.
#[pyfunction]
fn complete(future: &Bound<'_, PyAny>, ok: bool, value: Bound<'_, PyAny>) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    future.call_method1(if ok { "set_result" } else { "set_exception" }, (value,))?;
    Ok(())
}

/// The asyncio future's done callback: if it was cancelled, so is the Rust task (dropping
/// it cancels the upstream request).
#[pyclass(module = "kestrel._native", frozen)]
struct Canceller {
    task: AbortHandle,
}

#[pymethods]
impl Canceller {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.task.abort();
        }
        Ok(())
    }
}

/// Runs `fut` on the shared runtime while the calling thread waits without the GIL, so
/// other Python threads run. Every [`SIGNAL_CHECK`] it takes the GIL back briefly to let
/// Ctrl-C through; then the request is cancelled and `KeyboardInterrupt` raised.
pub fn wait<T: Send + 'static>(py: Python<'_>, fut: impl Future<Output = T> + Send + 'static) -> PyResult<T> {
    let (tx, rx) = sync_channel(1);
    let task = handle()?.spawn(async move {
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
            // The runtime shut down under the request (the interpreter is exiting).
            Err(RecvTimeoutError::Disconnected) if exiting() => return Err(shut_down()),
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("kestrel: the request task stopped without an answer"))
            }
        }
    }
}
