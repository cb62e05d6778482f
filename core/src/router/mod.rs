//! Routing: analyze → score → tier → select.
//!
//! [`Router::route`] turns a request into a [`Decision`]: the tier the request needs, the
//! scores and reasons behind it, and an ordered failover plan of models, cheapest first,
//! ending with the requested model. It makes no I/O; the client executes the plan.

mod analyze;
mod policy;
mod reason;
mod score;
mod select;

use std::fmt;
use std::sync::Arc;

pub use analyze::{Analyzer, Features, Signal};
pub use policy::{ProviderSet, RoutingPolicy};
pub use reason::Reason;
pub use score::{HeuristicScorer, Scored, Scorer};
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
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router").field("models", &self.catalog.models().len()).field("policy", &self.policy).finish()
    }
}

impl Router {
    /// A router over `catalog` with the heuristic scorer and the default policy.
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Router {
            catalog,
            analyzer: Analyzer::new(),
            scorer: Box::new(HeuristicScorer),
            policy: RoutingPolicy::default(),
        }
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

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    pub fn policy(&self) -> &RoutingPolicy {
        &self.policy
    }

    /// Decides where `req` goes, given which providers are usable right now.
    pub fn route(&self, req: &ChatRequest, available: &dyn Availability) -> crate::Result<Decision> {
        let features = self.analyzer.analyze(req);
        let scored = self.scorer.score(&features);
        select::decide(&self.catalog, &self.policy, req, &features, scored, available)
    }
}
