use super::analyze::Features;
use super::policy::{Effective, ProviderSet, RoutingPolicy};
use super::score::Scored;
use super::{Reason, Tier};
use crate::catalog::{Catalog, ModelId, ProviderId};
use crate::error::{Error, Result};
use crate::types::Scores;
use crate::types::{ChatRequest, Content, ContentPart};

/// What the router may plan with right now.
pub trait Availability {
    /// The provider can take the request (configured with a key, and healthy enough).
    fn is_available(&self, provider: ProviderId) -> bool;

    /// `model` may stand in for the requested one (not retired, not rate limited). The
    /// requested model itself is never asked: it is always the last resort.
    fn model_usable(&self, _model: ModelId) -> bool {
        true
    }
}

/// Every catalog provider counts as available: for offline decisions (`kestrel route`).
#[derive(Debug, Clone, Copy, Default)]
pub struct EveryProvider;

impl Availability for EveryProvider {
    fn is_available(&self, _: ProviderId) -> bool {
        true
    }
}

impl Availability for ProviderSet {
    fn is_available(&self, p: ProviderId) -> bool {
        self.contains(p)
    }
}

/// One step of the failover plan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// `None` for a model the catalog does not know (passed through by name).
    pub model: Option<ModelId>,
    pub provider: ProviderId,
    /// Expected USD cost of this request on this model (0 when unknown).
    pub expected_cost: f64,
}

/// Where a request goes and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The model name as the caller wrote it.
    pub requested_model: String,
    /// The catalog entry it resolved to.
    pub requested: Option<ModelId>,
    /// The tier routed to; `None` when routing did not apply (off, or unknown model).
    pub tier: Option<Tier>,
    pub scores: Option<Scores>,
    pub confidence: Option<f32>,
    /// The audit trail, in order (render with `to_string`, or use [`Decision::summary`]).
    pub reasons: Vec<Reason>,
    /// Failover plan: cheapest eligible first, the requested model last.
    pub plan: Vec<Candidate>,
    pub input_tokens: u32,
    pub expected_output_tokens: u32,
    /// Expected cost had the request gone to the requested model.
    pub baseline_cost: f64,
    /// The kind of request, under which outcomes are recorded ([`super::Feedback`]).
    pub category: Option<super::Category>,
}

impl Decision {
    /// The first choice.
    pub fn chosen(&self) -> &Candidate {
        &self.plan[0]
    }

    /// The model id to send for a plan step.
    pub fn model_name<'a>(&'a self, catalog: &'a Catalog, c: &Candidate) -> &'a str {
        match c.model {
            Some(m) => &catalog.model(m).id,
            None => &self.requested_model,
        }
    }

    pub fn expected_cost(&self) -> f64 {
        self.chosen().expected_cost
    }
}

/// What the request needs from a model.
struct Needs {
    tools: bool,
    vision: bool,
    json_mode: bool,
    json_schema: bool,
    context: u64,
    max_output: u32,
    /// Features only the requested provider is known to honour.
    same_provider: Option<&'static str>,
}

impl Needs {
    fn of(req: &ChatRequest, f: &Features, expected_out: u32) -> Needs {
        let audio_out = req.modalities.as_ref().is_some_and(|m| m.iter().any(|x| x == "audio"));
        let same_provider = if f.audio > 0 || audio_out {
            Some("audio")
        } else if f.files > 0 {
            Some("file input")
        } else if req.logprobs == Some(true) {
            Some("logprobs")
        } else if req.n.is_some_and(|n| n > 1) {
            Some("n > 1")
        } else if req.prediction.is_some() {
            Some("predicted outputs")
        } else if req.web_search_options.is_some() {
            Some("web search")
        } else if req.functions.is_some() || req.function_call.is_some() {
            Some("legacy functions")
        } else if has_file_or_audio_history(req) {
            Some("audio or file history")
        } else {
            None
        };
        Needs {
            tools: req.has_tools(),
            vision: f.images > 0,
            json_mode: f.json_mode,
            json_schema: f.json_schema,
            context: u64::from(f.input_tokens) + u64::from(expected_out),
            max_output: req.max_output().unwrap_or(0),
            same_provider,
        }
    }
}

fn has_file_or_audio_history(req: &ChatRequest) -> bool {
    req.messages.iter().any(|m| m.audio.is_some())
        || req.messages.iter().any(|m| {
            matches!(&m.content, Some(Content::Parts(p)) if p.iter().any(|p| matches!(p, ContentPart::InputAudio { .. } | ContentPart::File { .. })))
        })
}

/// Expected answer length by output-complexity score, capped by the caller's limit.
fn expected_output(scores: &Scores, cap: Option<u32>) -> u32 {
    let guess = match scores.output_complexity {
        1 => 80,
        2 => 250,
        3 => 600,
        4 => 1200,
        _ => 2500,
    };
    cap.map_or(guess, |c| guess.min(c))
}

pub(crate) fn decide(
    catalog: &Catalog,
    policy: &RoutingPolicy,
    req: &ChatRequest,
    f: &Features,
    scored: Scored,
    available: &dyn Availability,
    today: i64,
) -> Result<Decision> {
    let eff = policy.effective(catalog, req.kestrel.as_ref())?;
    let usable = |p: ProviderId| eff.providers.contains(p) && available.is_available(p);
    let requested = catalog.resolve(&req.model);
    let out = expected_output(&scored.scores, req.max_output());
    let mut d = Decision {
        requested_model: req.model.clone(),
        requested,
        tier: None,
        scores: Some(scored.scores),
        confidence: Some(scored.confidence),
        reasons: scored.reasons,
        plan: Vec::new(),
        input_tokens: f.input_tokens,
        expected_output_tokens: out,
        baseline_cost: 0.0,
        category: Some(super::Category::of(f)),
    };
    let cost = |m: ModelId| catalog.model(m).cost(u64::from(f.input_tokens), u64::from(out), 0, 0);

    // What the request is measured against: the requested model, or for a model the
    // catalog does not know, its provider's flagship (by name prefix).
    let (reference, last_resort) = match requested {
        Some(req_id) => {
            let spec = catalog.model(req_id);
            // Dates are formatted only when a warning is due, and then once a day per model.
            let due = catalog.shutdown_day(req_id).is_some_and(|s| s - today <= crate::catalog::SHUTDOWN_WARNING_DAYS);
            if let Some(w) = due.then(|| lifecycle_note(spec, today)).flatten() {
                d.reasons.push(Reason::Shared(w));
            }
            // A model past its shutdown is never planned: its successor stands in.
            let stand_in = catalog.current_for(req_id, today);
            if let Some(s) = stand_in.filter(|&s| s != req_id) {
                d.reasons.push(Reason::Text(format!(
                    "{} stands in for `{}` as the last resort",
                    catalog.model(s).id,
                    spec.id
                )));
            }
            let step = stand_in.map(|m| Candidate {
                model: Some(m),
                provider: catalog.provider_of(m),
                expected_cost: cost(m),
            });
            (req_id, step)
        }
        None => {
            let provider = catalog.provider_for_unknown(&req.model);
            let flagship = provider.and_then(|p| catalog.flagship(p, today));
            match (provider, flagship) {
                (Some(p), Some(proxy)) if eff.enabled => {
                    d.reasons.push(Reason::Text(format!(
                        "unknown model `{}`: treated as {}'s premium, priced and scored as {}",
                        req.model,
                        catalog.provider(p).name,
                        catalog.model(proxy).id
                    )));
                    let step = usable(p).then_some(Candidate { model: None, provider: p, expected_cost: cost(proxy) });
                    (proxy, step)
                }
                _ => {
                    return match catalog.requested_provider(&req.model).filter(|&p| usable(p)) {
                        Some(p) => {
                            d.reasons.push(Reason::Text(format!(
                                "unknown model `{}`: passed through to {}",
                                req.model,
                                catalog.provider(p).name
                            )));
                            d.plan.push(Candidate { model: None, provider: p, expected_cost: 0.0 });
                            Ok(d)
                        }
                        None => Err(Error::NoEligibleModel(format!(
                            "`{}` is not in the catalog and no configured provider serves it",
                            req.model
                        ))),
                    };
                }
            }
        }
    };
    let ref_model = catalog.model(reference);
    let req_provider = catalog.provider_of(reference);
    let req_tier = ref_model.tier;
    d.baseline_cost = cost(reference);
    let last_resort = last_resort.filter(|c| usable(c.provider));
    let last_model = last_resort.and_then(|c| c.model);

    if !eff.enabled {
        d.reasons.push(Reason::Note("routing off: the requested model"));
        return finish(d, last_resort);
    }
    let needs = Needs::of(req, f, out);
    let (target, above_requested) =
        target_tier(&eff, (scored.tier, scored.confidence, scored.hedged), req_tier, &mut d.reasons);
    d.tier = Some(target);
    // Judged harder than the requested model's tier: the caller already chose a cheap
    // model, and a same-tier substitute would only be a weaker one. Stay on it (when it
    // can be called at all).
    if above_requested && last_resort.is_some() {
        d.reasons.push(Reason::Text(format!(
            "judged {} but {} is {req_tier}: stays on the requested model",
            scored.tier, ref_model.id
        )));
        return finish(d, last_resort);
    }
    // The quality rule: a hard request keeps a substitute of comparable quality.
    let min_quality = match (target, eff.max_quality_drop, ref_model.quality) {
        (Tier::Premium, Some(drop), Some(q)) => Some(q - drop),
        (Tier::Premium, Some(_), None) => {
            d.reasons.push(Reason::Text(format!("no quality score for {}: quality rule not applied", ref_model.id)));
            None
        }
        _ => None,
    };

    // The best `max_candidates` so far, kept sorted in a fixed array: no allocation and
    // no sort of the whole catalog per request. Providers are asked once, not per model,
    // and costs stay in millionths of a USD until the few kept are priced.
    let mut providers = ProviderSet::NONE;
    for p in 0..catalog.providers().len() {
        if usable(p) {
            providers.insert(p);
        }
    }
    let (input, output) = (u64::from(f.input_tokens), u64::from(out));
    let rows = catalog.rows();
    let baseline = rows[reference].micro_cost(input, output);
    let mut best = Shortlist::new(eff.max_candidates);
    let (mut skipped_caps, mut skipped_provider, mut skipped_quality) = (0u32, 0u32, 0u32);
    for &m in catalog.by_tier() {
        let row = &rows[m];
        if row.tier < target || row.tier > req_tier || m == reference || Some(m) == last_model {
            continue;
        }
        if !catalog.servable(m, today) {
            continue;
        }
        let p = row.provider;
        if !providers.contains(p) || (needs.same_provider.is_some() && p != req_provider) || !available.model_usable(m)
        {
            skipped_provider += 1;
            continue;
        }
        let fits = (!needs.tools || row.tools)
            && (!needs.vision || row.vision)
            && (!needs.json_schema || row.json_schema)
            && (!needs.json_mode || row.json_mode)
            && needs.context <= u64::from(row.context_window)
            && needs.max_output <= row.max_output;
        if !fits {
            skipped_caps += 1;
            continue;
        }
        if let Some(min) = min_quality {
            if row.quality.is_none_or(|q| q < min) {
                skipped_quality += 1;
                continue;
            }
        }
        // Models are visited cheapest tier first: once the shortlist is full of a lower
        // tier, this one cannot enter it (the skips above are still counted).
        if best.full_below(row.tier) {
            continue;
        }
        let micro = row.micro_cost(input, output);
        if micro > baseline {
            continue;
        }
        let rank = if p == req_provider { micro * (1.0 - eff.same_provider_margin) } else { micro };
        best.offer(Ranked { tier: row.tier, rank, model: m, micro });
    }
    if let Some(why) = needs.same_provider {
        d.reasons.push(Reason::Text(format!("{why}: only {} models", catalog.provider(req_provider).name)));
    }
    if skipped_caps > 0 {
        d.reasons.push(Reason::SkippedForCapabilities(skipped_caps));
    }
    if skipped_provider > 0 && needs.same_provider.is_none() {
        d.reasons.push(Reason::SkippedForProviders(skipped_provider));
    }
    if let (Some(min), true) = (min_quality, skipped_quality > 0) {
        d.reasons.push(Reason::SkippedForQuality { count: skipped_quality, min });
    }
    d.plan.reserve_exact(best.len + 1);
    d.plan.extend(best.items[..best.len].iter().map(|r| Candidate {
        model: Some(r.model),
        provider: catalog.provider_of(r.model),
        expected_cost: r.micro / 1_000_000.0,
    }));
    finish(d, last_resort)
}

/// A substitute and the key it is ranked by: lowest tier, then cheapest (with the
/// same-provider margin), then catalog order.
#[derive(Clone, Copy)]
struct Ranked {
    tier: Tier,
    rank: f64,
    model: ModelId,
    /// Expected cost in millionths of a USD.
    micro: f64,
}

impl Ranked {
    fn before(&self, other: &Ranked) -> bool {
        self.tier.cmp(&other.tier).then(self.rank.total_cmp(&other.rank)).then(self.model.cmp(&other.model)).is_lt()
    }
}

/// Longest failover plan before the requested model: [`RoutingPolicy::max_candidates`]
/// beyond it is clamped (a longer plan only delays the error a caller should see).
pub(crate) const MAX_PLAN: usize = 8;

/// The best few substitutes seen so far, sorted, in a fixed array.
struct Shortlist {
    items: [Ranked; MAX_PLAN],
    len: usize,
    cap: usize,
}

impl Shortlist {
    fn new(cap: usize) -> Self {
        let empty = Ranked { tier: Tier::Economy, rank: 0.0, model: 0, micro: 0.0 };
        Shortlist { items: [empty; MAX_PLAN], len: 0, cap: cap.clamp(1, MAX_PLAN) }
    }

    /// Full, and the worst kept is of a tier below `tier`.
    fn full_below(&self, tier: Tier) -> bool {
        self.len == self.cap && self.items[self.len - 1].tier < tier
    }

    /// Inserts `r` in order if it beats the worst kept one (or there is room).
    fn offer(&mut self, r: Ranked) {
        if self.len == self.cap && !r.before(&self.items[self.len - 1]) {
            return;
        }
        let mut i = self.len.min(self.cap - 1);
        while i > 0 && r.before(&self.items[i - 1]) {
            self.items[i] = self.items[i - 1];
            i -= 1;
        }
        self.items[i] = r;
        self.len = (self.len + 1).min(self.cap);
    }
}

/// A requested model's lifecycle warning for `today`, worked out once a day per model
/// (and logged the first time): every request for a model near its shutdown gives it, so
/// it must not cost a formatting and a log lookup each time.
fn lifecycle_note(spec: &crate::catalog::ModelSpec, today: i64) -> Option<std::sync::Arc<str>> {
    use std::sync::Arc;
    /// A note and what it was worked out from: the day, and the model's dates and successor
    /// (two clients may load catalogs that disagree about the same model).
    struct Note {
        day: i64,
        shutdown: Option<String>,
        successor: Option<String>,
        text: Option<Arc<str>>,
    }
    static NOTES: std::sync::RwLock<Option<std::collections::HashMap<String, Note>>> = std::sync::RwLock::new(None);
    let fresh = |n: &Note| n.day == today && n.shutdown == spec.shutdown && n.successor == spec.successor;
    let read = NOTES.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(n) = read.as_ref().and_then(|n| n.get(spec.id.as_str())).filter(|n| fresh(n)) {
        return n.text.clone();
    }
    drop(read);
    let text: Option<Arc<str>> = spec.lifecycle_warning(&crate::catalog::iso_from_days(today)).map(Arc::from);
    let note =
        Note { day: today, shutdown: spec.shutdown.clone(), successor: spec.successor.clone(), text: text.clone() };
    let mut notes = NOTES.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    let first = notes.get_or_insert_with(Default::default).insert(spec.id.clone(), note).is_none();
    if let (true, Some(w)) = (first, &text) {
        tracing::warn!(model = %spec.id, "{w}");
    }
    text
}

/// Appends the requested model (or its stand-in) as the last resort.
fn finish(mut d: Decision, requested: Option<Candidate>) -> Result<Decision> {
    if let Some(r) = requested {
        d.plan.push(r);
    }
    if d.plan.is_empty() {
        return Err(Error::NoEligibleModel(format!(
            "no configured provider can serve `{}` within the routing policy",
            d.requested_model
        )));
    }
    Ok(d)
}

/// Applies the confidence rule, the operator's floor and ceiling, and the requested
/// model's tier as the final ceiling (never route up). Also says whether the request
/// was judged above the requested model's tier (capped by it, not by the operator).
fn target_tier(
    eff: &Effective,
    (mut t, confidence, hedged): (Tier, f32, bool),
    requested: Tier,
    reasons: &mut Vec<Reason>,
) -> (Tier, bool) {
    if t < requested && confidence < eff.min_confidence {
        if hedged {
            reasons
                .push(Reason::Note("the scorer already chose above its likeliest tier: confidence rule not applied"));
        } else {
            t = t.up();
            reasons.push(Reason::LowConfidence { confidence, min: eff.min_confidence, kept: t });
        }
    }
    if t < eff.floor {
        t = eff.floor;
        reasons.push(Reason::OperatorFloor(t));
    }
    if t > eff.ceiling {
        t = eff.ceiling;
        reasons.push(Reason::OperatorCeiling(t));
    }
    let above = t > requested;
    if above {
        t = requested;
        reasons.push(Reason::RequestedCeiling(requested));
    }
    (t, above)
}

/// A decision as users read it (CLI `--json`, bindings' dry-run): names instead of ids.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DecisionSummary<'a> {
    pub requested_model: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub tier: Option<Tier>,
    pub scores: Option<Scores>,
    pub confidence: Option<f32>,
    pub reasons: Vec<String>,
    /// The failover plan, by model name.
    pub plan: Vec<&'a str>,
    pub input_tokens: u32,
    pub expected_output_tokens: u32,
    pub estimated_cost_usd: f64,
    pub baseline_cost_usd: f64,
    pub saved_usd: f64,
}

impl Decision {
    pub fn summary<'a>(&'a self, catalog: &'a Catalog) -> DecisionSummary<'a> {
        let first = self.chosen();
        let model = self.model_name(catalog, first);
        let mut reasons: Vec<String> = self.reasons.iter().map(ToString::to_string).collect();
        reasons.push(if first.model == self.requested || (first.model.is_none() && self.requested.is_none()) {
            format!("chose {model}: the requested model")
        } else {
            format!(
                "chose {model}: ${:.6} expected vs ${:.6} for {}",
                first.expected_cost, self.baseline_cost, self.requested_model
            )
        });
        DecisionSummary {
            requested_model: &self.requested_model,
            model,
            provider: &catalog.provider(first.provider).name,
            tier: self.tier,
            scores: self.scores,
            confidence: self.confidence,
            reasons,
            plan: self.plan.iter().map(|c| self.model_name(catalog, c)).collect(),
            input_tokens: self.input_tokens,
            expected_output_tokens: self.expected_output_tokens,
            estimated_cost_usd: first.expected_cost,
            baseline_cost_usd: self.baseline_cost,
            saved_usd: (self.baseline_cost - first.expected_cost).max(0.0),
        }
    }
}
