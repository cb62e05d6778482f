//! The per-request usage record: what was asked, who answered, what it cost.
//!
//! A record never holds the prompt, the answer, an API key or a header, so it can be
//! logged, exported and uploaded without leaking anything a user typed.

use serde::{Deserialize, Serialize};

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
}

impl UsageRecord {
    /// Money saved by routing: baseline minus actual. Kept raw (it can be negative when
    /// a failover landed on a pricier model); clamp only for display.
    pub fn saved_usd(&self) -> f64 {
        self.baseline_cost_usd - self.cost_usd
    }

    /// The routing bucket this request counts in: `"cache"`, a tier name, or
    /// `"passthrough"` when it was sent to the requested model without routing.
    pub fn routing_class(&self) -> &'static str {
        if self.cache_hit {
            "cache"
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

/// The class of a failure, without its message (messages can echo request content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    InvalidRequest,
    Authentication,
    PermissionDenied,
    NotFound,
    BadRequest,
    RateLimited,
    Timeout,
    Connection,
    Provider,
    NoEligibleModel,
    StreamInterrupted,
}

impl ErrorKind {
    /// Every kind, in declaration order (the index order of per-kind counters).
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::BadRequest,
        ErrorKind::RateLimited,
        ErrorKind::Timeout,
        ErrorKind::Connection,
        ErrorKind::Provider,
        ErrorKind::NoEligibleModel,
        ErrorKind::StreamInterrupted,
    ];

    /// The snake_case name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connection => "connection",
            ErrorKind::Provider => "provider",
            ErrorKind::NoEligibleModel => "no_eligible_model",
            ErrorKind::StreamInterrupted => "stream_interrupted",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Maps the library error to its kind so the client records failures in one line. A
/// stream cut mid-answer is a `Provider` error in [`crate::Error`]; the client records
/// it as [`ErrorKind::StreamInterrupted`] itself, since only it knows the stream had started.
impl From<&crate::Error> for ErrorKind {
    fn from(e: &crate::Error) -> Self {
        use crate::Error;
        match e {
            // A bad configuration surfaces per request as a request the library refuses.
            Error::InvalidRequest { .. } | Error::Config(_) => ErrorKind::InvalidRequest,
            Error::NoEligibleModel(_) => ErrorKind::NoEligibleModel,
            Error::Authentication { .. } => ErrorKind::Authentication,
            Error::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::BadRequest { .. } => ErrorKind::BadRequest,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Connection { .. } => ErrorKind::Connection,
            Error::Provider { .. } => ErrorKind::Provider,
            Error::StreamInterrupted { .. } => ErrorKind::StreamInterrupted,
        }
    }
}
