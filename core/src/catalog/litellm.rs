//! Import of LiteLLM's `model_prices_and_context_window.json` into the catalog's format.
//!
//! LiteLLM keeps one JSON object per model name: per-token USD prices
//! (`input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`,
//! `cache_creation_input_token_cost`, `input_cost_per_token_above_200k_tokens`, ...),
//! limits (`max_input_tokens`, `max_output_tokens`), `supports_*` flags, a
//! `deprecation_date` (the date the provider stops serving the model), the provider in
//! `litellm_provider`, and provider-prefixed keys (`gemini/`, `groq/`, `xai/`, ...).
//! Dated snapshot keys with the same prices as their undated model become aliases.
//!
//! What LiteLLM does not know is kept from the catalog the import is applied to: the
//! tier, the quality score, the successor, the wire id and aliases. A model the catalog
//! does not have gets a tier from its price (see [`tier_for_price`]).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{strip_date_suffix, Catalog, ModelSpec};
use crate::error::{Error, Result};
use crate::types::Tier;

/// LiteLLM's `litellm_provider` values for the catalog's providers.
const PROVIDERS: &[(&str, &str)] = &[
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("gemini", "gemini"),
    ("groq", "groq"),
    ("xai", "xai"),
    ("mistral", "mistral"),
    ("cohere_chat", "cohere"),
    ("cohere", "cohere"),
    ("together_ai", "together"),
];

/// Key prefixes LiteLLM puts before a provider's model ids.
const KEY_PREFIXES: &[&str] =
    &["gemini/", "groq/", "xai/", "mistral/", "together_ai/", "cohere_chat/", "anthropic/", "openai/"];

/// The result of an import: the models in the catalog's format, and what was left out.
#[derive(Debug, Clone, Default)]
pub struct Import {
    pub models: Vec<ModelSpec>,
    /// `(LiteLLM key, why)` for chat entries of known providers that were not imported.
    pub skipped: Vec<(String, String)>,
}

/// One difference between the catalog and an import.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added(String),
    Changed { id: String, field: &'static str, before: String, after: String },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Added(id) => write!(f, "+ {id}"),
            Change::Changed { id, field, before, after } => write!(f, "~ {id}: {field} {before} → {after}"),
        }
    }
}

/// The tier of a model the catalog does not know, from its blended price
/// (3 parts input, 1 part output, USD per million tokens): up to $0.60 economy, up to
/// $3.00 standard, premium above.
pub fn tier_for_price(input: f64, output: f64) -> Tier {
    let blended = (3.0 * input + output) / 4.0;
    if blended <= 0.6 {
        Tier::Economy
    } else if blended <= 3.0 {
        Tier::Standard
    } else {
        Tier::Premium
    }
}

fn per_mtok(v: &Map<String, Value>, key: &str) -> Option<f64> {
    v.get(key).and_then(Value::as_f64).map(|x| (x * 1e6 * 1e6).round() / 1e6)
}

fn flag(v: &Map<String, Value>, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn limit(v: &Map<String, Value>, key: &str) -> Option<u32> {
    v.get(key).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).filter(|&n| n > 0)
}

/// The long-context tier: the first `input_cost_per_token_above_<N>k_tokens` key.
fn long_context(v: &Map<String, Value>) -> Option<(u32, f64, Option<f64>, Option<f64>)> {
    let mut best: Option<(u32, f64, Option<f64>, Option<f64>)> = None;
    for k in v.keys() {
        let Some(n) = k.strip_prefix("input_cost_per_token_above_").and_then(|r| r.strip_suffix("k_tokens")) else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        let Some(input) = per_mtok(v, k) else { continue };
        let output = per_mtok(v, &format!("output_cost_per_token_above_{n}k_tokens"));
        let cached = per_mtok(v, &format!("cache_read_input_token_cost_above_{n}k_tokens"));
        if best.is_none_or(|b| n * 1000 < b.0) {
            best = Some((n * 1000, input, output, cached));
        }
    }
    best
}

/// Converts LiteLLM's JSON into catalog models for the providers `base` knows.
pub fn import(json: &str, base: &Catalog) -> Result<Import> {
    let all: Map<String, Value> =
        serde_json::from_str(json).map_err(|e| Error::Config(format!("LiteLLM price list: {e}")))?;
    let mut out = Import::default();
    // id (lower-case) -> index in out.models, to fold dated snapshots in as aliases.
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut entries: Vec<(&String, &Map<String, Value>)> =
        all.iter().filter_map(|(k, v)| v.as_object().map(|o| (k, o))).collect();
    // Undated keys first, so snapshots find their model.
    entries.sort_by_key(|(k, _)| (strip_date_suffix(k).len() < k.len(), k.to_ascii_lowercase()));
    for (key, v) in entries {
        if v.get("mode").and_then(Value::as_str) != Some("chat") {
            continue;
        }
        let Some(lp) = v.get("litellm_provider").and_then(Value::as_str) else { continue };
        let Some(&(_, provider)) = PROVIDERS.iter().find(|(l, _)| *l == lp) else { continue };
        if base.provider_id(provider).is_none() {
            continue;
        }
        let mut id = key.as_str();
        for p in KEY_PREFIXES {
            if let Some(rest) = id.strip_prefix(p) {
                // `openai/gpt-oss-120b` on Groq and Together is a model name, not a prefix.
                if !(lp != "openai" && *p == "openai/") {
                    id = rest;
                }
                break;
            }
        }
        let (Some(input), Some(output)) = (per_mtok(v, "input_cost_per_token"), per_mtok(v, "output_cost_per_token"))
        else {
            out.skipped.push((key.clone(), "no per-token price".into()));
            continue;
        };
        let Some(context) = limit(v, "max_input_tokens").or_else(|| limit(v, "max_tokens")) else {
            out.skipped.push((key.clone(), "no context length".into()));
            continue;
        };
        let max_output = limit(v, "max_output_tokens").or_else(|| limit(v, "max_tokens")).unwrap_or(context);
        let cached = per_mtok(v, "cache_read_input_token_cost");
        // A dated snapshot with its model's prices is an alias of it.
        let undated = strip_date_suffix(id);
        if undated.len() < id.len() {
            if let Some(&i) = by_id.get(&undated.to_ascii_lowercase()) {
                let m = &mut out.models[i];
                if m.provider == provider && m.input_per_mtok == input && m.output_per_mtok == output {
                    if !m.aliases.iter().any(|a| a.eq_ignore_ascii_case(id)) {
                        m.aliases.push(id.to_string());
                    }
                    continue;
                }
            }
        }
        let long = long_context(v);
        let schema = flag(v, "supports_response_schema");
        let mut m = ModelSpec {
            id: id.to_string(),
            api_id: None,
            provider: provider.to_string(),
            tier: tier_for_price(input, output),
            input_per_mtok: input,
            output_per_mtok: output,
            cached_input_per_mtok: cached,
            cache_write_per_mtok: per_mtok(v, "cache_creation_input_token_cost").filter(|&w| w > input),
            context_window: context,
            max_output,
            tools: flag(v, "supports_function_calling"),
            vision: flag(v, "supports_vision"),
            json_mode: schema || flag(v, "supports_json_mode"),
            json_schema: schema,
            reasoning: flag(v, "supports_reasoning"),
            long_context_threshold: long.map(|l| l.0),
            long_input_per_mtok: long.map(|l| l.1),
            long_output_per_mtok: long.and_then(|l| l.2),
            long_cached_input_per_mtok: long.and_then(|l| l.3),
            quality: None,
            deprecated: None,
            shutdown: v.get("deprecation_date").and_then(Value::as_str).map(str::to_string),
            successor: None,
            aliases: Vec::new(),
        };
        // The catalog's entry for this provider's model (by wire id, then by id); an id
        // another provider already uses gets this provider's name in front (Groq and
        // Together both serve `openai/gpt-oss-120b`).
        let known = base
            .models()
            .iter()
            .find(|k| k.provider == provider && k.wire_id().eq_ignore_ascii_case(id))
            .or_else(|| base.model_by_id(id).map(|i| base.model(i)).filter(|k| k.provider == provider));
        let taken = |name: &str| {
            base.model_by_id(name).is_some_and(|i| base.model(i).provider != provider)
                || by_id.get(&name.to_ascii_lowercase()).is_some_and(|&i| out.models[i].provider != provider)
        };
        if known.is_none() && taken(id) {
            m.id = format!("{provider}/{id}");
            m.api_id = Some(id.to_string());
        }
        // What LiteLLM does not know comes from the catalog.
        if let Some(known) = known {
            m.id = known.id.clone();
            m.tier = known.tier;
            m.quality = known.quality;
            m.successor = known.successor.clone();
            m.api_id = known.api_id.clone();
            m.deprecated = known.deprecated.clone();
            m.shutdown = m.shutdown.or_else(|| known.shutdown.clone());
            m.aliases = known.aliases.clone();
        }
        by_id.insert(m.id.to_ascii_lowercase(), out.models.len());
        out.models.push(m);
    }
    Ok(out)
}

/// What applying `imported` over `base` would change.
pub fn diff(base: &Catalog, imported: &[ModelSpec]) -> Vec<Change> {
    let mut changes = Vec::new();
    let fmt_opt = |x: &Option<f64>| x.map_or("-".to_string(), |v| format!("{v}"));
    for m in imported {
        let Some(old) = base.model_by_id(&m.id).map(|i| base.model(i)) else {
            changes.push(Change::Added(m.id.clone()));
            continue;
        };
        let mut field = |field: &'static str, before: String, after: String| {
            if before != after {
                changes.push(Change::Changed { id: m.id.clone(), field, before, after });
            }
        };
        field("input_per_mtok", format!("{}", old.input_per_mtok), format!("{}", m.input_per_mtok));
        field("output_per_mtok", format!("{}", old.output_per_mtok), format!("{}", m.output_per_mtok));
        field("cached_input_per_mtok", fmt_opt(&old.cached_input_per_mtok), fmt_opt(&m.cached_input_per_mtok));
        field("context_window", old.context_window.to_string(), m.context_window.to_string());
        field("max_output", old.max_output.to_string(), m.max_output.to_string());
        field("shutdown", old.shutdown.clone().unwrap_or("-".into()), m.shutdown.clone().unwrap_or("-".into()));
        for (name, a, b) in [
            ("tools", old.tools, m.tools),
            ("vision", old.vision, m.vision),
            ("json_schema", old.json_schema, m.json_schema),
            ("reasoning", old.reasoning, m.reasoning),
        ] {
            field(name, a.to_string(), b.to_string());
        }
    }
    changes
}

/// The imported models as a catalog file (`[[model]]` entries) to merge at run time.
pub fn to_toml(models: &[ModelSpec], prices_as_of: Option<&str>) -> Result<String> {
    #[derive(serde::Serialize)]
    struct File<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        prices_as_of: Option<&'a str>,
        model: &'a [ModelSpec],
    }
    toml::to_string(&File { prices_as_of, model: models }).map_err(|e| Error::Config(format!("catalog: {e}")))
}
