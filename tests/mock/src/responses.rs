//! OpenAI's own Responses API (`POST …/responses`, `GET`/`DELETE …/responses/{id}`,
//! `GET …/responses/{id}/input_items`, `POST …/responses/input_tokens` and `…/compact`), for what Kestrel does not route but sends
//! unchanged through the official SDKs: built-in tools, stored state, background runs.
//! Stateless: the answer says what a chat completion to the same request would (an echo of
//! the input, a call of a function tool, JSON for a JSON format), names the model and, for
//! each built-in tool asked for, carries that tool's call item (`web_search_call`, `file_search_call`, ...), as OpenAI does; a
//! `previous_response_id` the mock did not mint (`resp_mock…`) is OpenAI's 404.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{delayed_body, respond_json, unix_time, with_headers};
use crate::script::Behaviour;
use crate::{answer, wire};

/// Whether `path` is one of this module's routes.
pub(crate) fn is_route(path: &str) -> bool {
    path.ends_with("/responses") || path.contains("/responses/")
}

/// Answers `method path` (after the key check).
pub(crate) fn handle(method: &str, path: &str, body: &Value, seq: u64) -> Response {
    let tail = path.rsplit_once("/responses").map_or("", |(_, t)| t);
    let id = tail.trim_start_matches('/').split('/').next().unwrap_or("");
    match (method, tail) {
        ("POST", "") => create(body, seq),
        ("POST", "/input_tokens") => {
            let tokens = (body["input"].to_string().len() as u64 / 4).max(1);
            respond_json(StatusCode::OK, &json!({"object": "response.input_tokens", "input_tokens": tokens}), seq)
        }
        ("POST", "/compact") => respond_json(StatusCode::OK, &compacted(body, seq), seq),
        ("GET", t) if t.ends_with("/input_items") => respond_json(StatusCode::OK, &input_items(), seq),
        ("GET", _) if !id.is_empty() => {
            respond_json(StatusCode::OK, &response(id, "gpt-4o", &json!({}), "completed"), seq)
        }
        ("DELETE", _) if !id.is_empty() => {
            respond_json(StatusCode::OK, &json!({"id": id, "object": "response", "deleted": true}), seq)
        }
        ("POST", t) if t.ends_with("/cancel") => {
            respond_json(StatusCode::OK, &response(id, "gpt-4o", &json!({}), "cancelled"), seq)
        }
        _ => {
            let body = wire::error_with(&format!("Invalid URL ({method} {path})"), "invalid_request_error", None, None);
            respond_json(StatusCode::NOT_FOUND, &body, seq)
        }
    }
}

fn create(body: &Value, seq: u64) -> Response {
    let Some(model) = body.get("model").and_then(Value::as_str) else {
        let e = wire::error_with("Missing required parameter: 'model'.", "invalid_request_error", Some("model"), None);
        return respond_json(StatusCode::BAD_REQUEST, &e, seq);
    };
    if let Some(previous) = body.get("previous_response_id").and_then(Value::as_str) {
        if !previous.starts_with("resp_mock") {
            // Only the ids this mock minted are "stored" here, as on OpenAI.
            let message = format!("Previous response with id '{previous}' not found.");
            let e = wire::error_with(
                &message,
                "invalid_request_error",
                Some("previous_response_id"),
                Some("previous_response_not_found"),
            );
            return respond_json(StatusCode::NOT_FOUND, &e, seq);
        }
    }
    let id = format!("resp_mock{seq:044}");
    let background = body.get("background").and_then(Value::as_bool) == Some(true);
    let status = if background { "queued" } else { "completed" };
    let done = response(&id, model, body, status);
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        return respond_json(StatusCode::OK, &done, seq);
    }
    let mut events = Vec::new();
    let mut pending = done.clone();
    pending["status"] = json!("in_progress");
    pending["output"] = json!([]);
    pending["usage"] = Value::Null;
    events.push(json!({"type": "response.created", "response": pending.clone()}));
    events.push(json!({"type": "response.in_progress", "response": pending}));
    for (i, item) in done["output"].as_array().into_iter().flatten().enumerate() {
        events.push(json!({"type": "response.output_item.added", "output_index": i, "item": item}));
        if item["type"] == "message" {
            let part = item["content"][0].clone();
            let text = part["text"].clone();
            let ids = json!({"item_id": item["id"], "output_index": i, "content_index": 0});
            let empty = json!({"type": "output_text", "text": "", "annotations": [], "logprobs": []});
            let mut part_added = json!({"type": "response.content_part.added", "part": empty});
            let mut delta = json!({"type": "response.output_text.delta", "delta": text, "logprobs": []});
            let mut text_done = json!({"type": "response.output_text.done", "text": text, "logprobs": []});
            let mut part_done = json!({"type": "response.content_part.done", "part": part});
            for e in [&mut part_added, &mut delta, &mut text_done, &mut part_done] {
                e.as_object_mut().unwrap().extend(ids.as_object().unwrap().clone());
            }
            events.extend([part_added, delta, text_done, part_done]);
        }
        if item["type"] == "function_call" {
            let ids = json!({"item_id": item["id"], "output_index": i});
            let mut delta = json!({"type": "response.function_call_arguments.delta", "delta": item["arguments"]});
            let mut args_done =
                json!({"type": "response.function_call_arguments.done", "arguments": item["arguments"]});
            for e in [&mut delta, &mut args_done] {
                e.as_object_mut().unwrap().extend(ids.as_object().unwrap().clone());
            }
            events.extend([delta, args_done]);
        }
        events.push(json!({"type": "response.output_item.done", "output_index": i, "item": item}));
    }
    events.push(json!({"type": "response.completed", "response": done}));
    let chunks = events
        .into_iter()
        .enumerate()
        .map(|(n, mut e)| {
            e["sequence_number"] = json!(n);
            let kind = e["type"].as_str().unwrap_or("").to_string();
            format!("event: {kind}\ndata: {e}\n\n").into()
        })
        .collect();
    with_headers(
        StatusCode::OK,
        "text/event-stream; charset=utf-8",
        delayed_body(chunks, Default::default(), None),
        seq,
    )
}

/// A Response object as OpenAI sends it, answering `request` (an empty object for a stored
/// response): the same words a chat completion would say (see [`as_chat`]).
fn response(id: &str, model: &str, request: &Value, status: &str) -> Value {
    let builtin: Vec<&str> = request["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t.get("type")?.as_str()).filter(|t| *t != "function").collect())
        .unwrap_or_default();
    let chat = as_chat(request);
    let asked = chat["messages"].as_array().and_then(|m| m.last()).map(answer::message_text).unwrap_or_default();
    let mut output: Vec<Value> = builtin.iter().enumerate().map(|(i, t)| tool_call(i, t, &asked)).collect();
    let answer = answer::build(&chat, model, &Behaviour::default(), 0);
    if status == "completed" {
        for (i, call) in answer.tool_calls.iter().enumerate() {
            output.push(json!({"type": "function_call", "id": format!("fc_mock{i}"), "call_id": call.id,
                "name": call.name, "arguments": call.arguments, "status": "completed"}));
        }
        if let Some(text) = answer.text.as_deref().filter(|_| answer.tool_calls.is_empty()) {
            output.push(json!({
                "type": "message", "id": "msg_mock0", "role": "assistant", "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
            }));
        }
    }
    let (input, output_tokens) = (answer.prompt_tokens, answer.completion_tokens);
    let echoed = |name: &str, default: Value| request.get(name).cloned().unwrap_or(default);
    json!({
        "id": id, "object": "response", "created_at": unix_time(), "status": status, "background": status == "queued",
        "error": null, "incomplete_details": null, "instructions": echoed("instructions", Value::Null),
        "max_output_tokens": echoed("max_output_tokens", Value::Null), "model": model, "output": output,
        "parallel_tool_calls": true, "previous_response_id": echoed("previous_response_id", Value::Null),
        "reasoning": {"effort": null, "summary": null}, "store": echoed("store", json!(true)),
        "temperature": echoed("temperature", json!(1.0)),
        "text": echoed("text", json!({"format": {"type": "text"}})), "tool_choice": echoed("tool_choice", json!("auto")),
        "tools": echoed("tools", json!([])), "top_p": echoed("top_p", json!(1.0)), "truncation": "disabled",
        "conversation": request.get("conversation").map(|c| json!({"id": c.get("id").unwrap_or(c)})),
        "usage": {"input_tokens": input, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}, "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": input + output_tokens},
        "user": null, "metadata": echoed("metadata", json!({})),
    })
}

/// The call item a built-in tool leaves in a response's output, with the fields OpenAI's
/// type for it requires (`action` for a web search, `queries` for a file search, ...).
fn tool_call(i: usize, tool: &str, asked: &str) -> Value {
    let kind = format!("{}_call", tool.trim_end_matches("_preview"));
    let mut item = json!({"type": kind, "id": format!("ws_mock{i}"), "status": "completed"});
    let extra = match tool.trim_end_matches("_preview") {
        "web_search" => json!({"action": {"type": "search", "query": asked, "sources": []}}),
        "file_search" => json!({"queries": [asked], "results": null}),
        "code_interpreter" => json!({"code": "print(1)", "container_id": "cntr_mock1", "outputs": []}),
        "image_generation" => json!({"result": null}),
        _ => json!({}),
    };
    item.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    item
}

/// A Responses request as the Chat Completions request that asks the same thing, so the
/// mock answers both APIs alike: `instructions` as a system message, input items as
/// messages (function calls and their outputs as tool calls and tool messages), function
/// tools and `tool_choice` in chat's shape, `text.format` as `response_format`.
fn as_chat(request: &Value) -> Value {
    let mut messages = Vec::new();
    if let Some(instructions) = request["instructions"].as_str() {
        messages.push(json!({"role": "system", "content": instructions}));
    }
    match &request["input"] {
        Value::String(text) => messages.push(json!({"role": "user", "content": text})),
        Value::Array(items) => {
            for item in items {
                match item["type"].as_str() {
                    Some("function_call_output") => messages
                        .push(json!({"role": "tool", "tool_call_id": item["call_id"], "content": item["output"]})),
                    Some("function_call") => {
                        messages.push(json!({"role": "assistant", "content": null, "tool_calls": [
                        {"id": item["call_id"], "type": "function",
                            "function": {"name": item["name"], "arguments": item["arguments"]}}]}))
                    }
                    _ if item.get("role").is_some() => messages.push(item.clone()),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let tools: Vec<Value> = request["tools"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["type"] == "function")
        .map(|t| json!({"type": "function", "function": {"name": t["name"], "parameters": t["parameters"]}}))
        .collect();
    let mut chat = json!({"model": request["model"], "messages": messages});
    if !tools.is_empty() {
        chat["tools"] = json!(tools);
    }
    match &request["tool_choice"] {
        Value::Null => {}
        Value::Object(c) => chat["tool_choice"] = json!({"type": "function", "function": {"name": c.get("name")}}),
        other => chat["tool_choice"] = other.clone(),
    }
    match request.pointer("/text/format/type").and_then(Value::as_str) {
        Some("json_schema") => {
            chat["response_format"] =
                json!({"type": "json_schema", "json_schema": {"schema": request["text"]["format"]["schema"]}})
        }
        Some("json_object") => chat["response_format"] = json!({"type": "json_object"}),
        _ => {}
    }
    chat
}

/// `POST /responses/compact`: the conversation so far as one compaction item.
fn compacted(body: &Value, seq: u64) -> Value {
    let model = body["model"].as_str().unwrap_or("gpt-4o");
    json!({"id": format!("resp_mock{seq:044}"), "object": "response.compaction", "created_at": unix_time(),
        "output": [{"type": "compaction", "id": "cmp_mock0", "encrypted_content": "bW9jaw=="}],
        "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0}, "output_tokens": 3,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15}, "model": model})
}

fn input_items() -> Value {
    let item = json!({"type": "message", "id": "msg_in0", "role": "user", "status": "completed",
        "content": [{"type": "input_text", "text": "(stored input)"}]});
    json!({"object": "list", "data": [item], "first_id": "msg_in0", "last_id": "msg_in0", "has_more": false})
}
