use crate::catalog::{Catalog, ProviderId};
use crate::error::{Error, Result};
use crate::types::{RequestPolicy, Tier};

/// An operator's routing rules for a client. Per-request [`RequestPolicy`] values override
/// these field by field.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingPolicy {
    /// Off: every request goes to the model it names.
    pub enabled: bool,
    /// Never route below this tier (the requested model still caps it).
    pub floor: Tier,
    /// Never route above this tier.
    pub ceiling: Tier,
    /// Only these providers are candidates (`None`: all configured ones).
    pub allow_providers: Option<Vec<String>>,
    /// These providers are never candidates.
    pub deny_providers: Vec<String>,
    /// Below this confidence the router keeps the request one tier higher.
    pub min_confidence: f32,
    /// Models of the requested provider win when they cost at most this fraction more
    /// than the cheapest (0.10 = 10 %): same-provider answers differ less in style.
    pub same_provider_margin: f64,
    /// Length of the failover plan before the requested model is appended (1 to 8).
    pub max_candidates: usize,
    /// The quality rule: for a hard request (routed at premium), a substitute's quality
    /// score may be at most this many points (0-100 scale) below the requested model's;
    /// unscored models are then not substitutes. `None` turns the rule off. It applies
    /// only when the requested model (or, for an unknown one, its provider's flagship)
    /// has a score.
    pub max_quality_drop: Option<f32>,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy {
            enabled: true,
            floor: Tier::Economy,
            ceiling: Tier::Premium,
            allow_providers: None,
            deny_providers: Vec::new(),
            min_confidence: 0.5,
            same_provider_margin: 0.10,
            max_candidates: 3,
            max_quality_drop: Some(DEFAULT_MAX_QUALITY_DROP),
        }
    }
}

/// Default of [`RoutingPolicy::max_quality_drop`]: 5 points on the catalog's 0-100
/// quality scale.
pub const DEFAULT_MAX_QUALITY_DROP: f32 = 5.0;

/// A set of providers as a bitmask over catalog indices: membership is one AND on the
/// hot path instead of string comparisons per model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderSet(u64);

impl ProviderSet {
    pub const ALL: ProviderSet = ProviderSet(u64::MAX);
    pub const NONE: ProviderSet = ProviderSet(0);

    pub fn contains(self, p: ProviderId) -> bool {
        p < 64 && self.0 & (1 << p) != 0
    }

    pub fn insert(&mut self, p: ProviderId) {
        if p < 64 {
            self.0 |= 1 << p;
        }
    }

    pub fn remove(&mut self, p: ProviderId) {
        if p < 64 {
            self.0 &= !(1 << p);
        }
    }

    /// The providers named in `names`; an unknown name is an error, so a typo in a policy
    /// never silently routes everywhere.
    pub fn from_names(catalog: &Catalog, names: &[String], field: &str) -> Result<ProviderSet> {
        let mut set = ProviderSet::NONE;
        for n in names {
            let id = catalog.provider_id(n).ok_or_else(|| Error::invalid(field, format!("unknown provider `{n}`")))?;
            set.insert(id);
        }
        Ok(set)
    }
}

/// The policy in force for one request: client policy with request overrides applied.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Effective {
    pub enabled: bool,
    pub floor: Tier,
    pub ceiling: Tier,
    pub providers: ProviderSet,
    pub min_confidence: f32,
    pub same_provider_margin: f64,
    pub max_candidates: usize,
    pub max_quality_drop: Option<f32>,
}

impl RoutingPolicy {
    pub(crate) fn effective(&self, catalog: &Catalog, over: Option<&RequestPolicy>) -> Result<Effective> {
        let allow = over.and_then(|o| o.allow_providers.as_deref()).or(self.allow_providers.as_deref());
        let deny = over.and_then(|o| o.deny_providers.as_deref()).unwrap_or(&self.deny_providers);
        let mut providers = match allow {
            Some(names) => ProviderSet::from_names(catalog, names, "kestrel.allow_providers")?,
            None => ProviderSet::ALL,
        };
        for p in deny {
            let id = catalog
                .provider_id(p)
                .ok_or_else(|| Error::invalid("kestrel.deny_providers", format!("unknown provider `{p}`")))?;
            providers.remove(id);
        }
        let floor = over.and_then(|o| o.floor).unwrap_or(self.floor);
        let ceiling = over.and_then(|o| o.ceiling).unwrap_or(self.ceiling);
        if floor > ceiling {
            return Err(Error::invalid("kestrel.floor", format!("floor {floor} is above ceiling {ceiling}")));
        }
        let min_confidence = over.and_then(|o| o.min_confidence).unwrap_or(self.min_confidence);
        if !(0.0..=1.0).contains(&min_confidence) {
            return Err(Error::invalid("kestrel.min_confidence", "must be within 0..=1"));
        }
        Ok(Effective {
            enabled: over.and_then(|o| o.routing).unwrap_or(self.enabled),
            floor,
            ceiling,
            providers,
            min_confidence,
            same_provider_margin: self.same_provider_margin,
            max_candidates: self.max_candidates.max(1),
            max_quality_drop: self.max_quality_drop.filter(|d| d.is_finite() && *d >= 0.0),
        })
    }
}
