//! Providers: each maps an OpenAI-shaped request to its wire format and the answer (or
//! each stream event) back. The OpenAI provider serves the whole OpenAI-compatible family
//! (Groq, xAI, Mistral, Together, and any base URL); native Anthropic, Gemini and Cohere
//! providers implement the same trait.

mod anthropic;
mod cohere;
mod gemini;
pub mod http;
mod openai;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::Stream;
use reqwest::header::HeaderMap;

pub use openai::OpenAi;

use crate::catalog::Api;
use crate::error::Result;
use crate::secret::Secret;
use crate::types::{ChatChunk, ChatRequest, ChatResponse};

/// OpenAI-shaped chunks, as a provider streams them.
pub type ChunkStream = Pin<Box<dyn Stream<Item = Result<ChatChunk>> + Send>>;

/// Where and how to reach one provider.
#[derive(Clone)]
pub struct Endpoint {
    /// The catalog name (`openai`, `groq`, ...), used in errors and quirks.
    pub provider: String,
    pub base_url: String,
    /// Appended to `base_url`; `{model}` is replaced by the model id.
    pub chat_path: String,
    pub key: Option<Secret>,
    /// Sent with every request (e.g. `OpenAI-Organization`).
    pub headers: HeaderMap,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Endpoint {
    /// The chat URL for `model`, without doubled slashes whatever the configured base.
    pub fn chat_url(&self, model: &str) -> String {
        let path = self.chat_path.replace("{model}", model);
        format!("{}/{}", self.base_url.trim_end_matches('/'), path.trim_start_matches('/'))
    }
}

/// One attempt: the caller's request, the model to ask for, and how to reach it.
pub struct Call<'a> {
    pub request: &'a ChatRequest,
    /// The model id to put on the wire.
    pub model: &'a str,
    /// The model's output limit from the catalog, for providers that require
    /// `max_tokens` (Anthropic) when the caller set none; `None` for unknown models.
    pub max_output: Option<u32>,
    pub endpoint: &'a Endpoint,
    pub http: &'a reqwest::Client,
    /// A total time limit for this attempt, when one was set per request; otherwise the
    /// client's read timeout alone bounds how long a provider may stay silent.
    pub timeout: Option<Duration>,
    /// Request fields Kestrel does not know go only to the provider the caller addressed;
    /// another provider might reject them.
    pub pass_unknown: bool,
}

/// A provider's translation of OpenAI chat completions.
pub trait Provider: Send + Sync + fmt::Debug {
    fn complete<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChatResponse>>;

    /// Opens a stream; the future resolves once the response headers arrived.
    fn stream<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChunkStream>>;
}

/// The implementation for a wire format, if this build has one.
pub fn for_api(api: Api) -> Option<Arc<dyn Provider>> {
    match api {
        Api::Openai => Some(Arc::new(OpenAi)),
        Api::Anthropic => Some(Arc::new(anthropic::Anthropic)),
        Api::Gemini => Some(Arc::new(gemini::Gemini)),
        Api::Cohere => Some(Arc::new(cohere::Cohere)),
    }
}
