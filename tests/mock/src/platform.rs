//! The rest of OpenAI's platform API, which Kestrel passes through to the official SDKs
//! unrouted: moderations, images, audio (speech as bytes, transcriptions and translations
//! from multipart uploads) and legacy completions; the objects an account stores (files,
//! batches, fine-tuning jobs, vector stores, ...) are [`stored`]'s. Each answer has the
//! shape OpenAI documents, so both SDKs parse it into their own types; a model whose name
//! contains `missing` is OpenAI's 404 `model_not_found`.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};

use super::stored::{self, form_field};
use super::{respond_json, unix_time, with_headers};

/// Bytes that stand for speech audio.
const AUDIO: &[u8] = b"ID3\x04\x00\x00\x00\x00\x00\x00kestrel-mock speech";
/// A 1×1 transparent PNG, base64.
const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// The answer for `method path`, or `None` when the path is none of these APIs.
pub(crate) fn handle(
    method: &str,
    path: &str,
    query: Option<&str>,
    raw: &Bytes,
    body: &Value,
    seq: u64,
) -> Option<Response> {
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
        ("POST", ["completions"]) => ok(completion(body, seq)),
        // Chat completions are created by the chat route; the stored ones are listed here.
        ("POST", ["chat", "completions"]) => None,
        _ => stored::handle(method, &parts, query, raw, body, seq),
    }
}

fn moderation(body: &Value) -> Value {
    let inputs = match &body["input"] {
        Value::Array(items) => items.len(),
        _ => 1,
    };
    let categories = [
        "harassment",
        "harassment/threatening",
        "hate",
        "hate/threatening",
        "illicit",
        "illicit/violent",
        "self-harm",
        "self-harm/instructions",
        "self-harm/intent",
        "sexual",
        "sexual/minors",
        "violence",
        "violence/graphic",
    ];
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
