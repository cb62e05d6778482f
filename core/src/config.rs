//! Client configuration as data: what the Python and Node bindings pass in (as JSON), so
//! every binding configures the client the same way and none re-implements it.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::cache::CacheConfig;
use crate::catalog::{ModelSpec, ProviderSpec};
pub use crate::client::CallOptions;
use crate::client::{seconds, ClientBuilder};
use crate::error::{Error, Result};
use crate::health::BreakerConfig;
use crate::router::{RoutingPolicy, Tier};
use crate::secret::Secret;
use crate::usage::{LedgerConfig, ReporterConfig};

/// The scorers a configuration can name: the hand-set rules, or the logistic regression
/// trained on the labelled sets (see the README's router figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScorerChoice {
    Heuristic,
    Learned,
}

/// Everything a client can be configured with. Absent fields keep the builder's defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Read keys and base URLs from the environment (default true).
    pub from_env: Option<bool>,
    /// The OpenAI key, as the SDK's `api_key` takes it (wins over `api_keys.openai`).
    pub api_key: Option<String>,
    /// The OpenAI base URL, as the SDK's `base_url` takes it.
    pub base_url: Option<String>,
    /// OpenAI's organization and project headers, as the SDK's arguments.
    pub organization: Option<String>,
    pub project: Option<String>,
    /// Provider name → API key (also `provider_keys`, the constructors' name).
    #[serde(default, alias = "provider_keys")]
    pub api_keys: HashMap<String, String>,
    /// Provider name → base URL, in the form the provider's SDK takes it.
    #[serde(default)]
    pub base_urls: HashMap<String, String>,
    /// Sent with every provider request.
    #[serde(default)]
    pub default_headers: HashMap<String, String>,
    /// Longest silence allowed from a provider, in seconds.
    pub timeout: Option<f64>,
    /// Retries of the requested model, as the SDKs count them.
    pub max_retries: Option<u32>,
    /// Cheaper substitutes tried once each before the requested model (default 1).
    pub failover_attempts: Option<u32>,
    pub tenant: Option<String>,
    /// A TOML file of providers and models merged over the catalog.
    pub config_file: Option<PathBuf>,
    #[serde(default)]
    pub providers: Vec<ProviderSpec>,
    #[serde(default)]
    pub models: Vec<ModelSpec>,
    pub policy: Option<PolicyConfig>,
    /// The routing policy's fields as the constructors take them, flat; they win over `policy`.
    pub routing: Option<bool>,
    #[serde(alias = "floor")]
    pub tier_floor: Option<Tier>,
    #[serde(alias = "ceiling")]
    pub tier_ceiling: Option<Tier>,
    pub allow_providers: Option<Names>,
    pub deny_providers: Option<Names>,
    pub min_confidence: Option<f32>,
    pub max_quality_drop: Option<QualityDrop>,
    /// Which scorer decides the tier (default: the learned one).
    pub scorer: Option<ScorerChoice>,
    /// A learned model file (`kestrel eval --train` on your own labelled requests) to use
    /// instead of the shipped weights; implies the learned scorer.
    pub learned_model: Option<std::path::PathBuf>,
    /// Plan only the models each provider's listing offers the key (one `GET /models`
    /// per provider and key).
    pub discover_models: Option<bool>,
    /// Route as of this `YYYY-MM-DD` date instead of today (replaying old traffic).
    pub today: Option<String>,
    /// Learn from outcomes ([`crate::ClientBuilder::feedback`]).
    pub feedback: Option<bool>,
    /// Count automatic signals as outcomes ([`crate::ClientBuilder::feedback_automatic`]).
    pub feedback_automatic: Option<bool>,
    /// Keep what feedback learned in this file ([`crate::ClientBuilder::feedback_state_file`]).
    pub feedback_state: Option<PathBuf>,
    pub usage: Option<UsageConfig>,
    /// `usage.recent_records`, flat.
    pub recent_records: Option<usize>,
    /// `usage.jsonl_path`, flat.
    pub usage_jsonl: Option<PathBuf>,
    pub report: Option<ReportSettings>,
    pub breaker: Option<BreakerSettings>,
    /// `true` for the defaults, or the settings; absent or `false`: no cache.
    pub cache: Option<CacheSetting>,
    /// An Azure OpenAI client: the resource and its deployments are the only provider.
    pub azure: Option<AzureSettings>,
}

/// An Azure OpenAI resource, with the official SDKs' options and environment variables
/// (`AZURE_OPENAI_ENDPOINT`, `OPENAI_API_VERSION`, `AZURE_OPENAI_API_KEY`,
/// `AZURE_OPENAI_AD_TOKEN`, read when `from_env`).
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureSettings {
    /// `https://NAME.openai.azure.com`.
    #[serde(alias = "azure_endpoint")]
    pub endpoint: Option<String>,
    /// Instead of `endpoint`: `…/openai` (or `…/openai/deployments/NAME`).
    pub base_url: Option<String>,
    pub api_version: Option<String>,
    /// Every request goes to this deployment (the routing ceiling).
    #[serde(alias = "azure_deployment")]
    pub deployment: Option<String>,
    /// Catalog model → the deployment serving it: the deployments routing chooses among.
    #[serde(default)]
    pub deployments: std::collections::BTreeMap<String, String>,
    pub api_key: Option<String>,
    #[serde(alias = "azure_ad_token")]
    pub ad_token: Option<String>,
    /// Each call brings its own `Authorization` header (a token provider run by the binding).
    #[serde(default)]
    pub token_per_call: bool,
}

impl std::fmt::Debug for AzureSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureSettings")
            .field("endpoint", &self.endpoint)
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("deployment", &self.deployment)
            .field("deployments", &self.deployments)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("ad_token", &self.ad_token.as_ref().map(|_| "[redacted]"))
            .field("token_per_call", &self.token_per_call)
            .finish()
    }
}

impl AzureSettings {
    /// The resource as the client takes it, with the Python SDK's rules: one credential at
    /// most, and with none given, `AZURE_OPENAI_AD_TOKEN` before `AZURE_OPENAI_API_KEY`.
    pub fn into_config(self, from_env: bool) -> Result<crate::providers::azure::AzureConfig> {
        use crate::providers::azure::{AzureAuth, AzureConfig};
        let env = |var: &str| if from_env { std::env::var(var).ok().filter(|v| !v.is_empty()) } else { None };
        let given = [self.api_key.is_some(), self.ad_token.is_some(), self.token_per_call];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::Config(
                "azure: api_key, azure_ad_token and azure_ad_token_provider are mutually exclusive".into(),
            ));
        }
        let auth = match (self.api_key, self.ad_token, self.token_per_call) {
            (Some(k), _, _) => AzureAuth::ApiKey(Secret::new(k)),
            (_, Some(t), _) => AzureAuth::AdToken(Secret::new(t)),
            (_, _, true) => AzureAuth::TokenPerCall,
            _ => match (env("AZURE_OPENAI_AD_TOKEN"), env("AZURE_OPENAI_API_KEY")) {
                (Some(t), _) => AzureAuth::AdToken(Secret::new(t)),
                (None, Some(k)) => AzureAuth::ApiKey(Secret::new(k)),
                (None, None) => {
                    return Err(Error::Config(
                        "azure: missing credentials: pass api_key, azure_ad_token or azure_ad_token_provider, or set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN".into(),
                    ))
                }
            },
        };
        let version = self.api_version.or_else(|| env("OPENAI_API_VERSION")).ok_or_else(|| {
            Error::Config("azure: api_version is required (or the OPENAI_API_VERSION environment variable)".into())
        })?;
        let mut cfg = match (self.base_url, self.endpoint) {
            (Some(_), Some(_)) => {
                return Err(Error::Config("azure: base_url and azure_endpoint are mutually exclusive".into()))
            }
            (Some(base), None) => AzureConfig::with_base_url(&base, version, auth),
            (None, endpoint) => match endpoint.or_else(|| env("AZURE_OPENAI_ENDPOINT")) {
                Some(e) => AzureConfig::new(&e, version, auth),
                None => return Err(Error::Config(
                    "azure: azure_endpoint or base_url is required (or the AZURE_OPENAI_ENDPOINT environment variable)"
                        .into(),
                )),
            },
        };
        for (model, deployment) in self.deployments {
            cfg = cfg.deployment(deployment, model);
        }
        if let Some(d) = self.deployment {
            cfg = cfg.pin(d);
        }
        Ok(cfg)
    }
}

/// [`RoutingPolicy::max_quality_drop`] as configured: points on the 0-100 quality scale,
/// or `false` / `"off"` to turn the quality rule off.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
pub enum QualityDrop {
    Points(f32),
    Switch(bool),
    Word(QualityOff),
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityOff {
    Off,
}

impl QualityDrop {
    fn into_policy(self) -> Result<Option<f32>> {
        match self {
            QualityDrop::Points(p) if p.is_finite() && p >= 0.0 => Ok(Some(p)),
            QualityDrop::Points(p) => {
                Err(Error::Config(format!("client configuration: max_quality_drop: {p} is not a number >= 0")))
            }
            QualityDrop::Switch(false) | QualityDrop::Word(QualityOff::Off) => Ok(None),
            QualityDrop::Switch(true) => Ok(RoutingPolicy::default().max_quality_drop),
        }
    }
}

/// One provider name or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn into_vec(self) -> Vec<String> {
        match self {
            Names::One(n) => vec![n],
            Names::Many(v) => v,
        }
    }
}

/// `cache: true` or `cache: {...}`, as every binding takes it.
#[derive(Debug, Clone)]
pub enum CacheSetting {
    On(bool),
    With(Box<CacheSettings>),
}

// By hand, so a misspelled setting is named in the error (an untagged enum would only
// say that nothing matched).
impl<'de> Deserialize<'de> for CacheSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(on) => Ok(CacheSetting::On(on)),
            v @ serde_json::Value::Object(_) => serde_json::from_value(v)
                .map(|s| CacheSetting::With(Box::new(s)))
                .map_err(|e| D::Error::custom(format!("cache: {e}"))),
            other => Err(D::Error::custom(format!("cache must be true, false or an object of settings, got {other}"))),
        }
    }
}

/// [`CacheConfig`]'s fields as data; durations in seconds. Absent fields keep the defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSettings {
    pub semantic: Option<bool>,
    pub threshold: Option<f32>,
    pub ttl: Option<f64>,
    pub max_entries: Option<usize>,
    pub max_bytes: Option<usize>,
    pub max_temperature: Option<f64>,
    pub cache_tool_results: Option<bool>,
    pub redis_url: Option<String>,
    pub redis_prefix: Option<String>,
    pub redis_timeout: Option<f64>,
    pub embedding_model: Option<String>,
    pub embedding_provider: Option<String>,
    /// A local sentence-model directory ([`CacheConfig::embedding_path`]).
    pub embedding_path: Option<std::path::PathBuf>,
    /// A sentence-pair model directory ([`CacheConfig::pair_model_path`]).
    pub pair_model_path: Option<std::path::PathBuf>,
    /// [`CacheConfig::pair_threshold`].
    pub pair_threshold: Option<f32>,
}

impl CacheSettings {
    fn into_config(self) -> Result<CacheConfig> {
        let d = CacheConfig::default();
        Ok(CacheConfig {
            semantic: self.semantic.unwrap_or(d.semantic),
            threshold: self.threshold.unwrap_or(d.threshold),
            ttl: self.ttl.map(|t| seconds(t, "cache.ttl")).transpose()?.unwrap_or(d.ttl),
            max_entries: self.max_entries.unwrap_or(d.max_entries),
            max_bytes: self.max_bytes.unwrap_or(d.max_bytes),
            max_temperature: self.max_temperature.unwrap_or(d.max_temperature),
            cache_tool_results: self.cache_tool_results.unwrap_or(d.cache_tool_results),
            redis_url: self.redis_url.or(d.redis_url),
            redis_prefix: self.redis_prefix.unwrap_or(d.redis_prefix),
            redis_timeout: self
                .redis_timeout
                .map(|t| seconds(t, "cache.redis_timeout"))
                .transpose()?
                .unwrap_or(d.redis_timeout),
            embedding_model: self.embedding_model,
            embedding_provider: self.embedding_provider,
            embedding_path: self.embedding_path,
            pair_model_path: self.pair_model_path,
            pair_threshold: self.pair_threshold.unwrap_or(d.pair_threshold),
            ..d
        })
    }
}

/// The routing policy's fields; absent ones keep their defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    pub routing: Option<bool>,
    pub floor: Option<Tier>,
    pub ceiling: Option<Tier>,
    pub allow_providers: Option<Vec<String>>,
    pub deny_providers: Option<Vec<String>>,
    pub min_confidence: Option<f32>,
    pub same_provider_margin: Option<f64>,
    pub max_candidates: Option<usize>,
    pub max_quality_drop: Option<QualityDrop>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageConfig {
    /// How many recent records the ledger keeps in memory.
    pub recent_records: Option<usize>,
    /// Append every usage record to this JSONL file.
    pub jsonl_path: Option<PathBuf>,
}

/// The usage reporter (see [`ReporterConfig`]); absent fields keep its defaults. `url` and
/// `key` default to `KESTREL_REPORT_URL` / `KESTREL_REPORT_KEY` when `from_env`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// `false` turns reporting off even when `KESTREL_REPORT_URL` is set.
    pub enabled: Option<bool>,
    pub url: Option<String>,
    /// The reporting key (kept as a [`Secret`] once parsed).
    pub key: Option<String>,
    pub batch_size: Option<usize>,
    /// Seconds a record may wait before its batch is sent.
    pub interval: Option<f64>,
    pub queue_capacity: Option<usize>,
    pub spool_dir: Option<PathBuf>,
    pub hash_tenant: Option<bool>,
    /// Seconds per upload.
    pub timeout: Option<f64>,
    /// Longest wait in seconds between retries while the collector fails.
    pub max_backoff: Option<f64>,
}

impl std::fmt::Debug for ReportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportSettings")
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl ReportSettings {
    fn into_config(self, from_env: bool) -> Result<Option<ReporterConfig>> {
        if self.enabled == Some(false) {
            return Ok(None);
        }
        let env = ReporterConfig::from_env().filter(|_| from_env);
        let Some(url) = self.url.or_else(|| env.as_ref().map(|e| e.url.clone())) else {
            return Err(Error::Config("report.url is required (or KESTREL_REPORT_URL)".into()));
        };
        let mut c =
            ReporterConfig::new(url, self.key.map(Secret::new).or_else(|| env.as_ref().and_then(|e| e.key.clone())));
        c.spool_dir = self.spool_dir.or_else(|| env.and_then(|e| e.spool_dir));
        c.batch_size = self.batch_size.unwrap_or(c.batch_size);
        c.queue_capacity = self.queue_capacity.unwrap_or(c.queue_capacity);
        c.hash_tenant = self.hash_tenant.unwrap_or(c.hash_tenant);
        if let Some(t) = self.interval {
            c.interval = seconds(t, "report.interval")?;
        }
        if let Some(t) = self.timeout {
            c.timeout = seconds(t, "report.timeout")?;
        }
        if let Some(t) = self.max_backoff {
            c.max_backoff = seconds(t, "report.max_backoff")?;
        }
        c.validate()?;
        Ok(Some(c))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSettings {
    pub failure_threshold: Option<u32>,
    /// Seconds an open circuit waits before a probe.
    pub cooldown: Option<f64>,
}

impl ClientConfig {
    /// The SDK-style flat options into their sections: `api_key` and `base_url` are
    /// OpenAI's, the policy and usage fields fill (and win over) `policy` and `usage`.
    fn fold_flat_options(&mut self) {
        if let Some(k) = self.api_key.take() {
            self.api_keys.insert("openai".into(), k);
        }
        if let Some(u) = self.base_url.take() {
            self.base_urls.insert("openai".into(), u);
        }
        let flat_policy = self.routing.is_some()
            || self.tier_floor.is_some()
            || self.tier_ceiling.is_some()
            || self.allow_providers.is_some()
            || self.deny_providers.is_some()
            || self.min_confidence.is_some()
            || self.max_quality_drop.is_some();
        if flat_policy {
            let p = self.policy.get_or_insert_with(PolicyConfig::default);
            p.routing = self.routing.take().or(p.routing);
            p.floor = self.tier_floor.take().or(p.floor);
            p.ceiling = self.tier_ceiling.take().or(p.ceiling);
            p.allow_providers = self.allow_providers.take().map(Names::into_vec).or(p.allow_providers.take());
            p.deny_providers = self.deny_providers.take().map(Names::into_vec).or(p.deny_providers.take());
            p.min_confidence = self.min_confidence.take().or(p.min_confidence);
            p.max_quality_drop = self.max_quality_drop.take().or(p.max_quality_drop);
        }
        if self.recent_records.is_some() || self.usage_jsonl.is_some() {
            let u = self.usage.get_or_insert_with(UsageConfig::default);
            u.recent_records = self.recent_records.take().or(u.recent_records);
            u.jsonl_path = self.usage_jsonl.take().or(u.jsonl_path.take());
        }
    }

    /// Parses a JSON configuration; a misspelled field is an error naming it.
    pub fn from_json(text: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            let inner = e.into_inner();
            if at == "." {
                Error::Config(format!("client configuration: {inner}"))
            } else {
                Error::Config(format!("client configuration: {at}: {inner}"))
            }
        })
    }

    /// A builder with this configuration applied.
    pub fn into_builder(mut self) -> Result<ClientBuilder> {
        let mut b = ClientBuilder::default();
        self.fold_flat_options();
        if let Some(on) = self.from_env {
            b = b.from_env(on);
        }
        if let Some(path) = self.config_file {
            b = b.config_file(path);
        }
        for p in self.providers {
            b = b.provider(p);
        }
        for m in self.models {
            b = b.model(m);
        }
        for (provider, key) in self.api_keys {
            b = b.api_key(&provider, key);
        }
        for (provider, url) in self.base_urls {
            b = b.base_url(&provider, url);
        }
        for (name, value) in &self.default_headers {
            b = b.default_header(name, value)?;
        }
        if let Some(t) = self.timeout {
            b = b.timeout(seconds(t, "timeout")?);
        }
        if let Some(n) = self.max_retries {
            b = b.max_retries(n);
        }
        if let Some(n) = self.failover_attempts {
            b = b.failover_attempts(n);
        }
        if let Some(t) = self.tenant {
            b = b.tenant(t);
        }
        if let Some(d) = self.today {
            b = b.today(d);
        }
        match (self.scorer, self.learned_model) {
            (Some(ScorerChoice::Heuristic), Some(_)) => {
                return Err(Error::Config(
                    "`learned_model` is a model for the learned scorer, not the heuristic".into(),
                ))
            }
            (_, Some(path)) => b = b.scorer(crate::router::LearnedScorer::from_path(path)?),
            (Some(ScorerChoice::Heuristic), None) => b = b.scorer(crate::router::HeuristicScorer),
            (Some(ScorerChoice::Learned), None) => b = b.scorer(crate::router::LearnedScorer::default()),
            (None, None) => {}
        }
        if let Some(on) = self.feedback {
            b = b.feedback(on);
        }
        if let Some(on) = self.feedback_automatic {
            b = b.feedback_automatic(on);
        }
        if let Some(path) = self.feedback_state {
            b = b.feedback_state_file(path);
        }
        if let Some(on) = self.discover_models {
            b = b.discover_models(on);
        }
        if let Some(o) = self.organization {
            b = b.organization(o);
        }
        if let Some(p) = self.project {
            b = b.project(p);
        }
        if let Some(p) = self.policy {
            let d = RoutingPolicy::default();
            b = b.policy(RoutingPolicy {
                enabled: p.routing.unwrap_or(d.enabled),
                floor: p.floor.unwrap_or(d.floor),
                ceiling: p.ceiling.unwrap_or(d.ceiling),
                allow_providers: p.allow_providers.or(d.allow_providers),
                deny_providers: p.deny_providers.unwrap_or(d.deny_providers),
                min_confidence: p.min_confidence.unwrap_or(d.min_confidence),
                same_provider_margin: p.same_provider_margin.unwrap_or(d.same_provider_margin),
                max_candidates: p.max_candidates.unwrap_or(d.max_candidates),
                max_quality_drop: match p.max_quality_drop {
                    Some(q) => q.into_policy()?,
                    None => d.max_quality_drop,
                },
            });
        }
        if let Some(u) = self.usage {
            let d = LedgerConfig::default();
            b = b.ledger(LedgerConfig {
                recent_capacity: u.recent_records.unwrap_or(d.recent_capacity),
                jsonl_path: u.jsonl_path.or(d.jsonl_path),
            });
        }
        match self.cache {
            Some(CacheSetting::On(true)) => b = b.cache(CacheConfig::default()),
            Some(CacheSetting::With(s)) => b = b.cache(s.into_config()?),
            Some(CacheSetting::On(false)) | None => {}
        }
        if let Some(r) = self.report {
            b = b.report(r.into_config(self.from_env.unwrap_or(true))?);
        }
        if let Some(az) = self.azure {
            b = b.azure(az.into_config(self.from_env.unwrap_or(true))?);
        }
        if let Some(s) = self.breaker {
            let d = BreakerConfig::default();
            b = b.breaker(BreakerConfig {
                failure_threshold: s.failure_threshold.unwrap_or(d.failure_threshold),
                cooldown: s.cooldown.map(|c| seconds(c, "breaker.cooldown")).transpose()?.unwrap_or(d.cooldown),
                ..d
            });
        }
        Ok(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configures_a_client_and_rejects_typos() {
        let cfg = ClientConfig::from_json(
            r#"{"from_env": false, "api_keys": {"openai": "sk-x"}, "timeout": 5,
                "policy": {"floor": "standard", "deny_providers": ["groq"]}, "usage": {"recent_records": 10}}"#,
        )
        .unwrap();
        let client = cfg.into_builder().unwrap().build().unwrap();
        assert!(client.health().iter().any(|h| h.provider == "openai" && h.configured));
        let e = ClientConfig::from_json(r#"{"api_kee": "x"}"#).unwrap_err();
        assert!(e.to_string().contains("api_kee"), "{e}");
        let e = ClientConfig::from_json(r#"{"timeout": -1}"#).unwrap().into_builder().err().unwrap();
        assert!(e.to_string().contains("timeout"), "{e}");
        for ok in [r#"{"cache": true}"#, r#"{"cache": {"semantic": false, "ttl": 60, "max_entries": 5}}"#] {
            ClientConfig::from_json(ok).unwrap().into_builder().unwrap().from_env(false).build().unwrap();
        }
        assert!(ClientConfig::from_json(r#"{"cache": {"treshold": 0.9}}"#).is_err(), "typos are errors");
        let e = ClientConfig::from_json(r#"{"cache": {"threshold": 2}}"#).unwrap().into_builder().unwrap().build();
        assert!(e.unwrap_err().to_string().contains("threshold"));
    }

    #[test]
    fn sdk_style_names_are_the_bindings_options() {
        let cfg = ClientConfig::from_json(
            r#"{"from_env": false, "api_key": "sk-o", "base_url": "http://127.0.0.1:9/v1",
                "provider_keys": {"groq": "gsk"}, "tier_floor": "Standard", "allow_providers": "openai",
                "policy": {"ceiling": "premium", "floor": "economy"}, "recent_records": 3, "failover_attempts": 2}"#,
        )
        .unwrap();
        let client = cfg.into_builder().unwrap().build().unwrap();
        let configured: Vec<String> =
            client.health().into_iter().filter(|h| h.configured).map(|h| h.provider).collect();
        assert_eq!(configured, ["openai", "groq"]);
        let d = client.route(&crate::ChatRequest::new("gpt-4o", vec![crate::Message::user("What is 2+2?")])).unwrap();
        assert_eq!(d.tier, Some(Tier::Standard), "the flat floor wins over policy.floor");
        assert!(d.plan.iter().all(|c| client.catalog().provider(c.provider).name == "openai"));
        let e = ClientConfig::from_json(r#"{"tier_floor": "gold"}"#).unwrap_err().to_string();
        assert!(e.contains("unknown tier `gold`"), "{e}");
    }

    #[test]
    fn the_scorer_is_chosen_by_name() {
        let req = crate::ChatRequest::new("gpt-4o", vec![crate::Message::user("What is the capital of Peru?")]);
        for (name, learned) in [("heuristic", false), ("learned", true)] {
            let json = format!(r#"{{"from_env": false, "api_key": "sk-x", "scorer": "{name}"}}"#);
            let cfg = ClientConfig::from_json(&json).unwrap();
            let d = cfg.into_builder().unwrap().build().unwrap().route(&req).unwrap();
            let by_model = d.reasons.iter().any(|r| matches!(r, crate::router::Reason::Learned { .. }));
            assert_eq!(by_model, learned, "{name}: {:?}", d.reasons);
        }
        let e = ClientConfig::from_json(r#"{"scorer": "neural"}"#).unwrap_err().to_string();
        assert!(e.contains("neural") && e.contains("learned"), "{e}");
    }

    #[test]
    fn quality_rule_and_routing_day_are_options() {
        for ok in [r#"5"#, r#"0"#, r#"false"#, r#""off""#, r#"true"#] {
            let cfg = ClientConfig::from_json(&format!(r#"{{"from_env": false, "max_quality_drop": {ok}}}"#)).unwrap();
            cfg.into_builder().and_then(ClientBuilder::build).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in [r#"-1"#, r#""sometimes""#] {
            let e = ClientConfig::from_json(&format!(r#"{{"from_env": false, "max_quality_drop": {bad}}}"#))
                .and_then(ClientConfig::into_builder)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"))
                .to_string();
            assert!(e.contains("max_quality_drop"), "{e}");
        }
        let e = ClientConfig::from_json(r#"{"from_env": false, "today": "4 Dec"}"#)
            .unwrap()
            .into_builder()
            .unwrap()
            .build()
            .unwrap_err()
            .to_string();
        assert!(e.contains("`4 Dec` is not a YYYY-MM-DD date"), "{e}");
        // A model shut down on 2026-10-23 is still planned when routing as of a day before it.
        let nano = crate::ChatRequest::new("gpt-4.1-nano", vec![crate::Message::user("What is 2+2?")]);
        let route_on = |day: &str| {
            let cfg = format!(r#"{{"from_env": false, "api_key": "sk-x", "today": "{day}"}}"#);
            let client = ClientConfig::from_json(&cfg).unwrap().into_builder().unwrap().build().unwrap();
            let d = client.route(&nano).unwrap();
            d.plan.iter().filter_map(|c| c.model).map(|m| client.catalog().model(m).id.clone()).collect::<Vec<_>>()
        };
        assert!(route_on("2026-06-01").iter().any(|m| m == "gpt-4.1-nano"));
        assert!(!route_on("2026-12-04").iter().any(|m| m == "gpt-4.1-nano"));
    }

    #[test]
    fn report_section_configures_the_reporter_and_checks_it() {
        let dir = std::env::temp_dir().join(format!("kestrel-config-report-{}", std::process::id()));
        let cfg = format!(
            r#"{{"from_env": false, "report": {{"url": "http://127.0.0.1:9/v1/usage", "key": "rk-secret-1",
                "batch_size": 7, "interval": 0.5, "hash_tenant": true, "spool_dir": {:?}}}}}"#,
            dir.display().to_string()
        );
        let client = ClientConfig::from_json(&cfg).unwrap().into_builder().unwrap().build().unwrap();
        let reporter = client.usage().reporter().expect("reporting on");
        assert_eq!(reporter.spool_dir().parent(), Some(dir.as_path()), "a directory per destination");
        assert_eq!(client.usage().reporter_stats().unwrap().sent, 0);
        let shown = format!("{:?} {:?}", ClientConfig::from_json(&cfg).unwrap(), client.usage());
        assert!(!shown.contains("rk-secret-1"), "{shown}");
        drop(client);
        let _ = std::fs::remove_dir_all(&dir);

        let off = ClientConfig::from_json(r#"{"from_env": false, "report": {"enabled": false}}"#).unwrap();
        assert!(off.into_builder().unwrap().build().unwrap().usage().reporter().is_none());
        let none = ClientConfig::from_json(r#"{"from_env": false}"#).unwrap();
        assert!(none.into_builder().unwrap().build().unwrap().usage().reporter().is_none());
        for (bad, field) in [
            (r#"{"from_env": false, "report": {"url": "ftp://x/y"}}"#, "report.url"),
            (r#"{"from_env": false, "report": {"url": "not a url"}}"#, "report.url"),
            (r#"{"from_env": false, "report": {}}"#, "report.url"),
            (r#"{"from_env": false, "report": {"url": "http://x/", "batch_size": 0}}"#, "batch_size"),
            (r#"{"from_env": false, "report": {"url": "http://x/", "interval": 0}}"#, "report.interval"),
        ] {
            let e = ClientConfig::from_json(bad).unwrap().into_builder().and_then(|b| b.build()).err().unwrap();
            assert!(e.to_string().contains(field), "{bad}: {e}");
        }
    }
}
