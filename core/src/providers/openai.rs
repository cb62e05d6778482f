//! OpenAI Chat Completions, and the servers that speak it (Groq, xAI, Mistral, Together,
//! vLLM, Ollama, OpenRouter, ...). The request goes out as OpenAI's JSON with each
//! provider's known quirks applied; answers come back in OpenAI's shape already.

use std::collections::VecDeque;

use serde_json::{Map, Value};

use super::http::{self, malformed, Auth, EventTranslator};
use super::wire::WireFormat;
use super::Call;
use crate::error::{Error, Result};
use crate::types::{ChatChunk, ChatResponse};

/// The OpenAI wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OpenAi;

/// Fields of OpenAI's own platform (storage, tiers, caching keys, audio, search) that
/// compatible servers reject or ignore.
const OPENAI_ONLY: &[&str] = &[
    "store",
    "metadata",
    "service_tier",
    "prompt_cache_key",
    "safety_identifier",
    "verbosity",
    "prediction",
    "audio",
    "modalities",
    "web_search_options",
];

/// What a compatible provider rejects or names differently.
struct Quirks {
    /// Drop [`OPENAI_ONLY`].
    drop_openai_only: bool,
    /// Further top-level fields it rejects (dropped with a debug log).
    drop: &'static [&'static str],
    /// Dropped for its reasoning models only.
    reasoning_drop: &'static [&'static str],
    reasoning_models: &'static [&'static str],
    /// OpenAI name → provider name.
    rename: &'static [(&'static str, &'static str)],
    /// Accepts `messages[].name`.
    message_name: bool,
    /// Takes `max_tokens` rather than `max_completion_tokens`.
    legacy_max_tokens: bool,
    /// Accepts `stream_options` (else usage arrives unasked or not at all).
    stream_options: bool,
    /// Accepts image and file parts in `tool` messages (else they move to a user message).
    tool_media: bool,
}

/// A compatible server: OpenAI's standard fields, minus the platform-only ones and `drop`.
const fn compatible(drop: &'static [&'static str]) -> Quirks {
    Quirks {
        drop_openai_only: true,
        drop,
        reasoning_drop: &[],
        reasoning_models: &[],
        rename: &[],
        message_name: true,
        legacy_max_tokens: false,
        stream_options: true,
        tool_media: false,
    }
}

/// Per provider. Sources: Groq's OpenAI-compatibility page ("logprobs, logit_bias,
/// top_logprobs, messages[].name ... will result in a 400"); xAI's reasoning guide
/// (grok-3-mini rejects presencePenalty, frequencyPenalty and stop); Mistral's chat API
/// (`random_seed`, `max_tokens`, strict request validation); Together's chat API
/// (`logprobs` is an integer there, so OpenAI's boolean form is not forwarded).
fn quirks_for(provider: &str) -> Quirks {
    match provider {
        "openai" => Quirks { drop_openai_only: false, tool_media: true, ..compatible(&[]) },
        "groq" => Quirks { message_name: false, ..compatible(&["logprobs", "logit_bias", "top_logprobs"]) },
        "xai" => Quirks {
            reasoning_drop: &["presence_penalty", "frequency_penalty", "stop"],
            reasoning_models: &["grok-3-mini"],
            ..compatible(&[])
        },
        "mistral" => Quirks {
            rename: &[("seed", "random_seed")],
            legacy_max_tokens: true,
            stream_options: false,
            ..compatible(&["reasoning_effort", "logit_bias", "logprobs", "top_logprobs", "user", "stream_options"])
        },
        "together" => compatible(&["reasoning_effort", "logprobs", "top_logprobs"]),
        // Azure OpenAI takes OpenAI's platform fields (stored completions, metadata, ...)
        // but has no web search in Chat Completions.
        "azure" => Quirks { drop_openai_only: false, ..compatible(&["web_search_options"]) },
        // Self-hosted and other compatible servers (vLLM, Ollama, OpenRouter, ...).
        _ => compatible(&[]),
    }
}

/// The request body for this call, as JSON bytes.
pub(super) fn body(call: &Call<'_>, stream: bool) -> Result<Vec<u8>> {
    let provider = call.endpoint.provider.as_str();
    let mut v = match serde_json::to_value(call.request) {
        Ok(Value::Object(m)) => m,
        _ => return Err(Error::invalid("body", "the request does not serialize to a JSON object")),
    };
    v.remove("kestrel");
    if !call.pass_unknown {
        for k in call.request.extra.keys() {
            if v.remove(k).is_some() {
                tracing::debug!(provider, param = %k, "unknown parameter not forwarded to another provider");
            }
        }
    }
    v.insert("model".into(), Value::String(call.model.to_string()));
    let q = quirks_for(provider);
    if q.drop_openai_only {
        drop_fields(&mut v, OPENAI_ONLY, provider);
    }
    drop_fields(&mut v, q.drop, provider);
    if q.reasoning_models.iter().any(|m| call.model.starts_with(m)) {
        drop_fields(&mut v, q.reasoning_drop, provider);
    }
    for (from, to) in q.rename {
        if let Some(x) = v.remove(*from) {
            v.insert((*to).to_string(), x);
        }
    }
    if q.legacy_max_tokens {
        if let Some(x) = v.remove("max_completion_tokens") {
            v.insert("max_tokens".into(), x);
        }
    }
    if !q.message_name {
        if let Some(Value::Array(msgs)) = v.get_mut("messages") {
            for m in msgs.iter_mut().filter_map(Value::as_object_mut) {
                if m.remove("name").is_some() {
                    tracing::debug!(provider, "messages[].name dropped: not supported");
                }
            }
        }
    }
    if !q.tool_media {
        if let Some(Value::Array(msgs)) = v.get_mut("messages") {
            move_tool_media(msgs, provider);
        }
    }
    if stream {
        v.insert("stream".into(), Value::Bool(true));
        if q.stream_options {
            // Always ask for usage: the ledger needs it. The client hides the usage
            // chunk from callers who did not ask for it.
            let opts = v.entry("stream_options").or_insert_with(|| Value::Object(Map::new()));
            if let Some(o) = opts.as_object_mut() {
                o.insert("include_usage".into(), Value::Bool(true));
            }
        }
    } else {
        v.remove("stream");
        v.remove("stream_options");
    }
    serde_json::to_vec(&v).map_err(|e| Error::invalid("body", e.to_string()))
}

/// Compatible servers document text-only tool results, so images and files a tool returned
/// go in a user message right after the run of tool messages (results must stay together,
/// right after the assistant's calls); each tool message keeps its text.
fn move_tool_media(msgs: &mut Vec<Value>, provider: &str) {
    let is_tool = |m: &Value| m["role"] == "tool";
    let mut i = 0;
    while i < msgs.len() {
        if !is_tool(&msgs[i]) {
            i += 1;
            continue;
        }
        let mut media: Vec<Value> = Vec::new();
        while i < msgs.len() && is_tool(&msgs[i]) {
            let id = msgs[i]["tool_call_id"].as_str().unwrap_or_default().to_string();
            if let Some(Value::Array(parts)) = msgs[i].get_mut("content") {
                let (texts, moved): (Vec<Value>, Vec<Value>) = parts.drain(..).partition(|p| p["type"] == "text");
                if !moved.is_empty() {
                    media.push(serde_json::json!({"type": "text", "text": super::shared::tool_media_note(&id)}));
                    media.extend(moved);
                    if texts.is_empty() {
                        msgs[i]["content"] = Value::String(super::shared::TOOL_MEDIA_MOVED.into());
                        i += 1;
                        continue;
                    }
                }
                *parts = texts;
            }
            i += 1;
        }
        if !media.is_empty() {
            tracing::debug!(provider, "tool result attachments moved to a user message");
            msgs.insert(i, serde_json::json!({"role": "user", "content": media}));
            i += 1;
        }
    }
}

fn drop_fields(v: &mut Map<String, Value>, fields: &[&str], provider: &str) {
    for f in fields {
        if v.remove(*f).is_some() {
            tracing::debug!(provider, param = f, "parameter dropped: the provider rejects it");
        }
    }
}

/// A response body, already in OpenAI's shape.
pub(super) fn decode(provider: &str, bytes: &[u8]) -> Result<ChatResponse> {
    serde_json::from_slice(bytes).map_err(|e| malformed(provider, "response", e))
}

/// One stream event's `data`: an OpenAI chunk, or the error it reports.
pub(super) fn on_event(provider: &str, data: &str) -> Result<ChatChunk> {
    // One typed parse on the common path. An error event lacks a chunk's fields (or carries
    // an `error` member, which would land in `extra`), so it takes the slow path below.
    if let Ok(chunk) = serde_json::from_str::<ChatChunk>(data) {
        if !chunk.extra.contains_key("error") {
            return Ok(chunk);
        }
    }
    let v: Value = serde_json::from_str(data).map_err(|e| malformed(provider, "stream event", e))?;
    if let Some(err) = v.get("error") {
        // OpenAI reports mid-stream failures as an event carrying an error body.
        let message = http::error_message(&v).unwrap_or_else(|| err.to_string());
        return Err(Error::Provider { provider: provider.to_string(), status: 0, message, body: Some(Box::new(v)) });
    }
    serde_json::from_value::<ChatChunk>(v).map_err(|e| malformed(provider, "stream chunk", e))
}

impl WireFormat for OpenAi {
    type State = ();
    type Events = Events;
    const AUTH: Auth = Auth::Bearer;

    fn encode(&self, call: &Call<'_>, stream: bool) -> Result<(Vec<u8>, ())> {
        Ok((body(call, stream)?, ()))
    }

    fn decode(&self, provider: &str, bytes: &[u8], _model: &str, _: ()) -> Result<ChatResponse> {
        decode(provider, bytes)
    }

    fn events(&self, provider: String, _model: &str, _: ()) -> Events {
        Events { provider }
    }
}

/// OpenAI's events are already chunks: one in, one out.
pub(super) struct Events {
    pub(super) provider: String,
}

impl EventTranslator for Events {
    fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        out.push_back(on_event(&self.provider, data)?);
        Ok(())
    }

    /// `[DONE]` ends the framing itself; a body that simply stops has sent what it had.
    fn on_end(&mut self) -> Result<Option<ChatChunk>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::{offline_call, Endpoint};
    use crate::types::ChatRequest;

    fn body_for(provider: &str, model: &str, req: serde_json::Value, stream: bool, pass_unknown: bool) -> Value {
        let request = ChatRequest::from_value(req).unwrap();
        let body = offline_call(provider, &request, model, None, pass_unknown, |call| body(call, stream).unwrap());
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn quirks_are_applied_per_provider() {
        let req = serde_json::json!({
            "model": "gpt-4o", "messages": [{"role": "user", "name": "ana", "content": "hi"}],
            "logprobs": true, "seed": 7, "max_completion_tokens": 50, "stop": ["x"], "store": true,
            "kestrel": {"tenant": "t"}, "x_vendor": 1
        });
        let openai = body_for("openai", "gpt-4o", req.clone(), false, true);
        assert_eq!(openai["logprobs"], true);
        assert_eq!(openai["x_vendor"], 1);
        assert!(openai.get("kestrel").is_none());

        let groq = body_for("groq", "llama-3.1-8b-instant", req.clone(), false, false);
        assert!(groq.get("logprobs").is_none() && groq.get("store").is_none() && groq.get("x_vendor").is_none());
        assert!(groq["messages"][0].get("name").is_none());
        assert_eq!(groq["model"], "llama-3.1-8b-instant");

        let mistral = body_for("mistral", "mistral-small-latest", req.clone(), true, false);
        assert_eq!(mistral["random_seed"], 7);
        assert_eq!(mistral["max_tokens"], 50);
        assert!(mistral.get("seed").is_none() && mistral.get("stream_options").is_none());
        assert_eq!(mistral["stream"], true);

        let xai = body_for("xai", "grok-3-mini", req.clone(), true, false);
        assert!(xai.get("stop").is_none());
        assert_eq!(xai["stream_options"]["include_usage"], true);
        assert_eq!(body_for("xai", "grok-3", req, false, false)["stop"], serde_json::json!(["x"]));
    }

    #[test]
    fn tool_result_media_reach_openai_and_move_for_compatible_servers() {
        let image =
            serde_json::json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}});
        let req = serde_json::json!({"model": "gpt-4o", "messages": [
            {"role": "user", "content": "Screenshot?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "here"}, image]},
            {"role": "user", "content": "Describe it."}]});
        let openai = body_for("openai", "gpt-4o", req.clone(), false, true);
        assert_eq!(openai["messages"], req["messages"]);

        let groq = body_for("groq", "llama-4-scout", req, false, false);
        let msgs = groq["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 5);
        assert_eq!(msgs[2]["content"], serde_json::json!([{"type": "text", "text": "here"}]));
        assert_eq!(
            msgs[3],
            serde_json::json!({"role": "user", "content": [
                {"type": "text", "text": "The result of tool call c1 includes these attachments:"}, image]})
        );
        assert_eq!(msgs[4]["content"], "Describe it.");
    }

    #[test]
    fn chat_urls_join_cleanly() {
        let e = |base: &str, path: &str| Endpoint {
            provider: "p".into(),
            base_url: base.into(),
            chat_path: path.into(),
            key: None,
            headers: Default::default(),
        };
        assert_eq!(
            e("https://api.openai.com/v1/", "/chat/completions").chat_url("m"),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            e("https://g", "/v1beta/models/{model}:generateContent").chat_url("gemini-2.5-flash"),
            "https://g/v1beta/models/gemini-2.5-flash:generateContent"
        );
    }
}
