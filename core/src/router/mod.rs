//! Routing: analyze → score → tier → select.
//!
//! [`Router::route`] turns a request into a [`Decision`]: the tier the request needs, the
//! scores and reasons behind it, and an ordered failover plan of models, cheapest first,
//! ending with the requested model. It makes no I/O; the client executes the plan.

mod analyze;
mod calibration;
mod feedback;
mod keywords;
mod learned;
mod policy;
mod reason;
mod score;
mod select;

use std::fmt;
use std::sync::Arc;

pub use analyze::{Analyzer, Features, Signal};
pub use calibration::{
    cheapest_safe, fit_platt, fit_softmax, shipped, Calibration, ModelFile, Platt, Softmax, UnderCosts, FEATURES,
};
pub(crate) use feedback::OutcomeWatch;
pub use feedback::{fingerprint, AutoSignal, Category, CategoryState, Feedback, Outcome, FLUSH_EVERY};
pub use learned::{feature_vector, LearnedScorer};
pub use policy::{ProviderSet, RoutingPolicy, DEFAULT_MAX_QUALITY_DROP};
pub use reason::Reason;
pub use score::{assess, Assessment, HeuristicScorer, Scored, Scorer};
pub use select::{Availability, Candidate, Decision, DecisionSummary, EveryProvider};

// The vocabulary routing shares with the rest of the crate lives in `types`; re-exported
// here where callers have always found it.
pub use crate::types::{RequestPolicy, Scores, Tier};

use crate::catalog::Catalog;
use crate::types::ChatRequest;

/// The routing engine: a catalog, a scorer and a policy. Cheap to share across threads.
pub struct Router {
    catalog: Arc<Catalog>,
    analyzer: Analyzer,
    scorer: Box<dyn Scorer>,
    policy: RoutingPolicy,
    /// Outcome memory; `None`: outcomes are not used.
    feedback: Option<Arc<Feedback>>,
    /// The day routing decides for (days since 1970-01-01); `None`: today's UTC date,
    /// read once per request at the entry point.
    today: Option<i64>,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router").field("models", &self.catalog.models().len()).field("policy", &self.policy).finish()
    }
}

impl Router {
    /// A router over `catalog` with the learned scorer and the default policy. It keeps
    /// more hard requests premium on held-out sets than the heuristic (86 % against 71 %
    /// on `holdout4.jsonl`; see the README).
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Router {
            catalog,
            analyzer: Analyzer::new(),
            scorer: Box::new(crate::router::LearnedScorer::default()),
            policy: RoutingPolicy::default(),
            feedback: None,
            today: None,
        }
    }

    /// Decides as of `date` (`YYYY-MM-DD`) instead of today: models past their shutdown
    /// date on that day are never planned. For tests and for replaying old traffic.
    pub fn with_today(mut self, date: &str) -> crate::Result<Self> {
        let days = crate::catalog::days_from_iso(date)
            .ok_or_else(|| crate::Error::Config(format!("`{date}` is not a YYYY-MM-DD date")))?;
        self.today = Some(days);
        Ok(self)
    }

    /// The day decisions are made for (days since 1970-01-01).
    pub fn today(&self) -> i64 {
        self.today.unwrap_or_else(today_days)
    }

    /// Replaces the scorer, e.g. with a learned one.
    pub fn with_scorer(mut self, scorer: impl Scorer + 'static) -> Self {
        self.scorer = Box::new(scorer);
        self
    }

    /// Like [`Router::with_scorer`], for a scorer already boxed (the client builder's).
    pub fn with_boxed_scorer(mut self, scorer: Box<dyn Scorer>) -> Self {
        self.scorer = scorer;
        self
    }

    pub fn with_policy(mut self, policy: RoutingPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Lets recorded outcomes raise the tier of request categories that keep failing.
    pub fn with_feedback(mut self, feedback: Arc<Feedback>) -> Self {
        self.feedback = Some(feedback);
        self
    }

    pub fn feedback(&self) -> Option<&Arc<Feedback>> {
        self.feedback.as_ref()
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn policy(&self) -> &RoutingPolicy {
        &self.policy
    }

    /// The features and the scorer's verdict for `req`, before policy and selection: what
    /// `kestrel eval` measures calibration on.
    pub fn score(&self, req: &ChatRequest) -> (Features, Scored) {
        let features = self.analyzer.analyze(req);
        let scored = self.scorer.score(&features);
        (features, scored)
    }

    /// Decides where `req` goes, given which providers are usable right now.
    pub fn route(&self, req: &ChatRequest, available: &dyn Availability) -> crate::Result<Decision> {
        let tenant = req.kestrel.as_ref().and_then(|k| k.tenant.as_deref());
        self.route_for(req, available, tenant)
    }

    /// Like [`Router::route`], for `tenant` (whose recorded outcomes apply).
    pub fn route_for(
        &self,
        req: &ChatRequest,
        available: &dyn Availability,
        tenant: Option<&str>,
    ) -> crate::Result<Decision> {
        let features = self.analyzer.analyze(req);
        let mut scored = self.scorer.score(&features);
        if let Some(fb) = &self.feedback {
            let category = Category::of(&features);
            // Raises the scorer's verdict, not the confidence rule's: with a low
            // confidence the request can end up one tier above the raised one.
            if let Some(state) = fb.raised(tenant, category).filter(|_| scored.tier < Tier::Premium) {
                scored.tier = scored.tier.up();
                scored.reasons.push(Reason::Outcomes {
                    category: category.name(),
                    failure_rate: state.failure_rate,
                    raised_to: scored.tier,
                    signal: state.last_signal,
                });
            }
        }
        select::decide(&self.catalog, &self.policy, req, &features, scored, available, self.today())
    }
}

/// Today's UTC date as days since 1970-01-01, from the system clock.
fn today_days() -> i64 {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}
