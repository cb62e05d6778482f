//! The native library of Kestrel's Kotlin/JVM and Swift bindings, through UniFFI.
//!
//! A few coarse calls over `kestrel_router::Client`: a client from the same JSON
//! configuration the Python and Node bindings pass, chat (typed records or raw JSON),
//! streams pulled chunk by chunk, the routing decision, usage views and provider health.
//! All logic lives in the core; this crate only translates. Every call runs its future on
//! one shared tokio runtime, so the foreign side's executor (Kotlin coroutines, Swift
//! tasks) only waits on a join handle and never drives Kestrel's I/O.

mod client;
mod errors;
mod records;
mod request;
mod runtime;
mod stream;

pub use client::KestrelCore;
pub use errors::{AttemptInfo, KestrelError};
pub use records::*;
pub use request::*;
pub use stream::ChunkStream;

uniffi::setup_scaffolding!();

/// The crate version, so the Kotlin and Swift layers can tell which library they loaded.
#[uniffi::export]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
