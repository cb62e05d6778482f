//! Anthropic's Messages API (`POST …/v1/messages`), with the same scripted behaviours as the
//! OpenAI route.
//!
//! Shapes follow the official `anthropic` Python SDK (`src/anthropic/types/message.py`,
//! `usage.py`, `raw_*_event.py`, `shared/error_*.py`) and its recorded streams
//! (`tests/lib/streaming/fixtures/*.txt`); `tests/python/test_anthropic_sdk_compat.py`
//! drives the SDK against this route.
//!
//! - Auth: `x-api-key`, or `Authorization: Bearer` as the current SDK sends the key (401
//!   `authentication_error` without one, or when a required key differs);
//!   `anthropic-version` header required (400).
//! - Validation the real API does and translators get wrong: under `anthropic-version`
//!   `2026-10-21` or later, no `temperature`, `top_p` or `top_k`; `model`, `max_tokens` and
//!   `messages` required, roles `user`/`assistant` only, no empty text blocks, `temperature`
//!   at most 1, `tool_choice` only with `tools`, every `tool_result` answering a `tool_use`
//!   of the turn before and every `tool_use` answered in the next turn (consecutive
//!   same-role messages count as one turn, as the API merges them).
//! - Answers: built like the OpenAI route's (echo naming the model, a call to the forced or
//!   first tool from its `input_schema` when the last turn is the user's text, a mention of
//!   the tool result after `tool_result` blocks); `stop_sequences` and `max_tokens` cut the
//!   text (`stop_reason` `stop_sequence` / `max_tokens`).
//! - Prompt caching: a `cache_control` marker makes the text up to it a cached prefix:
//!   `cache_creation_input_tokens` the first time, `cache_read_input_tokens` after (no
//!   minimum length, unlike the real API).
//! - A stream whose behaviour has `error_type` but no `status` answers 200, sends
//!   `message_start`, then an `error` event of that type (how the API reports, e.g., an
//!   overload after a stream started); with `cut_after_chunks: n` as well, the error
//!   event comes after the first `n` content events instead of the stream being cut.
//! - Script `finish_reason` takes Anthropic stop reasons (`end_turn`, `refusal`, ...) or
//!   OpenAI names (`stop`, `length`, `tool_calls`, `content_filter`), mapped.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use crate::answer::{self, tokens, Answer};
use crate::script::Behaviour;
use crate::server::{cut_body, delayed_body, Shared};

/// Longest `input_json_delta` fragment, so tool inputs arrive in pieces as they do from
/// Anthropic.
const INPUT_FRAGMENT_CHARS: usize = 12;

/// Answers one Messages request; `required` is the key this path must carry, if any.
pub(crate) async fn messages(
    shared: &Shared,
    headers: &HeaderMap,
    required: Option<&str>,
    request: &Value,
    seq: u64,
) -> Response {
    if let Err((status, body)) = check_headers(headers, required, seq) {
        return respond_json(status, &body, seq);
    }
    let version = headers.get("anthropic-version").and_then(|v| v.to_str().ok()).unwrap_or("");
    let model = match validate(request, version) {
        Ok(model) => model,
        Err(message) => {
            return respond_json(StatusCode::BAD_REQUEST, &error_body("invalid_request_error", &message, seq), seq)
        }
    };

    let behaviour = shared.next_behaviour(model);
    if let Some(ms) = behaviour.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = behaviour.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    if !status.is_success() {
        let body = error(status.as_u16(), model, &behaviour, seq);
        let mut response = respond_json(status, &body, seq);
        add_retry_after(&mut response, &behaviour);
        return response;
    }

    let reply = Reply::build(shared, request, model, &behaviour, seq);
    let streaming = request.get("stream").and_then(Value::as_bool) == Some(true);
    let mut response =
        if streaming { stream_response(&reply, &behaviour, seq) } else { message_response(&reply, &behaviour, seq) };
    add_retry_after(&mut response, &behaviour);
    response
}

// ───────────────────────────── auth and validation ─────────────────────────────

/// The key comes in `x-api-key` (SDKs up to 2.12: `_client.py` `_api_key_auth` →
/// `X-Api-Key`; Kestrel) or as `Authorization: Bearer` (anthropic-sdk-python 2.13 sends the
/// API key that way); `anthropic-version` must be present (2.13 sends `2026-10-21`, earlier
/// SDKs and Kestrel `2023-06-01`).
pub(crate) fn check_headers(headers: &HeaderMap, required: Option<&str>, seq: u64) -> Result<(), (StatusCode, Value)> {
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::trim);
    let bearer = header(header::AUTHORIZATION.as_str()).and_then(|v| {
        let (scheme, key) = v.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
    });
    let key = header("x-api-key").or(bearer).filter(|k| !k.is_empty());
    match (key, required) {
        (None, _) => {
            return Err((
                StatusCode::UNAUTHORIZED,
                error_body("authentication_error", "x-api-key header is required", seq),
            ))
        }
        (Some(key), Some(required)) if key != required => {
            return Err((StatusCode::UNAUTHORIZED, error_body("authentication_error", "invalid x-api-key", seq)))
        }
        _ => {}
    }
    if headers.get("anthropic-version").is_none() {
        return Err((
            StatusCode::BAD_REQUEST,
            error_body("invalid_request_error", "anthropic-version: header is required", seq),
        ));
    }
    Ok(())
}

/// First API version without sampling parameters: from `2026-10-21` on, `temperature`,
/// `top_p` and `top_k` are rejected even at their defaults (anthropic-sdk-python 2.x removed
/// them from `MessageCreateParams`; the API answers "temperature: Extra inputs are not
/// permitted").
const NO_SAMPLING_VERSION: &str = "2026-10-21";

/// The request's model if the body is one the real API accepts under `version`, else its
/// error message.
fn validate<'a>(request: &'a Value, version: &str) -> Result<&'a str, String> {
    let Some(body) = request.as_object() else {
        return Err("There was an issue with the JSON body of your request: expected an object.".into());
    };
    // API versions are dates, so they compare as strings.
    if version >= NO_SAMPLING_VERSION {
        if let Some(param) = ["temperature", "top_p", "top_k"].into_iter().find(|p| body.contains_key(*p)) {
            return Err(format!("{param}: Extra inputs are not permitted"));
        }
    }
    let model = body.get("model").and_then(Value::as_str).ok_or("model: Field required")?;
    if body.get("max_tokens").is_none_or(|v| v.as_u64().is_none()) {
        return Err("max_tokens: Field required".into());
    }
    let messages = body.get("messages").and_then(Value::as_array).ok_or("messages: Field required")?;
    if let Some(t) = body.get("temperature").and_then(Value::as_f64) {
        if !(0.0..=1.0).contains(&t) {
            return Err("temperature: Input should be less than or equal to 1".into());
        }
    }
    if body.contains_key("tool_choice") && body.get("tools").and_then(Value::as_array).is_none_or(|t| t.is_empty()) {
        return Err("tool_choice may only be specified while providing tools".into());
    }
    if let Some(system) = body.get("system").and_then(Value::as_array) {
        if system.iter().any(|b| b["type"] == "text" && b["text"].as_str().is_none_or(str::is_empty)) {
            return Err("system: text content blocks must be non-empty".into());
        }
    }

    // Consecutive same-role messages form one turn, as the API combines them.
    let mut turns: Vec<(&str, Vec<&Value>)> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = match m.get("role").and_then(Value::as_str) {
            Some(r @ ("user" | "assistant")) => r,
            _ => return Err(format!("messages.{i}.role: Input should be 'user' or 'assistant'")),
        };
        let blocks: Vec<&Value> = match m.get("content") {
            Some(Value::String(s)) if s.is_empty() && !(role == "assistant" && i + 1 == messages.len()) => {
                return Err(format!("messages.{i}: all messages must have non-empty content except for the optional final assistant message"));
            }
            Some(Value::String(_)) => Vec::new(),
            Some(Value::Array(blocks)) => {
                for (j, b) in blocks.iter().enumerate() {
                    if b["type"] == "text" && b["text"].as_str().is_none_or(str::is_empty) {
                        return Err("messages: text content blocks must be non-empty".into());
                    }
                    if b.get("type").and_then(Value::as_str).is_none() {
                        return Err(format!("messages.{i}.content.{j}.type: Field required"));
                    }
                }
                blocks.iter().collect()
            }
            _ => return Err(format!("messages.{i}.content: Field required")),
        };
        match turns.last_mut() {
            Some((r, b)) if *r == role => b.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    if turns.is_empty() {
        return Err("messages: at least one message is required".into());
    }
    let ids = |blocks: &[&Value], kind: &str, field: &str| -> Vec<String> {
        blocks.iter().filter(|b| b["type"] == kind).filter_map(|b| b[field].as_str().map(str::to_string)).collect()
    };
    for (t, (role, blocks)) in turns.iter().enumerate() {
        let results = ids(blocks, "tool_result", "tool_use_id");
        let prior_uses = match t.checked_sub(1).map(|p| &turns[p]) {
            Some(("assistant", prev)) => ids(prev, "tool_use", "id"),
            _ => Vec::new(),
        };
        if let Some(stray) = results.iter().find(|id| !prior_uses.contains(id)) {
            return Err(format!(
                "messages.{t}.content: unexpected `tool_use_id` found in `tool_result` blocks: {stray}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
            ));
        }
        if *role == "assistant" && t + 1 < turns.len() {
            let uses = ids(blocks, "tool_use", "id");
            let answered = ids(&turns[t + 1].1, "tool_result", "tool_use_id");
            let missing: Vec<&str> = uses.iter().filter(|id| !answered.contains(id)).map(String::as_str).collect();
            if !missing.is_empty() {
                return Err(format!(
                    "messages.{t}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                    missing.join(", ")
                ));
            }
        }
    }
    Ok(model)
}

// ─────────────────────────────────── answers ───────────────────────────────────

/// The Messages request seen as an OpenAI request, so the OpenAI route's answer builder
/// (echo, tool call from the schema, tool-result acknowledgement, JSON) serves both.
fn openai_view(request: &Value) -> Value {
    let mut messages = Vec::new();
    match request.get("system") {
        Some(Value::String(s)) => messages.push(json!({"role": "system", "content": s})),
        Some(Value::Array(blocks)) => messages.push(json!({"role": "system", "content": texts(blocks)})),
        _ => {}
    }
    for m in request.get("messages").and_then(Value::as_array).into_iter().flatten() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("user");
        let blocks = match m.get("content") {
            Some(Value::String(s)) => {
                messages.push(json!({"role": role, "content": s}));
                continue;
            }
            Some(Value::Array(blocks)) => blocks,
            _ => continue,
        };
        for b in blocks.iter().filter(|b| b["type"] == "tool_result") {
            let content = match b.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => texts(parts),
                _ => String::new(),
            };
            messages.push(json!({"role": "tool", "tool_call_id": b["tool_use_id"], "content": content}));
        }
        let text = texts(blocks);
        let calls: Vec<Value> = blocks
            .iter()
            .filter(|b| b["type"] == "tool_use")
            .map(|b| json!({"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": b["input"].to_string()}}))
            .collect();
        let has_media = blocks.iter().any(|b| b["type"] == "image" || b["type"] == "document");
        if !text.is_empty() || !calls.is_empty() || has_media {
            let mut message = json!({"role": role, "content": text});
            if !calls.is_empty() {
                message["tool_calls"] = Value::Array(calls);
            }
            messages.push(message);
        }
    }
    let mut view = json!({"model": request["model"], "messages": messages});
    if let Some(tools) = request.get("tools").and_then(Value::as_array) {
        view["tools"] = tools
            .iter()
            .filter(|t| t.get("name").is_some())
            .map(|t| json!({"type": "function", "function": {"name": t["name"], "parameters": t.get("input_schema").cloned().unwrap_or(Value::Null)}}))
            .collect();
    }
    if let Some(choice) = request.get("tool_choice") {
        view["tool_choice"] = match choice["type"].as_str() {
            Some("none") => json!("none"),
            Some("any") => json!("required"),
            Some("tool") => json!({"type": "function", "function": {"name": choice["name"]}}),
            _ => json!("auto"),
        };
    }
    // Structured outputs (`output_config.format`) answer JSON, like OpenAI's json_schema.
    if let Some(schema) = request.pointer("/output_config/format/schema") {
        view["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}});
    }
    view
}

fn texts(blocks: &[Value]) -> String {
    blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join(" ")
}

/// What the mock answers, in Anthropic's terms.
struct Reply {
    id: String,
    model: String,
    text: Option<String>,
    /// `(id, name, input as sent)`.
    tool_uses: Vec<(String, String, String)>,
    stop_reason: String,
    stop_sequence: Option<String>,
    input_tokens: u64,
    cache_creation: u64,
    cache_read: u64,
    output_tokens: u64,
}

impl Reply {
    fn build(shared: &Shared, request: &Value, model: &str, behaviour: &Behaviour, seq: u64) -> Reply {
        let view = openai_view(request);
        let Answer { mut text, tool_calls, prompt_tokens, completion_tokens, .. } =
            answer::build(&view, model, behaviour, seq);
        let tool_uses: Vec<(String, String, String)> = tool_calls
            .into_iter()
            .enumerate()
            .map(|(i, c)| (format!("toolu_mock_{seq}_{i}"), c.name, c.arguments))
            .collect();

        let mut stop_sequence = None;
        let stop_reason = match &behaviour.finish_reason {
            Some(reason) => match reason.as_str() {
                "stop" => "end_turn",
                "length" => "max_tokens",
                "tool_calls" | "function_call" => "tool_use",
                "content_filter" => "refusal",
                other => other,
            }
            .to_string(),
            None => {
                let mut reason = if tool_uses.is_empty() { "end_turn" } else { "tool_use" };
                if let Some(t) = text.as_mut() {
                    let stops = request.get("stop_sequences").and_then(Value::as_array);
                    let hit = stops
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .filter_map(|s| t.find(s).map(|at| (at, s)))
                        .min_by_key(|(at, _)| *at);
                    if let Some((at, s)) = hit {
                        t.truncate(at);
                        stop_sequence = Some(s.to_string());
                        reason = "stop_sequence";
                    }
                    let max_chars = request["max_tokens"].as_u64().unwrap_or(u64::MAX).saturating_mul(4);
                    if t.chars().count() as u64 > max_chars {
                        *t = t.chars().take(max_chars as usize).collect();
                        stop_sequence = None;
                        reason = "max_tokens";
                    }
                }
                reason.to_string()
            }
        };
        let scripted_output = behaviour.usage.as_ref().and_then(|u| u.completion_tokens);
        let output_tokens = scripted_output.unwrap_or_else(|| {
            let chars = text.as_deref().map_or(0, |t| t.chars().count())
                + tool_uses.iter().map(|(_, n, a)| n.chars().count() + a.chars().count()).sum::<usize>();
            if chars == 0 {
                completion_tokens.min(1)
            } else {
                tokens(chars)
            }
        });

        // Prompt caching: the text up to the last `cache_control` marker is the cached prefix.
        let (cached, key) = cache_prefix(request);
        let cached = cached.min(prompt_tokens);
        let (cache_creation, cache_read) = match key {
            Some(key) if cached > 0 => {
                if shared.remember_prefix(key) {
                    (0, cached)
                } else {
                    (cached, 0)
                }
            }
            _ => (0, 0),
        };
        Reply {
            id: format!("msg_mock_{seq}"),
            model: model.to_string(),
            text,
            tool_uses,
            stop_reason,
            stop_sequence,
            input_tokens: prompt_tokens - cached,
            cache_creation,
            cache_read,
            output_tokens,
        }
    }

    fn usage(&self, output_tokens: u64) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": output_tokens,
            "service_tier": "standard"
        })
    }

    /// Whether the answer has a text block: any text, or nothing else.
    fn has_text(&self) -> bool {
        self.text.as_deref().is_some_and(|t| !t.is_empty()) || self.tool_uses.is_empty()
    }

    /// The `tool_use` input: the JSON arguments, or the scripted string when it is not JSON.
    fn input(arguments: &str) -> Value {
        serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_string()))
    }

    /// message.py `Message`, fields in the API's order.
    fn message(&self) -> Value {
        let mut content = Vec::new();
        if self.has_text() {
            content.push(json!({"type": "text", "text": self.text.as_deref().unwrap_or("")}));
        }
        for (id, name, arguments) in &self.tool_uses {
            content.push(json!({"type": "tool_use", "id": id, "name": name, "input": Self::input(arguments)}));
        }
        json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage(self.output_tokens)
        })
    }
}

/// Tokens of the text up to (and including) the last block marked `cache_control`, in the
/// API's cache order (tools, system, messages), and a key naming that prefix.
fn cache_prefix(request: &Value) -> (u64, Option<u64>) {
    let mut blocks: Vec<&Value> = Vec::new();
    blocks.extend(request.get("tools").and_then(Value::as_array).into_iter().flatten());
    blocks.extend(request.get("system").and_then(Value::as_array).into_iter().flatten());
    for m in request.get("messages").and_then(Value::as_array).into_iter().flatten() {
        blocks.extend(m.get("content").and_then(Value::as_array).into_iter().flatten());
    }
    let last = blocks.iter().rposition(|b| b.get("cache_control").is_some());
    let mut system_chars = 0;
    if let (Some(Value::String(s)), Some(_)) = (request.get("system"), last) {
        system_chars = s.chars().count();
    }
    let Some(last) = last else {
        return (0, None);
    };
    let mut hasher = DefaultHasher::new();
    request["model"].to_string().hash(&mut hasher);
    request.get("system").map(Value::to_string).hash(&mut hasher);
    let mut chars = system_chars;
    for b in &blocks[..=last] {
        b.to_string().hash(&mut hasher);
        chars += b.get("text").and_then(Value::as_str).map_or(0, |t| t.chars().count());
    }
    (tokens(chars), Some(hasher.finish()))
}

// ─────────────────────────────────── responses ─────────────────────────────────

fn message_response(reply: &Reply, behaviour: &Behaviour, seq: u64) -> Response {
    let text = if behaviour.malformed_json {
        format!(
            r#"{{"id":"{}","type":"message","role":"assistant","model":"{}","content":[{{"type":"text","text":"Mock"#,
            reply.id, reply.model
        )
    } else {
        reply.message().to_string()
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

/// One server-sent event; `content` marks text and input fragments, which
/// `cut_after_chunks` counts.
struct Event {
    data: String,
    content: bool,
}

fn event(name: &str, data: &Value, content: bool) -> Event {
    Event { data: format!("event: {name}\ndata: {data}\n\n"), content }
}

/// The stream in the API's order (see the SDK's `basic_response.txt` and
/// `tool_use_response.txt` fixtures): `message_start`, per block `content_block_start`,
/// deltas and `content_block_stop` (a `ping` after the first start), `message_delta` with
/// the stop reason and output tokens, `message_stop`.
fn stream_events(reply: &Reply) -> Vec<Event> {
    let mut start = reply.message();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["stop_sequence"] = Value::Null;
    start["usage"] = reply.usage(1);
    let mut events = vec![event("message_start", &json!({"type": "message_start", "message": start}), false)];
    let ping = |events: &mut Vec<Event>| events.push(event("ping", &json!({"type": "ping"}), false));

    let mut index = 0;
    if reply.has_text() {
        let block =
            json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}});
        events.push(event("content_block_start", &block, false));
        ping(&mut events);
        for word in reply.text.as_deref().unwrap_or("").split_inclusive(' ') {
            let delta =
                json!({"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": word}});
            events.push(event("content_block_delta", &delta, true));
        }
        events.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": index}), false));
        index += 1;
    }
    for (id, name, arguments) in &reply.tool_uses {
        let block = json!({"type": "content_block_start", "index": index,
            "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}});
        events.push(event("content_block_start", &block, false));
        if index == 0 {
            ping(&mut events);
        }
        let fragment = |s: &str| json!({"type": "content_block_delta", "index": index, "delta": {"type": "input_json_delta", "partial_json": s}});
        events.push(event("content_block_delta", &fragment(""), false));
        let chars: Vec<char> = arguments.chars().collect();
        for piece in chars.chunks(INPUT_FRAGMENT_CHARS) {
            let piece: String = piece.iter().collect();
            events.push(event("content_block_delta", &fragment(&piece), true));
        }
        events.push(event("content_block_stop", &json!({"type": "content_block_stop", "index": index}), false));
        index += 1;
    }
    let delta = json!({
        "type": "message_delta",
        "delta": {"stop_reason": reply.stop_reason, "stop_sequence": reply.stop_sequence},
        "usage": {"output_tokens": reply.output_tokens}
    });
    events.push(event("message_delta", &delta, false));
    events.push(event("message_stop", &json!({"type": "message_stop"}), false));
    events
}

fn stream_response(reply: &Reply, behaviour: &Behaviour, seq: u64) -> Response {
    let mut events = stream_events(reply);
    if behaviour.malformed_json {
        // Keep message_start, then an event whose data is broken JSON, then message_stop.
        events.truncate(1);
        let broken =
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"te\n\n";
        events.push(Event { data: broken.to_string(), content: true });
        events.push(event("message_stop", &json!({"type": "message_stop"}), false));
    } else if let Some(kind) = mid_stream_error(behaviour) {
        // A failure after the 200: message_start (and, with `cut_after_chunks`, that many
        // content events), then an `error` event, and the end.
        let keep = behaviour.cut_after_chunks.map_or(1, |n| {
            let finish = events.len().saturating_sub(2);
            events.iter().enumerate().filter(|(_, e)| e.content).nth(n).map_or(finish, |(i, _)| i.min(finish))
        });
        events.truncate(keep.max(1));
        let message = behaviour.error_message.as_deref().unwrap_or(match kind {
            "overloaded_error" => "Overloaded",
            "api_error" => "Internal server error",
            _ => "Error (scripted by kestrel-mock).",
        });
        let error = json!({"type": "error", "error": {"type": kind, "message": message}});
        events.push(event("error", &error, false));
    }
    let delay = Duration::from_millis(behaviour.chunk_delay_ms.unwrap_or(0));
    let body = match behaviour.cut_after_chunks.filter(|_| mid_stream_error(behaviour).is_none()) {
        Some(n) => {
            // Cut just before the (n+1)-th content event, or before message_delta.
            let finish = events.len().saturating_sub(2);
            let cut =
                events.iter().enumerate().filter(|(_, e)| e.content).nth(n).map_or(finish, |(i, _)| i.min(finish));
            cut_body(events[..cut].iter().map(|e| Bytes::from(e.data.clone())).collect(), delay)
        }
        None => delayed_body(events.into_iter().map(|e| Bytes::from(e.data)).collect(), delay, None),
    };
    with_headers(StatusCode::OK, "text/event-stream; charset=utf-8", body, seq)
}

/// The type of the `error` event a stream sends after its 200, if scripted: `error_type`
/// without `status`.
fn mid_stream_error(behaviour: &Behaviour) -> Option<&str> {
    behaviour.error_type.as_deref().filter(|_| behaviour.status.is_none())
}

// ─────────────────────────────────── errors ────────────────────────────────────

/// shared/error_response.py: `{"type": "error", "error": {"type", "message"}, "request_id"}`.
pub(crate) fn error_body(error_type: &str, message: &str, seq: u64) -> Value {
    json!({"type": "error", "error": {"type": error_type, "message": message}, "request_id": format!("req_mock_{seq}")})
}

/// The error for a scripted status, with the type Anthropic's "HTTP errors" page
/// (docs.claude.com/en/api/errors) gives that status: 400 invalid_request_error, 401
/// authentication_error, 403 permission_error, 404 not_found_error, 413 request_too_large,
/// 429 rate_limit_error, 500 api_error, 529 overloaded_error; plus billing_error (402) and
/// timeout_error (504) from the SDK's `shared/error_type.py`.
fn error(status: u16, model: &str, behaviour: &Behaviour, seq: u64) -> Value {
    let (default_type, default_message) = match status {
        400 => ("invalid_request_error", "Invalid request (scripted by kestrel-mock).".to_string()),
        401 => ("authentication_error", "invalid x-api-key".to_string()),
        402 => ("billing_error", "Your credit balance is too low to access the Anthropic API.".to_string()),
        403 => ("permission_error", "Your API key does not have permission to use the specified resource.".to_string()),
        404 => ("not_found_error", format!("model: {model}")),
        413 => ("request_too_large", "Request exceeds the maximum allowed number of bytes.".to_string()),
        429 => (
            "rate_limit_error",
            "This request would exceed the rate limit for your organization (kestrel-mock) of 50 requests per minute. Please try again later.".to_string(),
        ),
        504 => ("timeout_error", "Request timed out.".to_string()),
        529 => ("overloaded_error", "Overloaded".to_string()),
        s if s >= 500 => ("api_error", "Internal server error".to_string()),
        s => ("invalid_request_error", format!("Request failed with status {s}.")),
    };
    error_body(
        behaviour.error_type.as_deref().unwrap_or(default_type),
        behaviour.error_message.as_deref().unwrap_or(&default_message),
        seq,
    )
}

/// Anthropic sends `retry-after` in seconds (no `retry-after-ms`).
fn add_retry_after(response: &mut Response, behaviour: &Behaviour) {
    let Some(secs) = behaviour.retry_after.filter(|s| s.is_finite() && *s >= 0.0) else {
        return;
    };
    let value = if secs.fract() == 0.0 { format!("{}", secs as u64) } else { format!("{secs}") };
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn respond_json(status: StatusCode, body: &Value, seq: u64) -> Response {
    with_headers(status, "application/json", Body::from(body.to_string()), seq)
}

/// The headers Anthropic sends on every response; `request-id` is what the SDKs surface
/// as `_request_id` and in errors.
fn with_headers(status: StatusCode, content_type: &'static str, body: Body, seq: u64) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let fixed = [
        ("anthropic-organization-id", "00000000-0000-0000-0000-kestrelmock00"),
        ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", "3999"),
        ("anthropic-ratelimit-input-tokens-limit", "2000000"),
        ("anthropic-ratelimit-output-tokens-limit", "400000"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(id) = HeaderValue::from_str(&format!("req_mock_{seq}")) {
        headers.insert("request-id", id);
    }
    if content_type.starts_with("text/event-stream") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Script;

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": text})
    }

    fn reply(request: &Value, behaviour: &Behaviour) -> Reply {
        Reply::build(&Shared::new(Script::new()), request, "claude-x", behaviour, 1)
    }

    #[test]
    fn validation_catches_translation_bugs() {
        let ok = json!({"model": "m", "max_tokens": 10, "messages": [user("hi")]});
        assert_eq!(validate(&ok, "2023-06-01"), Ok("m"));
        let mut no_max = ok.clone();
        no_max.as_object_mut().unwrap().remove("max_tokens");
        assert_eq!(validate(&no_max, "2023-06-01").unwrap_err(), "max_tokens: Field required");
        let bad_role = json!({"model": "m", "max_tokens": 1, "messages": [{"role": "system", "content": "x"}]});
        assert!(validate(&bad_role, "2023-06-01").unwrap_err().contains("Input should be 'user' or 'assistant'"));
        let empty_text = json!({"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": [{"type": "text", "text": ""}]}]});
        assert!(validate(&empty_text, "2023-06-01").unwrap_err().contains("non-empty"));
        let hot = json!({"model": "m", "max_tokens": 1, "temperature": 1.5, "messages": [user("x")]});
        assert!(validate(&hot, "2023-06-01").unwrap_err().starts_with("temperature"));
        let warm = json!({"model": "m", "max_tokens": 1, "temperature": 1.0, "messages": [user("x")]});
        assert_eq!(validate(&warm, "2023-06-01"), Ok("m"));
        assert_eq!(validate(&warm, "2026-10-21").unwrap_err(), "temperature: Extra inputs are not permitted");
        let unanswered = json!({"model": "m", "max_tokens": 1, "messages": [user("x"),
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            user("and?")]});
        assert!(validate(&unanswered, "2023-06-01").unwrap_err().contains("without `tool_result`"));
        let answered = json!({"model": "m", "max_tokens": 1, "messages": [user("x"),
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
            user("and?")]});
        assert_eq!(validate(&answered, "2023-06-01"), Ok("m"));
        let stray = json!({"model": "m", "max_tokens": 1, "messages": [
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "ok"}]}]});
        assert!(validate(&stray, "2023-06-01").unwrap_err().contains("unexpected `tool_use_id`"));
    }

    #[test]
    fn default_answers_echo_call_tools_and_stop() {
        let r = reply(
            &json!({"model": "claude-x", "max_tokens": 100, "messages": [user("What is 2+2?")]}),
            &Behaviour::new(),
        );
        assert_eq!(r.text.as_deref(), Some("Mock answer from claude-x: you said \"What is 2+2?\"."));
        assert_eq!(r.stop_reason, "end_turn");

        let tools = json!([{"name": "get_weather", "input_schema": {"type": "object",
            "properties": {"city": {"type": "string"}}, "required": ["city"]}}]);
        let r = reply(
            &json!({"model": "claude-x", "max_tokens": 100, "messages": [user("weather?")], "tools": tools}),
            &Behaviour::new(),
        );
        assert_eq!(r.stop_reason, "tool_use");
        assert_eq!(r.tool_uses[0].0, "toolu_mock_1_0");
        assert_eq!(Reply::input(&r.tool_uses[0].2), json!({"city": "example"}));
        assert!(r.message()["content"].as_array().unwrap().iter().all(|b| b["type"] == "tool_use"));

        let r = reply(
            &json!({"model": "claude-x", "max_tokens": 100, "tools": tools, "messages": [user("weather?"),
                {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "get_weather", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "18C"}]}]}),
            &Behaviour::new(),
        );
        assert!(r.tool_uses.is_empty());
        assert!(r.text.unwrap().contains("18C"));

        let r = reply(
            &json!({"model": "claude-x", "max_tokens": 100, "stop_sequences": ["said"], "messages": [user("x")]}),
            &Behaviour::new(),
        );
        assert_eq!((r.stop_reason.as_str(), r.stop_sequence.as_deref()), ("stop_sequence", Some("said")));
        assert_eq!(r.text.as_deref(), Some("Mock answer from claude-x: you "));
        let r = reply(&json!({"model": "claude-x", "max_tokens": 2, "messages": [user("x")]}), &Behaviour::new());
        assert_eq!((r.stop_reason.as_str(), r.text.as_deref()), ("max_tokens", Some("Mock ans")));
        let r = reply(
            &json!({"model": "m", "max_tokens": 9, "messages": [user("x")]}),
            &Behaviour::reply("no").finish_reason("content_filter"),
        );
        assert_eq!(r.stop_reason, "refusal");
    }

    #[test]
    fn cache_markers_create_then_read() {
        let shared = Shared::new(Script::new());
        let req = json!({"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "a long shared document ".repeat(10), "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "question one"}]}]});
        let first = Reply::build(&shared, &req, "m", &Behaviour::new(), 1);
        assert_eq!((first.cache_creation, first.cache_read), (57, 0));
        let second = Reply::build(&shared, &req, "m", &Behaviour::new(), 2);
        assert_eq!((second.cache_creation, second.cache_read), (0, 57));
        assert!(second.input_tokens > 0);
        let plain = Reply::build(
            &shared,
            &json!({"model": "m", "max_tokens": 10, "messages": [user("x")]}),
            "m",
            &Behaviour::new(),
            3,
        );
        assert_eq!((plain.cache_creation, plain.cache_read), (0, 0));
    }

    #[test]
    fn streams_follow_the_api_order() {
        let r = reply(
            &json!({"model": "m", "max_tokens": 100, "messages": [user("hi")]}),
            &Behaviour::new().with_tool_call("f", json!({"a": 1})).text("Checking."),
        );
        let events = stream_events(&r);
        let names: Vec<&str> =
            events.iter().map(|e| e.data.lines().next().unwrap().trim_start_matches("event: ")).collect();
        assert_eq!(names[..4], ["message_start", "content_block_start", "ping", "content_block_delta"]);
        assert_eq!(names[names.len() - 2..], ["message_delta", "message_stop"]);
        assert_eq!(names.iter().filter(|n| **n == "content_block_start").count(), 2);
        let body: String = events.iter().map(|e| e.data.as_str()).collect();
        assert!(body.contains(r#""stop_reason":"tool_use""#), "{body}");
    }
}
