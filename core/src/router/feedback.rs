//! Learning from outcomes: per tenant and request category, a Beta posterior over how
//! often answers below premium fail. A category whose answers keep failing is served one
//! tier higher until good outcomes bring its failure rate back down.
//!
//! The algorithm, per (tenant, category):
//! - start from a Beta(1, 3) prior on the failure rate (about one in four: failures must
//!   outnumber that before anything moves);
//! - each outcome first discounts the old evidence by [`FORGET`] (so the state reflects
//!   roughly the last twenty outcomes and can change its mind), then adds a bad outcome to
//!   α, a good one to β, a score `s` in 0..1 as `1 - s` to α and `s` to β;
//! - the category is raised one tier (never more, never above the requested model or the
//!   operator's ceiling) while the posterior mean failure rate is at least [`RAISE_AT`]
//!   with at least [`MIN_EVIDENCE`] outcomes of evidence, and released when it falls below
//!   [`RELEASE_AT`] (the gap keeps it from flapping).
//!
//! State is bounded: at most [`MAX_KEYS`] (tenant, category) pairs and [`MAX_PENDING`]
//! recent requests awaiting an outcome; beyond that, new ones are not tracked.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::analyze::{Features, Signal};
use super::Tier;

/// Kinds of request that tend to succeed or fail together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(usize)]
pub enum Category {
    Code,
    Math,
    Writing,
    Analysis,
    Specialist,
    Lookup,
    Chat,
    Other,
}

impl Category {
    pub const COUNT: usize = 8;

    pub fn name(self) -> &'static str {
        match self {
            Category::Code => "code",
            Category::Math => "math",
            Category::Writing => "writing",
            Category::Analysis => "analysis",
            Category::Specialist => "specialist",
            Category::Lookup => "lookup",
            Category::Chat => "chat",
            Category::Other => "other",
        }
    }

    /// The category of a request, from its features (first match wins).
    pub fn of(f: &Features) -> Category {
        let h = |s: Signal| f.hit(s) > 0.0;
        if f.code_in_last || (h(Signal::Technical) && h(Signal::Problem)) {
            Category::Code
        } else if h(Signal::Math) || h(Signal::Proof) {
            Category::Math
        } else if h(Signal::Domain) {
            Category::Specialist
        } else if h(Signal::Task) || h(Signal::OutputLong) {
            Category::Writing
        } else if h(Signal::ReasoningHigh) || h(Signal::ReasoningMid) {
            Category::Analysis
        } else if h(Signal::Simple) {
            Category::Lookup
        } else if h(Signal::Casual) || f.follow_up {
            Category::Chat
        } else {
            Category::Other
        }
    }
}

/// What the caller learned about an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Good,
    Bad,
    /// 0 (useless) to 1 (perfect).
    Score(f32),
}

impl Outcome {
    /// (failure, success) evidence.
    fn weights(self) -> (f32, f32) {
        match self {
            Outcome::Good => (0.0, 1.0),
            Outcome::Bad => (1.0, 0.0),
            Outcome::Score(s) => {
                let s = if s.is_finite() { s.clamp(0.0, 1.0) } else { 0.5 };
                (1.0 - s, s)
            }
        }
    }
}

pub const PRIOR_FAIL: f32 = 1.0;
pub const PRIOR_OK: f32 = 3.0;
pub const FORGET: f32 = 0.95;
pub const RAISE_AT: f32 = 0.5;
pub const RELEASE_AT: f32 = 0.3;
pub const MIN_EVIDENCE: f32 = 4.0;
pub const MAX_KEYS: usize = 10_000;
pub const MAX_PENDING: usize = 4_096;

#[derive(Debug, Clone, Copy)]
struct Posterior {
    /// Failure and success evidence beyond the prior.
    fail: f32,
    ok: f32,
    raised: bool,
}

impl Posterior {
    fn mean_failure(&self) -> f32 {
        (PRIOR_FAIL + self.fail) / (PRIOR_FAIL + PRIOR_OK + self.fail + self.ok)
    }
}

#[derive(Debug, Clone)]
struct Pending {
    tenant: String,
    category: Category,
    tier: Tier,
}

/// A category's state, for reasons and inspection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryState {
    pub category: Category,
    pub failure_rate: f32,
    pub evidence: f32,
    pub raised: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Per tenant ("" for none), per category.
    posteriors: HashMap<String, [Option<Posterior>; Category::COUNT]>,
    pending: HashMap<String, Pending>,
    order: VecDeque<String>,
}

/// Outcome memory shared by a client's requests.
#[derive(Debug, Default)]
pub struct Feedback {
    state: Mutex<State>,
    /// Categories raised right now, over all tenants: routing skips the lock while zero.
    raised: AtomicUsize,
}

impl Feedback {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remembers where request `id` was routed, so a later outcome can be attributed.
    pub fn remember(&self, id: &str, tenant: Option<&str>, category: Category, tier: Tier) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.pending.len() >= MAX_PENDING {
            if let Some(old) = st.order.pop_front() {
                st.pending.remove(&old);
            }
        }
        let p = Pending { tenant: tenant.unwrap_or("").to_string(), category, tier };
        if st.pending.insert(id.to_string(), p).is_none() {
            st.order.push_back(id.to_string());
        }
    }

    /// Records the outcome of request `id`. Returns false when the request is unknown (too
    /// old, or never routed) or routed at premium (nothing to raise).
    pub fn record(&self, id: &str, outcome: Outcome) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = st.pending.remove(id) else { return false };
        if p.tier == Tier::Premium {
            return false;
        }
        self.update(&mut st, p.tenant, p.category, outcome)
    }

    /// Records an outcome for a category directly (e.g. replayed from a usage sink).
    pub fn record_category(&self, tenant: Option<&str>, category: Category, outcome: Outcome) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.update(&mut st, tenant.unwrap_or("").to_string(), category, outcome)
    }

    fn update(&self, st: &mut State, tenant: String, category: Category, outcome: Outcome) -> bool {
        if !st.posteriors.contains_key(&tenant) && st.posteriors.len() * Category::COUNT >= MAX_KEYS {
            return false;
        }
        let slot = &mut st.posteriors.entry(tenant).or_default()[category as usize];
        let post = slot.get_or_insert(Posterior { fail: 0.0, ok: 0.0, raised: false });
        let was = post.raised;
        let (bad, good) = outcome.weights();
        post.fail = post.fail * FORGET + bad;
        post.ok = post.ok * FORGET + good;
        let m = post.mean_failure();
        if m >= RAISE_AT && post.fail + post.ok >= MIN_EVIDENCE {
            post.raised = true;
        } else if m < RELEASE_AT {
            post.raised = false;
        }
        match (was, post.raised) {
            (false, true) => {
                self.raised.fetch_add(1, Ordering::Relaxed);
            }
            (true, false) => {
                self.raised.fetch_sub(1, Ordering::Relaxed);
            }
            _ => {}
        }
        true
    }

    /// The state of `category` for `tenant`, if any outcome was recorded.
    pub fn state(&self, tenant: Option<&str>, category: Category) -> Option<CategoryState> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let p = st.posteriors.get(tenant.unwrap_or(""))?[category as usize]?;
        Some(CategoryState { category, failure_rate: p.mean_failure(), evidence: p.fail + p.ok, raised: p.raised })
    }

    /// The category's state when it is raised: the router then serves it one tier higher.
    pub fn raised(&self, tenant: Option<&str>, category: Category) -> Option<CategoryState> {
        if self.raised.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.state(tenant, category).filter(|s| s.raised)
    }
}
