//! Cohere's v2 Chat API (`POST …/v2/chat`), with the same scripted behaviours as the OpenAI
//! route.
//!
//! Shapes follow the official `cohere` Python SDK (`src/cohere/v2/raw_client.py`,
//! `src/cohere/types/chat_message_v2.py`, `tool_v2.py`, `tool_call_v2.py`,
//! `response_format_v2.py`, `chat_finish_reason.py`, `usage.py`,
//! `src/cohere/v2/types/v2chat_response.py` and `v2chat_stream_response.py`).
//!
//! - Auth: `Authorization: Bearer <key>` (the SDK's `core/client_wrapper.py`); 401
//!   `{"message": "invalid api token"}` without one or when a required key differs.
//! - Validation the real API does and translators get wrong: `model` and `messages`
//!   required, roles `system`/`user`/`assistant`/`tool`, `tool_call_id` on tool messages,
//!   `tool_choice` only `REQUIRED`/`NONE` and only with `tools`, `p` in 0.01..=0.99,
//!   penalties in 0..=1, OpenAI-only names (`top_p`, `stop`, `max_completion_tokens`, `n`)
//!   rejected.
//! - Answers: built like the OpenAI route's (echo naming the model, a call to the first
//!   tool from its `parameters` when the last message is the user's, a mention of the tool
//!   result after a `tool` message, JSON for `response_format`); `stop_sequences` and
//!   `max_tokens` cut the text (`STOP_SEQUENCE` / `MAX_TOKENS`). With tool calls, scripted
//!   text is the `tool_plan`.
//! - Errors: `{"message": ...}` bodies with the scripted status (429 for rate limits).
//! - Streams: `message-start`, `content-start`/`content-delta`/`content-end` (text) or
//!   `tool-plan-delta` and `tool-call-start`/`tool-call-delta`/`tool-call-end`, then
//!   `message-end` with `finish_reason` and `usage`; no `[DONE]`. A behaviour with
//!   `error_type` but no `status` answers 200 and ends with `finish_reason: ERROR` before
//!   any content.
//! - Script `finish_reason` takes Cohere reasons (`COMPLETE`, `ERROR`, ...) or OpenAI names.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::answer::{self, Answer};
use crate::script::Behaviour;
use crate::server::{cut_body, delayed_body, Shared};

/// Longest `tool-call-delta` fragment, so arguments arrive in pieces.
const ARGUMENT_FRAGMENT_CHARS: usize = 12;

/// Cohere's bearer key check and its 401 bodies.
pub(crate) fn check_key(headers: &HeaderMap, required: Option<&str>) -> Result<(), Value> {
    let bearer = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, key) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
    });
    match (bearer.filter(|k| !k.is_empty()), required) {
        (None, _) => Err(json!({"message": "no api key supplied"})),
        (Some(k), Some(r)) if k != r => Err(json!({"message": "invalid api token"})),
        _ => Ok(()),
    }
}

/// Answers one v2 chat request; `required` is the key this path must carry, if any.
pub(crate) async fn chat(
    shared: &Shared,
    headers: &HeaderMap,
    required: Option<&str>,
    request: &Value,
    seq: u64,
) -> Response {
    if let Err(body) = check_key(headers, required) {
        return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
    }
    let model = match validate(request) {
        Ok(m) => m,
        Err(message) => return respond_json(StatusCode::BAD_REQUEST, &json!({ "message": message }), seq),
    };

    let behaviour = shared.next_behaviour(model);
    if let Some(ms) = behaviour.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = behaviour.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    if !status.is_success() {
        let mut response = respond_json(status, &error_body(status.as_u16(), model, &behaviour), seq);
        if let Some(secs) = behaviour.retry_after.filter(|s| s.is_finite() && *s >= 0.0) {
            if let Ok(v) = HeaderValue::from_str(&format!("{}", secs.ceil() as u64)) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return response;
    }

    let reply = Reply::build(request, model, &behaviour, seq);
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        stream_response(&reply, &behaviour, seq)
    } else {
        chat_response(&reply, &behaviour, seq)
    }
}

/// The request's model if the body is one the real API accepts, else its error message.
fn validate(request: &Value) -> Result<&str, String> {
    let body = request.as_object().ok_or("invalid request: body must be a JSON object")?;
    for name in ["top_p", "stop", "max_completion_tokens", "n", "stream_options", "logit_bias"] {
        if body.contains_key(name) {
            return Err(format!("invalid request: unknown field: parameter {name} is not a valid field"));
        }
    }
    let model = body.get("model").and_then(Value::as_str).ok_or("invalid request: model must be specified")?;
    let messages =
        body.get("messages").and_then(Value::as_array).ok_or("invalid request: messages must be specified")?;
    if messages.is_empty() {
        return Err("invalid request: messages must contain at least one message".into());
    }
    for (i, m) in messages.iter().enumerate() {
        match m.get("role").and_then(Value::as_str) {
            Some("system" | "user" | "assistant") => {}
            Some("tool") if m.get("tool_call_id").and_then(Value::as_str).is_some_and(|s| !s.is_empty()) => {}
            Some("tool") => return Err(format!("invalid request: messages[{i}].tool_call_id is required")),
            other => {
                return Err(format!(
                    "invalid request: messages[{i}].role: {other:?} is not one of system, user, assistant, tool"
                ))
            }
        }
    }
    if let Some(choice) = body.get("tool_choice") {
        if !matches!(choice.as_str(), Some("REQUIRED" | "NONE")) {
            return Err(format!("invalid request: tool_choice must be one of REQUIRED, NONE, got {choice}"));
        }
        if body.get("tools").and_then(Value::as_array).is_none_or(|t| t.is_empty()) {
            return Err("invalid request: tool_choice requires tools".into());
        }
    }
    if let Some(p) = body.get("p").and_then(Value::as_f64) {
        if !(0.01..=0.99).contains(&p) {
            return Err("invalid request: p must be between 0.01 and 0.99".into());
        }
    }
    for name in ["frequency_penalty", "presence_penalty"] {
        if let Some(v) = body.get(name).and_then(Value::as_f64) {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("invalid request: {name} must be between 0 and 1"));
            }
        }
    }
    Ok(model)
}

/// The v2 request seen as an OpenAI request, so the OpenAI route's answer builder serves both.
fn openai_view(request: &Value) -> Value {
    let messages: Vec<Value> = request
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|m| {
            let mut m = m.clone();
            if m["role"] == "assistant" && m.get("content").is_none() {
                m["content"] = m.get("tool_plan").cloned().unwrap_or(Value::String(String::new()));
            }
            m
        })
        .collect();
    let mut view = json!({"model": request["model"], "messages": messages});
    if let Some(tools) = request.get("tools") {
        view["tools"] = tools.clone();
    }
    match request.get("tool_choice").and_then(Value::as_str) {
        Some("NONE") => view["tool_choice"] = json!("none"),
        Some("REQUIRED") => view["tool_choice"] = json!("required"),
        _ => {}
    }
    if let Some(format) = request.get("response_format").filter(|f| f["type"] == "json_object") {
        view["response_format"] = match format.get("json_schema") {
            Some(schema) => json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}),
            None => json!({"type": "json_object"}),
        };
    }
    view
}

/// What the mock answers, in Cohere's terms.
struct Reply {
    id: String,
    text: Option<String>,
    /// `(id, name, arguments)`.
    tool_calls: Vec<(String, String, String)>,
    finish_reason: String,
    input_tokens: u64,
    output_tokens: u64,
}

impl Reply {
    fn build(request: &Value, model: &str, behaviour: &Behaviour, seq: u64) -> Reply {
        let view = openai_view(request);
        let Answer { mut text, tool_calls, prompt_tokens, completion_tokens, .. } =
            answer::build(&view, model, behaviour, seq);
        // Cohere's call ids are the tool name and a suffix (e.g. `get_weather_2xv9ahxqa1f1`).
        let tool_calls: Vec<(String, String, String)> = tool_calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| (format!("{}_mock{seq}x{i}", c.name), c.name, c.arguments))
            .collect();
        let finish_reason = match &behaviour.finish_reason {
            Some(reason) => match reason.as_str() {
                "stop" => "COMPLETE",
                "length" => "MAX_TOKENS",
                "tool_calls" | "function_call" => "TOOL_CALL",
                "content_filter" => "ERROR",
                other => other,
            }
            .to_string(),
            None => {
                let mut reason = if tool_calls.is_empty() { "COMPLETE" } else { "TOOL_CALL" };
                if let Some(t) = text.as_mut().filter(|_| tool_calls.is_empty()) {
                    let stops = request.get("stop_sequences").and_then(Value::as_array);
                    let hit = stops
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .filter_map(|s| t.find(s))
                        .min();
                    if let Some(at) = hit {
                        t.truncate(at);
                        reason = "STOP_SEQUENCE";
                    }
                    let max_chars = request["max_tokens"].as_u64().unwrap_or(u64::MAX).saturating_mul(4);
                    if t.chars().count() as u64 > max_chars {
                        *t = t.chars().take(max_chars as usize).collect();
                        reason = "MAX_TOKENS";
                    }
                }
                reason.to_string()
            }
        };
        let output_tokens = behaviour.usage.as_ref().and_then(|u| u.completion_tokens).unwrap_or_else(|| {
            let chars = text.as_deref().map_or(0, |t| t.chars().count())
                + tool_calls.iter().map(|(_, n, a)| n.chars().count() + a.chars().count()).sum::<usize>();
            if chars == 0 {
                completion_tokens.min(1)
            } else {
                answer::tokens(chars)
            }
        });
        Reply {
            id: format!("mock-{seq:08x}-0000-4000-8000-c0here000000"),
            text,
            tool_calls,
            finish_reason,
            input_tokens: prompt_tokens,
            output_tokens,
        }
    }

    /// usage.py: what was billed and what the model processed (the same here).
    fn usage(&self) -> Value {
        let counts = json!({"input_tokens": self.input_tokens, "output_tokens": self.output_tokens});
        json!({"billed_units": counts, "tokens": counts})
    }

    /// v2chat_response.py: with tool calls, the text is the `tool_plan`.
    fn response(&self) -> Value {
        let mut message = json!({"role": "assistant"});
        let text = self.text.clone().unwrap_or_default();
        if self.tool_calls.is_empty() {
            message["content"] = json!([{"type": "text", "text": text}]);
        } else {
            if !text.is_empty() {
                message["tool_plan"] = Value::String(text);
            }
            message["tool_calls"] = self
                .tool_calls
                .iter()
                .map(|(id, name, args)| {
                    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args}})
                })
                .collect();
        }
        json!({"id": self.id, "message": message, "finish_reason": self.finish_reason, "usage": self.usage()})
    }
}

fn chat_response(reply: &Reply, behaviour: &Behaviour, seq: u64) -> Response {
    let text = if behaviour.malformed_json {
        format!(r#"{{"id":"{}","message":{{"role":"assistant","content":[{{"type":"text","text":"Mock"#, reply.id)
    } else {
        reply.response().to_string()
    };
    let body = match behaviour.cut_after_chunks {
        Some(_) => {
            let half = text.len() / 2;
            let cut = (0..=half).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            cut_body(vec![Bytes::from(text[..cut].to_string())], Duration::ZERO)
        }
        None => Body::from(text),
    };
    with_headers(StatusCode::OK, "application/json", body, seq)
}

/// One server-sent event; `content` marks text and argument fragments, which
/// `cut_after_chunks` counts.
struct Event {
    data: String,
    content: bool,
}

fn event(data: &Value, content: bool) -> Event {
    let name = data["type"].as_str().unwrap_or("");
    Event { data: format!("event: {name}\ndata: {data}\n\n"), content }
}

fn message_end(id: &str, finish_reason: &str, usage: Value, error: Option<&str>) -> Value {
    let mut delta = json!({"finish_reason": finish_reason, "usage": usage});
    if let Some(e) = error {
        delta["error"] = json!(e);
    }
    json!({"type": "message-end", "id": id, "delta": delta})
}

/// The stream in the API's order (v2chat_stream_response.py).
fn stream_events(reply: &Reply) -> Vec<Event> {
    let start = json!({"type": "message-start", "id": reply.id, "delta": {"message": {
        "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}});
    let mut events = vec![event(&start, false)];
    let text = reply.text.as_deref().unwrap_or("");
    if reply.tool_calls.is_empty() {
        let cs = json!({"type": "content-start", "index": 0,
            "delta": {"message": {"content": {"type": "text", "text": ""}}}});
        events.push(event(&cs, false));
        for word in text.split_inclusive(' ') {
            let d = json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": word}}}});
            events.push(event(&d, true));
        }
        events.push(event(&json!({"type": "content-end", "index": 0}), false));
    } else {
        for word in text.split_inclusive(' ') {
            events.push(event(&json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": word}}}), true));
        }
        for (i, (id, name, args)) in reply.tool_calls.iter().enumerate() {
            let s = json!({"type": "tool-call-start", "index": i, "delta": {"message": {"tool_calls":
                {"id": id, "type": "function", "function": {"name": name, "arguments": ""}}}}});
            events.push(event(&s, false));
            let chars: Vec<char> = args.chars().collect();
            for piece in chars.chunks(ARGUMENT_FRAGMENT_CHARS) {
                let piece: String = piece.iter().collect();
                let d = json!({"type": "tool-call-delta", "index": i,
                    "delta": {"message": {"tool_calls": {"function": {"arguments": piece}}}}});
                events.push(event(&d, true));
            }
            events.push(event(&json!({"type": "tool-call-end", "index": i}), false));
        }
    }
    events.push(event(&message_end(&reply.id, &reply.finish_reason, reply.usage(), None), false));
    events
}

fn stream_response(reply: &Reply, behaviour: &Behaviour, seq: u64) -> Response {
    let mut events = stream_events(reply);
    if behaviour.malformed_json {
        // Keep message-start, then an event whose data is broken JSON, then message-end.
        let end = events.pop();
        events.truncate(1);
        let broken = "event: content-start\ndata: {\"type\":\"content-start\",\"index\":0,\"delta\":{\"mess\n\n";
        events.push(Event { data: broken.to_string(), content: true });
        events.extend(end);
    } else if behaviour.error_type.is_some() && behaviour.status.is_none() {
        // A failure after the 200: message-start, then message-end with ERROR.
        events.truncate(1);
        let message = behaviour.error_message.as_deref().unwrap_or("internal server error (scripted by kestrel-mock)");
        events.push(event(&message_end(&reply.id, "ERROR", reply.usage(), Some(message)), false));
    }
    let delay = Duration::from_millis(behaviour.chunk_delay_ms.unwrap_or(0));
    let body = match behaviour.cut_after_chunks {
        Some(n) => {
            // Cut just before the (n+1)-th content event, or before message-end.
            let finish = events.len().saturating_sub(1);
            let cut =
                events.iter().enumerate().filter(|(_, e)| e.content).nth(n).map_or(finish, |(i, _)| i.min(finish));
            cut_body(events[..cut].iter().map(|e| Bytes::from(e.data.clone())).collect(), delay)
        }
        None => delayed_body(events.into_iter().map(|e| Bytes::from(e.data)).collect(), delay, None),
    };
    with_headers(StatusCode::OK, "text/event-stream", body, seq)
}

/// `{"message": ...}`, the body of every Cohere error (the SDK's `ApiError.body`).
fn error_body(status: u16, model: &str, behaviour: &Behaviour) -> Value {
    let default = match status {
        400 => "invalid request (scripted by kestrel-mock)".to_string(),
        401 => "invalid api token".to_string(),
        402 => "Please add or update your payment method".to_string(),
        403 => "You do not have access to this resource".to_string(),
        404 => format!("model '{model}' not found, make sure the correct model ID was used and that you have access to the model."),
        422 => "unprocessable entity (scripted by kestrel-mock)".to_string(),
        429 => "You are using a Trial key, which is limited to 20 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on 'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions".to_string(),
        498 => "invalid api token".to_string(),
        s if s >= 500 => "internal server error, this has been reported to our developers".to_string(),
        s => format!("request failed with status {s}"),
    };
    json!({"message": behaviour.error_message.clone().unwrap_or(default)})
}

fn respond_json(status: StatusCode, body: &Value, seq: u64) -> Response {
    with_headers(status, "application/json", Body::from(body.to_string()), seq)
}

/// Cohere's `x-trial-endpoint-call-*` style headers are omitted; the request id is kept.
fn with_headers(status: StatusCode, content_type: &'static str, body: Body, seq: u64) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(id) = HeaderValue::from_str(&format!("req_mock_{seq}")) {
        headers.insert("x-request-id", id);
    }
    headers.insert("num_tokens", HeaderValue::from_static("0"));
    if content_type.starts_with("text/event-stream") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": text})
    }

    #[test]
    fn validation_catches_translation_bugs() {
        assert_eq!(validate(&json!({"model": "m", "messages": [user("hi")]})), Ok("m"));
        assert!(validate(&json!({"model": "m", "messages": [user("hi")], "top_p": 0.5}))
            .unwrap_err()
            .contains("top_p"));
        assert!(validate(&json!({"model": "m", "messages": [user("hi")], "p": 1.0})).is_err());
        assert!(validate(&json!({"model": "m", "messages": [{"role": "developer", "content": "x"}]})).is_err());
        assert!(validate(&json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]})).is_err());
        assert!(validate(&json!({"model": "m", "messages": [user("x")], "tool_choice": "auto",
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]}))
        .is_err());
        assert!(validate(&json!({"model": "m", "messages": [user("x")], "tool_choice": "REQUIRED"})).is_err());
    }

    #[test]
    fn answers_and_streams() {
        let r = Reply::build(&json!({"model": "c", "messages": [user("Hi")]}), "c", &Behaviour::new(), 1);
        let v = r.response();
        assert_eq!(v["finish_reason"], "COMPLETE");
        assert_eq!(v["message"]["content"][0]["text"], "Mock answer from c: you said \"Hi\".");
        let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters":
            {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
        let r =
            Reply::build(&json!({"model": "c", "messages": [user("w?")], "tools": tools}), "c", &Behaviour::new(), 2);
        let v = r.response();
        assert_eq!(v["finish_reason"], "TOOL_CALL");
        assert_eq!(v["message"]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"example\"}");
        let names: Vec<String> =
            stream_events(&r).iter().map(|e| e.data.lines().next().unwrap()[7..].to_string()).collect();
        assert_eq!(names.first().map(String::as_str), Some("message-start"));
        assert_eq!(names.last().map(String::as_str), Some("message-end"));
        assert!(names.contains(&"tool-call-delta".to_string()));
        let r = Reply::build(
            &json!({"model": "c", "messages": [user("Hi")], "stop_sequences": ["said"]}),
            "c",
            &Behaviour::new(),
            3,
        );
        assert_eq!((r.finish_reason.as_str(), r.text.as_deref()), ("STOP_SEQUENCE", Some("Mock answer from c: you ")));
    }
}
