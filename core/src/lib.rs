// The crate's documentation is its README (crates.io and docs.rs show the same page), so
// the example there is compiled by `cargo test --doc`.
#![doc = include_str!("../README.md")]

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
pub use client::{CallOptions, ChatStream, Client, ClientBuilder, Failure, PassthroughCall};
pub use config::ClientConfig;
pub use error::{Error, Result};
pub use providers::azure::{AzureAuth, AzureConfig};
pub use providers::http::ProviderResponse;
pub use responses::{Response, ResponseStream, ResponseStreamEvent, ResponsesRequest};
pub use router::{Decision, Router, RoutingPolicy, Tier};
pub use secret::Secret;
pub use types::{ChatRequest, ChatResponse, Message};
