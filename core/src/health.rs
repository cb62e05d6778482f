//! Health, kept where each fault lives, so one fault never takes more out of service than
//! it speaks for:
//! - a provider's key: a circuit breaker per provider (and key: rotating the key resets
//!   it) counts outages (5xx, timeouts, broken connections), one per request however many
//!   attempts it made; after repeated ones the provider stops standing in for other models
//!   until a probe succeeds. A 401/403 marks the key rejected until it is replaced.
//! - a model: a 429 is back-pressure, not an outage: the model sits out the `Retry-After`
//!   (`Cooldowns`). A 404 about the model (`model_not_found`, an unknown deployment, a
//!   message naming the model) retires it (`Retired`) for the client's lifetime: the
//!   provider no longer serves it. A bare 404 is about the URL and counts as an outage.
//!
//! None of this ever keeps a request from its requested model: that one is always tried, as
//! the official SDK would, so its own answer or error is what the caller gets.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;

/// When a circuit opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit keeps the provider out before a probe.
    pub cooldown: Duration,
    /// Longest `Retry-After` honoured: a rate-limited model sits out at most this long.
    pub max_retry_after: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            cooldown: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

/// A circuit's state as the usage API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CircuitState {
    /// Healthy: a candidate.
    Closed,
    /// Failing: not a candidate until the cool-down ends.
    Open,
    /// Cool-down over: the next request probes it.
    HalfOpen,
}

/// One provider's health, for `client.health()` and the dashboard views.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderHealth {
    pub provider: String,
    /// A key (or a keyless local endpoint) is configured and an implementation exists.
    pub configured: bool,
    pub state: CircuitState,
    pub consecutive_failures: u32,
    /// Milliseconds until an open circuit admits a probe.
    pub retry_in_ms: Option<u64>,
    /// The provider refused the key (401/403): no substitute goes there until the key is
    /// replaced (`set_api_key`).
    pub key_rejected: bool,
    /// Models the provider said do not exist (404 `model_not_found`), no longer routed to.
    pub retired_models: Vec<String>,
}

/// Outages of one provider (and key), as a circuit.
///
/// Lock-free: the router reads it for every request, so no mutex.
#[derive(Debug)]
pub(crate) struct Breaker {
    failures: AtomicU32,
    /// Milliseconds since `epoch` until which the circuit is open; 0 = closed.
    open_until: AtomicU64,
    probing: AtomicBool,
}

impl Breaker {
    pub(crate) fn new() -> Self {
        Breaker { failures: AtomicU32::new(0), open_until: AtomicU64::new(0), probing: AtomicBool::new(false) }
    }

    /// Whether the router may plan with this provider now.
    pub(crate) fn available(&self, now_ms: u64) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        until == 0 || (now_ms >= until && !self.probing.load(Ordering::Acquire))
    }

    /// Claims the right to send a request: always when closed; once (the probe) when the
    /// cool-down is over.
    pub(crate) fn acquire(&self, now_ms: u64) -> bool {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return true;
        }
        now_ms >= until && self.probing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    pub(crate) fn success(&self) {
        self.failures.store(0, Ordering::Release);
        self.open_until.store(0, Ordering::Release);
        self.probing.store(false, Ordering::Release);
    }

    /// Records a failure that speaks to the provider's health (not a 4xx request error).
    pub(crate) fn failure(&self, now_ms: u64, cfg: &BreakerConfig) {
        let failures = self.failures.fetch_add(1, Ordering::AcqRel) + 1;
        let was_probe = self.probing.swap(false, Ordering::AcqRel);
        if was_probe || failures >= cfg.failure_threshold {
            let until = now_ms + cfg.cooldown.as_millis() as u64;
            self.open_until.store(until.max(1), Ordering::Release);
        }
    }

    /// Releases a probe claim without a verdict (e.g. the caller's request was invalid).
    pub(crate) fn release(&self) {
        self.probing.store(false, Ordering::Release);
    }

    pub(crate) fn snapshot(&self, now_ms: u64) -> (CircuitState, u32, Option<u64>) {
        let until = self.open_until.load(Ordering::Acquire);
        let failures = self.failures.load(Ordering::Acquire);
        if until == 0 {
            (CircuitState::Closed, failures, None)
        } else if now_ms < until {
            (CircuitState::Open, failures, Some(until - now_ms))
        } else {
            (CircuitState::HalfOpen, failures, Some(0))
        }
    }
}

/// Per-model "rate limited until" times, indexed like the catalog's models.
#[derive(Debug)]
pub(crate) struct Cooldowns(Vec<AtomicU64>);

impl Cooldowns {
    pub(crate) fn new(models: usize) -> Self {
        Cooldowns((0..models).map(|_| AtomicU64::new(0)).collect())
    }

    pub(crate) fn cooling(&self, model: usize, now_ms: u64) -> bool {
        self.0.get(model).is_some_and(|t| t.load(Ordering::Acquire) > now_ms)
    }

    /// The provider asked to wait `wait` before calling this model again.
    pub(crate) fn hold(&self, model: usize, now_ms: u64, wait: Duration, cfg: &BreakerConfig) {
        if let Some(t) = self.0.get(model) {
            t.fetch_max(now_ms + wait.min(cfg.max_retry_after).as_millis() as u64, Ordering::AcqRel);
        }
    }
}

/// Everything the client knows of provider, key and model health, indexed like the
/// catalog's providers and models. Lock-free: read on every request.
#[derive(Debug)]
pub(crate) struct Health {
    breakers: Vec<Breaker>,
    key_rejected: Vec<AtomicBool>,
    cooldowns: Cooldowns,
    retired: Retired,
    /// Catalog models the provider's model listing did not offer this key (discovery).
    unlisted: Retired,
    config: BreakerConfig,
    clock: Clock,
}

/// The providers whose outage one request already counted (a request counts once).
#[derive(Debug, Default)]
pub(crate) struct Counted(u64);

impl Health {
    pub(crate) fn new(providers: usize, models: usize, config: BreakerConfig) -> Self {
        Health {
            breakers: (0..providers).map(|_| Breaker::new()).collect(),
            key_rejected: (0..providers).map(|_| AtomicBool::new(false)).collect(),
            cooldowns: Cooldowns::new(models),
            retired: Retired::new(models),
            unlisted: Retired::new(models),
            config,
            clock: Clock::new(),
        }
    }

    /// May `provider` stand in for another's model now: circuit closed (or due a probe)
    /// and its key not rejected.
    pub(crate) fn serves_substitutes(&self, provider: usize) -> bool {
        !self.key_rejected[provider].load(Ordering::Acquire) && self.breakers[provider].available(self.clock.now_ms())
    }

    /// May `model` stand in for another now: not retired, offered to the key (when
    /// discovery ran), not rate limited.
    pub(crate) fn model_usable(&self, model: usize) -> bool {
        !self.retired.contains(model)
            && !self.unlisted.contains(model)
            && !self.cooldowns.cooling(model, self.clock.now_ms())
    }

    /// Whether the provider's model listing left `model` out for the current key.
    pub(crate) fn set_unlisted(&self, model: usize, unlisted: bool) {
        self.unlisted.set(model, unlisted);
    }

    /// Claims a substitute attempt on `provider` (the probe, when its circuit is half open).
    pub(crate) fn acquire(&self, provider: usize) -> bool {
        self.serves_substitutes(provider) && self.breakers[provider].acquire(self.clock.now_ms())
    }

    pub(crate) fn success(&self, provider: usize) {
        self.breakers[provider].success();
    }

    /// Learns from a failed attempt at `model` (a catalog model, when known) on `provider`.
    /// True when it newly rejected the key or retired the model, which deserves a warning.
    pub(crate) fn failure(&self, provider: usize, model: Option<usize>, e: &Error, counted: &mut Counted) -> bool {
        let now = self.clock.now_ms();
        let breaker = &self.breakers[provider];
        match e {
            Error::Authentication { .. } | Error::PermissionDenied { .. } => {
                breaker.release();
                return !self.key_rejected[provider].swap(true, Ordering::AcqRel);
            }
            Error::NotFound { .. } if e.is_unknown_model() => {
                breaker.release();
                return model.is_some_and(|m| self.retired.insert(m));
            }
            Error::RateLimited { retry_after, .. } => {
                if let (Some(m), Some(wait)) = (model, retry_after) {
                    self.cooldowns.hold(m, now, *wait, &self.config);
                }
                breaker.release();
            }
            // A 404 about the URL, not the model (see above) is an outage of that endpoint.
            Error::NotFound { .. } | Error::Timeout { .. } | Error::Connection { .. } | Error::Provider { .. } => {
                let bit = 1u64 << (provider % 64);
                if counted.0 & bit == 0 {
                    counted.0 |= bit;
                    breaker.failure(now, &self.config);
                } else {
                    breaker.release();
                }
            }
            _ => breaker.release(),
        }
        false
    }

    /// A new key or base URL for `provider`: a fresh verdict.
    pub(crate) fn reset(&self, provider: usize) {
        self.breakers[provider].success();
        self.key_rejected[provider].store(false, Ordering::Release);
    }

    /// `(state, consecutive failures, ms until a probe, key rejected)` for `provider`.
    pub(crate) fn snapshot(&self, provider: usize) -> (CircuitState, u32, Option<u64>, bool) {
        let (state, failures, retry) = self.breakers[provider].snapshot(self.clock.now_ms());
        (state, failures, retry, self.key_rejected[provider].load(Ordering::Acquire))
    }

    pub(crate) fn retired(&self, model: usize) -> bool {
        self.retired.contains(model)
    }
}

/// Models a provider answered 404 `model_not_found` for, indexed like the catalog's models.
#[derive(Debug)]
pub(crate) struct Retired(Vec<AtomicBool>);

impl Retired {
    pub(crate) fn new(models: usize) -> Self {
        Retired((0..models).map(|_| AtomicBool::new(false)).collect())
    }

    pub(crate) fn contains(&self, model: usize) -> bool {
        self.0.get(model).is_some_and(|r| r.load(Ordering::Acquire))
    }

    /// Retires `model`; true the first time.
    pub(crate) fn insert(&self, model: usize) -> bool {
        self.0.get(model).is_some_and(|r| !r.swap(true, Ordering::AcqRel))
    }

    pub(crate) fn set(&self, model: usize, on: bool) {
        if let Some(r) = self.0.get(model) {
            r.store(on, Ordering::Release);
        }
    }
}

/// A monotonic millisecond clock for the breakers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock(Instant);

impl Clock {
    pub(crate) fn new() -> Self {
        Clock(Instant::now())
    }

    /// Milliseconds since the clock started, plus one so that 0 can mean "closed".
    pub(crate) fn now_ms(&self) -> u64 {
        self.0.elapsed().as_millis() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_and_probes_once_after_cooldown() {
        let cfg = BreakerConfig { failure_threshold: 3, cooldown: Duration::from_millis(100), ..Default::default() };
        let b = Breaker::new();
        for _ in 0..2 {
            b.failure(10, &cfg);
        }
        assert!(b.available(10));
        b.failure(10, &cfg);
        assert!(!b.available(50) && !b.acquire(50));
        assert_eq!(b.snapshot(50).0, CircuitState::Open);
        assert!(b.available(111));
        assert!(b.acquire(111), "one probe");
        assert!(!b.acquire(111), "only one probe at a time");
        b.failure(111, &cfg);
        assert!(!b.available(150), "a failed probe reopens");
        assert!(b.acquire(212));
        b.success();
        assert_eq!(b.snapshot(212), (CircuitState::Closed, 0, None));
    }

    #[test]
    fn cooldowns_hold_a_model_for_the_wait() {
        let cfg = BreakerConfig::default();
        let c = Cooldowns::new(3);
        c.hold(1, 1000, Duration::from_secs(2), &cfg);
        assert!(c.cooling(1, 2999) && !c.cooling(1, 3001) && !c.cooling(0, 1500));
        c.hold(2, 0, Duration::from_secs(3600), &cfg);
        assert!(!c.cooling(2, 301_000), "capped at max_retry_after");
    }
}
