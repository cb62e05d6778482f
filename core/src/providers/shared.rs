//! Translation pieces every native provider (Anthropic, Gemini, Cohere) shares: what to do
//! with OpenAI parameters a provider has no equivalent for, and with fields Kestrel does
//! not know.

use serde_json::{Map, Value};

use super::Call;
use crate::types::{ChatChunk, ChatRequest, ChunkChoice, Delta};

/// Optional OpenAI parameters a native provider may lack, and whether the caller set each.
fn optional_params(r: &ChatRequest) -> [(&'static str, bool); 22] {
    [
        ("n", r.n.is_some()),
        ("seed", r.seed.is_some()),
        ("presence_penalty", r.presence_penalty.is_some()),
        ("frequency_penalty", r.frequency_penalty.is_some()),
        ("logit_bias", r.logit_bias.is_some()),
        ("logprobs", r.logprobs.is_some()),
        ("top_logprobs", r.top_logprobs.is_some()),
        ("parallel_tool_calls", r.parallel_tool_calls.is_some()),
        ("reasoning_effort", r.reasoning_effort.is_some()),
        ("verbosity", r.verbosity.is_some()),
        ("modalities", r.modalities.is_some()),
        ("audio", r.audio.is_some()),
        ("prediction", r.prediction.is_some()),
        ("service_tier", r.service_tier.is_some()),
        ("store", r.store.is_some()),
        ("metadata", r.metadata.is_some()),
        ("user", r.user.is_some()),
        ("safety_identifier", r.safety_identifier.is_some()),
        ("prompt_cache_key", r.prompt_cache_key.is_some()),
        ("web_search_options", r.web_search_options.is_some()),
        ("functions", r.functions.is_some()),
        ("function_call", r.function_call.is_some()),
    ]
}

/// Logs (at debug level) each parameter the caller set that the provider has no
/// equivalent for; `untranslated` names them, space-separated. They are never sent.
pub(super) fn log_untranslated(provider: &str, r: &ChatRequest, untranslated: &str) {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    for (param, set) in optional_params(r) {
        if set && untranslated.split_whitespace().any(|u| u == param) {
            tracing::debug!(provider, param, "parameter dropped: the provider has no equivalent");
        }
    }
}

/// Fields Kestrel does not know go only to the provider the caller addressed (another might
/// reject them), and never replace a translated field. `merge` may take a field itself
/// (Gemini folds `generationConfig` into its own); it returns false to leave it.
pub(super) fn forward_unknown(
    call: &Call<'_>,
    out: &mut Map<String, Value>,
    mut merge: impl FnMut(&str, &Value) -> bool,
) {
    let provider = call.endpoint.provider.as_str();
    for (k, v) in &call.request.extra {
        if !call.pass_unknown {
            tracing::debug!(provider, param = %k, "unknown parameter not forwarded to another provider");
        } else if !merge(k, v) && !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
}

/// The identity every chunk of one translated stream carries, and which choices have had
/// their opening delta (OpenAI's first delta of a choice names the role).
#[derive(Debug)]
pub(super) struct Envelope {
    pub(super) id: String,
    pub(super) created: u64,
    pub(super) model: String,
    opened: Vec<u32>,
}

impl Envelope {
    pub(super) fn new(model: &str) -> Self {
        Envelope { id: String::new(), created: crate::clock::unix_secs(), model: model.to_string(), opened: Vec::new() }
    }

    /// Whether choice `index` has had a chunk yet.
    pub(super) fn opened(&self, index: u32) -> bool {
        self.opened.contains(&index)
    }

    /// A chunk of one choice; its first one opens it.
    pub(super) fn chunk(&mut self, index: u32, mut delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        if !self.opened(index) {
            self.opened.push(index);
            delta = delta.opening();
        }
        let choice = ChunkChoice::new(index, delta, finish_reason.map(str::to_string));
        ChatChunk::new(self.id.clone(), self.created, self.model.clone(), vec![choice])
    }
}

/// A conversation as alternating turns, as Anthropic and Gemini require: consecutive
/// messages of one role become one turn, and empty ones are left out (OpenAI allows `""`,
/// these APIs refuse empty turns).
#[derive(Debug, Default)]
pub(super) struct Turns(Vec<(&'static str, Vec<Value>)>);

impl Turns {
    pub(super) fn push(&mut self, role: &'static str, parts: Vec<Value>) {
        if parts.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some((r, p)) if *r == role => p.extend(parts),
            _ => self.0.push((role, parts)),
        }
    }

    /// The turns, or the error saying the provider needs at least one.
    pub(super) fn finish(self, provider: &str) -> crate::error::Result<Vec<(&'static str, Vec<Value>)>> {
        if self.0.is_empty() {
            return Err(crate::error::Error::invalid(
                "messages",
                format!("{provider} needs at least one non-empty user or assistant message"),
            ));
        }
        Ok(self.0)
    }
}

/// A replayed assistant tool call's `arguments` (a JSON string in OpenAI's shape) as the
/// object native APIs take; empty means `{}`. `i` and `j` locate it for the error.
pub(super) fn call_arguments(i: usize, j: usize, args: &str, provider: &str) -> crate::error::Result<Value> {
    let args = args.trim();
    if args.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    match serde_json::from_str::<Value>(args) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(crate::error::Error::invalid(
            format!("messages[{i}].tool_calls[{j}].function.arguments"),
            format!("must be a JSON object to be replayed to {provider}"),
        )),
    }
}

/// The text that introduces, in a user message, the images or files a tool returned, for
/// providers whose tool results take text only.
pub(super) fn tool_media_note(tool_call_id: &str) -> String {
    format!("The result of tool call {tool_call_id} includes these attachments:")
}

/// A tool result's text when all it returned were attachments moved to a user message.
pub(super) const TOOL_MEDIA_MOVED: &str = "(attachments: see the next message)";
