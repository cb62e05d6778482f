//! Running aggregates: updated once per record, merged across shards on read. Their size
//! depends on how many tenants, models and providers were seen, never on traffic.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::histogram::LatencyHistogram;
use super::record::{ErrorKind, UsageRecord};
use crate::types::{CacheStatus, Tier};

/// What routing saved against always calling the requested model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Savings {
    pub requests: u64,
    /// Requests that failed in the end (after any failover).
    pub errors: u64,
    pub cache_hits: u64,
    /// What the requested models would have cost.
    pub baseline_cost_usd: f64,
    /// What was actually spent.
    pub actual_cost_usd: f64,
    /// `baseline - actual`; negative if failovers cost more than they saved.
    pub saved_usd: f64,
    /// `saved / baseline * 100`, 0 when the baseline is 0.
    pub savings_pct: f64,
}

/// How many requests went to each tier, the cache, or straight to the requested model,
/// so users can see where the router sends their traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Routing {
    pub economy: u64,
    pub standard: u64,
    pub premium: u64,
    pub cache: u64,
    pub passthrough: u64,
}

/// [`Routing`] as fractions of all requests (each `0.0..=1.0`, summing to 1 when any).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RoutingShares {
    pub economy: f64,
    pub standard: f64,
    pub premium: f64,
    pub cache: f64,
    pub passthrough: f64,
}

impl Routing {
    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.economy + self.standard + self.premium + self.cache + self.passthrough
    }

    /// The distribution as fractions, all 0 when nothing was recorded.
    pub fn shares(&self) -> RoutingShares {
        let total = self.total();
        if total == 0 {
            return RoutingShares::default();
        }
        let f = |n: u64| n as f64 / total as f64;
        RoutingShares {
            economy: f(self.economy),
            standard: f(self.standard),
            premium: f(self.premium),
            cache: f(self.cache),
            passthrough: f(self.passthrough),
        }
    }

    fn add(&mut self, rec: &UsageRecord) {
        let slot = if rec.cache_hit {
            &mut self.cache
        } else {
            match rec.tier {
                Some(Tier::Economy) => &mut self.economy,
                Some(Tier::Standard) => &mut self.standard,
                Some(Tier::Premium) => &mut self.premium,
                None => &mut self.passthrough,
            }
        };
        *slot += 1;
    }

    fn merge(&mut self, o: &Routing) {
        self.economy += o.economy;
        self.standard += o.standard;
        self.premium += o.premium;
        self.cache += o.cache;
        self.passthrough += o.passthrough;
    }
}

/// What Stage 0 (the cache) did: hits per layer, misses, bypasses, and what hits saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct CacheStats {
    pub exact_hits: u64,
    pub semantic_hits: u64,
    pub misses: u64,
    /// Requests the rules kept away from the cache (`n > 1`, tool results, high
    /// temperature, `cache: false`).
    pub bypasses: u64,
    /// Hits / (hits + misses); 0 before any lookup.
    pub hit_rate: f64,
    /// The baseline cost of every answer served from the cache (hits cost nothing).
    pub saved_usd: f64,
}

impl CacheStats {
    fn add(&mut self, rec: &UsageRecord) {
        match rec.cache {
            Some(CacheStatus::Exact) => self.exact_hits += 1,
            Some(CacheStatus::Semantic) => self.semantic_hits += 1,
            Some(CacheStatus::Miss) => self.misses += 1,
            Some(CacheStatus::Bypass) => self.bypasses += 1,
            None => {}
        }
        if rec.cache_hit {
            self.saved_usd += rec.saved_usd();
        }
    }

    fn merge(&mut self, o: &CacheStats) {
        self.exact_hits += o.exact_hits;
        self.semantic_hits += o.semantic_hits;
        self.misses += o.misses;
        self.bypasses += o.bypasses;
        self.saved_usd += o.saved_usd;
    }

    fn with_rate(mut self) -> Self {
        let hits = self.exact_hits + self.semantic_hits;
        let looked = hits + self.misses;
        self.hit_rate = if looked == 0 { 0.0 } else { hits as f64 / looked as f64 };
        self
    }
}

/// Traffic and spend per answering model (and its provider), for per-model analytics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelStats {
    pub model: String,
    pub provider: String,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
    pub baseline_cost_usd: f64,
}

/// Health of one provider from every call made to it, failed failover steps included.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProviderStats {
    pub provider: String,
    /// Calls made to this provider.
    pub attempts: u64,
    /// Calls that returned an answer.
    pub successes: u64,
    /// Failed calls by kind (only kinds that occurred), e.g. `{"rate_limited": 3}`.
    pub errors: BTreeMap<ErrorKind, u64>,
    /// Failed calls after which the request moved on to another candidate.
    pub failovers: u64,
    /// Latency percentiles over successful calls (failed ones mostly measure timeouts);
    /// 0 when there were none. Within about 2.5% (log-spaced histogram).
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
}

#[derive(Debug, Clone, Default)]
struct ModelAcc {
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost_usd: f64,
    baseline_cost_usd: f64,
}

impl ModelAcc {
    fn merge(&mut self, o: &ModelAcc) {
        self.requests += o.requests;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.cost_usd += o.cost_usd;
        self.baseline_cost_usd += o.baseline_cost_usd;
    }
}

#[derive(Debug, Clone, Default)]
struct ProviderAcc {
    attempts: u64,
    successes: u64,
    failovers: u64,
    errors: [u64; ErrorKind::ALL.len()],
    latency: LatencyHistogram,
}

impl ProviderAcc {
    fn merge(&mut self, o: &ProviderAcc) {
        self.attempts += o.attempts;
        self.successes += o.successes;
        self.failovers += o.failovers;
        for (a, b) in self.errors.iter_mut().zip(o.errors) {
            *a += b;
        }
        self.latency.merge(&o.latency);
    }
}

/// All aggregates of one tenant (or of everything, after merging).
#[derive(Debug, Clone, Default)]
pub(crate) struct Aggregate {
    requests: u64,
    errors: u64,
    cache_hits: u64,
    baseline_cost_usd: f64,
    actual_cost_usd: f64,
    routing: Routing,
    cache: CacheStats,
    /// model -> provider -> totals; nested so lookups borrow the record's strings.
    models: HashMap<String, HashMap<String, ModelAcc>>,
    providers: HashMap<String, ProviderAcc>,
}

/// Get or insert by `&str` without allocating when the key is already there.
fn entry<'a, V: Default>(map: &'a mut HashMap<String, V>, key: &str) -> &'a mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

impl Aggregate {
    pub(crate) fn add(&mut self, rec: &UsageRecord) {
        self.requests += 1;
        self.errors += u64::from(rec.error.is_some());
        self.cache_hits += u64::from(rec.cache_hit);
        self.baseline_cost_usd += rec.baseline_cost_usd;
        self.actual_cost_usd += rec.cost_usd;
        self.cache.add(rec);
        // The routing mix and per-model analytics describe answers (a stream cut midway
        // still cost its tokens); requests that got none show up in `errors` and in the
        // providers' health.
        if rec.error.is_none() || rec.error == Some(ErrorKind::StreamInterrupted) {
            self.routing.add(rec);
            let m = entry(entry(&mut self.models, &rec.model), &rec.provider);
            m.requests += 1;
            m.prompt_tokens += rec.prompt_tokens;
            m.completion_tokens += rec.completion_tokens;
            m.cost_usd += rec.cost_usd;
            m.baseline_cost_usd += rec.baseline_cost_usd;
        }

        let last = rec.attempts.len().saturating_sub(1);
        for (i, a) in rec.attempts.iter().enumerate() {
            let p = entry(&mut self.providers, &a.provider);
            p.attempts += 1;
            match a.error {
                None => {
                    p.successes += 1;
                    p.latency.record(a.latency_ms);
                }
                Some(kind) => {
                    p.errors[kind.index()] += 1;
                    p.failovers += u64::from(i < last);
                }
            }
        }
    }

    pub(crate) fn merge(&mut self, o: &Aggregate) {
        self.requests += o.requests;
        self.errors += o.errors;
        self.cache_hits += o.cache_hits;
        self.baseline_cost_usd += o.baseline_cost_usd;
        self.actual_cost_usd += o.actual_cost_usd;
        self.routing.merge(&o.routing);
        self.cache.merge(&o.cache);
        for (model, by_provider) in &o.models {
            let mine = entry(&mut self.models, model);
            for (provider, acc) in by_provider {
                entry(mine, provider).merge(acc);
            }
        }
        for (provider, acc) in &o.providers {
            entry(&mut self.providers, provider).merge(acc);
        }
    }

    pub(crate) fn savings(&self) -> Savings {
        let saved = self.baseline_cost_usd - self.actual_cost_usd;
        Savings {
            requests: self.requests,
            errors: self.errors,
            cache_hits: self.cache_hits,
            baseline_cost_usd: self.baseline_cost_usd,
            actual_cost_usd: self.actual_cost_usd,
            saved_usd: saved,
            savings_pct: if self.baseline_cost_usd > 0.0 { saved / self.baseline_cost_usd * 100.0 } else { 0.0 },
        }
    }

    pub(crate) fn routing(&self) -> Routing {
        self.routing
    }

    pub(crate) fn cache(&self) -> CacheStats {
        self.cache.with_rate()
    }

    /// Per-model stats, busiest first (ties: higher cost, then name, for a stable order).
    pub(crate) fn models(&self) -> Vec<ModelStats> {
        let mut out: Vec<ModelStats> = self
            .models
            .iter()
            .flat_map(|(model, by_provider)| {
                by_provider.iter().map(move |(provider, a)| ModelStats {
                    model: model.clone(),
                    provider: provider.clone(),
                    requests: a.requests,
                    prompt_tokens: a.prompt_tokens,
                    completion_tokens: a.completion_tokens,
                    cost_usd: a.cost_usd,
                    baseline_cost_usd: a.baseline_cost_usd,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.requests
                .cmp(&a.requests)
                .then(b.cost_usd.total_cmp(&a.cost_usd))
                .then_with(|| a.model.cmp(&b.model))
                .then_with(|| a.provider.cmp(&b.provider))
        });
        out
    }

    /// Per-provider stats, most attempts first (ties by name).
    pub(crate) fn providers(&self) -> Vec<ProviderStats> {
        let mut out: Vec<ProviderStats> = self
            .providers
            .iter()
            .map(|(provider, p)| ProviderStats {
                provider: provider.clone(),
                attempts: p.attempts,
                successes: p.successes,
                errors: ErrorKind::ALL.iter().zip(p.errors).filter(|&(_, n)| n > 0).map(|(&k, n)| (k, n)).collect(),
                failovers: p.failovers,
                latency_p50_ms: p.latency.quantile(0.50),
                latency_p95_ms: p.latency.quantile(0.95),
                latency_p99_ms: p.latency.quantile(0.99),
            })
            .collect();
        out.sort_by(|a, b| b.attempts.cmp(&a.attempts).then_with(|| a.provider.cmp(&b.provider)));
        out
    }
}
