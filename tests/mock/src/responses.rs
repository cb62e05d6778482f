//! OpenAI's own Responses API (`POST …/responses`, `GET`/`DELETE …/responses/{id}`,
//! `GET …/responses/{id}/input_items`), for what Kestrel does not route but sends
//! unchanged through the official SDKs: built-in tools, stored state, background runs.
//! Stateless: the answer names the model and, for each built-in tool asked for, carries
//! that tool's call item (`web_search_call`, `file_search_call`, ...), as OpenAI does; a
//! `previous_response_id` the mock did not mint (`resp_mock…`) is OpenAI's 404.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::{delayed_body, respond_json, unix_time, with_headers};
use crate::wire;

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
        ("GET", t) if t.ends_with("/input_items") => respond_json(StatusCode::OK, &input_items(), seq),
        ("GET", _) if !id.is_empty() => respond_json(StatusCode::OK, &response(id, "gpt-4o", &[], "completed"), seq),
        ("DELETE", _) if !id.is_empty() => {
            respond_json(StatusCode::OK, &json!({"id": id, "object": "response", "deleted": true}), seq)
        }
        ("POST", t) if t.ends_with("/cancel") => {
            respond_json(StatusCode::OK, &response(id, "gpt-4o", &[], "cancelled"), seq)
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
    let tools: Vec<&str> = body
        .get("tools")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|t| t.get("type")?.as_str()).filter(|t| *t != "function").collect())
        .unwrap_or_default();
    let id = format!("resp_mock{seq:044}");
    let background = body.get("background").and_then(Value::as_bool) == Some(true);
    let status = if background { "queued" } else { "completed" };
    let done = response(&id, model, &tools, status);
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

/// A Response object as OpenAI sends it.
fn response(id: &str, model: &str, tools: &[&str], status: &str) -> Value {
    let mut output: Vec<Value> = tools
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let kind = format!("{}_call", t.trim_end_matches("_preview"));
            json!({"type": kind, "id": format!("ws_mock{i}"), "status": "completed"})
        })
        .collect();
    let text = format!("Mock answer from {model} (Responses API)");
    if status == "completed" {
        output.push(json!({
            "type": "message", "id": "msg_mock0", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }));
    }
    json!({
        "id": id, "object": "response", "created_at": unix_time(), "status": status, "background": status == "queued",
        "error": null, "incomplete_details": null, "instructions": null, "max_output_tokens": null,
        "model": model, "output": output, "parallel_tool_calls": true, "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null}, "store": true, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto",
        "tools": tools.iter().map(|t| json!({"type": t})).collect::<Vec<_>>(), "top_p": 1.0, "truncation": "disabled",
        "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 9,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 21},
        "user": null, "metadata": {},
    })
}

fn input_items() -> Value {
    let item = json!({"type": "message", "id": "msg_in0", "role": "user", "status": "completed",
        "content": [{"type": "input_text", "text": "(stored input)"}]});
    json!({"object": "list", "data": [item], "first_id": "msg_in0", "last_id": "msg_in0", "has_more": false})
}
