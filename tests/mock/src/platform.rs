//! The rest of OpenAI's platform API, which Kestrel passes through to the official SDKs
//! unrouted: moderations, images, audio (speech as bytes, transcriptions and translations
//! from multipart uploads), files (multipart upload, list, retrieve, content, delete),
//! batches, fine-tuning jobs and their events, vector stores and legacy completions. Each
//! answer has the shape OpenAI documents, so both SDKs parse it into their own types; the
//! mock is stateless (an id it is asked about exists, with fixed fields); a model whose
//! name contains `missing` is OpenAI's 404 `model_not_found`.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{respond_json, unix_time, with_headers};

/// Bytes that stand for speech audio and file contents.
const AUDIO: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00kestrel-mock speech";
const FILE_CONTENT: &str = "{\"custom_id\": \"r1\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\"}\n";
/// A 1×1 transparent PNG, base64.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// The answer for `method path`, or `None` when the path is none of these APIs.
pub(crate) fn handle(method: &str, path: &str, raw: &Bytes, body: &Value, seq: u64) -> Option<Response> {
    let tail = path.rsplit_once("/v1/").map_or(path.trim_start_matches('/'), |(_, t)| t);
    let parts: Vec<&str> = tail.split('/').collect();
    let ok = |v: Value| Some(respond_json(StatusCode::OK, &v, seq));
    // A model named `…missing…` does not exist: OpenAI's 404, for error tests.
    if let Some(model) = body["model"].as_str().map(str::to_string).or_else(|| form_field(raw, "model")) {
        if model.contains("missing") {
            let message = format!("The model `{model}` does not exist or you do not have access to it.");
            let e = crate::wire::error_with(&message, "invalid_request_error", None, Some("model_not_found"));
            return Some(respond_json(StatusCode::NOT_FOUND, &e, seq));
        }
    }
    match (method, parts.as_slice()) {
        ("POST", ["moderations"]) => ok(moderation(body)),
        ("POST", ["images", "generations" | "edits" | "variations"]) => ok(images(body, raw)),
        ("POST", ["audio", "speech"]) => {
            Some(with_headers(StatusCode::OK, "audio/mpeg", axum::body::Body::from(AUDIO), seq))
        }
        ("POST", ["audio", kind @ ("transcriptions" | "translations")]) => {
            let text = if *kind == "transcriptions" { "Mock transcription." } else { "Mock translation." };
            if form_field(raw, "response_format").as_deref() == Some("text") {
                return Some(with_headers(StatusCode::OK, "text/plain", axum::body::Body::from(text), seq));
            }
            ok(json!({"text": text}))
        }
        ("POST", ["files"]) => {
            let filename = form_filename(raw).unwrap_or_else(|| "upload".into());
            let purpose = form_field(raw, "purpose").unwrap_or_else(|| "batch".into());
            ok(file("file-mock1", &filename, &purpose))
        }
        ("GET", ["files"]) => {
            ok(list(vec![file("file-mock1", "batch.jsonl", "batch"), file("file-mock2", "a.pdf", "assistants")]))
        }
        ("GET", ["files", id]) => ok(file(id, "batch.jsonl", "batch")),
        ("GET", ["files", _, "content"]) => {
            Some(with_headers(StatusCode::OK, "application/octet-stream", axum::body::Body::from(FILE_CONTENT), seq))
        }
        ("DELETE", ["files", id]) => ok(json!({"id": id, "object": "file", "deleted": true})),
        ("POST", ["batches"]) => {
            ok(batch("batch_mock1", body["input_file_id"].as_str().unwrap_or("file-mock1"), "validating"))
        }
        ("GET", ["batches"]) => ok(list(vec![batch("batch_mock1", "file-mock1", "completed")])),
        ("GET", ["batches", id]) => ok(batch(id, "file-mock1", "completed")),
        ("POST", ["batches", id, "cancel"]) => ok(batch(id, "file-mock1", "cancelling")),
        ("POST", ["fine_tuning", "jobs"]) => ok(job("ftjob-mock1", body["model"].as_str().unwrap_or("gpt-4o-mini"))),
        ("GET", ["fine_tuning", "jobs"]) => ok(list(vec![job("ftjob-mock1", "gpt-4o-mini")])),
        ("GET", ["fine_tuning", "jobs", id]) => ok(job(id, "gpt-4o-mini")),
        ("GET", ["fine_tuning", "jobs", _, "events"]) => ok(list(
            (0..3)
                .map(|i| {
                    json!({"id": format!("ftevent-{i}"), "object": "fine_tuning.job.event", "created_at": unix_time(),
                    "level": "info", "message": format!("Step {i}"), "data": {}, "type": "message"})
                })
                .collect(),
        )),
        ("POST", ["vector_stores"]) => ok(vector_store("vs_mock1", body["name"].as_str())),
        ("GET", ["vector_stores"]) => ok(list(vec![vector_store("vs_mock1", Some("docs"))])),
        ("GET", ["vector_stores", id]) => ok(vector_store(id, Some("docs"))),
        ("DELETE", ["vector_stores", id]) => ok(json!({"id": id, "object": "vector_store.deleted", "deleted": true})),
        ("POST", ["completions"]) => ok(completion(body, seq)),
        _ => None,
    }
}

/// A cursor page as OpenAI sends lists.
fn list(data: Vec<Value>) -> Value {
    let first = data.first().and_then(|d| d.get("id")).cloned().unwrap_or(Value::Null);
    let last = data.last().and_then(|d| d.get("id")).cloned().unwrap_or(Value::Null);
    json!({"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": false})
}

fn moderation(body: &Value) -> Value {
    let inputs = match &body["input"] {
        Value::Array(items) => items.len(),
        _ => 1,
    };
    let categories = ["harassment", "hate", "self-harm", "sexual", "violence"];
    let result = json!({
        "flagged": false,
        "categories": categories.iter().map(|c| (c.to_string(), json!(false))).collect::<serde_json::Map<_, _>>(),
        "category_scores": categories.iter().map(|c| (c.to_string(), json!(0.0001))).collect::<serde_json::Map<_, _>>(),
        "category_applied_input_types": categories.iter().map(|c| (c.to_string(), json!(["text"]))).collect::<serde_json::Map<_, _>>(),
    });
    json!({"id": "modr-mock", "model": body["model"].as_str().unwrap_or("omni-moderation-latest"),
        "results": vec![result; inputs]})
}

fn images(body: &Value, raw: &Bytes) -> Value {
    let format = body["response_format"].as_str().map(str::to_string).or_else(|| form_field(raw, "response_format"));
    let n = body["n"].as_u64().unwrap_or(1).max(1);
    let image = if format.as_deref() == Some("url") {
        json!({"url": "https://images.invalid/mock.png", "revised_prompt": body["prompt"]})
    } else {
        json!({"b64_json": PNG_B64, "revised_prompt": body["prompt"]})
    };
    json!({"created": unix_time(), "data": vec![image; n as usize]})
}

fn file(id: &str, filename: &str, purpose: &str) -> Value {
    json!({"id": id, "object": "file", "bytes": FILE_CONTENT.len(), "created_at": unix_time(),
        "filename": filename, "purpose": purpose, "status": "processed", "expires_at": null, "status_details": null})
}

fn batch(id: &str, input_file_id: &str, status: &str) -> Value {
    json!({"id": id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": input_file_id, "completion_window": "24h", "status": status,
        "output_file_id": null, "error_file_id": null, "created_at": unix_time(),
        "request_counts": {"total": 1, "completed": 0, "failed": 0}, "metadata": {}})
}

fn job(id: &str, model: &str) -> Value {
    json!({"id": id, "object": "fine_tuning.job", "model": model, "created_at": unix_time(),
        "fine_tuned_model": null, "organization_id": "org-mock", "result_files": [], "status": "queued",
        "validation_file": null, "training_file": "file-mock1", "hyperparameters": {"n_epochs": "auto",
        "batch_size": "auto", "learning_rate_multiplier": "auto"}, "trained_tokens": null, "error": null,
        "finished_at": null, "seed": 42, "estimated_finish": null, "integrations": null, "metadata": null})
}

fn vector_store(id: &str, name: Option<&str>) -> Value {
    json!({"id": id, "object": "vector_store", "created_at": unix_time(), "name": name, "usage_bytes": 0,
        "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
        "status": "completed", "expires_after": null, "expires_at": null, "last_active_at": unix_time(),
        "metadata": {}})
}

/// The legacy Completions API: the prompt echoed, counted as chat is.
fn completion(body: &Value, seq: u64) -> Value {
    let model = body["model"].as_str().unwrap_or("gpt-3.5-turbo-instruct");
    let prompt = body["prompt"].as_str().unwrap_or("");
    let text = format!(" Mock completion of \"{prompt}\".");
    let tokens = |s: &str| (s.len() as u64 / 4).max(1);
    json!({"id": format!("cmpl-mock-{seq}"), "object": "text_completion", "created": unix_time(), "model": model,
        "choices": [{"text": text, "index": 0, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": tokens(prompt), "completion_tokens": tokens(&text),
            "total_tokens": tokens(prompt) + tokens(&text)}})
}

/// A multipart form field's text value (enough of RFC 7578 for the SDKs' uploads).
fn form_field(raw: &Bytes, name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let marker = format!("name=\"{name}\"");
    let at = text.find(&marker)?;
    let rest = &text[at + marker.len()..];
    let start = rest.find("\r\n\r\n")? + 4;
    let end = rest[start..].find("\r\n")?;
    Some(rest[start..start + end].to_string())
}

/// The uploaded file's name in a multipart form.
fn form_filename(raw: &Bytes) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let at = text.find("filename=\"")? + "filename=\"".len();
    let end = text[at..].find('"')?;
    Some(text[at..at + end].to_string())
}
