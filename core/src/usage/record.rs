//! The per-request usage record: what was asked, who answered, what it cost.
//!
//! A record never holds the prompt, the answer, an API key or a header, so it can be
//! logged, exported and uploaded without leaking anything a user typed.

use serde::{Deserialize, Serialize};

pub use crate::error::ErrorKind;

use crate::types::{CacheStatus, Tier};

/// One request as the ledger sees it. The client fills every field except `seq`, which
/// the ledger assigns so records have one total order across threads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Position in the ledger, assigned by [`Ledger::record`](super::Ledger::record); 0 until then.
    pub seq: u64,
    /// When the request started, unix milliseconds.
    pub timestamp_ms: u64,
    /// Tenant namespace, when the caller uses one (absent from the JSON otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// The model the caller asked for (the routing ceiling and the cost baseline).
    pub requested_model: String,
    /// The model that answered, or the one tried last if the request failed.
    pub model: String,
    /// Provider of `model`.
    pub provider: String,
    /// The tier the router chose; `None` when the request was not routed.
    pub tier: Option<Tier>,
    /// Answered from the cache, without a provider call.
    pub cache_hit: bool,
    /// What the cache did (`None` when the client has no cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheStatus>,
    /// The caller asked for a stream.
    pub stream: bool,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Prompt tokens the provider served from its own prompt cache.
    pub cached_tokens: u64,
    /// What the request actually cost.
    pub cost_usd: f64,
    /// What the requested model would have cost for the same tokens.
    pub baseline_cost_usd: f64,
    /// Wall time of the whole request, failovers included.
    pub latency_ms: f64,
    /// Every provider call made, in order; empty for a cache hit.
    pub attempts: Vec<Attempt>,
    /// The final error when the request failed.
    pub error: Option<ErrorKind>,
    /// The API a call passed through unrouted went to (`embeddings`, `images.generate`,
    /// `audio.speech`, ...); absent for chat and responses, which are routed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

impl UsageRecord {
    /// Money saved by routing: baseline minus actual. Kept raw (it can be negative when
    /// a failover landed on a pricier model); clamp only for display.
    pub fn saved_usd(&self) -> f64 {
        self.baseline_cost_usd - self.cost_usd
    }

    /// The routing bucket this request counts in: `"cache"`, a tier name,
    /// `"passthrough"` when a chat request was sent to the requested model without
    /// routing, or `"endpoint"` for the other APIs (embeddings, images, ...).
    pub fn routing_class(&self) -> &'static str {
        if self.cache_hit {
            "cache"
        } else if self.endpoint.is_some() {
            "endpoint"
        } else if let Some(tier) = self.tier {
            tier.as_str()
        } else {
            "passthrough"
        }
    }
}

/// One provider call within a request, so failovers and provider health can be counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    pub latency_ms: f64,
    /// Why this call failed; `None` when it succeeded.
    pub error: Option<ErrorKind>,
    /// The HTTP status the provider answered a failed call with, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}
