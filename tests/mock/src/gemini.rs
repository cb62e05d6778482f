//! Google's Gemini API (`POST …/models/{model}:generateContent` and
//! `…:streamGenerateContent?alt=sse`), with the same scripted behaviours as the OpenAI route.
//!
//! Shapes follow the official SDK, googleapis/python-genai (`google/genai/types.py`:
//! `GenerateContentResponse`, `Candidate`, `Part`, `FinishReason`,
//! `GenerateContentResponseUsageMetadata`; `errors.py` for the error body
//! `{"error": {"code", "message", "status"}}`).
//!
//! - Auth: the key as `x-goog-api-key` or `?key=`: without one 403 `PERMISSION_DENIED`
//!   (the API's answer to unregistered callers), a wrong one 400 `INVALID_ARGUMENT` "API key
//!   not valid" (as the real API answers).
//! - Validation the real API does and translators get wrong: unknown top-level fields
//!   (`model`, `messages`, ...) are "Unknown name" 400s; `contents` required, roles `user` /
//!   `model` only, no empty `parts`; schemas (`responseSchema`, function `parameters`) reject
//!   keys Gemini's `Schema` lacks (`additionalProperties`, `$schema`, ...).
//! - Answers: built like the OpenAI route's (echo naming the model, a call to the forced or
//!   first function, a mention of the function response, JSON for `responseMimeType`
//!   `application/json`); `stopSequences` and `maxOutputTokens` cut the text (`STOP` /
//!   `MAX_TOKENS`); a request naming `cachedContent` reports half its prompt as cached.
//! - Streams: one SSE event per word, function calls whole in one event, `finishReason` and
//!   the final `usageMetadata` on the last event; the body then ends (no `[DONE]`). A behaviour
//!   with `error_type` but no `status` streams a 200 whose first event is an error body.
//! - Script `finish_reason` takes Gemini names (`SAFETY`, ...) or OpenAI names, mapped.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::answer::{self, tokens, Answer};
use crate::script::Behaviour;
use crate::server::{cut_body, delayed_body, Shared};

/// Whether `path` is a Gemini generate route.
pub(crate) fn is_route(path: &str) -> bool {
    path.contains("/models/") && (path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent"))
}

/// Answers one generate request; `required` is the key this path must carry, if any.
pub(crate) async fn generate(
    shared: &Shared,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    required: Option<&str>,
    request: &Value,
    seq: u64,
) -> Response {
    let (rest, method) = path.rsplit_once(':').unwrap_or((path, ""));
    let model = rest.rsplit_once("/models/").map_or(rest, |(_, m)| m);
    let streaming = method == "streamGenerateContent";
    if let Err((status, body)) = check_key(headers, query, required) {
        return respond_json(status, &body, seq);
    }
    if let Err(message) = validate(request) {
        return respond_json(StatusCode::BAD_REQUEST, &error_body(400, "INVALID_ARGUMENT", &message), seq);
    }

    let behaviour = shared.next_behaviour(model);
    if let Some(ms) = behaviour.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let status = behaviour.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    if !status.is_success() {
        let body = error(status.as_u16(), model, &behaviour);
        let mut response = respond_json(status, &body, seq);
        if let Some(secs) = behaviour.retry_after.filter(|s| s.is_finite() && *s >= 0.0) {
            if let Ok(v) = HeaderValue::from_str(&format!("{}", secs.ceil() as u64)) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        return response;
    }

    let reply = Reply::build(request, model, &behaviour, seq);
    if streaming {
        stream_response(&reply, &behaviour, seq)
    } else {
        let text = if behaviour.malformed_json {
            r#"{"candidates": [{"content": {"parts": [{"text": "Mock"#.to_string()
        } else {
            reply.response(reply.parts(), true).to_string()
        };
        let body = match behaviour.cut_after_chunks {
            Some(_) => {
                let half = text.len() / 2;
                let cut = (0..=half).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                cut_body(vec![Bytes::from(text[..cut].to_string())], Duration::ZERO)
            }
            None => Body::from(text),
        };
        with_headers(StatusCode::OK, "application/json; charset=UTF-8", body, seq)
    }
}

// ───────────────────────────── auth and validation ─────────────────────────────

pub(crate) fn check_key(
    headers: &HeaderMap,
    query: Option<&str>,
    required: Option<&str>,
) -> Result<(), (StatusCode, Value)> {
    let from_header = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
    let from_query = query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("key="));
    match (from_header.or(from_query).filter(|k| !k.is_empty()), required) {
        (None, _) => Err((
            StatusCode::FORBIDDEN,
            error_body(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            ),
        )),
        (Some(key), Some(required)) if key != required => Err((
            StatusCode::BAD_REQUEST,
            error_body(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
        )),
        _ => Ok(()),
    }
}

/// Top-level fields of `GenerateContentRequest` (the REST body; the model is in the path).
const REQUEST_FIELDS: [&str; 7] =
    ["contents", "systemInstruction", "generationConfig", "tools", "toolConfig", "safetySettings", "cachedContent"];

/// Keys of types.py `Schema` in JSON.
const SCHEMA_FIELDS: [&str; 22] = [
    "anyOf",
    "default",
    "description",
    "enum",
    "example",
    "format",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "nullable",
    "pattern",
    "properties",
    "propertyOrdering",
    "required",
    "title",
    "type",
];

fn validate(request: &Value) -> Result<(), String> {
    let Some(body) = request.as_object() else {
        return Err("Invalid JSON payload received. Expected an object.".into());
    };
    if let Some(unknown) = body.keys().find(|k| !REQUEST_FIELDS.contains(&lower_camel(k).as_str())) {
        return Err(format!("Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field."));
    }
    let contents = body.get("contents").and_then(Value::as_array).filter(|c| !c.is_empty());
    let Some(contents) = contents else {
        return Err("* GenerateContentRequest.contents: contents is not specified".into());
    };
    for (i, c) in contents.iter().enumerate() {
        match c.get("role").and_then(Value::as_str) {
            Some("user" | "model") | None => {}
            Some(other) => {
                return Err(format!("Please use a valid role: user, model. (contents[{i}].role was \"{other}\")"))
            }
        }
        if c.get("parts").and_then(Value::as_array).is_none_or(|p| p.is_empty()) {
            return Err(format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."));
        }
    }
    if let Some(schema) = request.pointer("/generationConfig/responseSchema") {
        check_schema(schema, "generation_config.response_schema")?;
    }
    for (t, tool) in body.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let decls = tool.get("functionDeclarations").and_then(Value::as_array);
        for (d, decl) in decls.into_iter().flatten().enumerate() {
            if let Some(params) = decl.get("parameters") {
                let at = format!("tools[{t}].function_declarations[{d}].parameters");
                check_schema(params, &at)?;
                if params["type"] == "OBJECT"
                    && params.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty)
                {
                    return Err(format!(
                        "* GenerateContentRequest.{at}.properties: should be non-empty for OBJECT type"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A field name in proto JSON's lowerCamelCase: the API, like every proto3 JSON parser,
/// accepts the proto field name too (`property_ordering`, which the SDK sends, for
/// `propertyOrdering`).
fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    let Some(obj) = schema.as_object() else {
        return Ok(());
    };
    for (k, v) in obj {
        if !SCHEMA_FIELDS.contains(&lower_camel(k).as_str()) {
            return Err(format!("Invalid JSON payload received. Unknown name \"{k}\" at '{at}': Cannot find field."));
        }
        match lower_camel(k).as_str() {
            "properties" => {
                for (name, sub) in v.as_object().into_iter().flatten() {
                    check_schema(sub, &format!("{at}.properties[{name}].value"))?;
                }
            }
            "items" => check_schema(v, &format!("{at}.items"))?,
            "anyOf" => {
                for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                    check_schema(sub, &format!("{at}.any_of[{i}]"))?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

// ─────────────────────────────────── answers ───────────────────────────────────

/// A Gemini schema with OpenAI's lower-case type names, for the answer builder.
fn lower_types(schema: &Value) -> Value {
    match schema {
        Value::Object(obj) => Value::Object(
            obj.iter()
                .map(|(k, v)| match (k.as_str(), v) {
                    ("type", Value::String(t)) => (k.clone(), json!(t.to_ascii_lowercase())),
                    _ => (k.clone(), lower_types(v)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(lower_types).collect()),
        other => other.clone(),
    }
}

fn part_texts(parts: &[Value]) -> String {
    parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
}

/// The request seen as an OpenAI request, so the OpenAI route's answer builder serves both.
fn openai_view(request: &Value) -> Value {
    let mut messages = Vec::new();
    if let Some(parts) = request.pointer("/systemInstruction/parts").and_then(Value::as_array) {
        messages.push(json!({"role": "system", "content": part_texts(parts)}));
    }
    let mut call_seq = 0;
    for c in request.get("contents").and_then(Value::as_array).into_iter().flatten() {
        let role = if c["role"] == "model" { "assistant" } else { "user" };
        let parts = c.get("parts").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        for p in parts {
            if let Some(fr) = p.get("functionResponse") {
                let content = match fr.get("response") {
                    Some(Value::Object(o)) if o.len() == 1 && o.contains_key("result") => match &o["result"] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                messages
                    .push(json!({"role": "tool", "tool_call_id": format!("fc_{}", fr["name"]), "content": content}));
            }
        }
        let calls: Vec<Value> = parts
            .iter()
            .filter_map(|p| p.get("functionCall"))
            .map(|fc| {
                call_seq += 1;
                json!({"id": format!("fc_{call_seq}"), "type": "function",
                    "function": {"name": fc["name"], "arguments": fc.get("args").cloned().unwrap_or(json!({})).to_string()}})
            })
            .collect();
        let text = part_texts(parts);
        let has_media = parts.iter().any(|p| p.get("inlineData").is_some() || p.get("fileData").is_some());
        if !text.is_empty() || !calls.is_empty() || has_media {
            let mut message = json!({"role": role, "content": text});
            if !calls.is_empty() {
                message["tool_calls"] = Value::Array(calls);
            }
            messages.push(message);
        }
    }
    let mut view = json!({"model": "gemini", "messages": messages});
    let decls: Vec<Value> = request
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("functionDeclarations").and_then(Value::as_array))
        .flatten()
        .map(|d| {
            // `parametersJsonSchema` (JSON Schema, lower-case types) is the alternative the
            // SDK sends for Python callables, under its proto name `parameters_json_schema`.
            let json_schema = d.get("parametersJsonSchema").or_else(|| d.get("parameters_json_schema")).cloned();
            let params = d
                .get("parameters")
                .map(lower_types)
                .or(json_schema)
                .unwrap_or(json!({"type": "object", "properties": {}}));
            json!({"type": "function", "function": {"name": d["name"], "parameters": params}})
        })
        .collect();
    if !decls.is_empty() {
        view["tools"] = Value::Array(decls);
    }
    if let Some(config) = request.pointer("/toolConfig/functionCallingConfig") {
        let allowed = config.get("allowedFunctionNames").and_then(Value::as_array);
        view["tool_choice"] = match (config["mode"].as_str(), allowed.map(Vec::as_slice)) {
            (Some("NONE"), _) => json!("none"),
            (Some("ANY"), Some([one])) => json!({"type": "function", "function": {"name": one}}),
            (Some("ANY"), _) => json!("required"),
            _ => json!("auto"),
        };
    }
    let config = request.get("generationConfig");
    let json_mode = config.and_then(|c| c.get("responseMimeType")).and_then(Value::as_str) == Some("application/json");
    if let Some(schema) = config.and_then(|c| c.get("responseJsonSchema")) {
        view["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}});
    } else if let Some(schema) = config.and_then(|c| c.get("responseSchema")) {
        view["response_format"] =
            json!({"type": "json_schema", "json_schema": {"name": "output", "schema": lower_types(schema)}});
    } else if json_mode {
        view["response_format"] = json!({"type": "json_object"});
    }
    view
}

/// What the mock answers, in Gemini's terms.
struct Reply {
    id: String,
    model: String,
    text: Option<String>,
    /// `(name, args)`.
    calls: Vec<(String, Value)>,
    finish_reason: String,
    prompt_tokens: u64,
    cached_tokens: u64,
    output_tokens: u64,
}

impl Reply {
    fn build(request: &Value, model: &str, behaviour: &Behaviour, seq: u64) -> Reply {
        let view = openai_view(request);
        let Answer { mut text, tool_calls, prompt_tokens, completion_tokens, .. } =
            answer::build(&view, model, behaviour, seq);
        let calls: Vec<(String, Value)> = tool_calls
            .into_iter()
            .map(|c| {
                let args = serde_json::from_str(&c.arguments).unwrap_or(Value::String(c.arguments));
                (c.name, args)
            })
            .collect();
        let finish_reason = match &behaviour.finish_reason {
            Some(reason) => match reason.as_str() {
                "stop" | "tool_calls" | "function_call" => "STOP",
                "length" => "MAX_TOKENS",
                "content_filter" => "SAFETY",
                other => other,
            }
            .to_string(),
            None => {
                let mut reason = "STOP";
                if let Some(t) = text.as_mut() {
                    let stops = request.pointer("/generationConfig/stopSequences").and_then(Value::as_array);
                    let hit = stops
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .filter_map(|s| t.find(s))
                        .min();
                    if let Some(at) = hit {
                        t.truncate(at);
                    }
                    let max = request.pointer("/generationConfig/maxOutputTokens").and_then(Value::as_u64);
                    let max_chars = max.unwrap_or(u64::MAX).saturating_mul(4);
                    if t.chars().count() as u64 > max_chars {
                        *t = t.chars().take(max_chars as usize).collect();
                        reason = "MAX_TOKENS";
                    }
                }
                reason.to_string()
            }
        };
        let scripted_output = behaviour.usage.as_ref().and_then(|u| u.completion_tokens);
        let output_tokens = scripted_output.unwrap_or_else(|| {
            let chars = text.as_deref().map_or(0, |t| t.chars().count())
                + calls.iter().map(|(n, a)| n.chars().count() + a.to_string().chars().count()).sum::<usize>();
            if chars == 0 {
                completion_tokens.min(1)
            } else {
                tokens(chars)
            }
        });
        let cached_tokens = if request.get("cachedContent").is_some() { (prompt_tokens / 2).max(1) } else { 0 };
        Reply {
            id: format!("mock-gemini-{seq}"),
            model: model.to_string(),
            text,
            calls,
            finish_reason,
            prompt_tokens,
            cached_tokens,
            output_tokens,
        }
    }

    /// The content parts: the text (when there is any, or nothing else), then each call.
    fn parts(&self) -> Vec<Value> {
        let mut parts = Vec::new();
        if self.text.as_deref().is_some_and(|t| !t.is_empty()) || self.calls.is_empty() {
            parts.push(json!({"text": self.text.as_deref().unwrap_or("")}));
        }
        for (name, args) in &self.calls {
            parts.push(json!({"functionCall": {"name": name, "args": args}}));
        }
        parts
    }

    fn usage(&self, output_tokens: Option<u64>) -> Value {
        let mut u = json!({"promptTokenCount": self.prompt_tokens});
        if let Some(out) = output_tokens {
            u["candidatesTokenCount"] = json!(out);
            u["totalTokenCount"] = json!(self.prompt_tokens + out);
        } else {
            u["totalTokenCount"] = json!(self.prompt_tokens);
        }
        if self.cached_tokens > 0 {
            u["cachedContentTokenCount"] = json!(self.cached_tokens);
        }
        u["promptTokensDetails"] = json!([{"modality": "TEXT", "tokenCount": self.prompt_tokens}]);
        u
    }

    /// types.py `GenerateContentResponse` with `parts`; `last` adds the finish reason and
    /// the final usage.
    fn response(&self, parts: Vec<Value>, last: bool) -> Value {
        let mut candidate = json!({"content": {"parts": parts, "role": "model"}, "index": 0});
        if last {
            candidate["finishReason"] = json!(self.finish_reason);
        }
        json!({
            "candidates": [candidate],
            "usageMetadata": self.usage(last.then_some(self.output_tokens)),
            "modelVersion": self.model,
            "responseId": self.id
        })
    }
}

// ─────────────────────────────────── responses ─────────────────────────────────

fn sse(data: &Value) -> Bytes {
    Bytes::from(format!("data: {data}\r\n\r\n"))
}

/// One event per word of the text, then one with the function calls; the last event carries
/// `finishReason` and the final usage.
fn stream_events(reply: &Reply) -> Vec<Bytes> {
    let mut pieces: Vec<Vec<Value>> = Vec::new();
    let text = reply.text.as_deref().unwrap_or("");
    if !text.is_empty() || reply.calls.is_empty() {
        pieces.extend(text.split_inclusive(' ').map(|w| vec![json!({"text": w})]));
        if pieces.is_empty() {
            pieces.push(vec![json!({"text": ""})]);
        }
    }
    if !reply.calls.is_empty() {
        pieces.push(
            reply.calls.iter().map(|(name, args)| json!({"functionCall": {"name": name, "args": args}})).collect(),
        );
    }
    let n = pieces.len();
    pieces.into_iter().enumerate().map(|(i, parts)| sse(&reply.response(parts, i + 1 == n))).collect()
}

fn stream_response(reply: &Reply, behaviour: &Behaviour, seq: u64) -> Response {
    let mut events = stream_events(reply);
    if behaviour.malformed_json {
        events.truncate(1);
        events.push(Bytes::from_static(b"data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Mo\r\n\r\n"));
    } else if let Some(status) = behaviour.error_type.as_deref().filter(|_| behaviour.status.is_none()) {
        // A failure after the 200: the error body as the first event, and the end.
        let code = match status {
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" => 400,
            "UNAUTHENTICATED" => 401,
            "PERMISSION_DENIED" => 403,
            "NOT_FOUND" => 404,
            "RESOURCE_EXHAUSTED" => 429,
            "UNAVAILABLE" => 503,
            "DEADLINE_EXCEEDED" => 504,
            _ => 500,
        };
        let message = behaviour.error_message.as_deref().unwrap_or("Error (scripted by kestrel-mock).");
        events = vec![sse(&error_body(code, status, message))];
    }
    let delay = Duration::from_millis(behaviour.chunk_delay_ms.unwrap_or(0));
    let body = match behaviour.cut_after_chunks {
        Some(n) => {
            // Cut before the (n+1)-th event, and always before the last (finishing) one.
            let cut = n.min(events.len().saturating_sub(1));
            events.truncate(cut);
            cut_body(events, delay)
        }
        None => delayed_body(events, delay, None),
    };
    with_headers(StatusCode::OK, "text/event-stream", body, seq)
}

// ─────────────────────────────────── errors ────────────────────────────────────

/// errors.py `APIError`: `{"error": {"code", "message", "status"}}`.
pub(crate) fn error_body(code: u16, status: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "status": status}})
}

/// The error for a scripted status, with the canonical status name Google APIs give it.
fn error(status: u16, model: &str, behaviour: &Behaviour) -> Value {
    let (name, message) = match status {
        400 => ("INVALID_ARGUMENT", "Request contains an invalid argument.".to_string()),
        401 => ("UNAUTHENTICATED", "Request had invalid authentication credentials.".to_string()),
        403 => ("PERMISSION_DENIED", "The caller does not have permission".to_string()),
        404 => (
            "NOT_FOUND",
            format!("models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."),
        ),
        429 => (
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota, please check your plan and billing details.".to_string(),
        ),
        503 => ("UNAVAILABLE", "The model is overloaded. Please try again later.".to_string()),
        504 => ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete.".to_string()),
        s if s >= 500 => ("INTERNAL", "An internal error has occurred.".to_string()),
        _ => ("FAILED_PRECONDITION", format!("Request failed with status {status}.")),
    };
    error_body(
        status,
        behaviour.error_type.as_deref().unwrap_or(name),
        behaviour.error_message.as_deref().unwrap_or(&message),
    )
}

fn respond_json(status: StatusCode, body: &Value, seq: u64) -> Response {
    with_headers(status, "application/json; charset=UTF-8", Body::from(body.to_string()), seq)
}

fn with_headers(status: StatusCode, content_type: &'static str, body: Body, seq: u64) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("server", HeaderValue::from_static("scaffolding on HTTPServer2"));
    if let Ok(v) = HeaderValue::from_str(&format!("{seq}")) {
        headers.insert("x-kestrel-mock-seq", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Value {
        json!({"role": "user", "parts": [{"text": text}]})
    }

    #[test]
    fn routes_and_validation() {
        assert!(is_route("/gemini/v1beta/models/gemini-2.5-pro:generateContent"));
        assert!(is_route("/v1beta/models/m:streamGenerateContent"));
        assert!(!is_route("/v1/chat/completions"));
        assert_eq!(validate(&json!({"contents": [user("hi")]})), Ok(()));
        assert!(validate(&json!({"model": "m", "contents": [user("hi")]}))
            .unwrap_err()
            .contains("Unknown name \"model\""));
        assert!(validate(&json!({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]})).is_err());
        assert!(validate(&json!({"contents": [{"role": "user", "parts": []}]})).is_err());
        let bad_schema = json!({"contents": [user("x")], "generationConfig": {"responseSchema":
            {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "additionalProperties": false}}});
        assert!(validate(&bad_schema).unwrap_err().contains("additionalProperties"));
        // Proto field names are accepted alongside lowerCamelCase (the SDK sends some).
        let snake = json!({"contents": [user("x")], "generation_config": {"responseSchema":
            {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "property_ordering": ["a"]}}});
        assert_eq!(validate(&snake), Ok(()));
        assert!(validate(&json!({"contents": [user("x")], "additional_properties": 1})).is_err());
    }

    #[test]
    fn keys_come_as_header_or_query() {
        let mut headers = HeaderMap::new();
        assert_eq!(check_key(&headers, None, None).unwrap_err().0, StatusCode::FORBIDDEN);
        assert!(check_key(&headers, Some("alt=sse&key=k1"), Some("k1")).is_ok());
        assert_eq!(check_key(&headers, Some("key=k2"), Some("k1")).unwrap_err().0, StatusCode::BAD_REQUEST);
        headers.insert("x-goog-api-key", HeaderValue::from_static("k1"));
        assert!(check_key(&headers, None, Some("k1")).is_ok());
    }

    #[test]
    fn answers_echo_call_and_stream() {
        let r = Reply::build(&json!({"contents": [user("What is 2+2?")]}), "gemini-x", &Behaviour::new(), 1);
        assert_eq!(r.text.as_deref(), Some("Mock answer from gemini-x: you said \"What is 2+2?\"."));
        assert_eq!(r.finish_reason, "STOP");
        let tools = json!([{"functionDeclarations": [{"name": "get_weather", "parameters": {"type": "OBJECT",
            "properties": {"city": {"type": "STRING"}}, "required": ["city"]}}]}]);
        let r = Reply::build(&json!({"contents": [user("weather?")], "tools": tools}), "g", &Behaviour::new(), 2);
        assert_eq!(r.calls, vec![("get_weather".to_string(), json!({"city": "example"}))]);
        let events = stream_events(&r);
        assert_eq!(events.len(), 1);
        let after = Reply::build(
            &json!({"tools": tools, "contents": [user("weather?"),
                {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"result": "18C"}}}]}]}),
            "g",
            &Behaviour::new(),
            3,
        );
        assert!(after.calls.is_empty());
        let json_schema = json!([{"functionDeclarations": [{"name": "f", "parameters_json_schema": {"type": "object",
            "properties": {"q": {"type": "string"}}, "required": ["q"]}}]}]);
        let r = Reply::build(&json!({"contents": [user("go")], "tools": json_schema}), "g", &Behaviour::new(), 5);
        assert_eq!(r.calls, vec![("f".to_string(), json!({"q": "example"}))]);
        assert!(after.text.unwrap().contains("18C"));
        let capped = Reply::build(
            &json!({"contents": [user("x")], "generationConfig": {"maxOutputTokens": 2}}),
            "g",
            &Behaviour::new(),
            4,
        );
        assert_eq!((capped.finish_reason.as_str(), capped.text.as_deref()), ("MAX_TOKENS", Some("Mock ans")));
    }
}
