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

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::cache::{replay, CacheConfig, CacheLayer, CacheStatus, Entry, HttpEmbedder, Lookup, Plan, Stage0};
use crate::catalog::{Catalog, ModelSpec, ProviderId, ProviderSpec};
use crate::config::CallOptions;
use crate::deadline::{Watch, Watchdog};
use crate::error::{Error, Result};
use crate::health::{Breaker, BreakerConfig, Clock, Cooldowns, ProviderHealth};
use crate::providers::http::{build_client, HttpConfig};
use crate::providers::{self, Call, ChunkStream, Endpoint, Provider};
use crate::router::{Decision, ProviderSet, Router, RoutingPolicy, Scorer};
use crate::secret::Secret;
use crate::stream::{ChatStream, StreamMeta};
use crate::types::{ChatChunk, ChatRequest, ChatResponse, KestrelMeta, Usage};
use crate::usage::{Attempt, ErrorKind, Ledger, LedgerConfig, Reporter, ReporterConfig, UsageRecord};

/// Configures a [`Client`]. Everything has a default; with no calls at all, provider keys
/// and base URLs come from the environment as each provider's official SDK reads them.
#[must_use]
pub struct ClientBuilder {
    catalog: Option<Catalog>,
    config_files: Vec<PathBuf>,
    from_env: bool,
    keys: HashMap<String, Secret>,
    base_urls: HashMap<String, String>,
    headers: HeaderMap,
    policy: RoutingPolicy,
    scorer: Option<Box<dyn Scorer>>,
    timeout: Duration,
    max_retries: u32,
    http: HttpConfig,
    breaker: BreakerConfig,
    ledger: LedgerConfig,
    /// `None`: from `KESTREL_REPORT_URL` (with `from_env`); `Some(None)`: off.
    report: Option<Option<ReporterConfig>>,
    tenant: Option<String>,
    extra_providers: Vec<ProviderSpec>,
    extra_models: Vec<ModelSpec>,
    cache: Option<CacheConfig>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            catalog: None,
            config_files: Vec::new(),
            from_env: true,
            keys: HashMap::new(),
            base_urls: HashMap::new(),
            headers: HeaderMap::new(),
            policy: RoutingPolicy::default(),
            scorer: None,
            timeout: Duration::from_secs(60),
            max_retries: 2,
            http: HttpConfig::default(),
            breaker: BreakerConfig::default(),
            ledger: LedgerConfig::default(),
            report: None,
            tenant: None,
            extra_providers: Vec::new(),
            extra_models: Vec::new(),
            cache: None,
        }
    }
}

impl ClientBuilder {
    /// Whether to read keys (`OPENAI_API_KEY`, ...) and base URLs (`OPENAI_BASE_URL`, ...)
    /// from the environment. On by default; values set in code always win.
    pub fn from_env(mut self, on: bool) -> Self {
        self.from_env = on;
        self
    }

    /// Replaces the built-in catalog.
    pub fn catalog(mut self, catalog: Catalog) -> Self {
        self.catalog = Some(catalog);
        self
    }

    /// Merges a TOML file of providers and models over the catalog.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_files.push(path.into());
        self
    }

    /// Adds (or replaces) a provider, e.g. an OpenAI-compatible server of your own.
    pub fn provider(mut self, spec: ProviderSpec) -> Self {
        self.extra_providers.push(spec);
        self
    }

    /// Adds (or replaces) a model in the catalog.
    pub fn model(mut self, spec: ModelSpec) -> Self {
        self.extra_models.push(spec);
        self
    }

    /// The API key for a provider (`openai`, `groq`, ...).
    pub fn api_key(mut self, provider: &str, key: impl Into<Secret>) -> Self {
        self.keys.insert(provider.to_ascii_lowercase(), key.into());
        self
    }

    /// The base URL for a provider, in the form its official SDK takes it.
    pub fn base_url(mut self, provider: &str, url: impl Into<String>) -> Self {
        self.base_urls.insert(provider.to_ascii_lowercase(), url.into());
        self
    }

    /// A header sent with every provider request.
    pub fn default_header(mut self, name: &str, value: &str) -> Result<Self> {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::Config(format!("invalid header name `{name}`")))?;
        let v =
            HeaderValue::from_str(value).map_err(|_| Error::Config(format!("invalid value for header `{name}`")))?;
        self.headers.insert(n, v);
        Ok(self)
    }

    pub fn policy(mut self, policy: RoutingPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Replaces the heuristic scorer.
    pub fn scorer(mut self, scorer: impl Scorer + 'static) -> Self {
        self.scorer = Some(Box::new(scorer));
        self
    }

    /// The longest a provider may stay silent (before answering, or between two pieces of
    /// a stream) before the attempt counts as timed out and the next candidate is tried.
    /// Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Extra passes over the failover plan when every candidate failed transiently.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    pub fn http(mut self, cfg: HttpConfig) -> Self {
        self.http = cfg;
        self
    }

    pub fn breaker(mut self, cfg: BreakerConfig) -> Self {
        self.breaker = cfg;
        self
    }

    pub fn ledger(mut self, cfg: LedgerConfig) -> Self {
        self.ledger = cfg;
        self
    }

    /// Turns on Stage 0: repeated (and, with `semantic`, reworded) requests are answered
    /// from the cache at no provider cost. Off unless called.
    pub fn cache(mut self, cfg: CacheConfig) -> Self {
        self.cache = Some(cfg);
        self
    }

    /// Uploads usage metrics to a collector (`Some`), or never (`None`, even with
    /// `KESTREL_REPORT_URL` set). Without this call, reporting is on when `from_env` and
    /// `KESTREL_REPORT_URL` is set.
    pub fn report(mut self, cfg: Option<ReporterConfig>) -> Self {
        self.report = Some(cfg);
        self
    }

    /// The tenant usage is counted under when a request names none.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    pub fn build(self) -> Result<Client> {
        let mut catalog = self.catalog.unwrap_or_else(|| (*Catalog::builtin()).clone());
        for path in &self.config_files {
            catalog.merge_file(path)?;
        }
        for p in self.extra_providers {
            catalog.add_provider(p)?;
        }
        for m in self.extra_models {
            catalog.add_model(m)?;
        }
        for name in self.keys.keys().chain(self.base_urls.keys()) {
            if catalog.provider_id(name).is_none() {
                return Err(Error::Config(format!("unknown provider `{name}`")));
            }
        }
        let env =
            |var: &str| if self.from_env { std::env::var(var).ok().filter(|v| !v.trim().is_empty()) } else { None };
        let slots: Vec<Slot> = catalog
            .providers()
            .iter()
            .map(|spec| {
                let key = self
                    .keys
                    .get(&spec.name)
                    .cloned()
                    .or_else(|| spec.key_env.iter().find_map(|v| env(v)).map(Secret::new));
                let base_url = self
                    .base_urls
                    .get(&spec.name)
                    .cloned()
                    .or_else(|| spec.base_url_env.iter().find_map(|v| env(v)))
                    .unwrap_or_else(|| spec.base_url.clone());
                let endpoint = Endpoint {
                    provider: spec.name.clone(),
                    base_url,
                    chat_path: spec.chat_path.clone(),
                    key,
                    headers: self.headers.clone(),
                };
                Slot {
                    implementation: providers::for_api(spec.api),
                    key_optional: spec.key_optional,
                    endpoint: RwLock::new(Arc::new(endpoint)),
                    breaker: Breaker::new(),
                }
            })
            .collect();
        let http = build_client(&self.http)?;
        let cache = match self.cache {
            Some(mut cfg) => {
                if let (None, Some(model)) = (&cfg.embedder, cfg.embedding_model.clone()) {
                    let provider = cfg.embedding_provider.as_deref().unwrap_or("openai");
                    let id = catalog
                        .provider_id(provider)
                        .ok_or_else(|| Error::Config(format!("unknown embedding provider `{provider}`")))?;
                    let endpoint = slots[id].endpoint();
                    let e = HttpEmbedder::new(http.clone(), &endpoint.base_url, model, endpoint.key.clone());
                    cfg.embedder = Some(Arc::new(e));
                }
                Some(Arc::new(Stage0::new(cfg)?))
            }
            None => None,
        };
        let report = match self.report {
            Some(cfg) => cfg,
            None if self.from_env => ReporterConfig::from_env(),
            None => None,
        };
        let reporter = report.map(Reporter::start).transpose()?;
        let models = catalog.models().len();
        let catalog = Arc::new(catalog);
        let mut router = Router::new(catalog.clone()).with_policy(self.policy);
        if let Some(s) = self.scorer {
            router = router.with_boxed_scorer(s);
        }
        Ok(Client {
            inner: Arc::new(Inner {
                router,
                catalog,
                http,
                watchdog: Watchdog::new(self.timeout),
                slots,
                ledger: Arc::new(Ledger::with_reporter(self.ledger, reporter)),
                cooldowns: Cooldowns::new(models),
                breaker: self.breaker,
                clock: Clock::new(),
                max_retries: self.max_retries,
                tenant: self.tenant,
                cache,
            }),
        })
    }
}

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

pub(crate) struct Inner {
    router: Router,
    catalog: Arc<Catalog>,
    http: reqwest::Client,
    /// Cancels attempts that stay silent longer than the timeout.
    watchdog: Arc<Watchdog>,
    slots: Vec<Slot>,
    pub(crate) ledger: Arc<Ledger>,
    /// Models rate-limited with a `Retry-After`, until when.
    cooldowns: Cooldowns,
    breaker: BreakerConfig,
    clock: Clock,
    max_retries: u32,
    tenant: Option<String>,
    /// Stage 0, when turned on.
    pub(crate) cache: Option<Arc<Stage0>>,
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

/// What one successful attempt produced.
enum Answer {
    Complete(ChatResponse),
    /// An open stream, its first chunk (which proves the stream started), and the watch
    /// that keeps bounding the silence between chunks.
    Stream(ChunkStream, ChatChunk, Watch),
}

/// Which step of the plan answered, and every attempt made.
struct Executed {
    answer: Answer,
    step: usize,
    attempts: Vec<Attempt>,
}

/// Everything known about a request before the provider answered.
pub(crate) struct RequestContext {
    pub(crate) decision: Decision,
    pub(crate) step: usize,
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) tenant: Option<String>,
    pub(crate) start: Instant,
    pub(crate) stream: bool,
    pub(crate) cache: Option<CacheStatus>,
}

/// What Stage 0 made of a request.
enum Consulted {
    /// The client has no cache.
    Off,
    Bypass,
    Miss(Lookup),
    Hit(Arc<Entry>, CacheLayer),
}

impl Consulted {
    fn status(&self) -> Option<CacheStatus> {
        match self {
            Consulted::Off => None,
            Consulted::Bypass => Some(CacheStatus::Bypass),
            Consulted::Miss(_) => Some(CacheStatus::Miss),
            Consulted::Hit(_, CacheLayer::Exact) => Some(CacheStatus::Exact),
            Consulted::Hit(_, CacheLayer::Semantic) => Some(CacheStatus::Semantic),
        }
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
        &self.inner.ledger
    }

    /// Flushes usage (JSONL file, reporter uploads or spool) without blocking the
    /// runtime; await it before exiting. Dropping the last clone flushes too, blocking.
    pub async fn shutdown(&self) {
        self.inner.ledger.shutdown().await;
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

    /// [`Client::chat`] with per-call settings (a total timeout, a retry budget).
    pub async fn chat_with(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatResponse> {
        let start = Instant::now();
        let tenant = self.tenant_of(&req);
        let consulted = match self.consult_cache(&req, tenant.as_deref()).await {
            Ok(Consulted::Hit(entry, layer)) => {
                let (mut resp, meta) = self.answer_from_cache(&req, tenant, start, &entry, layer, false);
                resp.kestrel = Some(meta);
                return Ok(resp);
            }
            Ok(c) => c,
            Err(e) => return Err(self.record_failure(&req, tenant, start, false, Vec::new(), None, None, e)),
        };
        let status = consulted.status();
        let decision = match self.route(&req) {
            Ok(d) => d,
            Err(e) => return Err(self.record_failure(&req, tenant, start, false, Vec::new(), None, status, e)),
        };
        match self.execute(&req, &decision, false, opts).await {
            Ok(Executed { answer: Answer::Complete(mut resp), step, attempts }) => {
                let ctx = RequestContext { decision, step, attempts, tenant, start, stream: false, cache: status };
                let usage = resp.usage.clone().unwrap_or_else(|| estimate_usage(&ctx.decision, &resp));
                let (meta, record) = self.inner.account(&ctx, &usage, None);
                if let (Some(stage0), Consulted::Miss(lookup)) = (&self.inner.cache, consulted) {
                    stage0.store(lookup, &resp, &meta.model).await;
                }
                self.inner.ledger.record(record);
                resp.kestrel = Some(meta);
                Ok(resp)
            }
            Ok(Executed { answer: Answer::Stream(..), .. }) => unreachable!("a non-streaming call returns a response"),
            Err((e, attempts)) => {
                Err(self.record_failure(&req, tenant, start, false, attempts, Some(&decision), status, e))
            }
        }
    }

    /// A streamed chat completion. Failover happens only before the first chunk; the
    /// last chunk carries the `kestrel` metadata.
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream> {
        self.chat_stream_with(req, CallOptions::default()).await
    }

    /// [`Client::chat_stream`] with per-call settings.
    pub async fn chat_stream_with(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatStream> {
        let start = Instant::now();
        let tenant = self.tenant_of(&req);
        let wants_usage = req.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false);
        let consulted = match self.consult_cache(&req, tenant.as_deref()).await {
            Ok(Consulted::Hit(entry, layer)) => {
                let (resp, meta) = self.answer_from_cache(&req, tenant, start, &entry, layer, true);
                let mut chunks = replay(&resp, wants_usage);
                if let Some(last) = chunks.last_mut() {
                    last.kestrel = Some(meta);
                }
                return Ok(ChatStream::replayed(chunks));
            }
            Ok(c) => c,
            Err(e) => return Err(self.record_failure(&req, tenant, start, true, Vec::new(), None, None, e)),
        };
        let status = consulted.status();
        let decision = match self.route(&req) {
            Ok(d) => d,
            Err(e) => return Err(self.record_failure(&req, tenant, start, true, Vec::new(), None, status, e)),
        };
        match self.execute(&req, &decision, true, opts).await {
            Ok(Executed { answer: Answer::Stream(stream, first, watch), step, attempts }) => {
                let ctx = RequestContext { decision, step, attempts, tenant, start, stream: true, cache: status };
                let mut meta = StreamMeta::new(self.inner.clone(), ctx, wants_usage);
                if let (Some(stage0), Consulted::Miss(lookup)) = (&self.inner.cache, consulted) {
                    meta.cache_answer(stage0.clone(), lookup);
                }
                Ok(ChatStream::new(stream, first, watch, meta))
            }
            Ok(Executed { answer: Answer::Complete(_), .. }) => unreachable!("a streaming call returns a stream"),
            Err((e, attempts)) => {
                Err(self.record_failure(&req, tenant, start, true, attempts, Some(&decision), status, e))
            }
        }
    }

    /// Stage 0: validates the request (before any I/O), then looks it up.
    async fn consult_cache(&self, req: &ChatRequest, tenant: Option<&str>) -> Result<Consulted> {
        let Some(stage0) = &self.inner.cache else { return Ok(Consulted::Off) };
        req.validate()?;
        Ok(match stage0.plan(req, tenant) {
            Plan::Bypass => Consulted::Bypass,
            Plan::Use(mut lookup) => match stage0.lookup(&mut lookup).await {
                Some((entry, layer)) => Consulted::Hit(entry, layer),
                None => Consulted::Miss(lookup),
            },
        })
    }

    /// A cached answer as a fresh response, its metadata (cost 0, the whole baseline
    /// saved), and its usage record.
    #[allow(clippy::too_many_arguments)]
    fn answer_from_cache(
        &self,
        req: &ChatRequest,
        tenant: Option<String>,
        start: Instant,
        entry: &Entry,
        layer: CacheLayer,
        stream: bool,
    ) -> (ChatResponse, KestrelMeta) {
        let inner = &self.inner;
        let mut resp = entry.response.clone();
        resp.id = fresh_completion_id();
        resp.created = crate::clock::unix_ms() / 1000;
        let usage = resp.usage.clone().unwrap_or_default();
        let (p, c, cached) = (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens());
        let baseline = inner.catalog.resolve(&req.model).map_or(0.0, |m| inner.catalog.model(m).cost(p, c, cached, 0));
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        let meta = KestrelMeta {
            requested_model: req.model.clone(),
            model: entry.model.clone(),
            provider: CACHE_PROVIDER.into(),
            tier: None,
            scores: None,
            confidence: None,
            reasons: vec![format!("answered from the cache ({} match)", layer.as_str())],
            cost_usd: 0.0,
            baseline_cost_usd: baseline,
            saved_usd: baseline,
            cache_hit: true,
            cache_layer: Some(layer.as_str().into()),
            attempts: 0,
            latency_ms,
        };
        inner.ledger.record(UsageRecord {
            timestamp_ms: crate::clock::unix_ms(),
            tenant,
            requested_model: req.model.clone(),
            model: entry.model.clone(),
            provider: CACHE_PROVIDER.into(),
            cache_hit: true,
            cache: Some(match layer {
                CacheLayer::Exact => CacheStatus::Exact,
                CacheLayer::Semantic => CacheStatus::Semantic,
            }),
            stream,
            prompt_tokens: p,
            completion_tokens: c,
            cached_tokens: cached,
            baseline_cost_usd: baseline,
            latency_ms,
            ..UsageRecord::default()
        });
        (resp, meta)
    }

    /// Drops every cached answer this client can see (for Redis: under its prefix).
    pub async fn clear_cache(&self) -> Result<()> {
        match &self.inner.cache {
            Some(stage0) => stage0.backend().clear().await,
            None => Ok(()),
        }
    }

    fn tenant_of(&self, req: &ChatRequest) -> Option<String> {
        req.kestrel.as_ref().and_then(|k| k.tenant.clone()).or_else(|| self.inner.tenant.clone())
    }

    /// Runs the failover plan: each candidate once per pass, extra passes (after the
    /// providers' `Retry-After`, or a backoff) while failures are transient.
    async fn execute(
        &self,
        req: &ChatRequest,
        decision: &Decision,
        stream: bool,
        opts: CallOptions,
    ) -> std::result::Result<Executed, (Error, Vec<Attempt>)> {
        let inner = &*self.inner;
        let timeout = opts.timeout().map_err(|e| (e, Vec::new()))?;
        let max_retries = opts.max_retries.unwrap_or(inner.max_retries);
        let mut attempts = Vec::with_capacity(decision.plan.len());
        let mut last_error: Option<Error> = None;
        for pass in 0..=max_retries {
            let mut wait: Option<Duration> = None;
            for (step, cand) in decision.plan.iter().enumerate() {
                let slot = &inner.slots[cand.provider];
                let Some(imp) = slot.implementation.as_ref() else { continue };
                let endpoint = slot.endpoint();
                if endpoint.key.is_none() && !slot.key_optional {
                    continue; // the key was removed after routing
                }
                let now = inner.clock.now_ms();
                if cand.model.is_some_and(|m| inner.cooldowns.cooling(m, now)) {
                    continue; // rate limited: the provider asked us to wait
                }
                if !slot.breaker.acquire(now) {
                    continue; // circuit open, or another request holds the probe
                }
                let model = match cand.model {
                    Some(m) => inner.catalog.model(m).wire_id(),
                    None => decision.requested_model.as_str(),
                };
                let call = Call {
                    request: req,
                    model,
                    max_output: cand.model.map(|m| inner.catalog.model(m).max_output),
                    endpoint: &endpoint,
                    http: &inner.http,
                    timeout,
                    pass_unknown: Some(cand.provider) == decision.requested.map(|r| inner.catalog.provider_of(r))
                        || decision.requested.is_none(),
                };
                let t0 = Instant::now();
                let result = run_attempt(imp.as_ref(), call, stream, inner.watchdog.watch()).await;
                let mut attempt = Attempt {
                    provider: endpoint.provider.clone(),
                    model: model.to_string(),
                    latency_ms: t0.elapsed().as_secs_f64() * 1000.0,
                    error: None,
                };
                match result {
                    Ok(answer) => {
                        slot.breaker.success();
                        attempts.push(attempt);
                        return Ok(Executed { answer, step, attempts });
                    }
                    Err(e) => {
                        attempt.error = Some(ErrorKind::from(&e));
                        attempts.push(attempt);
                        if !e.is_transient() {
                            // The request itself is at fault (or the key is): another
                            // provider would refuse it too, or answer a different question.
                            slot.breaker.release();
                            return Err((e, attempts));
                        }
                        let retry_after = e.retry_after();
                        let now = inner.clock.now_ms();
                        slot.breaker.failure(now, &inner.breaker);
                        if let (Some(m), Some(wait)) = (cand.model, retry_after) {
                            inner.cooldowns.hold(m, now, wait, &inner.breaker);
                        }
                        tracing::debug!(provider = %endpoint.provider, error = %e, "attempt failed; trying the next candidate");
                        if let Some(ra) = retry_after {
                            wait = Some(wait.map_or(ra, |w: Duration| w.min(ra)));
                        }
                        last_error = Some(e);
                    }
                }
            }
            if pass == max_retries || last_error.is_none() {
                break;
            }
            let wait = wait.unwrap_or_else(|| backoff(pass));
            if wait > MAX_RETRY_WAIT {
                break; // the provider asked for longer than a caller should block
            }
            // A few ms more than asked: cool-downs are kept to the millisecond.
            tokio::time::sleep(wait + Duration::from_millis(5)).await;
        }
        let err = last_error.unwrap_or_else(|| {
            Error::NoEligibleModel(format!(
                "every candidate for `{}` is unavailable (rate limited, circuit open, or key removed)",
                decision.requested_model
            ))
        });
        Err((err, attempts))
    }

    /// Records a request that produced no answer, and hands the error back.
    #[allow(clippy::too_many_arguments)]
    fn record_failure(
        &self,
        req: &ChatRequest,
        tenant: Option<String>,
        start: Instant,
        stream: bool,
        attempts: Vec<Attempt>,
        decision: Option<&Decision>,
        cache: Option<CacheStatus>,
        e: Error,
    ) -> Error {
        let inner = &self.inner;
        let (model, provider) = match attempts.last() {
            Some(a) => (a.model.clone(), a.provider.clone()),
            None => (req.model.clone(), String::new()),
        };
        inner.ledger.record(UsageRecord {
            timestamp_ms: crate::clock::unix_ms(),
            tenant,
            requested_model: req.model.clone(),
            model,
            provider,
            tier: decision.and_then(|d| d.tier),
            stream,
            latency_ms: start.elapsed().as_secs_f64() * 1000.0,
            attempts,
            error: Some(ErrorKind::from(&e)),
            cache,
            ..UsageRecord::default()
        });
        e
    }
}

/// The `provider` of answers served from the cache, in metadata and usage records.
pub const CACHE_PROVIDER: &str = "cache";

/// A new `chatcmpl-...` id for a replayed answer, so no two responses share one.
fn fresh_completion_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&crate::clock::unix_ms().to_le_bytes());
    h.update(&n.to_le_bytes());
    format!("chatcmpl-kc{}", &h.finalize().to_hex()[..24])
}

/// Longest wait between passes; a longer `Retry-After` returns the error instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// 0.5 s, 1 s, 2 s, ... capped at 8 s, with up to 25 % jitter so clients do not retry in step.
fn backoff(pass: u32) -> Duration {
    let base = 0.5 * 2f64.powi(pass.min(4) as i32);
    let nanos = crate::clock::unix_ms();
    let jitter = 1.0 - 0.25 * (nanos % 1000) as f64 / 1000.0;
    Duration::from_secs_f64(base.min(8.0) * jitter)
}

/// What an attempt opened, before the watch is attached.
enum Opened {
    Complete(ChatResponse),
    Stream(ChunkStream, ChatChunk),
}

/// One attempt under the watchdog: a whole call, or a stream up to its first chunk (until
/// then, failing over cannot duplicate anything the caller saw).
async fn run_attempt(imp: &dyn Provider, call: Call<'_>, stream: bool, watch: Watch) -> Result<Answer> {
    let provider = call.endpoint.provider.clone();
    let Watch { guard, mut expired } = watch;
    let work = async {
        if !stream {
            return imp.complete(call).await.map(Opened::Complete);
        }
        let mut s = imp.stream(call).await?;
        guard.touch();
        match s.next().await {
            Some(Ok(first)) => Ok(Opened::Stream(s, first)),
            Some(Err(e)) => Err(e),
            None => Err(Error::Provider {
                provider: provider.clone(),
                status: 200,
                message: "the stream ended before any chunk".into(),
                body: None,
            }),
        }
    };
    let opened = tokio::select! {
        biased;
        r = work => r?,
        _ = &mut expired => return Err(Error::Timeout { provider }),
    };
    Ok(match opened {
        Opened::Complete(r) => Answer::Complete(r),
        Opened::Stream(s, first) => Answer::Stream(s, first, Watch { guard, expired }),
    })
}

/// Token counts when a provider reports none: the router's input estimate and the
/// answer's length.
fn estimate_usage(decision: &Decision, resp: &ChatResponse) -> Usage {
    let chars: usize = resp
        .choices
        .iter()
        .map(|c| {
            c.message.content.as_ref().map_or(0, String::len)
                + c.message.tool_calls.iter().flatten().map(|t| t.function.arguments.len()).sum::<usize>()
        })
        .sum();
    usage_from_counts(u64::from(decision.input_tokens), chars.div_ceil(4) as u64)
}

pub(crate) fn usage_from_counts(prompt: u64, completion: u64) -> Usage {
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        ..Usage::default()
    }
}

impl Inner {
    pub(crate) fn provider_name(&self, id: ProviderId) -> &str {
        &self.catalog.provider(id).name
    }

    /// Prices a finished request and builds its metadata and usage record.
    pub(crate) fn account(
        &self,
        ctx: &RequestContext,
        usage: &Usage,
        error: Option<ErrorKind>,
    ) -> (KestrelMeta, UsageRecord) {
        let d = &ctx.decision;
        let cand = d.plan[ctx.step];
        let (p, c, cached) = (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens());
        // Anthropic reports prompt-cache writes under its own name (see the provider's
        // `to_openai`); they are part of `prompt_tokens`, priced at the write price.
        let written = usage.extra.get("cache_creation_input_tokens").and_then(serde_json::Value::as_u64).unwrap_or(0);
        let cost = cand.model.map_or(0.0, |m| self.catalog.model(m).cost(p, c, cached, written));
        let baseline = d.requested.map_or(cost, |m| self.catalog.model(m).cost(p, c, cached, written));
        let model = d.model_name(&self.catalog, &cand).to_string();
        let provider = self.catalog.provider(cand.provider).name.clone();
        let latency_ms = ctx.start.elapsed().as_secs_f64() * 1000.0;
        let meta = KestrelMeta {
            requested_model: d.requested_model.clone(),
            model: model.clone(),
            provider: provider.clone(),
            tier: d.tier,
            scores: d.scores,
            confidence: d.confidence,
            reasons: d.reasons.iter().map(ToString::to_string).collect(),
            cost_usd: cost,
            baseline_cost_usd: baseline,
            saved_usd: baseline - cost,
            cache_hit: false,
            cache_layer: None,
            attempts: ctx.attempts.len() as u32,
            latency_ms,
        };
        let record = UsageRecord {
            timestamp_ms: crate::clock::unix_ms(),
            tenant: ctx.tenant.clone(),
            requested_model: d.requested_model.clone(),
            model,
            provider,
            tier: d.tier,
            stream: ctx.stream,
            prompt_tokens: p,
            completion_tokens: c,
            cached_tokens: cached,
            cost_usd: cost,
            baseline_cost_usd: baseline,
            latency_ms,
            attempts: ctx.attempts.clone(),
            error,
            cache: ctx.cache,
            ..UsageRecord::default()
        };
        (meta, record)
    }
}
