//! Kestrel: an embeddable LLM router.
//!
//! For every OpenAI-shaped chat request, Kestrel picks the cheapest model that can handle
//! it (the requested model is a ceiling), calls the provider, and counts what was spent
//! and saved. This crate holds all the logic; the Python and Node packages are thin
//! bindings over it.

pub mod cache;
pub mod catalog;
mod client;
pub mod clock;
pub mod config;
mod deadline;
pub mod error;
pub mod health;
pub mod providers;
pub mod responses;
pub mod router;
pub mod secret;
pub mod types;
pub mod usage;

pub use cache::CacheConfig;
pub use catalog::Catalog;
pub use client::{CallOptions, ChatStream, Client, ClientBuilder, Failure};
pub use config::ClientConfig;
pub use error::{Error, Result};
pub use responses::{Response, ResponseStream, ResponseStreamEvent, ResponsesRequest};
pub use router::{Decision, Router, RoutingPolicy, Tier};
pub use secret::Secret;
pub use types::{ChatRequest, ChatResponse, Message};
