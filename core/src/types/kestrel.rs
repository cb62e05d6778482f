//! Kestrel's own vocabulary, shared by the router, the cache, the catalog and the usage
//! ledger: tiers, scores, the per-request `kestrel` options, what the cache did, and the
//! metadata a response carries. It sits at the bottom of the crate so those modules can
//! all speak it without importing one another.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Quality class of a model, and of the model a request needs. Ordered by capability
/// (and, as a rule, price): `Economy < Standard < Premium`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Economy,
    Standard,
    Premium,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Economy, Tier::Standard, Tier::Premium];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Economy => "economy",
            Tier::Standard => "standard",
            Tier::Premium => "premium",
        }
    }

    /// One tier up, saturating at Premium.
    pub fn up(self) -> Tier {
        match self {
            Tier::Economy => Tier::Standard,
            _ => Tier::Premium,
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// From its name in any case (`"economy"`, `"Premium"`), as every binding passes it.
impl<'de> Deserialize<'de> for Tier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|_| serde::de::Error::custom(format!("unknown tier `{s}` (economy, standard, premium)")))
    }
}

impl std::str::FromStr for Tier {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Tier> {
        match s.to_ascii_lowercase().as_str() {
            "economy" | "e" => Ok(Tier::Economy),
            "standard" | "s" => Ok(Tier::Standard),
            "premium" | "p" => Ok(Tier::Premium),
            _ => Err(crate::Error::Config(format!("unknown tier `{s}` (economy, standard, premium)"))),
        }
    }
}

/// The five dimensions, each 1 (low) to 5 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// How many careful steps the answer takes.
    pub reasoning: u8,
    /// How long and structured the answer must be.
    pub output_complexity: u8,
    /// How much specialist knowledge it takes.
    pub domain_specificity: u8,
    /// How many precise constraints on form and content it must honour.
    pub instruction_nuance: u8,
    /// How costly a mistake is: 5 = no tolerance for error.
    pub error_tolerance: u8,
}

/// Per-request overrides, sent in the request body as `"kestrel": {...}` (Python
/// `extra_body`, or the `kestrel=` argument) and stripped before the provider sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<Tier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_providers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_providers: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_confidence: Option<f32>,
    /// Tenant for usage accounting (and cache namespacing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// `false` skips the cache for this request; `"refresh"` skips the lookup but stores
    /// the fresh answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheSwitch>,
}

/// Which layer answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheLayer {
    Exact,
    Semantic,
}

impl CacheLayer {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheLayer::Exact => "exact",
            CacheLayer::Semantic => "semantic",
        }
    }
}

/// What Stage 0 did with a request, for the usage ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheStatus {
    /// Answered by the exact layer.
    Exact,
    /// Answered by the semantic layer.
    Semantic,
    /// Looked up, not found (or `"refresh"`): the answer is stored for next time.
    Miss,
    /// Not cacheable by the rules (`n > 1`, tool results, high temperature, `cache: false`).
    Bypass,
}

/// The per-request switch, `"kestrel": {"cache": false | true | "refresh"}`: off for this
/// request, on (the default), or skip the lookup and store a fresh answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CacheSwitch {
    On(bool),
    Refresh(RefreshTag),
}

/// The string `"refresh"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshTag {
    #[serde(rename = "refresh")]
    Refresh,
}

/// Kestrel's account of one request: what was asked, where it went, why, and what it
/// cost compared with sending it where it was asked to go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KestrelMeta {
    pub requested_model: String,
    pub model: String,
    pub provider: String,
    pub tier: Option<Tier>,
    pub scores: Option<Scores>,
    pub confidence: Option<f32>,
    pub reasons: Vec<String>,
    pub cost_usd: f64,
    pub baseline_cost_usd: f64,
    pub saved_usd: f64,
    pub cache_hit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_layer: Option<String>,
    pub attempts: u32,
    pub latency_ms: f64,
}
