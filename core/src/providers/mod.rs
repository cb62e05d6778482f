//! Providers: each maps an OpenAI-shaped request to its wire format and the answer (or
//! each stream event) back. The OpenAI provider serves the whole OpenAI-compatible family
//! (Groq, xAI, Mistral, Together, and any base URL); native Anthropic, Gemini and Cohere
//! providers implement the same trait.

mod anthropic;
pub mod azure;
mod cohere;
mod gemini;
pub mod http;
mod openai;
mod shared;
mod wire;

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::Stream;
use reqwest::header::HeaderMap;

use wire::Http;

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
        self.url(&self.chat_path.replace("{model}", model))
    }

    /// `path` below the base URL, without doubled slashes.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url.trim_end_matches('/'), path.trim_start_matches('/'))
    }
}

/// One page of a provider's model listing.
#[derive(Debug, Default)]
pub(crate) struct ModelPage {
    /// Model ids as the chat API takes them.
    pub ids: Vec<String>,
    /// The query parameter and value that fetch the next page, if there is one.
    pub next: Option<(&'static str, String)>,
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
    /// Query parameters the caller added (`extra_query`), already limited to the provider
    /// the caller addressed.
    pub query: &'a [(String, String)],
    /// Where the provider's HTTP answer (status, headers, request id) is left for the
    /// caller of the attempt.
    pub seen: &'a http::Seen,
}

/// A provider's translation of OpenAI chat completions.
pub trait Provider: Send + Sync + fmt::Debug {
    fn complete<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChatResponse>>;

    /// Opens a stream; the future resolves once the response headers arrived.
    fn stream<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChunkStream>>;

    /// Every model the endpoint's key may use, from the provider's own listing (all
    /// pages), or `None` when the endpoint has no listing Kestrel knows how to read.
    fn list_models<'a>(
        &'a self,
        http: &'a reqwest::Client,
        endpoint: &'a Endpoint,
        timeout: Duration,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>>>;
}

/// The implementation for a wire format, if this build has one.
pub fn for_api(api: Api) -> Option<Arc<dyn Provider>> {
    match api {
        Api::Openai => Some(Arc::new(Http(openai::OpenAi))),
        Api::Anthropic => Some(Arc::new(Http(anthropic::Anthropic))),
        Api::Gemini => Some(Arc::new(Http(gemini::Gemini))),
        Api::Cohere => Some(Arc::new(Http(cohere::Cohere))),
        Api::Azure => Some(Arc::new(Http(azure::Azure))),
    }
}

/// Runs `f` with a `Call` for `req` that can send nothing (no key, no base URL): for
/// encoding alone, in the `translate` benchmark and unit tests.
pub(crate) fn offline_call<T>(
    provider: &str,
    req: &ChatRequest,
    model: &str,
    max_output: Option<u32>,
    pass_unknown: bool,
    f: impl FnOnce(&Call<'_>) -> T,
) -> T {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let endpoint = Endpoint {
        provider: provider.to_string(),
        base_url: String::new(),
        chat_path: String::new(),
        key: None,
        headers: Default::default(),
    };
    let http = HTTP.get_or_init(reqwest::Client::new);
    let seen = http::Seen::default();
    f(&Call {
        request: req,
        model,
        max_output,
        endpoint: &endpoint,
        http,
        timeout: None,
        pass_unknown,
        query: &[],
        seen: &seen,
    })
}

/// The translation functions alone, with no network, for the `translate` benchmark.
/// Not a stable API.
#[doc(hidden)]
pub mod bench {
    use std::collections::VecDeque;

    use super::http::EventTranslator;
    use super::wire::WireFormat;
    use super::{anthropic, azure, cohere, gemini, offline_call, openai};
    use crate::catalog::Api;
    use crate::error::Result;
    use crate::types::{ChatChunk, ChatRequest, ChatResponse};

    fn encode_with<W: WireFormat>(
        w: W,
        provider: &str,
        req: &ChatRequest,
        model: &str,
        stream: bool,
    ) -> Result<Vec<u8>> {
        offline_call(provider, req, model, None, true, |call| w.encode(call, stream).map(|(body, _)| body))
    }

    /// The request body `provider` (speaking `api`) would be sent for `req`.
    pub fn encode(api: Api, provider: &str, req: &ChatRequest, model: &str, stream: bool) -> Result<Vec<u8>> {
        match api {
            Api::Openai => encode_with(openai::OpenAi, provider, req, model, stream),
            Api::Anthropic => encode_with(anthropic::Anthropic, provider, req, model, stream),
            Api::Gemini => encode_with(gemini::Gemini, provider, req, model, stream),
            Api::Cohere => encode_with(cohere::Cohere, provider, req, model, stream),
            Api::Azure => encode_with(azure::Azure, provider, req, model, stream),
        }
    }

    /// A non-streaming response body, as OpenAI's response.
    pub fn decode(api: Api, provider: &str, body: &[u8], model: &str) -> Result<ChatResponse> {
        match api {
            Api::Openai => openai::OpenAi.decode(provider, body, model, ()),
            Api::Anthropic => anthropic::Anthropic.decode(provider, body, model, None),
            Api::Gemini => gemini::Gemini.decode(provider, body, model, ()),
            Api::Cohere => cohere::Cohere.decode(provider, body, model, ()),
            Api::Azure => azure::Azure.decode(provider, body, model, ()),
        }
    }

    /// A stream translator: each call takes one event's `data` and returns the chunks it makes.
    pub type Translate = Box<dyn FnMut(&str) -> Result<Vec<ChatChunk>> + Send>;

    fn boxed(mut t: impl EventTranslator) -> Translate {
        let mut out = VecDeque::new();
        Box::new(move |data| t.on_event(data, &mut out).map(|()| out.drain(..).collect()))
    }

    /// A fresh stream translator for `provider` (speaking `api`).
    pub fn translator(api: Api, provider: &str, model: &str) -> Translate {
        let provider = provider.to_string();
        match api {
            Api::Openai => boxed(openai::OpenAi.events(provider, model, ())),
            Api::Anthropic => boxed(anthropic::Anthropic.events(provider, model, None)),
            Api::Gemini => boxed(gemini::Gemini.events(provider, model, ())),
            Api::Cohere => boxed(cohere::Cohere.events(provider, model, ())),
            Api::Azure => boxed(azure::Azure.events(provider, model, ())),
        }
    }
}
