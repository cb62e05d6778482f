//! The model catalog: providers, models, prices, tiers and capabilities.
//!
//! The built-in catalog is the data file `models.toml`, embedded at build time; users add
//! or override providers and models from code ([`Catalog::add_provider`],
//! [`Catalog::add_model`]) or from a TOML file of the same shape ([`Catalog::merge_toml`]).

pub mod litellm;
mod row;

pub(crate) use row::ModelRow;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::Tier;

const EMBEDDED: &str = include_str!("models.toml");

static BUILTIN: LazyLock<Arc<Catalog>> =
    LazyLock::new(|| Arc::new(Catalog::from_toml(EMBEDDED).expect("the embedded catalog is valid")));

/// Which wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// OpenAI Chat Completions, or a compatible server (Groq, xAI, Mistral, Together, vLLM, Ollama, ...).
    Openai,
    Anthropic,
    Gemini,
    Cohere,
    /// Azure OpenAI: OpenAI's chat format at `…/deployments/{deployment}/chat/completions`,
    /// with an `api-version` query and an `api-key` header.
    Azure,
}

/// A provider: where to send requests and where its key comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// Lower-case identifier, e.g. `openai`, `groq`, or a user's own `ollama`.
    pub name: String,
    pub api: Api,
    /// Default base URL, in the form the provider's official SDK takes it.
    pub base_url: String,
    /// Appended to the base URL to reach the chat endpoint (`{model}` is substituted).
    pub chat_path: String,
    /// Environment variables holding the key; the first one set wins.
    #[serde(default)]
    pub key_env: Vec<String>,
    /// Environment variables that override `base_url`; the first one set wins.
    #[serde(default)]
    pub base_url_env: Vec<String>,
    /// Local servers (Ollama, vLLM) need no key to be a candidate.
    #[serde(default)]
    pub key_optional: bool,
    /// Name prefixes of models this provider serves that are not in the catalog, so an
    /// unknown model can still be passed through to the right place (`gpt-`, `claude-`).
    #[serde(default)]
    pub model_prefixes: Vec<String>,
}

/// One model with its prices and capabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// The name routing decisions and usage records use.
    pub id: String,
    /// The id sent to the provider, when it differs from `id` (Cohere retired its bare
    /// `command-r` names; the dated ids still serve).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_id: Option<String>,
    pub provider: String,
    pub tier: Tier,
    /// USD per million input tokens.
    pub input_per_mtok: f64,
    /// USD per million output tokens.
    pub output_per_mtok: f64,
    /// USD per million input tokens served from the provider's prompt cache.
    #[serde(default)]
    pub cached_input_per_mtok: Option<f64>,
    /// USD per million input tokens written to the provider's prompt cache, where writes
    /// cost more than plain input (Anthropic's 5-minute cache writes: 1.25 × input).
    /// Without it, cache writes are billed at the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_per_mtok: Option<f64>,
    pub context_window: u32,
    pub max_output: u32,
    #[serde(default)]
    pub tools: bool,
    #[serde(default)]
    pub vision: bool,
    #[serde(default)]
    pub json_mode: bool,
    #[serde(default)]
    pub json_schema: bool,
    /// The model thinks before answering (reasoning tokens are billed as output).
    #[serde(default)]
    pub reasoning: bool,
    /// Prompts longer than this many tokens are billed at the `long_*` prices, for the
    /// whole request (OpenAI above 272K, Gemini Pro and xAI above 200K).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_context_threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_input_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_output_per_mtok: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_cached_input_per_mtok: Option<f64>,
    /// Quality score 0-100 from a public leaderboard (the catalog file says which);
    /// `None`: not scored. Used by the quality rule of selection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<f32>,
    /// Date the provider announced the deprecation (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// Date from which the provider no longer serves the model (`YYYY-MM-DD`): it is
    /// never planned on or after this date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown: Option<String>,
    /// The replacement the provider names (a catalog id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
    /// Dated snapshots and other names that mean this model.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Where a model stands in its provider's lifecycle on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    Active,
    /// Deprecated (or given a shutdown date) but still served.
    Deprecated,
    /// Past its shutdown date.
    Retired,
}

/// A model whose shutdown is at most this many days away gets a warning.
pub const SHUTDOWN_WARNING_DAYS: i64 = 60;

impl ModelSpec {
    /// The model name to put in the provider request.
    pub fn wire_id(&self) -> &str {
        self.api_id.as_deref().unwrap_or(&self.id)
    }

    /// Cost in USD of a call with these token counts. `input_tokens` counts every prompt
    /// token (OpenAI's `prompt_tokens`, which for Anthropic includes cache reads and
    /// writes); of those, `cached` (cache reads) are billed at the cached price and
    /// `cache_write` at the cache-write price where the model has them, the rest at the
    /// input price. No token is billed twice: writes are taken first, then reads, each
    /// capped by what remains of the input.
    /// Prompts above the model's long-context threshold are billed at its long-context
    /// prices for the whole request (cache writes scale with the input price).
    pub fn cost(&self, input_tokens: u64, output_tokens: u64, cached: u64, cache_write: u64) -> f64 {
        let written = cache_write.min(input_tokens);
        let read = cached.min(input_tokens - written);
        let plain = input_tokens - written - read;
        let long = self.long_context_threshold.is_some_and(|t| input_tokens > u64::from(t));
        let (input, output, cached_price) = if long {
            (
                self.long_input_per_mtok.unwrap_or(self.input_per_mtok),
                self.long_output_per_mtok.unwrap_or(self.output_per_mtok),
                self.long_cached_input_per_mtok.or(self.cached_input_per_mtok),
            )
        } else {
            (self.input_per_mtok, self.output_per_mtok, self.cached_input_per_mtok)
        };
        let read_price = cached_price.unwrap_or(input);
        let write_price =
            self.cache_write_per_mtok.map_or(input, |w| w * input / self.input_per_mtok.max(f64::MIN_POSITIVE));
        (plain as f64 * input + read as f64 * read_price + written as f64 * write_price + output_tokens as f64 * output)
            / 1_000_000.0
    }

    /// Lifecycle status on `today` (`YYYY-MM-DD`).
    pub fn lifecycle(&self, today: &str) -> Lifecycle {
        match (&self.shutdown, &self.deprecated) {
            (Some(s), _) if s.as_str() <= today => Lifecycle::Retired,
            (Some(_), _) | (None, Some(_)) => Lifecycle::Deprecated,
            (None, None) => Lifecycle::Active,
        }
    }

    /// Whether the model may be planned on `today` (not past its shutdown date).
    pub fn servable(&self, today: &str) -> bool {
        self.lifecycle(today) != Lifecycle::Retired
    }

    /// Days from `today` to the shutdown date (negative once past), if one is set.
    pub fn days_to_shutdown(&self, today: &str) -> Option<i64> {
        let s = days_from_iso(self.shutdown.as_deref()?)?;
        Some(s - days_from_iso(today)?)
    }

    /// A warning for a requested model past or near its shutdown, if any.
    pub fn lifecycle_warning(&self, today: &str) -> Option<String> {
        let days = self.days_to_shutdown(today)?;
        let shutdown = self.shutdown.as_deref().unwrap_or_default();
        let then = match &self.successor {
            Some(s) => format!("; the provider names `{s}` as its replacement"),
            None => String::new(),
        };
        if days <= 0 {
            Some(format!("`{}` was shut down by its provider on {shutdown}{then}", self.id))
        } else if days <= SHUTDOWN_WARNING_DAYS {
            Some(format!("`{}` shuts down on {shutdown} (in {days} days){then}", self.id))
        } else {
            None
        }
    }
}

/// Index of a provider in a [`Catalog`]; cheap to copy and compare on the hot path.
pub type ProviderId = usize;
/// Index of a model in a [`Catalog`].
pub type ModelId = usize;

/// The file format of the embedded catalog and of user override files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    prices_as_of: Option<String>,
    #[serde(default)]
    provider: Vec<ProviderSpec>,
}

/// Providers and models, with a name index so resolving a model name is a hash lookup.
#[derive(Debug, Clone)]
pub struct Catalog {
    prices_as_of: String,
    providers: Vec<ProviderSpec>,
    models: Vec<ModelSpec>,
    /// Provider of each model, parallel to `models`.
    model_provider: Vec<ProviderId>,
    names: HashMap<String, ModelId>,
    /// What routing reads of each model, parallel to `models`.
    rows: Vec<ModelRow>,
    /// Model ids by tier, cheapest tier first (catalog order within a tier).
    by_tier: Vec<ModelId>,
}

/// Most catalogs hold far fewer; the provider bitmask in routing policies relies on it.
pub const MAX_PROVIDERS: usize = 64;

impl Catalog {
    /// The built-in catalog (shared; clone it to modify).
    pub fn builtin() -> Arc<Catalog> {
        BUILTIN.clone()
    }

    /// An empty catalog, for users who bring every provider themselves.
    pub fn empty() -> Self {
        Catalog {
            prices_as_of: String::new(),
            providers: Vec::new(),
            models: Vec::new(),
            model_provider: Vec::new(),
            names: HashMap::new(),
            rows: Vec::new(),
            by_tier: Vec::new(),
        }
    }

    /// This catalog with another price date: a catalog derived from another (an Azure
    /// client's deployments) keeps its source's.
    pub(crate) fn with_prices_as_of(mut self, date: &str) -> Self {
        self.prices_as_of = date.to_string();
        self
    }

    /// Parses a catalog from TOML in the format of the embedded `models.toml`.
    pub fn from_toml(text: &str) -> Result<Self> {
        let mut c = Catalog::empty();
        c.merge_toml(text)?;
        Ok(c)
    }

    /// Merges a TOML document (same format as the embedded catalog) over this catalog:
    /// - `prices_as_of`: the document's date replaces the catalog's;
    /// - `[[provider]]`: a provider with an existing name replaces it, others are added;
    /// - `[[model]]`: an entry whose `id` is already in the catalog *patches* it (the
    ///   fields it gives replace the old ones, e.g. just `id` and `shutdown`), any other
    ///   entry is added and must be complete.
    pub fn merge_toml(&mut self, text: &str) -> Result<()> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| Error::Config(format!("catalog: {e}")))?;
        let models = doc.remove("model");
        let file: CatalogFile = doc.try_into().map_err(|e| Error::Config(format!("catalog: {e}")))?;
        if let Some(date) = file.prices_as_of {
            self.prices_as_of = date;
        }
        for p in file.provider {
            self.add_provider(p)?;
        }
        let models = match models {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(Error::Config("catalog: `model` must be an array of tables ([[model]])".into())),
        };
        for entry in models {
            let toml::Value::Table(mut t) = entry else {
                return Err(Error::Config("catalog: every [[model]] must be a table".into()));
            };
            let existing = t.get("id").and_then(|v| v.as_str()).and_then(|id| self.model_by_id(id));
            if let Some(i) = existing {
                let mut base =
                    toml::Table::try_from(&self.models[i]).map_err(|e| Error::Config(format!("catalog: {e}")))?;
                t.remove("id");
                base.extend(t);
                t = base;
            }
            let m: ModelSpec = toml::Value::Table(t).try_into().map_err(|e| Error::Config(format!("catalog: {e}")))?;
            self.add_model(m)?;
        }
        Ok(())
    }

    /// The model whose id (not alias) is `id`, case-insensitively.
    pub fn model_by_id(&self, id: &str) -> Option<ModelId> {
        self.names.get(&id.to_ascii_lowercase()).copied().filter(|&i| self.models[i].id.eq_ignore_ascii_case(id))
    }

    /// The built-in catalog with the files named in `KESTREL_CATALOG` merged over it
    /// (several paths separated like `PATH`), in order. Unset or empty: the built-in one.
    pub fn from_env() -> Result<Catalog> {
        let mut c = (*Catalog::builtin()).clone();
        if let Some(paths) = std::env::var_os("KESTREL_CATALOG") {
            for path in std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()) {
                c.merge_file(&path)?;
            }
        }
        Ok(c)
    }

    /// Reads and merges a TOML override file.
    pub fn merge_file(&mut self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        self.merge_toml(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    /// Adds a provider, or replaces the one with the same name.
    pub fn add_provider(&mut self, p: ProviderSpec) -> Result<ProviderId> {
        if p.name.is_empty() || p.name.bytes().any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace()) {
            return Err(Error::Config(format!("provider name `{}` must be lower-case without spaces", p.name)));
        }
        if !(p.base_url.starts_with("http://") || p.base_url.starts_with("https://")) {
            return Err(Error::Config(format!("provider `{}`: base_url must start with http:// or https://", p.name)));
        }
        if let Some(i) = self.provider_id(&p.name) {
            self.providers[i] = p;
            return Ok(i);
        }
        if self.providers.len() == MAX_PROVIDERS {
            return Err(Error::Config(format!("at most {MAX_PROVIDERS} providers")));
        }
        self.providers.push(p);
        Ok(self.providers.len() - 1)
    }

    /// Adds a model, or replaces the one with the same id. Its provider must exist.
    pub fn add_model(&mut self, m: ModelSpec) -> Result<ModelId> {
        let pid = self
            .provider_id(&m.provider)
            .ok_or_else(|| Error::Config(format!("model `{}`: unknown provider `{}`", m.id, m.provider)))?;
        let finite = |x: f64| x.is_finite() && x >= 0.0;
        if !finite(m.input_per_mtok)
            || !finite(m.output_per_mtok)
            || !m.cached_input_per_mtok.is_none_or(finite)
            || !m.cache_write_per_mtok.is_none_or(finite)
        {
            return Err(Error::Config(format!("model `{}`: prices must be finite and non-negative", m.id)));
        }
        for (what, date) in [("deprecated", &m.deprecated), ("shutdown", &m.shutdown)] {
            if let Some(d) = date {
                if days_from_iso(d).is_none() {
                    return Err(Error::Config(format!(
                        "model `{}`: {what} must be a YYYY-MM-DD date, not `{d}`",
                        m.id
                    )));
                }
            }
        }
        if !m.long_input_per_mtok.is_none_or(finite)
            || !m.long_output_per_mtok.is_none_or(finite)
            || !m.long_cached_input_per_mtok.is_none_or(finite)
            || !m.quality.is_none_or(|q| q.is_finite() && (0.0..=100.0).contains(&q))
        {
            return Err(Error::Config(format!(
                "model `{}`: long-context prices and quality must be finite (quality 0-100)",
                m.id
            )));
        }
        if m.context_window == 0 || m.max_output == 0 {
            return Err(Error::Config(format!("model `{}`: context_window and max_output must be positive", m.id)));
        }
        let id = match self.names.get(&m.id.to_ascii_lowercase()) {
            Some(&i) if self.models[i].id.eq_ignore_ascii_case(&m.id) => {
                self.models[i] = m;
                self.model_provider[i] = pid;
                i
            }
            _ => {
                self.models.push(m);
                self.model_provider.push(pid);
                self.models.len() - 1
            }
        };
        self.reindex();
        Ok(id)
    }

    /// Rebuilds the name index: ids win over aliases, later entries over earlier ones.
    fn reindex(&mut self) {
        self.rows = self.models.iter().zip(&self.model_provider).map(|(m, &p)| ModelRow::of(m, p)).collect();
        self.by_tier = (0..self.models.len()).collect();
        self.by_tier.sort_by_key(|&m| self.models[m].tier);
        self.names.clear();
        for (i, m) in self.models.iter().enumerate() {
            for a in &m.aliases {
                self.names.insert(a.to_ascii_lowercase(), i);
            }
        }
        for (i, m) in self.models.iter().enumerate() {
            self.names.insert(m.id.to_ascii_lowercase(), i);
        }
    }

    /// The date the built-in prices were checked.
    pub fn prices_as_of(&self) -> &str {
        &self.prices_as_of
    }

    pub fn providers(&self) -> &[ProviderSpec] {
        &self.providers
    }

    pub fn models(&self) -> &[ModelSpec] {
        &self.models
    }

    /// Routing's view of each model, parallel to [`Catalog::models`].
    pub(crate) fn rows(&self) -> &[ModelRow] {
        &self.rows
    }

    /// Model ids, cheapest tier first: selection can stop pricing once its shortlist is
    /// full of a lower tier.
    pub(crate) fn by_tier(&self) -> &[ModelId] {
        &self.by_tier
    }

    pub fn model(&self, id: ModelId) -> &ModelSpec {
        &self.models[id]
    }

    pub fn provider(&self, id: ProviderId) -> &ProviderSpec {
        &self.providers[id]
    }

    /// Whether model `id` is still served on day `today` (days since 1970-01-01).
    pub fn servable(&self, id: ModelId, today: i64) -> bool {
        self.rows[id].shutdown_day.is_none_or(|s| today < s)
    }

    /// Model `id`'s shutdown day (days since 1970-01-01), parsed once when the catalog
    /// was built: routing checks it per request without parsing dates.
    pub fn shutdown_day(&self, id: ModelId) -> Option<i64> {
        self.rows[id].shutdown_day
    }

    /// The model to send a request for `id` to on day `today`: `id` itself while it is
    /// served, else its successor chain's first served model (at most 8 hops).
    pub fn current_for(&self, id: ModelId, today: i64) -> Option<ModelId> {
        let mut m = id;
        for _ in 0..8 {
            if self.servable(m, today) {
                return Some(m);
            }
            m = self.model_by_id(self.models[m].successor.as_deref()?)?;
        }
        None
    }

    /// A provider's flagship on day `today`: its served premium model with the highest
    /// quality score (unscored ones after scored ones, the dearer first).
    pub fn flagship(&self, provider: ProviderId, today: i64) -> Option<ModelId> {
        (0..self.models.len())
            .filter(|&m| {
                self.model_provider[m] == provider && self.models[m].tier == Tier::Premium && self.servable(m, today)
            })
            .max_by(|&a, &b| {
                let (ma, mb) = (&self.models[a], &self.models[b]);
                let q = |m: &ModelSpec| m.quality.unwrap_or(-1.0);
                q(ma).total_cmp(&q(mb)).then(ma.output_per_mtok.total_cmp(&mb.output_per_mtok)).then(b.cmp(&a))
            })
    }

    /// The provider serving model `id`.
    pub fn provider_of(&self, id: ModelId) -> ProviderId {
        self.model_provider[id]
    }

    pub fn provider_id(&self, name: &str) -> Option<ProviderId> {
        self.providers.iter().position(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Resolves a model name as users write it: the id, an alias, a dated snapshot
    /// (`gpt-4o-2024-08-06`, `claude-haiku-4-5-20251001`, `command-r-08-2024`), Gemini's
    /// `models/` prefix, or a `provider/` prefix (`openai/gpt-4o`). Case-insensitive.
    pub fn resolve(&self, name: &str) -> Option<ModelId> {
        if let Some(&i) = self.names.get(name) {
            return Some(i);
        }
        let lower = name.trim().to_ascii_lowercase();
        let mut candidate = lower.as_str();
        if let Some(&i) = self.names.get(candidate) {
            return Some(i);
        }
        if let Some(rest) = candidate.strip_prefix("models/") {
            candidate = rest;
        }
        if let Some((prefix, rest)) = candidate.split_once('/') {
            if self.provider_id(prefix).is_some() {
                if let Some(&i) = self.names.get(rest) {
                    return Some(i);
                }
                candidate = rest;
            }
        }
        if let Some(&i) = self.names.get(candidate) {
            return Some(i);
        }
        let undated = strip_date_suffix(candidate);
        if undated.len() < candidate.len() {
            return self.names.get(undated).copied();
        }
        None
    }

    /// For a model the catalog does not know: the provider whose `model_prefixes` (or a
    /// `provider/` prefix) claims it, so it can still be passed through.
    pub fn provider_for_unknown(&self, name: &str) -> Option<ProviderId> {
        let lower = name.trim().to_ascii_lowercase();
        let bare = lower.strip_prefix("models/").unwrap_or(&lower);
        if let Some((prefix, _)) = bare.split_once('/') {
            if let Some(p) = self.provider_id(prefix) {
                return Some(p);
            }
        }
        self.providers.iter().position(|p| p.model_prefixes.iter().any(|pre| bare.starts_with(pre.as_str())))
    }

    /// The provider a request for `name` goes to when sent where it asks: the catalog
    /// model's provider, else the one its name points at, else OpenAI, else the catalog's
    /// only provider (an Azure client's resource, where any name is a deployment).
    pub fn requested_provider(&self, name: &str) -> Option<ProviderId> {
        match self.resolve(name) {
            Some(m) => Some(self.provider_of(m)),
            None => self
                .provider_for_unknown(name)
                .or_else(|| self.provider_id("openai"))
                .or_else(|| (self.providers.len() == 1).then_some(0)),
        }
    }
}

/// The catalog's and the config's date format.
const ISO_DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// Julian day number of 1970-01-01: day counts are kept relative to it.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, or `None` for anything else (including
/// dates that do not exist, such as `2026-02-30`).
pub fn days_from_iso(date: &str) -> Option<i64> {
    let date = time::Date::parse(date, ISO_DATE).ok()?;
    Some(i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY)
}

/// The `YYYY-MM-DD` date of a day count since 1970-01-01 (clamped to the years 0-9999).
pub fn iso_from_days(days: i64) -> String {
    let julian = (days + EPOCH_JULIAN_DAY).clamp(1_721_060, 5_373_484);
    let date = time::Date::from_julian_day(julian as i32).unwrap_or(time::Date::MIN);
    date.format(ISO_DATE).unwrap_or_default()
}

/// Today's date (UTC) from the system clock, for callers at the edge (CLI, client
/// construction); routing itself takes the date as a value.
pub fn today_utc() -> String {
    time::OffsetDateTime::now_utc().date().format(ISO_DATE).unwrap_or_default()
}

/// Removes a trailing snapshot date: `-2024-08-06`, `-20251001`, `-08-2024`, `@20240620`.
pub(crate) fn strip_date_suffix(name: &str) -> &str {
    let b = name.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let n = b.len();
    // -YYYY-MM-DD
    if n > 11
        && b[n - 11] == b'-'
        && b[n - 6] == b'-'
        && b[n - 3] == b'-'
        && digits(&b[n - 10..n - 6])
        && digits(&b[n - 5..n - 3])
        && digits(&b[n - 2..])
    {
        return &name[..n - 11];
    }
    // -YYYYMMDD or @YYYYMMDD
    if n > 9 && (b[n - 9] == b'-' || b[n - 9] == b'@') && digits(&b[n - 8..]) {
        return &name[..n - 9];
    }
    // -MM-YYYY (Cohere)
    if n > 8 && b[n - 8] == b'-' && b[n - 5] == b'-' && digits(&b[n - 7..n - 5]) && digits(&b[n - 4..]) {
        return &name[..n - 8];
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_suffixes() {
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(strip_date_suffix("claude-haiku-4-5-20251001"), "claude-haiku-4-5");
        assert_eq!(strip_date_suffix("command-r-08-2024"), "command-r");
        assert_eq!(strip_date_suffix("claude-3-5-sonnet@20240620"), "claude-3-5-sonnet");
        assert_eq!(strip_date_suffix("gpt-4o"), "gpt-4o");
        assert_eq!(strip_date_suffix("gpt-4.1-mini"), "gpt-4.1-mini");
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(days_from_iso("1970-01-01"), Some(0));
        assert_eq!(days_from_iso("2026-12-04").map(iso_from_days).as_deref(), Some("2026-12-04"));
        assert_eq!(days_from_iso("2027-01-14").unwrap() - days_from_iso("2026-12-04").unwrap(), 41);
        assert_eq!(days_from_iso("2024-02-29").map(iso_from_days).as_deref(), Some("2024-02-29"));
        assert_eq!(days_from_iso("2026-13-01"), None);
        assert_eq!(days_from_iso("2026-02-30"), None);
        assert_eq!(iso_from_days(0), "1970-01-01");
        assert_eq!(days_from_iso("26-1-1"), None);
    }
}
