//! [`ClientBuilder`]: everything a [`Client`] can be configured with, and where each
//! provider's key and base URL come from when the code does not say.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::accountant::Accountant;
use super::discovery::Discovery;
use super::{Client, Inner, Slot};
use crate::cache::{CacheConfig, HttpEmbedder, Stage0};
use crate::catalog::{Catalog, ModelSpec, ProviderSpec};
use crate::deadline::Watchdog;
use crate::error::{Error, Result};
use crate::health::{BreakerConfig, Health};
use crate::providers::azure::AzureConfig;
use crate::providers::http::{build_client, HttpConfig};
use crate::providers::{self, Endpoint};
use crate::router::{Router, RoutingPolicy, Scorer};
use crate::secret::Secret;
use crate::usage::{Ledger, LedgerConfig, Reporter, ReporterConfig};

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
    failover_attempts: u32,
    http: HttpConfig,
    breaker: BreakerConfig,
    ledger: LedgerConfig,
    /// `None`: from `KESTREL_REPORT_URL` (with `from_env`); `Some(None)`: off.
    report: Option<Option<ReporterConfig>>,
    tenant: Option<String>,
    feedback: bool,
    feedback_automatic: bool,
    feedback_state: Option<std::path::PathBuf>,
    extra_providers: Vec<ProviderSpec>,
    extra_models: Vec<ModelSpec>,
    cache: Option<CacheConfig>,
    today: Option<String>,
    discover_models: bool,
    organization: Option<String>,
    project: Option<String>,
    response_store: usize,
    azure: Option<AzureConfig>,
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
            failover_attempts: 1,
            http: HttpConfig::default(),
            breaker: BreakerConfig::default(),
            ledger: LedgerConfig::default(),
            report: None,
            tenant: None,
            feedback: false,
            feedback_automatic: false,
            feedback_state: None,
            extra_providers: Vec::new(),
            extra_models: Vec::new(),
            cache: None,
            today: None,
            discover_models: false,
            organization: None,
            project: None,
            response_store: crate::responses::store::DEFAULT_CAPACITY,
            azure: None,
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

    /// Routes as of `date` (`YYYY-MM-DD`) instead of today's date: for replaying old
    /// traffic and for tests that must not change as models reach their shutdown.
    pub fn today(mut self, date: impl Into<String>) -> Self {
        self.today = Some(date.into());
        self
    }

    /// Asks each configured provider which models its key may use (its `GET /models`
    /// listing, once per key, before the first request is routed) and plans only those.
    /// Off by default: it costs one listing call per provider.
    pub fn discover_models(mut self, on: bool) -> Self {
        self.discover_models = on;
        self
    }

    /// How many Responses conversations are kept for `previous_response_id` (least
    /// recently used first out); 1024 by default.
    pub fn response_store_capacity(mut self, conversations: usize) -> Self {
        self.response_store = conversations;
        self
    }

    /// Replaces the built-in catalog (and the `KESTREL_CATALOG` files).
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

    /// The OpenAI organization (`OpenAI-Organization` on OpenAI requests only), as the
    /// SDK's `organization`; with `from_env`, `OPENAI_ORG_ID` when not set.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }

    /// The OpenAI project (`OpenAI-Project` on OpenAI requests only), as the SDK's
    /// `project`; with `from_env`, `OPENAI_PROJECT_ID` when not set.
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// Makes this an Azure OpenAI client: its only provider is the resource, and the
    /// router chooses among the configured deployments (the requested deployment's model
    /// is the ceiling). The catalog's other providers and models are left out; models
    /// added with [`ClientBuilder::model`] can be served by deployments.
    pub fn azure(mut self, cfg: AzureConfig) -> Self {
        self.azure = Some(cfg);
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

    /// Replaces the default (learned) scorer, e.g. with [`crate::router::HeuristicScorer`].
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

    /// Retries of the requested model after a transient failure (408, 409, 429, 5xx,
    /// timeouts, broken connections), as the official SDKs count them (default 2). With
    /// the substitute attempts, a call makes at most `failover_attempts + max_retries + 1`
    /// HTTP attempts.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// How many cheaper substitutes a call may try before the requested model (default 1:
    /// one attempt beyond the SDK's own budget). Each is tried once; any error moves on.
    pub fn failover_attempts(mut self, n: u32) -> Self {
        self.failover_attempts = n;
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

    /// Remembers where recent requests went so that [`Client::feedback`] can raise request
    /// categories whose answers keep failing (off by default).
    pub fn feedback(mut self, on: bool) -> Self {
        self.feedback = on;
        self
    }

    /// Counts automatic signals as bad outcomes (off by default): the same request sent
    /// again, a JSON-mode answer or tool arguments that do not parse, a `length` finish.
    /// Implies [`ClientBuilder::feedback`].
    pub fn feedback_automatic(mut self, on: bool) -> Self {
        self.feedback_automatic = on;
        self.feedback |= on;
        self
    }

    /// Keeps what feedback learned in `path` across restarts (loaded at build, rewritten
    /// atomically after each outcome). Implies [`ClientBuilder::feedback`].
    pub fn feedback_state_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.feedback_state = Some(path.into());
        self.feedback = true;
        self
    }

    pub fn build(self) -> Result<Client> {
        let mut catalog = match self.catalog {
            Some(c) => c,
            // Catalog files named in the environment refresh prices and lifecycles
            // without a release.
            None if self.from_env => Catalog::from_env()?,
            None => (*Catalog::builtin()).clone(),
        };
        for path in &self.config_files {
            catalog.merge_file(path)?;
        }
        for p in self.extra_providers {
            catalog.add_provider(p)?;
        }
        for m in self.extra_models {
            catalog.add_model(m)?;
        }
        if let Some(az) = &self.azure {
            catalog = az.catalog(&catalog)?;
        }
        for name in self.keys.keys().chain(self.base_urls.keys()) {
            if catalog.provider_id(name).is_none() {
                return Err(Error::Config(format!("unknown provider `{name}`")));
            }
        }
        let env =
            |var: &str| if self.from_env { std::env::var(var).ok().filter(|v| !v.trim().is_empty()) } else { None };
        // OpenAI's account headers go to OpenAI only: other providers have no use for them.
        let mut openai_headers = self.headers.clone();
        for (name, value, var) in [
            ("openai-organization", &self.organization, "OPENAI_ORG_ID"),
            ("openai-project", &self.project, "OPENAI_PROJECT_ID"),
        ] {
            if let Some(v) = value.clone().or_else(|| env(var)).filter(|_| !openai_headers.contains_key(name)) {
                let v = HeaderValue::from_str(&v)
                    .map_err(|_| Error::Config(format!("invalid value for header `{name}`")))?;
                openai_headers.insert(HeaderName::from_static(name), v);
            }
        }
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
                let mut endpoint = Endpoint {
                    provider: spec.name.clone(),
                    base_url,
                    chat_path: spec.chat_path.clone(),
                    key,
                    headers: if spec.name == "openai" { openai_headers.clone() } else { self.headers.clone() },
                };
                if let (Some(az), crate::catalog::Api::Azure) = (&self.azure, spec.api) {
                    if !self.keys.contains_key(&spec.name) {
                        az.credentials(&mut endpoint)?;
                    }
                }
                Ok(Slot {
                    implementation: providers::for_api(spec.api),
                    key_optional: spec.key_optional,
                    endpoint: RwLock::new(Arc::new(endpoint)),
                })
            })
            .collect::<Result<_>>()?;
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
        let slots_len = slots.len();
        let catalog = Arc::new(catalog);
        let mut router = Router::new(catalog.clone()).with_policy(self.policy);
        if let Some(d) = &self.today {
            router = router.with_today(d)?;
        }
        if let Some(s) = self.scorer {
            router = router.with_boxed_scorer(s);
        }
        if self.feedback {
            let mut fb = crate::router::Feedback::new().with_automatic(self.feedback_automatic);
            if let Some(path) = self.feedback_state {
                fb = fb.with_state_file(path)?;
            }
            router = router.with_feedback(Arc::new(fb));
        }
        let ledger = Arc::new(Ledger::with_reporter(self.ledger, reporter));
        Ok(Client {
            inner: Arc::new(Inner {
                router,
                accountant: Arc::new(Accountant::new(catalog.clone(), ledger)),
                catalog,
                http,
                watchdog: Watchdog::new(self.timeout),
                slots,
                health: Health::new(slots_len, models, self.breaker),
                max_retries: self.max_retries,
                failover_attempts: self.failover_attempts,
                tenant: self.tenant,
                cache,
                discovery: self.discover_models.then(|| Discovery::new(slots_len)),
                responses: Arc::new(crate::responses::store::ConversationStore::new(self.response_store)),
                pinned: self.azure.and_then(|az| az.deployment),
            }),
        })
    }
}
