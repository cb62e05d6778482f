//! OpenAI's Chat Completions wire shapes: completions, stream chunks, errors, model lists.
//!
//! Field sets and order follow what api.openai.com sends and what the official SDKs
//! (openai-python's `ChatCompletion` / `ChatCompletionChunk`, openai-node's `Stream`) parse.

use serde_json::{json, Value};

use crate::answer::Answer;

/// Sent as `system_fingerprint` on every completion and chunk.
pub(crate) const SYSTEM_FINGERPRINT: &str = "fp_kestrel_mock";
/// Longest tool-argument fragment per stream chunk, so arguments arrive in pieces as they do
/// from OpenAI.
const ARGUMENT_FRAGMENT_CHARS: usize = 12;

/// What every chunk of one completion shares.
#[derive(Clone, Debug)]
pub(crate) struct Meta {
    pub id: String,
    pub created: u64,
    pub model: String,
}

/// The `usage` object with OpenAI's detail sub-objects.
pub(crate) fn usage(answer: &Answer) -> Value {
    json!({
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0
        }
    })
}

/// A non-streaming `chat.completion` object.
pub(crate) fn completion(meta: &Meta, answer: &Answer) -> Value {
    let mut message = json!({
        "role": "assistant",
        "content": answer.text,
        "refusal": null,
        "annotations": []
    });
    if !answer.tool_calls.is_empty() {
        message["tool_calls"] = answer
            .tool_calls
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments}
                })
            })
            .collect();
    }
    json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": answer.finish_reason
        }],
        "usage": usage(answer),
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT
    })
}

/// One server-sent event of a stream.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// The full `data: ...\n\n` text.
    pub data: String,
    /// Whether it carries content (text or tool-argument fragment): `cut_after_chunks` counts these.
    pub content: bool,
}

fn event(value: &Value, content: bool) -> Event {
    Event { data: format!("data: {value}\n\n"), content }
}

fn chunk(meta: &Meta, choices: Value, include_usage: bool, usage: Value) -> Value {
    let mut chunk = json!({
        "id": meta.id,
        "object": "chat.completion.chunk",
        "created": meta.created,
        "model": meta.model,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "choices": choices
    });
    // OpenAI sends `usage` only when asked for it: null on every chunk but the last.
    if include_usage {
        chunk["usage"] = usage;
    }
    chunk
}

fn delta_chunk(meta: &Meta, delta: Value, finish_reason: Value, include_usage: bool) -> Value {
    let choices = json!([{
        "index": 0,
        "delta": delta,
        "logprobs": null,
        "finish_reason": finish_reason
    }]);
    chunk(meta, choices, include_usage, Value::Null)
}

/// The whole stream for `answer`, in OpenAI's order: role, content, tool calls, finish,
/// optional usage, `[DONE]`.
pub(crate) fn stream_events(meta: &Meta, answer: &Answer, include_usage: bool) -> Vec<Event> {
    let mut events = Vec::new();
    let push = |events: &mut Vec<Event>, delta: Value, content: bool| {
        events.push(event(&delta_chunk(meta, delta, Value::Null, include_usage), content));
    };

    let text = answer.text.as_deref();
    let mut calls = answer.tool_calls.iter().enumerate().peekable();
    match (text, calls.peek()) {
        // A tool-only answer opens with the role and the first call's header in one delta.
        (None, Some(_)) => {}
        _ => push(&mut events, json!({"role": "assistant", "content": "", "refusal": null}), false),
    }
    for word in text.unwrap_or("").split_inclusive(' ') {
        push(&mut events, json!({ "content": word }), true);
    }
    let mut first = text.is_none();
    for (index, call) in calls {
        let header = json!({
            "index": index,
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": ""}
        });
        let delta = if first {
            json!({"role": "assistant", "content": null, "tool_calls": [header], "refusal": null})
        } else {
            json!({ "tool_calls": [header] })
        };
        first = false;
        push(&mut events, delta, false);
        let chars: Vec<char> = call.arguments.chars().collect();
        for piece in chars.chunks(ARGUMENT_FRAGMENT_CHARS) {
            let fragment: String = piece.iter().collect();
            push(&mut events, json!({"tool_calls": [{"index": index, "function": {"arguments": fragment}}]}), true);
        }
    }
    events.push(event(&delta_chunk(meta, json!({}), json!(answer.finish_reason), include_usage), false));
    if include_usage {
        events.push(event(&chunk(meta, json!([]), true, usage(answer)), false));
    }
    events.push(Event { data: "data: [DONE]\n\n".into(), content: false });
    events
}

/// Mistral's last chunk: the finish reason and the usage together, sent unasked (Mistral
/// takes no `stream_options`; its streams end with `usage` on the finishing chunk).
pub(crate) fn finish_with_usage(meta: &Meta, answer: &Answer) -> Event {
    let choices = json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": answer.finish_reason}]);
    event(&chunk(meta, choices, true, usage(answer)), false)
}

/// OpenAI's error body `{"error": {"message", "type", "param", "code"}}` for `status`, with
/// the message, type and code api.openai.com uses for it unless overridden.
pub(crate) fn error(
    status: u16,
    model: &str,
    message: Option<&str>,
    error_type: Option<&str>,
    code: Option<&str>,
) -> Value {
    let (default_message, default_type, default_code) = match status {
        400 => (
            "Invalid request (scripted by kestrel-mock).".to_string(),
            "invalid_request_error",
            None,
        ),
        401 => (
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.".to_string(),
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        403 => (
            "You have insufficient permissions for this operation.".to_string(),
            "permission_error",
            Some("permission_denied"),
        ),
        404 => (
            format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            Some("model_not_found"),
        ),
        409 => (
            "The request conflicts with another request.".to_string(),
            "invalid_request_error",
            Some("conflict"),
        ),
        422 => (
            "The request could not be processed.".to_string(),
            "invalid_request_error",
            Some("unprocessable_entity"),
        ),
        429 => (
            format!(
                "Rate limit reached for {model} in organization org-kestrel-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more."
            ),
            "requests",
            Some("rate_limit_exceeded"),
        ),
        500 => (
            "The server had an error while processing your request. Sorry about that!".to_string(),
            "server_error",
            None,
        ),
        502 => ("Bad gateway.".to_string(), "server_error", Some("bad_gateway")),
        503 => (
            "The engine is currently overloaded, please try again later.".to_string(),
            "server_error",
            Some("service_unavailable"),
        ),
        504 => (
            "Gateway timeout.".to_string(),
            "server_error",
            Some("gateway_timeout"),
        ),
        s if s >= 500 => (
            format!("Server error {s}."),
            "server_error",
            None,
        ),
        s => (
            format!("Request failed with status {s}."),
            "invalid_request_error",
            None,
        ),
    };
    json!({
        "error": {
            "message": message.map_or(default_message, str::to_string),
            "type": error_type.unwrap_or(default_type),
            "param": null,
            "code": code.or(default_code)
        }
    })
}

/// An error body with explicit fields, for the mock's own validation errors.
pub(crate) fn error_with(message: &str, error_type: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": param, "code": code}})
}

/// `GET /models`: the scripted model names as an OpenAI model list.
pub(crate) fn model_list<'a>(models: impl IntoIterator<Item = &'a String>, created: u64) -> Value {
    let data: Vec<Value> = models
        .into_iter()
        .map(|id| json!({"id": id, "object": "model", "created": created, "owned_by": "kestrel-mock"}))
        .collect();
    json!({"object": "list", "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::ToolCall;

    fn meta() -> Meta {
        Meta { id: "chatcmpl-mock-1".into(), created: 1, model: "m".into() }
    }

    fn answer(text: Option<&str>, calls: usize) -> Answer {
        Answer {
            text: text.map(str::to_string),
            tool_calls: (0..calls)
                .map(|i| ToolCall {
                    id: format!("call_{i}"),
                    name: "lookup".into(),
                    arguments: r#"{"query":"example","limit":1}"#.into(),
                })
                .collect(),
            finish_reason: if calls > 0 { "tool_calls" } else { "stop" }.into(),
            prompt_tokens: 3,
            completion_tokens: 4,
        }
    }

    fn parse(events: &[Event]) -> Vec<Value> {
        events
            .iter()
            .map(|e| e.data.strip_prefix("data: ").unwrap().trim_end())
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn text_stream_reassembles_and_ends_with_usage() {
        let events = stream_events(&meta(), &answer(Some("one two three"), 0), true);
        assert_eq!(events.last().unwrap().data, "data: [DONE]\n\n");
        let chunks = parse(&events);
        assert_eq!(chunks[0]["choices"][0]["delta"], json!({"role": "assistant", "content": "", "refusal": null}));
        let text: String = chunks.iter().filter_map(|c| c["choices"][0]["delta"]["content"].as_str()).collect();
        assert_eq!(text, "one two three");
        assert_eq!(events.iter().filter(|e| e.content).count(), 3);
        let n = chunks.len();
        assert_eq!(chunks[n - 2]["choices"][0]["finish_reason"], "stop");
        assert_eq!(chunks[n - 2]["usage"], Value::Null);
        assert_eq!(chunks[n - 1]["choices"], json!([]));
        assert_eq!(chunks[n - 1]["usage"]["total_tokens"], 7);
    }

    #[test]
    fn without_include_usage_there_is_no_usage_key() {
        let chunks = parse(&stream_events(&meta(), &answer(Some("hi"), 0), false));
        assert!(chunks.iter().all(|c| c.get("usage").is_none()));
        assert!(chunks.iter().all(|c| c["choices"].as_array().unwrap().len() == 1));
    }

    #[test]
    fn tool_calls_stream_header_then_fragments() {
        let chunks = parse(&stream_events(&meta(), &answer(None, 2), false));
        let first = &chunks[0]["choices"][0]["delta"];
        assert_eq!(first["role"], "assistant");
        assert_eq!(first["content"], Value::Null);
        assert_eq!(first["tool_calls"][0]["id"], "call_0");
        assert_eq!(first["tool_calls"][0]["function"]["arguments"], "");
        let mut args = [String::new(), String::new()];
        for c in &chunks {
            for tc in c["choices"][0]["delta"]["tool_calls"].as_array().into_iter().flatten() {
                let i = tc["index"].as_u64().unwrap() as usize;
                if tc.get("id").is_none() {
                    assert_eq!(tc.as_object().unwrap().len(), 2, "{tc}");
                }
                args[i] += tc["function"]["arguments"].as_str().unwrap();
            }
        }
        assert_eq!(args[0], r#"{"query":"example","limit":1}"#);
        assert_eq!(args[1], args[0]);
        assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "tool_calls");
    }

    #[test]
    fn error_defaults_and_overrides() {
        let e = error(429, "m", None, None, None);
        assert_eq!(e["error"]["type"], "requests");
        assert_eq!(e["error"]["code"], "rate_limit_exceeded");
        assert_eq!(e["error"]["param"], Value::Null);
        let e = error(404, "gpt-x", Some("gone"), None, Some("other"));
        assert_eq!(e["error"]["message"], "gone");
        assert_eq!(e["error"]["code"], "other");
        assert_eq!(error(500, "m", None, None, None)["error"]["type"], "server_error");
    }
}
