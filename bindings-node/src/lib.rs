//! The native addon of the `kestrel` npm package: a few coarse calls over
//! `kestrel_router::Client`. Requests, responses and usage cross the boundary as JSON text; all
//! logic lives in the `kestrel` crate, and the JS layer (`bindings-node/js/`) gives these
//! calls the OpenAI SDK's shape. Async calls run on napi's tokio runtime and resolve
//! Promises, so the event loop never waits on I/O.

mod client;
mod errors;
mod stream;

pub use client::NativeClient;
pub use stream::NativeStream;

/// The crate version, so the JS layer can tell which addon it loaded.
#[napi_derive::napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
