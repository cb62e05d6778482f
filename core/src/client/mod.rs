//! The client: validate → (Stage 0: cache) → route → call with failover → record.
//!
//! ```no_run
//! # async fn demo() -> kestrel_router::Result<()> {
//! use kestrel_router::{Client, ChatRequest, Message};
//! let client = Client::builder().build()?; // provider keys from OPENAI_API_KEY, GROQ_API_KEY, ...
//! let resp = client.chat(ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")])).await?;
//! let meta = resp.kestrel.as_ref().unwrap();
//! println!("{} via {} saved ${:.6}", meta.model, meta.provider, meta.saved_usd);
//! # Ok(()) }
//! ```
//!
//! `builder.rs` configures a client, `pipeline.rs` runs a request through it, and
//! `accountant.rs` turns how the request ended into its usage record and metadata.

mod accountant;
mod builder;
mod discovery;
mod options;
mod pipeline;
mod stream;

use std::sync::{Arc, RwLock};

pub use accountant::PassthroughCall;
pub use builder::ClientBuilder;
pub(crate) use options::seconds;
pub use options::CallOptions;
pub use stream::ChatStream;

use crate::cache::Stage0;
use crate::catalog::{Catalog, ModelId, ModelSpec, ProviderId};
use crate::deadline::Watchdog;
use crate::error::{Error, Result};
use crate::health::{Health, ProviderHealth};
use crate::providers::{Endpoint, Provider};
use crate::router::{Availability, Decision, Router};
use crate::secret::Secret;
use crate::types::{ChatRequest, ChatResponse};
use crate::usage::{Attempt, Ledger};
use accountant::Accountant;

/// Runtime state of one catalog provider.
struct Slot {
    implementation: Option<Arc<dyn Provider>>,
    key_optional: bool,
    /// Swapped whole when a key is rotated, so in-flight calls keep a consistent view.
    endpoint: RwLock<Arc<Endpoint>>,
}

impl Slot {
    fn endpoint(&self) -> Arc<Endpoint> {
        self.endpoint.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn configured(&self) -> bool {
        self.implementation.is_some() && (self.key_optional || self.endpoint().key.is_some())
    }
}

struct Inner {
    router: Router,
    /// Prices requests and keeps the usage ledger; shared with open streams.
    accountant: Arc<Accountant>,
    catalog: Arc<Catalog>,
    http: reqwest::Client,
    /// Cancels attempts that stay silent longer than the timeout.
    watchdog: Arc<Watchdog>,
    slots: Vec<Slot>,
    /// Provider, key and model health.
    health: Health,
    /// Retries of the requested model, as the official SDKs count them.
    max_retries: u32,
    /// Substitute attempts per call before the requested model is called.
    failover_attempts: u32,
    tenant: Option<String>,
    /// Stage 0, when turned on.
    cache: Option<Arc<Stage0>>,
    /// Model discovery, when turned on.
    discovery: Option<discovery::Discovery>,
    /// Conversations behind `previous_response_id` (Responses API).
    responses: Arc<crate::responses::store::ConversationStore>,
    /// Every request goes to this model (an Azure client's pinned deployment).
    pinned: Option<String>,
}

impl Inner {
    /// The error calling `provider` directly would give for want of a key, naming where a
    /// key can come from; `None` when it has one (or needs none).
    fn missing_key(&self, provider: ProviderId) -> Option<Error> {
        let slot = &self.slots[provider];
        if slot.implementation.is_none() || slot.configured() {
            return None;
        }
        let spec = self.catalog.provider(provider);
        let env = match spec.key_env.as_slice() {
            [] => String::new(),
            vars => format!("set {} or ", vars.join(" or ")),
        };
        Some(Error::Config(format!(
            "no API key for `{}`: {env}pass one to the client (`api_key`, or `provider_keys` for other providers)",
            spec.name
        )))
    }
}

/// What the router may plan with for one request: configured providers, healthy enough to
/// stand in for another's model; the requested model's own provider whatever its health,
/// since the caller would have called it anyway.
struct Live<'a> {
    inner: &'a Inner,
    requested: Option<ProviderId>,
}

impl Availability for Live<'_> {
    fn is_available(&self, p: ProviderId) -> bool {
        self.inner.slots[p].configured() && (Some(p) == self.requested || self.inner.health.serves_substitutes(p))
    }

    fn model_usable(&self, m: ModelId) -> bool {
        self.inner.health.model_usable(m)
    }
}

/// A call that produced no answer: the error the caller gets (the requested model's own,
/// when it was called) and every provider attempt made, in order, for debugging.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub attempts: Vec<Attempt>,
    /// The provider's HTTP answer that `error` comes from (status, headers, request id,
    /// body), for the SDKs' `e.response` and `e.request_id`; `None` when the error is not a
    /// provider's answer (a timeout, a refused connection, Kestrel's own errors).
    pub response: Option<Box<crate::ProviderResponse>>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure { error, attempts: Vec::new(), response: None }
    }
}

/// An embeddable router with an OpenAI-shaped API. Cheap to clone: clones share the
/// connection pool, health, keys and usage ledger.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let configured: Vec<&str> = self
            .inner
            .slots
            .iter()
            .zip(self.inner.catalog.providers())
            .filter(|(s, _)| s.configured())
            .map(|(_, p)| p.name.as_str())
            .collect();
        f.debug_struct("Client").field("providers", &configured).finish_non_exhaustive()
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client with every default: keys and base URLs from the environment.
    pub fn from_env() -> Result<Client> {
        Client::builder().build()
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.inner.catalog
    }

    /// The usage ledger: savings, routing distribution, per-model analytics, CSV export.
    pub fn usage(&self) -> &Arc<Ledger> {
        self.inner.accountant.ledger()
    }

    /// Flushes usage (JSONL file, reporter uploads or spool) without blocking the
    /// runtime; await it before exiting. Dropping the last clone flushes too, blocking.
    pub async fn shutdown(&self) {
        self.inner.accountant.ledger().shutdown().await;
    }

    /// Counts a call the bindings passed through unrouted (embeddings, images, audio,
    /// files, ...) in the usage ledger, priced when the catalog knows its model.
    pub fn record_passthrough(&self, call: PassthroughCall) -> crate::usage::UsageRecord {
        self.inner.accountant.record_passthrough(call, self.inner.tenant.as_deref())
    }

    /// Each provider's circuit state, key standing and retired models, and whether it is
    /// configured.
    pub fn health(&self) -> Vec<ProviderHealth> {
        let inner = &*self.inner;
        let catalog = &inner.catalog;
        inner
            .slots
            .iter()
            .zip(catalog.providers())
            .enumerate()
            .map(|(p, (slot, spec))| {
                let (state, consecutive_failures, retry_in_ms, key_rejected) = inner.health.snapshot(p);
                ProviderHealth {
                    provider: spec.name.clone(),
                    configured: slot.configured(),
                    state,
                    consecutive_failures,
                    retry_in_ms,
                    key_rejected,
                    retired_models: (0..catalog.models().len())
                        .filter(|&m| catalog.provider_of(m) == p && inner.health.retired(m))
                        .map(|m| catalog.model(m).id.clone())
                        .collect(),
                }
            })
            .collect()
    }

    /// Sets or rotates a provider's key; takes effect for the next request.
    pub fn set_api_key(&self, provider: &str, key: impl Into<Secret>) -> Result<()> {
        self.update_endpoint(provider, |e| e.key = Some(key.into()))
    }

    /// Removes a provider's key: it stops being a candidate at once.
    pub fn remove_api_key(&self, provider: &str) -> Result<()> {
        self.update_endpoint(provider, |e| e.key = None)
    }

    /// Points a provider at another base URL (a proxy, a regional endpoint, a mock).
    pub fn set_base_url(&self, provider: &str, url: impl Into<String>) -> Result<()> {
        let url = url.into();
        self.update_endpoint(provider, |e| e.base_url = url)
    }

    fn update_endpoint(&self, provider: &str, change: impl FnOnce(&mut Endpoint)) -> Result<()> {
        let id = self.provider_id(provider)?;
        let slot = &self.inner.slots[id];
        let mut guard = slot.endpoint.write().unwrap_or_else(|e| e.into_inner());
        let mut next = (**guard).clone();
        change(&mut next);
        *guard = Arc::new(next);
        drop(guard);
        self.inner.health.reset(id); // a new key or URL deserves a fresh verdict
        Ok(())
    }

    fn provider_id(&self, name: &str) -> Result<ProviderId> {
        self.inner.catalog.provider_id(name).ok_or_else(|| Error::Config(format!("unknown provider `{name}`")))
    }

    /// The catalog models a request could be routed to right now (configured, healthy).
    pub fn available_models(&self) -> Vec<&ModelSpec> {
        let live = Live { inner: &self.inner, requested: None };
        let c = &self.inner.catalog;
        (0..c.models().len())
            .filter(|&m| live.is_available(c.provider_of(m)) && live.model_usable(m))
            .map(|m| c.model(m))
            .collect()
    }

    /// The routing decision for a request, without calling anyone (a dry run).
    pub fn route(&self, req: &ChatRequest) -> Result<Decision> {
        if let Some(pin) = self.inner.pinned.as_ref().filter(|p| **p != req.model) {
            let mut pinned = req.clone();
            pinned.model.clone_from(pin);
            return self.route(&pinned);
        }
        req.validate()?;
        let requested = self.inner.catalog.requested_provider(&req.model);
        let live = Live { inner: &self.inner, requested };
        let tenant = req.kestrel.as_ref().and_then(|k| k.tenant.as_deref()).or(self.inner.tenant.as_deref());
        self.inner.router.route_for(req, &live, tenant).map_err(|e| {
            match (&e, requested.and_then(|p| self.inner.missing_key(p))) {
                // Nothing else could serve it either: say what calling it directly lacks.
                (Error::NoEligibleModel(_), Some(missing)) => missing,
                _ => e,
            }
        })
    }

    /// Tells the router how the answer to `request_id` (the response's `id`) turned out.
    /// With feedback on ([`ClientBuilder::feedback`]), a request category whose answers
    /// below premium keep failing for a tenant is raised one tier until good outcomes bring
    /// it back. Returns false when feedback is off or the request is not remembered.
    pub fn feedback(&self, request_id: &str, outcome: crate::router::Outcome) -> bool {
        self.inner.router.feedback().is_some_and(|f| f.record(request_id, outcome))
    }

    /// A chat completion, routed to the cheapest capable model, with failover.
    pub async fn chat(&self, req: ChatRequest) -> Result<ChatResponse> {
        self.chat_with(req, CallOptions::default()).await
    }

    /// A streamed chat completion. Failover happens only before the first chunk; the
    /// last chunk carries the `kestrel` metadata.
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        self.chat_stream_with(req, CallOptions::default()).await
    }

    /// The tenant requests are counted under when they name none.
    pub(crate) fn default_tenant(&self) -> Option<String> {
        self.inner.tenant.clone()
    }

    /// The conversations stored for `previous_response_id`.
    pub(crate) fn response_store(&self) -> &Arc<crate::responses::store::ConversationStore> {
        &self.inner.responses
    }

    /// Drops every cached answer this client can see (for Redis: under its prefix).
    pub async fn clear_cache(&self) -> Result<()> {
        match &self.inner.cache {
            Some(stage0) => stage0.backend().clear().await,
            None => Ok(()),
        }
    }
}
