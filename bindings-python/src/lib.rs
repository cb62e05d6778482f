//! `kestrel_router._native`: the few coarse calls the Python package is built on. Requests,
//! responses and usage cross the boundary as JSON text; all logic lives in the `kestrel`
//! crate, and the Python layer gives these calls the OpenAI SDK's shape.

mod client;
mod errors;
mod runtime;
mod stream;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::NativeClient>()?;
    m.add_class::<stream::NativeStream>()?;
    m.add("NativeError", m.py().get_type::<errors::NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let before_exit = wrap_pyfunction!(runtime::_before_exit, m)?;
    m.py().import("atexit")?.call_method1("register", (&before_exit,))?;
    m.add_function(before_exit)?;
    Ok(())
}
