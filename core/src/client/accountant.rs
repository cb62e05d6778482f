//! The accountant: prices a finished request and writes its one usage record. The
//! `kestrel` metadata a caller sees is read off that same record, so the two never
//! disagree, whether the answer came from a provider, from the cache, or not at all.

use std::sync::Arc;
use std::time::Instant;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::router::Decision;
use crate::types::{CacheLayer, CacheStatus, ChatResponse, KestrelMeta, Usage};
use crate::usage::{Attempt, ErrorKind, Ledger, UsageRecord};

/// The `provider` of answers served from the cache, in metadata and usage records.
const CACHE_PROVIDER: &str = "cache";

/// Everything known about one request, from its preparation to its usage record.
pub(crate) struct RequestContext {
    pub(crate) requested_model: String,
    pub(crate) tenant: Option<String>,
    pub(crate) start: Instant,
    pub(crate) stream: bool,
    /// What Stage 0 did (`None` when the client has no cache).
    pub(crate) cache: Option<CacheStatus>,
    /// The routing decision, once the request was routed.
    pub(crate) decision: Option<Decision>,
    /// The plan step that answered.
    pub(crate) step: usize,
    /// Every provider call made, in order.
    pub(crate) attempts: Vec<Attempt>,
    /// The HTTP answer of the attempt that decided the outcome (the last one), if it got one.
    pub(crate) response: Option<crate::ProviderResponse>,
}

/// How a request ended.
pub(crate) enum Outcome<'a> {
    /// The model at `ctx.step` of the plan answered; `error` when a stream was cut short.
    Answered { usage: &'a Usage, error: Option<ErrorKind> },
    /// The cache answered with what `model` said earlier.
    Cached { model: &'a str, layer: CacheLayer, usage: &'a Usage },
    /// No answer.
    Failed(&'a Error),
}

/// A call to an API Kestrel does not route (embeddings, images, audio, files, ...), made
/// by a binding with the provider's own SDK machinery, reported so that it is counted and
/// priced like every other request. Never holds the request or answer.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassthroughCall {
    /// The API, as the SDK names its method: `embeddings`, `images.generate`, ...
    pub endpoint: String,
    /// The model the call named, if any.
    #[serde(default)]
    pub model: Option<String>,
    /// The provider called (default `openai`).
    #[serde(default)]
    pub provider: Option<String>,
    /// Tokens the answer reported (`usage.prompt_tokens` / `input_tokens`, ...).
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub latency_ms: f64,
    #[serde(default)]
    pub stream: bool,
    /// The HTTP status the call was answered with (a failure's class follows from it).
    #[serde(default)]
    pub status: Option<u16>,
    /// The error class of a call that got no answer (`timeout`, `connection`).
    #[serde(default)]
    pub error: Option<ErrorKind>,
    #[serde(default)]
    pub tenant: Option<String>,
}

/// Prices requests against the catalog and keeps the ledger.
pub(crate) struct Accountant {
    catalog: Arc<Catalog>,
    ledger: Arc<Ledger>,
}

impl Accountant {
    pub(crate) fn new(catalog: Arc<Catalog>, ledger: Arc<Ledger>) -> Self {
        Accountant { catalog, ledger }
    }

    pub(crate) fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The provider that answers at `ctx.step`, for errors raised mid-stream.
    pub(crate) fn provider_name(&self, ctx: &RequestContext) -> &str {
        ctx.decision.as_ref().map_or("", |d| &self.catalog.provider(d.plan[ctx.step].provider).name)
    }

    /// Records a call made outside the routing pipeline, priced from the catalog when it
    /// knows the model (else at 0), with nothing saved: it went where it was asked.
    pub(crate) fn record_passthrough(&self, call: PassthroughCall, default_tenant: Option<&str>) -> UsageRecord {
        let model = call.model.unwrap_or_default();
        let provider = call.provider.unwrap_or_else(|| "openai".into());
        let failed_status = call.status.filter(|s| *s >= 400);
        let error = call.error.or_else(|| {
            let e = failed_status.map(|s| crate::providers::http::classify(&provider, s, String::new(), None, None));
            e.as_ref().map(ErrorKind::from)
        });
        let cost = self
            .catalog
            .resolve(&model)
            .map_or(0.0, |m| self.catalog.model(m).cost(call.input_tokens, call.output_tokens, 0, 0));
        let record = UsageRecord {
            timestamp_ms: crate::clock::unix_ms(),
            tenant: call.tenant.or_else(|| default_tenant.map(str::to_string)),
            requested_model: model.clone(),
            model: model.clone(),
            provider: provider.clone(),
            stream: call.stream,
            prompt_tokens: call.input_tokens,
            completion_tokens: call.output_tokens,
            cost_usd: cost,
            baseline_cost_usd: cost,
            latency_ms: call.latency_ms,
            attempts: vec![Attempt { provider, model, latency_ms: call.latency_ms, error, status: failed_status }],
            error,
            endpoint: Some(call.endpoint),
            ..UsageRecord::default()
        };
        let seq = self.ledger.record(record.clone());
        UsageRecord { seq, ..record }
    }

    /// Records the request and returns the metadata its answer carries.
    pub(crate) fn settle(&self, ctx: &RequestContext, outcome: Outcome<'_>) -> KestrelMeta {
        let record = self.record(ctx, &outcome);
        let meta = metadata(&record, ctx.decision.as_ref());
        self.ledger.record(record);
        meta
    }

    /// The one place a usage record is filled in.
    fn record(&self, ctx: &RequestContext, outcome: &Outcome<'_>) -> UsageRecord {
        let mut r = UsageRecord {
            timestamp_ms: crate::clock::unix_ms(),
            tenant: ctx.tenant.clone(),
            requested_model: ctx.requested_model.clone(),
            tier: ctx.decision.as_ref().and_then(|d| d.tier),
            stream: ctx.stream,
            attempts: ctx.attempts.clone(),
            cache: ctx.cache,
            ..UsageRecord::default()
        };
        let catalog = &self.catalog;
        match *outcome {
            Outcome::Answered { usage, error } => {
                let d = ctx.decision.as_ref().expect("an answered request was routed");
                let cand = d.plan[ctx.step];
                let (p, c, cached) = (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens());
                // Anthropic reports prompt-cache writes under its own name (see the provider's
                // `to_openai`); they are part of `prompt_tokens`, priced at the write price.
                let written =
                    usage.extra.get("cache_creation_input_tokens").and_then(serde_json::Value::as_u64).unwrap_or(0);
                let cost = cand.model.map_or(0.0, |m| catalog.model(m).cost(p, c, cached, written));
                r.model = d.model_name(catalog, &cand).to_string();
                r.provider = catalog.provider(cand.provider).name.clone();
                r.prompt_tokens = p;
                r.completion_tokens = c;
                r.cached_tokens = cached;
                r.cost_usd = cost;
                r.baseline_cost_usd = d.requested.map_or(cost, |m| catalog.model(m).cost(p, c, cached, written));
                r.error = error;
            }
            Outcome::Cached { model, layer, usage } => {
                let (p, c, cached) = (usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens());
                r.model = model.to_string();
                r.provider = CACHE_PROVIDER.into();
                r.cache_hit = true;
                r.cache = Some(match layer {
                    CacheLayer::Exact => CacheStatus::Exact,
                    CacheLayer::Semantic => CacheStatus::Semantic,
                });
                r.prompt_tokens = p;
                r.completion_tokens = c;
                r.cached_tokens = cached;
                // Free now; what asking the requested model again would have cost is saved.
                r.baseline_cost_usd =
                    catalog.resolve(&ctx.requested_model).map_or(0.0, |m| catalog.model(m).cost(p, c, cached, 0));
            }
            Outcome::Failed(e) => {
                (r.model, r.provider) = match ctx.attempts.last() {
                    Some(a) => (a.model.clone(), a.provider.clone()),
                    None => (ctx.requested_model.clone(), String::new()),
                };
                r.error = Some(ErrorKind::from(e));
            }
        }
        r.latency_ms = ctx.start.elapsed().as_secs_f64() * 1000.0;
        r
    }
}

/// The caller's view of a usage record, with the routing decision's reasons.
fn metadata(r: &UsageRecord, decision: Option<&Decision>) -> KestrelMeta {
    let layer = match r.cache {
        Some(CacheStatus::Exact) if r.cache_hit => Some(CacheLayer::Exact),
        Some(CacheStatus::Semantic) if r.cache_hit => Some(CacheLayer::Semantic),
        _ => None,
    };
    let reasons = match (layer, decision) {
        (Some(l), _) => vec![format!("answered from the cache ({} match)", l.as_str())],
        (None, Some(d)) => d.reasons.iter().map(ToString::to_string).collect(),
        (None, None) => Vec::new(),
    };
    KestrelMeta {
        requested_model: r.requested_model.clone(),
        model: r.model.clone(),
        provider: r.provider.clone(),
        tier: r.tier,
        scores: decision.and_then(|d| d.scores),
        confidence: decision.and_then(|d| d.confidence),
        reasons,
        cost_usd: r.cost_usd,
        baseline_cost_usd: r.baseline_cost_usd,
        saved_usd: r.saved_usd(),
        cache_hit: r.cache_hit,
        cache_layer: layer.map(|l| l.as_str().into()),
        attempts: r.attempts.len() as u32,
        latency_ms: r.latency_ms,
    }
}

/// Token counts when a provider reports none: the router's input estimate and the
/// answer's length (about four characters a token).
pub(crate) fn estimated_usage(ctx: &RequestContext, answer_chars: usize) -> Usage {
    let prompt = ctx.decision.as_ref().map_or(0, |d| u64::from(d.input_tokens));
    let completion = answer_chars.div_ceil(4) as u64;
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        ..Usage::default()
    }
}

/// Characters of answer in a response (text and tool-call arguments), for [`estimated_usage`].
pub(crate) fn answer_chars(resp: &ChatResponse) -> usize {
    resp.choices
        .iter()
        .map(|c| {
            c.message.content.as_ref().map_or(0, String::len)
                + c.message.tool_calls.iter().flatten().map(|t| t.function.arguments.len()).sum::<usize>()
        })
        .sum()
}
