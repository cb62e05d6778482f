//! The one HTTP path every provider shares. A provider is only its [`WireFormat`]: how an
//! OpenAI request is encoded for it and how its answer and stream events come back; the
//! POST, the key, the timeout, the body read and the SSE framing are done here, once.

use std::fmt;

use futures_util::future::BoxFuture;

use super::http::{self, Auth, EventTranslator, Translated};
use super::{Call, ChunkStream, Endpoint, ModelPage, Provider};
use crate::error::{Error, Result};
use crate::types::ChatResponse;

/// A provider's translation, as data and pure functions.
pub(super) trait WireFormat: Send + Sync + fmt::Debug + 'static {
    /// What encoding learned that decoding needs (Anthropic's forced JSON tool).
    type State: Send + 'static;
    /// Turns the provider's stream events into OpenAI chunks.
    type Events: EventTranslator;

    /// How the key is sent.
    const AUTH: Auth;

    /// The request body for this call.
    fn encode(&self, call: &Call<'_>, stream: bool) -> Result<(Vec<u8>, Self::State)>;

    /// A non-streaming answer as OpenAI's response.
    fn decode(&self, provider: &str, body: &[u8], model: &str, state: Self::State) -> Result<ChatResponse>;

    /// A fresh translator for one stream.
    fn events(&self, provider: String, model: &str, state: Self::State) -> Self::Events;

    /// Where to POST.
    fn url(&self, endpoint: &Endpoint, model: &str, _stream: bool) -> String {
        endpoint.chat_url(model)
    }

    /// Headers the provider requires, unless the caller's own headers set them.
    fn default_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Provider-specific statuses onto the common error kinds.
    fn map_error(&self, e: Error) -> Error {
        e
    }

    /// Where the provider lists the models a key may use: for OpenAI-compatible APIs,
    /// `…/models` beside `…/chat/completions`.
    fn models_url(&self, endpoint: &Endpoint) -> Option<String> {
        let path = endpoint.chat_path.strip_suffix("chat/completions")?;
        Some(endpoint.url(&format!("{path}models")))
    }

    /// One page of that listing: OpenAI's `{"data": [{"id": …}]}`, which has no pages.
    fn model_page(&self, provider: &str, body: &[u8]) -> Result<ModelPage> {
        #[derive(serde::Deserialize)]
        struct Listed {
            id: String,
        }
        #[derive(serde::Deserialize)]
        struct List {
            data: Vec<Listed>,
        }
        let list: List = serde_json::from_slice(body).map_err(|e| http::malformed(provider, "model list", e))?;
        Ok(ModelPage { ids: list.data.into_iter().map(|m| m.id).collect(), next: None })
    }
}

/// Pages followed at most in one listing: a provider that keeps answering with a next
/// page cannot hold discovery forever.
const MAX_MODEL_PAGES: usize = 20;

/// A provider speaking `W` over HTTP.
#[derive(Debug)]
pub(super) struct Http<W>(pub(super) W);

impl<W: WireFormat> Http<W> {
    /// Sends the encoded body; `timeout` bounds the exchange up to the response headers
    /// (and, for a whole answer, its body).
    async fn send(&self, call: &Call<'_>, body: Vec<u8>, stream: bool) -> Result<reqwest::Response> {
        let mut url = self.0.url(call.endpoint, call.model, stream);
        if !call.query.is_empty() {
            let mut parsed = reqwest::Url::parse(&url)
                .map_err(|e| Error::Config(format!("invalid URL for `{}`: {e}", call.endpoint.provider)))?;
            parsed.query_pairs_mut().extend_pairs(call.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            url = parsed.into();
        }
        let defaults = self.0.default_headers();
        // reqwest's own timeout would also cut a stream's body: streams bound the headers only.
        let whole = if stream { None } else { call.timeout };
        let send = http::post_json(call.http, call.endpoint, &url, W::AUTH, defaults, body, whole, call.seen);
        let sent = match (stream, call.timeout) {
            (true, Some(t)) => tokio::time::timeout(t, send)
                .await
                .unwrap_or_else(|_| Err(Error::Timeout { provider: call.endpoint.provider.clone() })),
            _ => send.await,
        };
        sent.map_err(|e| self.0.map_error(e))
    }
}

impl<W: WireFormat> Provider for Http<W> {
    fn complete<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChatResponse>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.as_str();
            let (body, state) = self.0.encode(&call, false)?;
            let resp = self.send(&call, body, false).await?;
            let bytes = resp.bytes().await.map_err(|e| http::transport_error(provider, &e))?;
            self.0.decode(provider, &bytes, call.model, state)
        })
    }

    fn stream<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChunkStream>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.clone();
            let (body, state) = self.0.encode(&call, true)?;
            let resp = self.send(&call, body, true).await?;
            let events = self.0.events(provider.clone(), call.model, state);
            Ok(Box::pin(Translated::new(http::sse_data(&provider, resp), events)) as ChunkStream)
        })
    }

    fn list_models<'a>(
        &'a self,
        client: &'a reqwest::Client,
        endpoint: &'a Endpoint,
        timeout: std::time::Duration,
    ) -> BoxFuture<'a, Result<Option<Vec<String>>>> {
        Box::pin(async move {
            let Some(first) = self.0.models_url(endpoint) else { return Ok(None) };
            let provider = endpoint.provider.as_str();
            let defaults = self.0.default_headers();
            let mut ids = Vec::new();
            let mut url = first.clone();
            for _ in 0..MAX_MODEL_PAGES {
                let body = http::get(client, endpoint, &url, W::AUTH, defaults, timeout).await;
                let page = self.0.model_page(provider, &body.map_err(|e| self.0.map_error(e))?)?;
                ids.extend(page.ids);
                let Some((param, value)) = page.next else { return Ok(Some(ids)) };
                let mut next = reqwest::Url::parse(&first)
                    .map_err(|e| Error::Config(format!("{provider}: model list URL `{first}`: {e}")))?;
                next.query_pairs_mut().append_pair(param, &value);
                url = next.into();
            }
            Ok(Some(ids))
        })
    }
}
