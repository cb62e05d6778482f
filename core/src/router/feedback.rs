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
//!
//! Automatic signals (off by default, [`Feedback::with_automatic`]) count as bad outcomes
//! without the caller saying so: the same request sent again (a retry), an answer in JSON
//! mode that is not JSON, a tool call whose arguments are not JSON, and a `length` finish.
//! The last one seen in a category is named in its reason.
//!
//! With a state file ([`Feedback::with_state_file`]) the posteriors survive restarts: read
//! when the client starts, rewritten atomically (a temporary file renamed over it) after
//! every outcome. Requests awaiting an outcome survive too, so feedback given after a
//! restart still counts: a background thread writes them within [`FLUSH_EVERY`] of a
//! change (nothing is written at exit, so a process that stops sooner loses only the
//! requests of that last interval).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::analyze::{Features, Signal};
use super::Tier;

/// Kinds of request that tend to succeed or fail together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    pub const ALL: [Category; Category::COUNT] = [
        Category::Code,
        Category::Math,
        Category::Writing,
        Category::Analysis,
        Category::Specialist,
        Category::Lookup,
        Category::Chat,
        Category::Other,
    ];

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
    /// An outcome as the bindings pass it: `good`, `bad`, or a score from 0 to 1.
    pub fn parse(text: &str) -> crate::Result<Outcome> {
        match text.trim() {
            "good" => Ok(Outcome::Good),
            "bad" => Ok(Outcome::Bad),
            t => match t.parse::<f32>() {
                Ok(s) if (0.0..=1.0).contains(&s) => Ok(Outcome::Score(s)),
                _ => Err(crate::Error::invalid(
                    "outcome",
                    format!("`{t}` is not \"good\", \"bad\" or a score from 0 to 1"),
                )),
            },
        }
    }

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

/// A failure the client noticed by itself (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoSignal {
    /// The same request came again: the first answer was not good enough.
    Retry,
    /// JSON mode was asked for and the answer does not parse.
    InvalidJson,
    /// A tool call's arguments do not parse as JSON.
    InvalidToolArguments,
    /// The answer stopped at the token limit.
    Length,
}

impl AutoSignal {
    pub fn describe(self) -> &'static str {
        match self {
            AutoSignal::Retry => "a retried request",
            AutoSignal::InvalidJson => "a JSON-mode answer that does not parse",
            AutoSignal::InvalidToolArguments => "a tool call with invalid JSON arguments",
            AutoSignal::Length => "an answer cut at the token limit",
        }
    }

    /// The first signal in `resp` for a request that asked for `json_mode`.
    pub fn in_response(json_mode: bool, resp: &crate::types::ChatResponse) -> Option<AutoSignal> {
        let parses = |t: &str| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok();
        resp.choices.iter().find_map(|c| {
            if c.finish_reason.as_deref() == Some("length") {
                return Some(AutoSignal::Length);
            }
            let calls = c.message.tool_calls.iter().flatten();
            if calls.into_iter().any(|t| !t.function.arguments.trim().is_empty() && !parses(&t.function.arguments)) {
                return Some(AutoSignal::InvalidToolArguments);
            }
            match (&c.message.content, json_mode) {
                (Some(text), true) if !parses(text) => Some(AutoSignal::InvalidJson),
                _ => None,
            }
        })
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
/// Longest a request awaiting an outcome goes unwritten to the state file.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Posterior {
    /// Failure and success evidence beyond the prior.
    fail: f32,
    ok: f32,
    raised: bool,
    /// The last automatic signal counted here, for reasons.
    #[serde(default)]
    last_signal: Option<AutoSignal>,
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
    /// A hash of the request (model and messages) when automatic signals are on: the
    /// same hash arriving again is a retry.
    fingerprint: Option<u64>,
}

/// A category's state, for reasons and inspection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryState {
    pub category: Category,
    pub failure_rate: f32,
    pub evidence: f32,
    pub raised: bool,
    /// The last automatic signal counted in this category.
    pub last_signal: Option<AutoSignal>,
}

#[derive(Debug, Default)]
struct State {
    /// Per tenant ("" for none), per category.
    posteriors: HashMap<String, [Option<Posterior>; Category::COUNT]>,
    pending: HashMap<String, Pending>,
    order: VecDeque<String>,
    /// Request fingerprint → the id of the latest request with it (automatic signals).
    recent: HashMap<u64, String>,
    /// Pending requests changed since the state file was last written.
    dirty: bool,
    /// Snapshots taken for the state file, so an older one never overwrites a newer one.
    snapshots: u64,
}

/// What the state file holds: per tenant, per category; and the requests awaiting an
/// outcome, oldest first.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    version: u32,
    tenants: HashMap<String, HashMap<Category, Posterior>>,
    #[serde(default)]
    pending: Vec<SavedPending>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedPending {
    id: String,
    tenant: String,
    category: Category,
    tier: Tier,
}

/// The state file, and the last snapshot written to it.
#[derive(Debug)]
struct StateFile {
    path: PathBuf,
    written: Mutex<u64>,
}

impl StateFile {
    /// Writes snapshot `seq` unless a newer one is already there: a temporary file beside
    /// it renamed over it, so a crash leaves the old state or the new one, never half of
    /// one. A failed write is logged and learning goes on in memory.
    fn write(&self, seq: u64, saved: &Saved) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if seq <= *written {
            return;
        }
        match write_atomically(&self.path, saved) {
            Ok(()) => *written = seq,
            Err(e) => tracing::warn!(path = %self.path.display(), "feedback state not saved: {e}"),
        }
    }
}

/// Outcome memory shared by a client's requests.
#[derive(Debug, Default)]
pub struct Feedback {
    /// Shared with the state file's writer thread, which stops when this goes.
    state: Arc<Mutex<State>>,
    /// Categories raised right now, over all tenants: routing skips the lock while zero.
    raised: AtomicUsize,
    /// Automatic signals count (off by default).
    automatic: bool,
    /// Where the posteriors and pending requests persist, if anywhere.
    file: Option<Arc<StateFile>>,
}

impl Feedback {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts automatic signals (retries, unparsable JSON answers and tool arguments,
    /// `length` finishes) as bad outcomes.
    pub fn with_automatic(mut self, on: bool) -> Self {
        self.automatic = on;
        self
    }

    pub fn automatic(&self) -> bool {
        self.automatic
    }

    /// Persists the posteriors and pending requests in `path`, loading what it already
    /// holds. A missing file starts empty; an unreadable or malformed one is an error
    /// naming the file (so a typo does not silently forget what was learned).
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> crate::Result<Self> {
        let path = path.into();
        let saved: Saved = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| crate::Error::Config(format!("feedback state file {}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
            Err(e) => return Err(crate::Error::Config(format!("feedback state file {}: {e}", path.display()))),
        };
        {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let skip = saved.pending.len().saturating_sub(MAX_PENDING);
            for p in saved.pending.into_iter().skip(skip) {
                let pending = Pending { tenant: p.tenant, category: p.category, tier: p.tier, fingerprint: None };
                if st.pending.insert(p.id.clone(), pending).is_none() {
                    st.order.push_back(p.id);
                }
            }
            for (tenant, cats) in saved.tenants.into_iter().take(MAX_KEYS / Category::COUNT) {
                let slots = st.posteriors.entry(tenant).or_default();
                for (c, p) in cats {
                    let p = Posterior { fail: finite_evidence(p.fail), ok: finite_evidence(p.ok), ..p };
                    if p.raised {
                        self.raised.fetch_add(1, Ordering::Relaxed);
                    }
                    slots[c as usize] = Some(p);
                }
            }
        }
        let file = Arc::new(StateFile { path, written: Mutex::new(0) });
        let (state, writer) = (Arc::downgrade(&self.state), file.clone());
        std::thread::Builder::new()
            .name("kestrel-feedback".into())
            .spawn(move || flush_pending(&state, &writer))
            .map_err(|e| crate::Error::Config(format!("feedback state file: starting its writer: {e}")))?;
        self.file = Some(file);
        Ok(self)
    }

    /// Remembers where request `id` was routed, so a later outcome can be attributed.
    pub fn remember(&self, id: &str, tenant: Option<&str>, category: Category, tier: Tier) {
        self.remember_request(id, tenant, category, tier, None);
    }

    /// [`Feedback::remember`] for a request whose fingerprint ([`fingerprint`]) is
    /// known: with automatic signals on, a request arriving again with the same
    /// fingerprint counts as a bad outcome for the earlier one (a retry).
    pub fn remember_request(
        &self,
        id: &str,
        tenant: Option<&str>,
        category: Category,
        tier: Tier,
        fingerprint: Option<u64>,
    ) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let fingerprint = fingerprint.filter(|_| self.automatic);
        if let Some(fp) = fingerprint {
            if let Some(earlier) = st.recent.remove(&fp) {
                if let Some(p) = st.pending.remove(&earlier) {
                    if p.tier != Tier::Premium {
                        self.update(&mut st, p.tenant, p.category, Outcome::Bad, Some(AutoSignal::Retry));
                    }
                }
            }
        }
        if st.pending.len() >= MAX_PENDING {
            if let Some(old) = st.order.pop_front() {
                if let Some(p) = st.pending.remove(&old) {
                    if let Some(fp) = p.fingerprint {
                        st.recent.remove(&fp);
                    }
                }
            }
        }
        let p = Pending { tenant: tenant.unwrap_or("").to_string(), category, tier, fingerprint };
        if st.pending.insert(id.to_string(), p).is_none() {
            st.order.push_back(id.to_string());
        }
        st.dirty = true;
        if let Some(fp) = fingerprint {
            st.recent.insert(fp, id.to_string());
        }
    }

    /// Records an automatic signal for request `id` (ignored while automatic signals are
    /// off). Returns whether it counted.
    pub fn signal(&self, id: &str, signal: AutoSignal) -> bool {
        if !self.automatic {
            return false;
        }
        self.take_and_update(id, Outcome::Bad, Some(signal))
    }

    /// Records the outcome of request `id`. Returns false when the request is unknown (too
    /// old, or never routed) or routed at premium (nothing to raise).
    pub fn record(&self, id: &str, outcome: Outcome) -> bool {
        self.take_and_update(id, outcome, None)
    }

    fn take_and_update(&self, id: &str, outcome: Outcome, signal: Option<AutoSignal>) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(p) = st.pending.remove(id) else { return false };
        st.dirty = true;
        if let Some(fp) = p.fingerprint {
            st.recent.remove(&fp);
        }
        if p.tier == Tier::Premium {
            return false;
        }
        self.update(&mut st, p.tenant, p.category, outcome, signal)
    }

    /// Records an outcome for a category directly (e.g. replayed from a usage sink).
    pub fn record_category(&self, tenant: Option<&str>, category: Category, outcome: Outcome) -> bool {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.update(&mut st, tenant.unwrap_or("").to_string(), category, outcome, None)
    }

    fn update(
        &self,
        st: &mut State,
        tenant: String,
        category: Category,
        outcome: Outcome,
        signal: Option<AutoSignal>,
    ) -> bool {
        if !st.posteriors.contains_key(&tenant) && st.posteriors.len() * Category::COUNT >= MAX_KEYS {
            return false;
        }
        let slot = &mut st.posteriors.entry(tenant).or_default()[category as usize];
        let post = slot.get_or_insert(Posterior { fail: 0.0, ok: 0.0, raised: false, last_signal: None });
        let was = post.raised;
        if signal.is_some() {
            post.last_signal = signal;
        }
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
        self.save(st);
        true
    }

    /// Rewrites the state file, if any (see [`StateFile::write`]).
    fn save(&self, st: &mut State) {
        if let Some(file) = &self.file {
            let (seq, saved) = snapshot(st);
            file.write(seq, &saved);
        }
    }

    /// The state of `category` for `tenant`, if any outcome was recorded.
    pub fn state(&self, tenant: Option<&str>, category: Category) -> Option<CategoryState> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let p = st.posteriors.get(tenant.unwrap_or(""))?[category as usize]?;
        Some(CategoryState {
            category,
            failure_rate: p.mean_failure(),
            evidence: p.fail + p.ok,
            raised: p.raised,
            last_signal: p.last_signal,
        })
    }

    /// The category's state when it is raised: the router then serves it one tier higher.
    pub fn raised(&self, tenant: Option<&str>, category: Category) -> Option<CategoryState> {
        if self.raised.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.state(tenant, category).filter(|s| s.raised)
    }
}

/// A request's identity for retry detection: its model and messages, hashed.
pub fn fingerprint(req: &crate::types::ChatRequest) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    req.model.hash(&mut h);
    for m in &req.messages {
        serde_json::to_string(m).unwrap_or_default().hash(&mut h);
    }
    h.finish()
}

/// What the state file should hold now, numbered.
fn snapshot(st: &mut State) -> (u64, Saved) {
    st.snapshots += 1;
    st.dirty = false;
    let saved = Saved {
        version: 1,
        tenants: st
            .posteriors
            .iter()
            .map(|(t, slots)| {
                let cats = Category::ALL.iter().filter_map(|&c| slots[c as usize].map(|p| (c, p))).collect();
                (t.clone(), cats)
            })
            .collect(),
        pending: st
            .order
            .iter()
            .filter_map(|id| {
                let p = st.pending.get(id)?;
                Some(SavedPending { id: id.clone(), tenant: p.tenant.clone(), category: p.category, tier: p.tier })
            })
            .collect(),
    };
    (st.snapshots, saved)
}

/// The state file's writer: every [`FLUSH_EVERY`], writes the pending requests if they
/// changed (outcomes write at once). Stops when its [`Feedback`] is dropped.
fn flush_pending(state: &Weak<Mutex<State>>, file: &StateFile) {
    loop {
        std::thread::sleep(FLUSH_EVERY);
        let Some(state) = state.upgrade() else { return };
        let taken = {
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.dirty.then(|| snapshot(&mut st))
        };
        drop(state);
        if let Some((seq, saved)) = taken {
            file.write(seq, &saved);
        }
    }
}

/// Evidence read from a file: finite and non-negative, else none.
fn finite_evidence(x: f32) -> f32 {
    if x.is_finite() && x >= 0.0 {
        x.min(1.0 / (1.0 - FORGET))
    } else {
        0.0
    }
}

fn write_atomically(path: &Path, saved: &Saved) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(saved).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// An answer to check for automatic signals once it is whole (a stream's when it
/// completes).
pub(crate) struct OutcomeWatch {
    feedback: Arc<Feedback>,
    json_mode: bool,
}

impl OutcomeWatch {
    pub(crate) fn new(feedback: Arc<Feedback>, json_mode: bool) -> Self {
        OutcomeWatch { feedback, json_mode }
    }

    /// Counts a length cut, JSON that does not parse or tool arguments that are not JSON
    /// against the answer's category.
    pub(crate) fn check(&self, resp: &crate::types::ChatResponse) {
        if let Some(signal) = AutoSignal::in_response(self.json_mode, resp) {
            self.feedback.signal(&resp.id, signal);
        }
    }
}
