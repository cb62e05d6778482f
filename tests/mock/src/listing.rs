//! `GET …/models`: each provider's model listing in its own shape and pagination.
//! - OpenAI-compatible: `{"object": "list", "data": [{"id", "object": "model", "created",
//!   "owned_by"}]}`, one page.
//! - Anthropic (`anthropic-version` header): `{"data": [{"type": "model", "id",
//!   "display_name", "created_at"}], "has_more", "first_id", "last_id"}`, `limit` (default
//!   20) and `after_id`.
//! - Gemini (`/v1beta/models`): `{"models": [{"name": "models/…", "displayName",
//!   "supportedGenerationMethods"}], "nextPageToken"}`, `pageSize` (default 50) and
//!   `pageToken`.
//! - Cohere (`/cohere/…`): `{"models": [{"name", "endpoints", "finetuned",
//!   "context_length"}], "next_page_token"}`, `page_size` (default 20) and `page_token`.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{check_key, cohere, gemini, respond_json, unix_time, Shared};
use crate::{anthropic, wire};

pub(crate) fn respond(shared: &Shared, path: &str, query: Option<&str>, headers: &HeaderMap, seq: u64) -> Response {
    let (required, ids) = shared.listing(path);
    let required = required.as_deref();
    let param = |name: &str| {
        query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
    };
    let size = |name: &str, default: usize| param(name).and_then(|v| v.parse().ok()).unwrap_or(default).clamp(1, 1000);
    let created = unix_time();

    if path.contains("/v1beta/models") {
        if let Err((status, body)) = gemini::check_key(headers, query, required) {
            return respond_json(status, &body, seq);
        }
        let start = param("pageToken").and_then(|t| t.parse().ok()).unwrap_or(0);
        let (page, next) = page(&ids, start, size("pageSize", 50));
        let models: Vec<Value> = page
            .iter()
            .map(|id| {
                json!({"name": format!("models/{id}"), "displayName": id,
                       "supportedGenerationMethods": ["generateContent", "countTokens"]})
            })
            .collect();
        let mut body = json!({ "models": models });
        if let Some(n) = next {
            body["nextPageToken"] = json!(n.to_string());
        }
        return respond_json(StatusCode::OK, &body, seq);
    }
    if headers.contains_key("anthropic-version") {
        if let Err((status, body)) = anthropic::check_headers(headers, required, seq) {
            return respond_json(status, &body, seq);
        }
        let start = param("after_id").and_then(|a| ids.iter().position(|id| id == a)).map_or(0, |i| i + 1);
        let (page, next) = page(&ids, start, size("limit", 20));
        let data: Vec<Value> = page
            .iter()
            .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2026-11-24T00:00:00Z"}))
            .collect();
        let body = json!({"data": data, "has_more": next.is_some(),
                          "first_id": page.first(), "last_id": page.last()});
        return respond_json(StatusCode::OK, &body, seq);
    }
    if path.starts_with("/cohere/") {
        if let Err(body) = cohere::check_key(headers, required) {
            return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
        }
        let start = param("page_token").and_then(|t| t.parse().ok()).unwrap_or(0);
        let (page, next) = page(&ids, start, size("page_size", 20));
        let models: Vec<Value> = page
            .iter()
            .map(|id| json!({"name": id, "endpoints": ["chat"], "finetuned": false, "context_length": 256000}))
            .collect();
        let mut body = json!({ "models": models });
        if let Some(n) = next {
            body["next_page_token"] = json!(n.to_string());
        }
        return respond_json(StatusCode::OK, &body, seq);
    }
    if let Err(body) = check_key(headers, required) {
        return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
    }
    respond_json(StatusCode::OK, &wire::model_list(ids.iter(), created), seq)
}

/// `GET …/models/{id}` (OpenAI-compatible): the listed model, or OpenAI's 404
/// `model_not_found` body. Ids may hold slashes (`openai/gpt-oss-20b`): older SDKs send
/// them as they are, newer ones percent-encoded.
pub(crate) fn retrieve(shared: &Shared, prefix: &str, id: &str, headers: &HeaderMap, seq: u64) -> Response {
    let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
    let id = id.as_ref();
    let (required, ids) = shared.listing(&format!("{prefix}/models"));
    if let Err(body) = check_key(headers, required.as_deref()) {
        return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
    }
    match ids.iter().find(|m| m.as_str() == id) {
        Some(_) => {
            let model = json!({"id": id, "object": "model", "created": unix_time(), "owned_by": "kestrel-mock"});
            respond_json(StatusCode::OK, &model, seq)
        }
        None => respond_json(StatusCode::NOT_FOUND, &wire::error(404, id, None, None, None), seq),
    }
}

/// `ids[start..start + size]` and the start of the next page, if any.
fn page(ids: &[String], start: usize, size: usize) -> (&[String], Option<usize>) {
    let start = start.min(ids.len());
    let end = (start + size).min(ids.len());
    (&ids[start..end], (end < ids.len()).then_some(end))
}
