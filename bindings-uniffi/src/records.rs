//! What comes back across the FFI as typed records, named after the OpenAI Java SDK's
//! classes where it has one (`ChatCompletion`, `ChatCompletionChunk`, `CompletionUsage`).
//! Fields a caller reads every time are typed; the open-ended rest of an answer (logprobs,
//! provider extras) stays reachable as JSON.

use kestrel_router::health::ProviderHealth;
use kestrel_router::router::DecisionSummary;
use kestrel_router::types::{
    AssistantMessage, ChatChunk, ChunkChoice, Delta, KestrelMeta, ToolCall, ToolCallDelta, Usage,
};
use kestrel_router::usage::{CacheStats, Routing, Savings};
use kestrel_router::ChatResponse;

/// A chat completion (`object: "chat.completion"`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletion {
    pub id: String,
    pub created: i64,
    /// The model that answered (after routing).
    pub model: String,
    pub choices: Vec<ChatCompletionChoice>,
    pub usage: Option<CompletionUsage>,
    pub system_fingerprint: Option<String>,
    /// Where the request went, why, and what it cost and saved.
    pub kestrel: Option<KestrelInfo>,
    /// The whole OpenAI-shaped answer as JSON, for the fields not mapped above.
    pub raw_json: String,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionChoice {
    pub index: i32,
    pub message: ChatCompletionMessage,
    /// `stop`, `length`, `tool_calls`, `content_filter`.
    pub finish_reason: Option<String>,
}

/// The assistant's answer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionMessage {
    pub role: String,
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub tool_calls: Vec<ChatCompletionMessageToolCall>,
}

/// A function call the assistant made; pass it back in the next request's history.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionMessageToolCall {
    pub id: String,
    pub function: FunctionCall,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as a JSON object in a string (OpenAI's convention).
    pub arguments: String,
}

/// Token counts.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompletionUsage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
    /// Input tokens served from the provider's prompt cache.
    pub cached_tokens: i64,
}

/// Kestrel's account of one request (`response.kestrel` in Python and Node).
#[derive(Debug, Clone, uniffi::Record)]
pub struct KestrelInfo {
    pub requested_model: String,
    pub model: String,
    pub provider: String,
    /// `economy`, `standard` or `premium`; `None` when routing was off.
    pub tier: Option<String>,
    pub confidence: Option<f32>,
    pub reasons: Vec<String>,
    pub cost_usd: f64,
    pub baseline_cost_usd: f64,
    pub saved_usd: f64,
    pub cache_hit: bool,
    pub cache_layer: Option<String>,
    /// Provider calls made, failovers and retries included.
    pub attempts: i32,
    pub latency_ms: f64,
}

/// One streamed event (`object: "chat.completion.chunk"`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionChunk {
    pub id: String,
    pub created: i64,
    pub model: String,
    pub choices: Vec<ChatCompletionChunkChoice>,
    /// On the last chunk only, when `stream_options.include_usage` was set.
    pub usage: Option<CompletionUsage>,
    /// On the stream's last chunk only.
    pub kestrel: Option<KestrelInfo>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionChunkChoice {
    pub index: i32,
    pub delta: ChatCompletionChunkDelta,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionChunkDelta {
    pub role: Option<String>,
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub tool_calls: Vec<ChatCompletionChunkToolCall>,
}

/// A fragment of a tool call; fragments with the same `index` concatenate.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionChunkToolCall {
    pub index: i32,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: Option<String>,
}

/// The routing decision for a request, without calling anyone (`route()` / dry run).
#[derive(Debug, Clone, uniffi::Record)]
pub struct RouteDecision {
    pub requested_model: String,
    pub model: String,
    pub provider: String,
    pub tier: Option<String>,
    pub confidence: Option<f32>,
    pub reasons: Vec<String>,
    /// The failover plan, by model name.
    pub plan: Vec<String>,
    pub input_tokens: i32,
    pub expected_output_tokens: i32,
    pub estimated_cost_usd: f64,
    pub baseline_cost_usd: f64,
    pub saved_usd: f64,
}

/// What routing saved against always calling the requested model.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SavingsReport {
    pub requests: i64,
    pub errors: i64,
    pub cache_hits: i64,
    pub baseline_cost_usd: f64,
    pub actual_cost_usd: f64,
    pub saved_usd: f64,
    pub savings_pct: f64,
}

/// How many requests went to each tier, the cache, or straight to the requested model.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RoutingReport {
    pub economy: i64,
    pub standard: i64,
    pub premium: i64,
    pub cache: i64,
    pub passthrough: i64,
}

/// What Stage 0 (the cache) did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CacheReport {
    pub exact_hits: i64,
    pub semantic_hits: i64,
    pub misses: i64,
    pub bypasses: i64,
    pub hit_rate: f64,
    pub saved_usd: f64,
}

/// One provider's standing: configured, circuit state, rejected key, retired models.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProviderHealthInfo {
    pub provider: String,
    pub configured: bool,
    /// `closed`, `open` or `half_open`.
    pub state: String,
    pub consecutive_failures: i32,
    pub retry_in_ms: Option<i64>,
    pub key_rejected: bool,
    pub retired_models: Vec<String>,
}

fn tool_call(t: ToolCall) -> ChatCompletionMessageToolCall {
    ChatCompletionMessageToolCall {
        id: t.id,
        function: FunctionCall { name: t.function.name, arguments: t.function.arguments },
    }
}

fn message(m: AssistantMessage) -> ChatCompletionMessage {
    ChatCompletionMessage {
        role: m.role.as_str().to_string(),
        content: m.content,
        refusal: m.refusal,
        tool_calls: m.tool_calls.unwrap_or_default().into_iter().map(tool_call).collect(),
    }
}

fn usage(u: Usage) -> CompletionUsage {
    CompletionUsage {
        cached_tokens: u.cached_tokens() as i64,
        prompt_tokens: u.prompt_tokens as i64,
        completion_tokens: u.completion_tokens as i64,
        total_tokens: u.total_tokens as i64,
    }
}

fn kestrel(k: KestrelMeta) -> KestrelInfo {
    KestrelInfo {
        requested_model: k.requested_model,
        model: k.model,
        provider: k.provider,
        tier: k.tier.map(|t| t.as_str().to_string()),
        confidence: k.confidence,
        reasons: k.reasons,
        cost_usd: k.cost_usd,
        baseline_cost_usd: k.baseline_cost_usd,
        saved_usd: k.saved_usd,
        cache_hit: k.cache_hit,
        cache_layer: k.cache_layer,
        attempts: k.attempts as i32,
        latency_ms: k.latency_ms,
    }
}

impl ChatCompletion {
    /// The record for a core response; `raw_json` is its OpenAI-shaped JSON.
    pub(crate) fn new(r: ChatResponse, raw_json: String) -> Self {
        ChatCompletion {
            id: r.id,
            created: r.created as i64,
            model: r.model,
            choices: r
                .choices
                .into_iter()
                .map(|c| ChatCompletionChoice {
                    index: c.index as i32,
                    message: message(c.message),
                    finish_reason: c.finish_reason,
                })
                .collect(),
            usage: r.usage.map(usage),
            system_fingerprint: r.system_fingerprint,
            kestrel: r.kestrel.map(kestrel),
            raw_json,
        }
    }
}

fn delta_tool_call(t: ToolCallDelta) -> ChatCompletionChunkToolCall {
    let (name, arguments) = t.function.map(|f| (f.name, f.arguments)).unwrap_or_default();
    ChatCompletionChunkToolCall { index: t.index as i32, id: t.id, name, arguments }
}

fn delta(d: Delta) -> ChatCompletionChunkDelta {
    ChatCompletionChunkDelta {
        role: d.role.map(|r| r.as_str().to_string()),
        content: d.content,
        refusal: d.refusal,
        tool_calls: d.tool_calls.unwrap_or_default().into_iter().map(delta_tool_call).collect(),
    }
}

fn chunk_choice(c: ChunkChoice) -> ChatCompletionChunkChoice {
    ChatCompletionChunkChoice { index: c.index as i32, delta: delta(c.delta), finish_reason: c.finish_reason }
}

impl From<ChatChunk> for ChatCompletionChunk {
    fn from(c: ChatChunk) -> Self {
        ChatCompletionChunk {
            id: c.id,
            created: c.created as i64,
            model: c.model,
            choices: c.choices.into_iter().map(chunk_choice).collect(),
            usage: c.usage.map(usage),
            kestrel: c.kestrel.map(kestrel),
        }
    }
}

impl From<DecisionSummary<'_>> for RouteDecision {
    fn from(d: DecisionSummary<'_>) -> Self {
        RouteDecision {
            requested_model: d.requested_model.to_string(),
            model: d.model.to_string(),
            provider: d.provider.to_string(),
            tier: d.tier.map(|t| t.as_str().to_string()),
            confidence: d.confidence,
            reasons: d.reasons,
            plan: d.plan.into_iter().map(str::to_string).collect(),
            input_tokens: d.input_tokens as i32,
            expected_output_tokens: d.expected_output_tokens as i32,
            estimated_cost_usd: d.estimated_cost_usd,
            baseline_cost_usd: d.baseline_cost_usd,
            saved_usd: d.saved_usd,
        }
    }
}

impl From<Savings> for SavingsReport {
    fn from(s: Savings) -> Self {
        SavingsReport {
            requests: s.requests as i64,
            errors: s.errors as i64,
            cache_hits: s.cache_hits as i64,
            baseline_cost_usd: s.baseline_cost_usd,
            actual_cost_usd: s.actual_cost_usd,
            saved_usd: s.saved_usd,
            savings_pct: s.savings_pct,
        }
    }
}

impl From<Routing> for RoutingReport {
    fn from(r: Routing) -> Self {
        RoutingReport {
            economy: r.economy as i64,
            standard: r.standard as i64,
            premium: r.premium as i64,
            cache: r.cache as i64,
            passthrough: r.passthrough as i64,
        }
    }
}

impl From<CacheStats> for CacheReport {
    fn from(c: CacheStats) -> Self {
        CacheReport {
            exact_hits: c.exact_hits as i64,
            semantic_hits: c.semantic_hits as i64,
            misses: c.misses as i64,
            bypasses: c.bypasses as i64,
            hit_rate: c.hit_rate,
            saved_usd: c.saved_usd,
        }
    }
}

impl From<ProviderHealth> for ProviderHealthInfo {
    fn from(h: ProviderHealth) -> Self {
        // The state's snake_case name, as every binding reports it.
        let state = serde_json::to_value(h.state).ok().and_then(|v| v.as_str().map(str::to_string));
        ProviderHealthInfo {
            provider: h.provider,
            configured: h.configured,
            state: state.unwrap_or_default(),
            consecutive_failures: h.consecutive_failures as i32,
            retry_in_ms: h.retry_in_ms.map(|ms| ms as i64),
            key_rejected: h.key_rejected,
            retired_models: h.retired_models,
        }
    }
}
