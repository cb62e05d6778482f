//! OpenAI Chat Completions wire types.
//!
//! Every documented field is typed; every field this library does not know is kept in an
//! `extra` map and written back out untouched, so a request or response passes through
//! Kestrel without losing anything a newer SDK or provider added.

mod kestrel;
mod request;
mod response;

pub use kestrel::*;
pub use request::*;
pub use response::*;

/// Fields this library does not model, kept so they round-trip untouched.
pub type Extra = serde_json::Map<String, serde_json::Value>;
