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

/// The translation functions alone, with no network, for the `translate` benchmark.
/// Not a stable API.
#[doc(hidden)]
pub mod bench {
    use std::collections::VecDeque;
    use std::sync::OnceLock;

    use super::{anthropic, cohere, gemini, openai, Call, Endpoint};
    use crate::catalog::Api;
    use crate::error::Result;
    use crate::types::{ChatChunk, ChatRequest, ChatResponse};

    /// Never used to send anything: `Call` only needs one to exist.
    fn http() -> &'static reqwest::Client {
        static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
        HTTP.get_or_init(reqwest::Client::new)
    }

    /// The request body `provider` (speaking `api`) would be sent for `req`.
    pub fn encode(api: Api, provider: &str, req: &ChatRequest, model: &str, stream: bool) -> Result<Vec<u8>> {
        let endpoint = Endpoint {
            provider: provider.to_string(),
            base_url: String::new(),
            chat_path: String::new(),
            key: None,
            headers: Default::default(),
        };
        let call = Call {
            request: req,
            model,
            max_output: None,
            endpoint: &endpoint,
            http: http(),
            timeout: None,
            pass_unknown: true,
        };
        match api {
            Api::Openai => openai::body(&call, stream),
            Api::Anthropic => anthropic::build(&call, stream).map(|w| w.body),
            Api::Gemini => gemini::build(&call),
            Api::Cohere => cohere::build(&call, stream),
        }
    }

    /// A non-streaming response body, as OpenAI's response.
    pub fn decode(api: Api, provider: &str, body: &[u8], model: &str) -> Result<ChatResponse> {
        match api {
            Api::Openai => openai::decode(provider, body),
            Api::Anthropic => anthropic::decode(provider, body, None),
            Api::Gemini => gemini::decode(provider, body, model),
            Api::Cohere => cohere::decode(provider, body, model),
        }
    }

    /// A stream translator: each call takes one event's `data` and returns the chunks it makes.
    pub type Translate = Box<dyn FnMut(&str) -> Result<Vec<ChatChunk>> + Send>;

    /// A fresh stream translator for `provider` (speaking `api`).
    pub fn translator(api: Api, provider: &str, model: &str) -> Translate {
        let provider = provider.to_string();
        match api {
            Api::Openai => Box::new(move |data| openai::on_event(&provider, data).map(|c| vec![c])),
            Api::Anthropic => {
                let mut t = anthropic::Translator::new(provider, None, model);
                Box::new(move |data| t.on_event(data).map(|c| c.into_iter().collect()))
            }
            Api::Gemini => {
                let mut t = gemini::Translator::new(provider, model);
                let mut out = VecDeque::new();
                Box::new(move |data| t.on_event(data, &mut out).map(|()| out.drain(..).collect()))
            }
            Api::Cohere => {
                let mut t = cohere::Translator::new(provider, model);
                let mut out = VecDeque::new();
                Box::new(move |data| t.on_event(data, &mut out).map(|()| out.drain(..).collect()))
            }
        }
    }
}
