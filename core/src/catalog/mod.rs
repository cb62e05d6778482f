//! The model catalog: providers, models, prices, tiers and capabilities.
//!
//! The built-in catalog is the data file `models.toml`, embedded at build time; users add
//! or override providers and models from code ([`Catalog::add_provider`],
//! [`Catalog::add_model`]) or from a TOML file of the same shape ([`Catalog::merge_toml`]).

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
    /// Dated snapshots and other names that mean this model.
    #[serde(default)]
    pub aliases: Vec<String>,
}

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
    pub fn cost(&self, input_tokens: u64, output_tokens: u64, cached: u64, cache_write: u64) -> f64 {
        let written = cache_write.min(input_tokens);
        let read = cached.min(input_tokens - written);
        let plain = input_tokens - written - read;
        let read_price = self.cached_input_per_mtok.unwrap_or(self.input_per_mtok);
        let write_price = self.cache_write_per_mtok.unwrap_or(self.input_per_mtok);
        (plain as f64 * self.input_per_mtok
            + read as f64 * read_price
            + written as f64 * write_price
            + output_tokens as f64 * self.output_per_mtok)
            / 1_000_000.0
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
    #[serde(default)]
    model: Vec<ModelSpec>,
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
        }
    }

    /// Parses a catalog from TOML in the format of the embedded `models.toml`.
    pub fn from_toml(text: &str) -> Result<Self> {
        let mut c = Catalog::empty();
        c.merge_toml(text)?;
        Ok(c)
    }

    /// Adds or replaces the providers and models of a TOML document (same format as the
    /// embedded catalog). A model or provider with an existing name replaces it.
    pub fn merge_toml(&mut self, text: &str) -> Result<()> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| Error::Config(format!("catalog: {e}")))?;
        if let Some(date) = file.prices_as_of {
            self.prices_as_of = date;
        }
        for p in file.provider {
            self.add_provider(p)?;
        }
        for m in file.model {
            self.add_model(m)?;
        }
        Ok(())
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

    pub fn model(&self, id: ModelId) -> &ModelSpec {
        &self.models[id]
    }

    pub fn provider(&self, id: ProviderId) -> &ProviderSpec {
        &self.providers[id]
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
    /// model's provider, else the one its name points at, else OpenAI.
    pub fn requested_provider(&self, name: &str) -> Option<ProviderId> {
        match self.resolve(name) {
            Some(m) => Some(self.provider_of(m)),
            None => self.provider_for_unknown(name).or_else(|| self.provider_id("openai")),
        }
    }
}

/// Removes a trailing snapshot date: `-2024-08-06`, `-20251001`, `-08-2024`, `@20240620`.
fn strip_date_suffix(name: &str) -> &str {
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
}
