//! The client: validate → (Stage 0: cache) → route → call with failover → record.
//!
//! ```no_run
//! # async fn demo() -> kestrel::Result<()> {
//! use kestrel::{Client, ChatRequest, Message};
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
mod options;
mod pipeline;
mod stream;

use std::sync::{Arc, RwLock};

pub use builder::ClientBuilder;
pub(crate) use options::seconds;
pub use options::CallOptions;
pub use stream::ChatStream;

use crate::cache::Stage0;
use crate::catalog::{Catalog, ModelSpec, ProviderId};
use crate::deadline::Watchdog;
use crate::error::{Error, Result};
use crate::health::{Breaker, BreakerConfig, Clock, Cooldowns, ProviderHealth};
use crate::providers::{Endpoint, Provider};
use crate::router::{Decision, ProviderSet, Router};
use crate::secret::Secret;
use crate::types::{ChatRequest, ChatResponse};
use crate::usage::Ledger;
use accountant::Accountant;

/// Runtime state of one catalog provider.
struct Slot {
    implementation: Option<Arc<dyn Provider>>,
    key_optional: bool,
    /// Swapped whole when a key is rotated, so in-flight calls keep a consistent view.
    endpoint: RwLock<Arc<Endpoint>>,
    breaker: Breaker,
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
    /// Models rate-limited with a `Retry-After`, until when.
    cooldowns: Cooldowns,
    breaker: BreakerConfig,
    clock: Clock,
    max_retries: u32,
    tenant: Option<String>,
    /// Stage 0, when turned on.
    cache: Option<Arc<Stage0>>,
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

    /// Each provider's circuit state and whether it is configured.
    pub fn health(&self) -> Vec<ProviderHealth> {
        let now = self.inner.clock.now_ms();
        self.inner
            .slots
            .iter()
            .zip(self.inner.catalog.providers())
            .map(|(slot, spec)| {
                let (state, consecutive_failures, retry_in_ms) = slot.breaker.snapshot(now);
                ProviderHealth {
                    provider: spec.name.clone(),
                    configured: slot.configured(),
                    state,
                    consecutive_failures,
                    retry_in_ms,
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
        slot.breaker.success(); // a new key or URL deserves a fresh verdict
        Ok(())
    }

    fn provider_id(&self, name: &str) -> Result<ProviderId> {
        self.inner.catalog.provider_id(name).ok_or_else(|| Error::Config(format!("unknown provider `{name}`")))
    }

    /// The catalog models a request could be routed to right now (configured, healthy).
    pub fn available_models(&self) -> Vec<&ModelSpec> {
        let live = self.available();
        let c = &self.inner.catalog;
        (0..c.models().len()).filter(|&m| live.contains(c.provider_of(m))).map(|m| c.model(m)).collect()
    }

    /// Providers configured and healthy at this instant.
    fn available(&self) -> ProviderSet {
        let now = self.inner.clock.now_ms();
        let mut set = ProviderSet::NONE;
        for (i, slot) in self.inner.slots.iter().enumerate() {
            if slot.configured() && slot.breaker.available(now) {
                set.insert(i);
            }
        }
        set
    }

    /// The routing decision for a request, without calling anyone (a dry run).
    pub fn route(&self, req: &ChatRequest) -> Result<Decision> {
        req.validate()?;
        self.inner.router.route(req, &self.available())
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

    /// Drops every cached answer this client can see (for Redis: under its prefix).
    pub async fn clear_cache(&self) -> Result<()> {
        match &self.inner.cache {
            Some(stage0) => stage0.backend().clear().await,
            None => Ok(()),
        }
    }
}
