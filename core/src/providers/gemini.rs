//! Google's Gemini API (`POST /v1beta/models/{model}:generateContent`, and
//! `:streamGenerateContent?alt=sse` for streams): OpenAI chat requests become
//! `GenerateContentRequest`s, and each `GenerateContentResponse` comes back as an OpenAI
//! completion (or chunks).
//!
//! Shapes follow the official SDK, googleapis/python-genai (`google/genai/types.py`:
//! `Content`, `Part`, `Blob`, `FileData`, `FunctionCall`, `FunctionResponse`,
//! `GenerationConfig`, `Schema`, `ToolConfig`, `FunctionCallingConfigMode`, `FinishReason`,
//! `GenerateContentResponseUsageMetadata`; `models.py` for the paths; `_api_client.py` for
//! the `x-goog-api-key` header; `_transformers.py` `process_schema` for the schema rules).
//! The REST API speaks the camelCase JSON names of those fields.
//!
//! | OpenAI | Gemini |
//! |---|---|
//! | `system` / `developer` messages | `systemInstruction.parts` |
//! | `assistant` | role `model` |
//! | consecutive same-role messages | one `Content` |
//! | `image_url` `data:` / `http(s):` | `inlineData` / `fileData` (type guessed from the extension) |
//! | `input_audio`, `file.file_data` | `inlineData` |
//! | assistant `tool_calls` | `functionCall` parts, `args` = parsed arguments |
//! | `tool` messages | `functionResponse` parts in a user turn (name from the call id) |
//! | `max_completion_tokens` / `max_tokens`, `temperature`, `top_p`, `stop`, `seed`, `n`, penalties | `generationConfig` |
//! | `response_format` JSON | `generationConfig.responseMimeType` (+ `responseSchema`) |
//! | `tools[].function` | `tools[0].functionDeclarations` |
//! | `tool_choice` auto / none / required / named | `toolConfig.functionCallingConfig` `AUTO` / `NONE` / `ANY` / `ANY` + `allowedFunctionNames` |

use std::collections::VecDeque;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::malformed;
use super::http::{self, Auth};
use super::{Call, ChunkStream, Provider};
use crate::error::{Error, Result};
use crate::types::{
    AssistantMessage, ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, CompletionTokensDetails, Content,
    ContentPart, Delta, Extra, FunctionCall, FunctionCallDelta, Message, PromptTokensDetails, ResponseFormat, Role,
    ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, Usage,
};

/// The key goes in `x-goog-api-key` (python-genai `_api_client.py`:
/// `self._http_options.headers['x-goog-api-key'] = self.api_key`).
const AUTH: Auth = Auth::Header("x-goog-api-key");

/// Deepest `$ref` chain or schema nesting followed when cleaning a schema (guards cycles).
const MAX_SCHEMA_DEPTH: usize = 16;

/// Parameters of OpenAI's API that Gemini has no equivalent for (the caller set them if
/// `true`): dropped with a debug log, never sent.
fn openai_only(r: &ChatRequest) -> [(&'static str, bool); 15] {
    [
        ("logit_bias", r.logit_bias.is_some()),
        ("logprobs", r.logprobs.is_some()),
        ("top_logprobs", r.top_logprobs.is_some()),
        ("parallel_tool_calls", r.parallel_tool_calls.is_some()),
        ("reasoning_effort", r.reasoning_effort.is_some()),
        ("verbosity", r.verbosity.is_some()),
        ("modalities", r.modalities.is_some()),
        ("audio", r.audio.is_some()),
        ("prediction", r.prediction.is_some()),
        ("service_tier", r.service_tier.is_some()),
        ("store", r.store.is_some()),
        ("metadata", r.metadata.is_some()),
        ("user", r.user.is_some() || r.safety_identifier.is_some()),
        ("prompt_cache_key", r.prompt_cache_key.is_some()),
        ("web_search_options", r.web_search_options.is_some()),
    ]
}

/// The Gemini wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Gemini;

/// The request body for this call (the same for streams: the URL differs, not the body).
pub(super) fn build(call: &Call<'_>) -> Result<Vec<u8>> {
    let req = call.request;
    let provider = call.endpoint.provider.as_str();
    let mut out = Map::new();
    let (system, contents) = convert_messages(req)?;
    out.insert("contents".into(), Value::Array(contents));
    if let Some(system) = system {
        out.insert("systemInstruction".into(), system);
    }

    let mut config = Map::new();
    if let Some(max) = req.max_output() {
        config.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(t) = req.temperature {
        // Gemini takes 0..=2, as OpenAI does.
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        config.insert("topP".into(), json!(p));
    }
    if let Some(stop) = &req.stop {
        config.insert("stopSequences".into(), json!(stop.as_slice()));
    }
    if let Some(seed) = req.seed {
        config.insert("seed".into(), json!(seed));
    }
    if let Some(n) = req.n.filter(|n| *n > 1) {
        config.insert("candidateCount".into(), json!(n));
    }
    if let Some(p) = req.presence_penalty {
        config.insert("presencePenalty".into(), json!(p));
    }
    if let Some(p) = req.frequency_penalty {
        config.insert("frequencyPenalty".into(), json!(p));
    }
    match &req.response_format {
        Some(ResponseFormat::JsonObject) => {
            config.insert("responseMimeType".into(), json!("application/json"));
        }
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            config.insert("responseMimeType".into(), json!("application/json"));
            if let Some(schema) = &json_schema.schema {
                config.insert("responseSchema".into(), clean_schema(schema));
            }
        }
        Some(ResponseFormat::Text) | None => {}
    }

    tools(req, &mut out, provider);

    if tracing::enabled!(tracing::Level::DEBUG) {
        for (param, _) in openai_only(req).into_iter().filter(|(_, set)| *set) {
            tracing::debug!(provider, param, "parameter dropped: the provider has no equivalent");
        }
    }
    // Fields Kestrel does not know (`safetySettings`, `cachedContent`, `thinkingConfig`
    // inside `generationConfig`, ...) go only to the provider the caller addressed, and never
    // replace a translated field.
    for (k, v) in &req.extra {
        if !call.pass_unknown {
            tracing::debug!(provider, param = %k, "unknown parameter not forwarded to another provider");
        } else if k == "generationConfig" {
            for (ck, cv) in v.as_object().into_iter().flatten() {
                config.entry(ck.clone()).or_insert_with(|| cv.clone());
            }
        } else if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    if !config.is_empty() {
        out.insert("generationConfig".into(), Value::Object(config));
    }
    serde_json::to_vec(&Value::Object(out)).map_err(|e| Error::invalid("body", e.to_string()))
}

/// One user or model turn being assembled.
struct Turn {
    role: &'static str,
    parts: Vec<Value>,
}

/// `systemInstruction` and `contents`.
fn convert_messages(req: &ChatRequest) -> Result<(Option<Value>, Vec<Value>)> {
    let mut system: Vec<Value> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        let (role, parts) = match m.role {
            Role::System | Role::Developer => {
                system.extend(text_parts(m));
                continue;
            }
            Role::User => ("user", user_parts(i, m)?),
            Role::Assistant => ("model", model_parts(i, m)?),
            Role::Tool => ("user", vec![function_response(i, m, &req.messages[..i])?]),
            Role::Function => {
                // The deprecated function-result role names the function itself.
                let name = m.name.clone().unwrap_or_default();
                ("user", vec![json!({"functionResponse": {"name": name, "response": result_object(m)}})])
            }
        };
        if parts.is_empty() {
            // The API refuses contents without parts; OpenAI allows `""`.
            continue;
        }
        match turns.last_mut() {
            // Consecutive same-role messages become one Content, as the API expects the
            // conversation to alternate between `user` and `model`.
            Some(t) if t.role == role => t.parts.extend(parts),
            _ => turns.push(Turn { role, parts }),
        }
    }
    if turns.is_empty() {
        return Err(Error::invalid("messages", "Gemini needs at least one non-empty user or assistant message"));
    }
    let contents = turns.into_iter().map(|t| json!({"role": t.role, "parts": t.parts})).collect();
    let system = (!system.is_empty()).then(|| json!({"parts": system}));
    Ok((system, contents))
}

fn text_part(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"text": text}))
}

fn text_parts(m: &Message) -> Vec<Value> {
    m.texts().filter_map(text_part).collect()
}

fn user_parts(i: usize, m: &Message) -> Result<Vec<Value>> {
    let parts = match &m.content {
        Some(Content::Parts(parts)) => parts,
        _ => return Ok(text_parts(m)),
    };
    let mut out = Vec::with_capacity(parts.len());
    for (j, p) in parts.iter().enumerate() {
        let field = |f: &str| format!("messages[{i}].content[{j}]{f}");
        match p {
            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text, .. } => out.extend(text_part(text)),
            ContentPart::ImageUrl { image_url, .. } => {
                // `detail` has no equivalent (Gemini's is `mediaResolution`, per request).
                let part = media_part(&image_url.url).ok_or_else(|| {
                    Error::invalid(field(".image_url.url"), "must be an http(s) URL or a data:<type>;base64, URL")
                })?;
                out.push(part);
            }
            ContentPart::InputAudio { input_audio, .. } => {
                let mime = match input_audio.format.as_str() {
                    "mp3" => "audio/mp3",
                    "wav" => "audio/wav",
                    other => {
                        return Err(Error::invalid(field(".input_audio.format"), format!("unknown format `{other}`")))
                    }
                };
                out.push(json!({"inlineData": {"mimeType": mime, "data": input_audio.data}}));
            }
            ContentPart::File { file, .. } => {
                // A PDF (or other document) inline. OpenAI file ids name files stored at
                // OpenAI, which Gemini cannot read.
                let part = match file.file_data.as_deref() {
                    Some(d) if d.starts_with("data:") => media_part(d),
                    Some(d) => Some(json!({"inlineData": {"mimeType": "application/pdf", "data": d}})),
                    None => None,
                }
                .ok_or_else(|| {
                    Error::invalid(
                        field(".file"),
                        "only inline file_data (base64 or a data: URL) can be sent to Gemini",
                    )
                })?;
                out.push(part);
            }
        }
    }
    Ok(out)
}

/// `data:<type>;base64,<data>` → `inlineData` (types.py `Blob {mimeType, data}`);
/// `http(s)://` → `fileData` (`FileData {mimeType, fileUri}`), whose `mimeType` the API
/// requires, guessed from the extension. (The API fetches public URLs given as `fileUri`; Files API
/// URIs, `https://generativelanguage.googleapis.com/v1beta/files/...`, work the same way.)
fn media_part(url: &str) -> Option<Value> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',')?;
        let mime = meta.strip_suffix(";base64")?;
        return Some(json!({"inlineData": {"mimeType": mime, "data": data}}));
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        .then(|| json!({"fileData": {"mimeType": mime_from_extension(url), "fileUri": url}}))
}

/// The media type an URL's extension names; `image/jpeg` when it names none known (the
/// most common image type, and the API sniffs images anyway).
fn mime_from_extension(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        "mp3" => "audio/mp3",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "txt" => "text/plain",
        _ => "image/jpeg",
    }
}

fn model_parts(i: usize, m: &Message) -> Result<Vec<Value>> {
    let mut parts = text_parts(m);
    if m.content.is_none() {
        if let Some(r) = &m.refusal {
            parts.extend(text_part(r));
        }
    }
    for (j, call) in m.tool_calls.iter().flatten().enumerate() {
        let args = call.function.arguments.trim();
        let args = if args.is_empty() {
            Value::Object(Map::new())
        } else {
            match serde_json::from_str::<Value>(args) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return Err(Error::invalid(
                        format!("messages[{i}].tool_calls[{j}].function.arguments"),
                        "must be a JSON object to be replayed to Gemini",
                    ))
                }
            }
        };
        let mut part = json!({"functionCall": {"name": call.function.name, "args": args}});
        // Gemini 3 models reject replayed function calls without their thought signature;
        // answers carry it in `extra_content.google.thought_signature`, the field Google's
        // own OpenAI-compatible endpoint uses for it.
        if let Some(sig) = call.extra.get("extra_content").and_then(|e| e.pointer("/google/thought_signature")) {
            part["thoughtSignature"] = sig.clone();
        }
        parts.push(part);
    }
    Ok(parts)
}

/// types.py `FunctionResponse {name, response}`: `response` must be a JSON object ("Use
/// 'output' key to specify function output ... If 'output' and 'error' keys are not
/// specified, then whole 'response' is treated as function output"). The name comes from
/// the assistant call the message answers (the latest one with that id).
fn function_response(i: usize, m: &Message, earlier: &[Message]) -> Result<Value> {
    let id = m.tool_call_id.as_deref().unwrap_or_default();
    let name = earlier
        .iter()
        .rev()
        .flat_map(|e| e.tool_calls.iter().flatten())
        .find(|c| c.id == id)
        .map(|c| c.function.name.clone())
        .or_else(|| m.name.clone())
        .ok_or_else(|| {
            Error::invalid(
                format!("messages[{i}].tool_call_id"),
                format!("`{id}` answers no earlier assistant tool call, so Gemini cannot be told the function name"),
            )
        })?;
    Ok(json!({"functionResponse": {"name": name, "response": result_object(m)}}))
}

/// The tool's result as an object: parsed JSON when it is a JSON object, else `{"result": …}`.
fn result_object(m: &Message) -> Value {
    let text: String = m.texts().collect::<Vec<_>>().join("\n");
    match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(v) if !text.trim().is_empty() => json!({ "result": v }),
        _ => json!({ "result": text }),
    }
}

/// Writes `tools` (one `Tool` with every function declaration) and `toolConfig`.
fn tools(req: &ChatRequest, out: &mut Map<String, Value>, provider: &str) {
    let mut declarations = Vec::new();
    for t in req.tools.iter().flatten() {
        let Some(f) = t.function.as_ref().filter(|_| t.kind == "function") else {
            tracing::debug!(provider, kind = %t.kind, "tool dropped: only function tools translate");
            continue;
        };
        // types.py FunctionDeclaration {name, description, parameters: Schema}.
        let mut decl = json!({"name": f.name});
        if let Some(d) = &f.description {
            decl["description"] = Value::String(d.clone());
        }
        if let Some(params) = &f.parameters {
            // The API rejects an OBJECT schema with no properties ("properties: should be
            // non-empty for OBJECT type"); a function without parameters declares none.
            let empty = params.get("properties").and_then(Value::as_object).is_none_or(Map::is_empty);
            if !empty {
                decl["parameters"] = clean_schema(params);
            }
        }
        declarations.push(decl);
    }
    if declarations.is_empty() {
        return;
    }
    out.insert("tools".into(), json!([{ "functionDeclarations": declarations }]));
    // types.py FunctionCallingConfigMode: AUTO, ANY (must call one), NONE.
    let config = match &req.tool_choice {
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => json!({"mode": "AUTO"}),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => json!({"mode": "NONE"}),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => json!({"mode": "ANY"}),
        Some(ToolChoice::Named(n)) => json!({"mode": "ANY", "allowedFunctionNames": [n.function.name]}),
        None => return,
    };
    out.insert("toolConfig".into(), json!({ "functionCallingConfig": config }));
}

/// A JSON Schema as Gemini's `Schema`, an OpenAPI 3.0 subset (types.py `Schema`): only the
/// keys it has are kept. Dropped: `additionalProperties` (python-genai `_transformers.py`
/// `_raise_for_unsupported_mldev_properties`: "additionalProperties is only supported in ...
/// Agent Platform mode, not in Gemini Developer API mode"), `$schema`, `$id`, `$defs` /
/// `definitions` (their `$ref`s are inlined, as `process_schema` does), `strict`,
/// `examples`, `const` (becomes a one-value `enum`), `exclusiveMinimum`/`Maximum`, `not`,
/// `allOf` and any other key. `type: [T, "null"]` becomes `type: T, nullable: true`;
/// `oneOf` becomes `anyOf`; non-string `enum`s are dropped (`enum: list[str]`).
pub(crate) fn clean_schema(schema: &Value) -> Value {
    let defs = schema.get("$defs").or_else(|| schema.get("definitions"));
    clean(schema, defs, 0)
}

fn clean(schema: &Value, defs: Option<&Value>, depth: usize) -> Value {
    let Some(obj) = schema.as_object() else {
        return Value::Object(Map::new());
    };
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Object(Map::new());
    }
    if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").or_else(|| r.strip_prefix("#/definitions/"));
        if let Some(target) = name.and_then(|n| defs?.get(n)) {
            let mut resolved = clean(target, defs, depth + 1);
            if let (Some(d), Some(m)) = (obj.get("description"), resolved.as_object_mut()) {
                m.insert("description".into(), d.clone());
            }
            return resolved;
        }
        return Value::Object(Map::new());
    }
    let mut out = Map::new();
    for (k, v) in obj {
        match k.as_str() {
            "type" => match v {
                Value::String(t) => {
                    out.insert("type".into(), json!(t.to_ascii_uppercase()));
                }
                Value::Array(types) => {
                    let named: Vec<&str> = types.iter().filter_map(Value::as_str).filter(|t| *t != "null").collect();
                    if named.len() < types.len() {
                        out.insert("nullable".into(), json!(true));
                    }
                    match named.as_slice() {
                        [one] => {
                            out.insert("type".into(), json!(one.to_ascii_uppercase()));
                        }
                        [] => {}
                        many => {
                            let alts: Vec<Value> =
                                many.iter().map(|t| json!({"type": t.to_ascii_uppercase()})).collect();
                            out.insert("anyOf".into(), Value::Array(alts));
                        }
                    }
                }
                _ => {}
            },
            "properties" => {
                let props: Map<String, Value> = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), clean(s, defs, depth + 1)))
                    .collect();
                out.insert("properties".into(), Value::Object(props));
            }
            "items" if v.is_object() => {
                out.insert("items".into(), clean(v, defs, depth + 1));
            }
            "anyOf" | "oneOf" => {
                let alts = v.as_array().into_iter().flatten();
                let mut nullable = false;
                let alts: Vec<Value> = alts
                    .filter(|s| {
                        let is_null = s.get("type").and_then(Value::as_str) == Some("null");
                        nullable |= is_null;
                        !is_null
                    })
                    .map(|s| clean(s, defs, depth + 1))
                    .collect();
                if nullable {
                    out.insert("nullable".into(), json!(true));
                }
                match <[Value; 1]>::try_from(alts) {
                    // `anyOf: [T, null]` (pydantic's Optional) is a nullable T.
                    Ok([one]) => {
                        for (ok, ov) in one.as_object().into_iter().flatten() {
                            out.entry(ok.clone()).or_insert_with(|| ov.clone());
                        }
                    }
                    Err(alts) if !alts.is_empty() => {
                        out.insert("anyOf".into(), Value::Array(alts));
                    }
                    Err(_) => {}
                }
            }
            "enum" if v.as_array().is_some_and(|e| e.iter().all(Value::is_string)) => {
                out.insert("enum".into(), v.clone());
            }
            "const" if v.is_string() => {
                out.insert("enum".into(), json!([v]));
            }
            "description" | "format" | "nullable" | "pattern" | "required" | "title" | "minimum" | "maximum"
            | "minItems" | "maxItems" | "minLength" | "maxLength" | "minProperties" | "maxProperties"
            | "propertyOrdering" | "default" | "example" => {
                out.insert(k.clone(), v.clone());
            }
            _ => {}
        }
    }
    if out.contains_key("enum") && !out.contains_key("type") {
        out.insert("type".into(), json!("STRING"));
    }
    Value::Object(out)
}

// ─────────────────────────────────── answers ───────────────────────────────────

/// types.py `GenerateContentResponse` (the fields used here).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    #[serde(default)]
    usage_metadata: Option<WireUsage>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
    /// An error body inside a 200 stream (`{"error": {"code", "message", "status"}}`).
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<WireContent>,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    index: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct WireContent {
    #[serde(default)]
    parts: Vec<WirePart>,
}

/// types.py `Part`: text (unless `thought`, a thinking summary) and `functionCall`
/// translate; other parts (inline media, executable code, ...) are skipped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePart {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: Option<bool>,
    #[serde(default)]
    function_call: Option<WireFunctionCall>,
    #[serde(default)]
    thought_signature: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct WireFunctionCall {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default)]
    args: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

/// types.py `GenerateContentResponseUsageMetadata`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUsage {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
    #[serde(default)]
    cached_content_token_count: Option<u64>,
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    tool_use_prompt_token_count: Option<u64>,
}

impl WireUsage {
    /// `promptTokenCount` "includes the number of tokens in the cached content" (types.py),
    /// as OpenAI's `prompt_tokens` includes `cached_tokens`. Thinking tokens are billed as
    /// output, so they count in `completion_tokens` (as OpenAI's reasoning tokens do).
    fn to_openai(&self) -> Usage {
        let prompt = self.prompt_token_count.unwrap_or(0) + self.tool_use_prompt_token_count.unwrap_or(0);
        let thoughts = self.thoughts_token_count.unwrap_or(0);
        let completion = self.candidates_token_count.unwrap_or(0) + thoughts;
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: self.total_token_count.unwrap_or(prompt + completion).max(prompt + completion),
            prompt_tokens_details: Some(PromptTokensDetails {
                cached_tokens: Some(self.cached_content_token_count.unwrap_or(0)),
                ..Default::default()
            }),
            completion_tokens_details: (thoughts > 0)
                .then(|| CompletionTokensDetails { reasoning_tokens: Some(thoughts), ..Default::default() }),
            extra: Extra::new(),
        }
    }
}

/// types.py `FinishReason` → OpenAI's finish_reason; a `STOP` after function calls is
/// OpenAI's `tool_calls`.
fn finish_reason(reason: &str, called: bool) -> &'static str {
    match reason {
        "MAX_TOKENS" => "length",
        "SAFETY"
        | "RECITATION"
        | "BLOCKLIST"
        | "PROHIBITED_CONTENT"
        | "SPII"
        | "IMAGE_SAFETY"
        | "IMAGE_PROHIBITED_CONTENT"
        | "IMAGE_RECITATION" => "content_filter",
        _ if called => "tool_calls",
        // STOP, OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...
        _ => "stop",
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn tool_call(id: String, name: String, args: Option<Value>, signature: Option<Value>) -> ToolCall {
    let mut extra = Extra::new();
    if let Some(sig) = signature {
        extra.insert("extra_content".into(), json!({"google": {"thought_signature": sig}}));
    }
    let arguments = args.unwrap_or_else(|| Value::Object(Map::new())).to_string();
    ToolCall { id, kind: "function".into(), function: FunctionCall { name, arguments, extra: Extra::new() }, extra }
}

/// `functionCall.id` when Gemini sent one, else `call_<n>` numbered within the response.
fn call_id(id: Option<String>, n: u32) -> String {
    id.filter(|s| !s.is_empty()).unwrap_or_else(|| format!("call_{n}"))
}

fn to_response(resp: WireResponse, model: &str) -> ChatResponse {
    let mut choices = Vec::new();
    let mut n_calls = 0;
    for (i, cand) in resp.candidates.into_iter().enumerate() {
        let mut text = String::new();
        let mut calls = Vec::new();
        for part in cand.content.map(|c| c.parts).unwrap_or_default() {
            if let Some(fc) = part.function_call {
                calls.push(tool_call(call_id(fc.id, n_calls), fc.name, fc.args, part.thought_signature));
                n_calls += 1;
            } else if let Some(t) = part.text.filter(|_| part.thought != Some(true)) {
                text.push_str(&t);
            }
        }
        let reason = finish_reason(cand.finish_reason.as_deref().unwrap_or("STOP"), !calls.is_empty());
        let content = (!text.is_empty() || calls.is_empty()).then_some(text);
        choices.push(choice(cand.index.unwrap_or(i as u32), content, calls, reason));
    }
    if choices.is_empty() {
        // The prompt itself was blocked (`promptFeedback.blockReason`): no candidates.
        let reason =
            if resp.prompt_feedback.and_then(|f| f.block_reason).is_some() { "content_filter" } else { "stop" };
        choices.push(choice(0, None, Vec::new(), reason));
    }
    choices.sort_by_key(|c| c.index);
    ChatResponse {
        id: resp.response_id.unwrap_or_else(|| format!("gemini-{}", now())),
        object: "chat.completion".into(),
        created: now(),
        model: resp.model_version.unwrap_or_else(|| model.to_string()),
        choices,
        usage: Some(resp.usage_metadata.unwrap_or_default().to_openai()),
        system_fingerprint: None,
        service_tier: None,
        kestrel: None,
        extra: Extra::new(),
    }
}

fn choice(index: u32, content: Option<String>, calls: Vec<ToolCall>, reason: &str) -> Choice {
    Choice {
        index,
        message: AssistantMessage {
            role: Role::Assistant,
            content,
            refusal: None,
            tool_calls: (!calls.is_empty()).then_some(calls),
            annotations: None,
            audio: None,
            function_call: None,
            extra: Extra::new(),
        },
        finish_reason: Some(reason.into()),
        logprobs: None,
        extra: Extra::new(),
    }
}

/// An `{"error": {"code", "message", "status"}}` body inside a 200 stream, as the error its
/// `code` (an HTTP status) would have been: RESOURCE_EXHAUSTED is 429 and fails over.
fn stream_error(provider: &str, v: Value) -> Error {
    let status = v.pointer("/error/code").and_then(Value::as_u64).and_then(|c| u16::try_from(c).ok()).unwrap_or(500);
    let message = http::error_message(&v).unwrap_or_else(|| v.to_string());
    http::classify(provider, status, message, Some(Box::new(v)), None)
}

// ─────────────────────────────────── streams ───────────────────────────────────

/// Turns each streamed `GenerateContentResponse` into OpenAI chunks.
pub(super) struct Translator {
    provider: String,
    id: String,
    model: String,
    created: u64,
    started: bool,
    role_sent: Vec<u32>,
    /// Tool calls sent so far, per candidate index (for the OpenAI `index`), and in all.
    calls: Vec<(u32, u32)>,
    total_calls: u32,
    finished: Vec<u32>,
    usage: Option<WireUsage>,
}

impl http::EventTranslator for Translator {
    fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        Translator::on_event(self, data, out)
    }

    fn on_end(&mut self) -> Result<ChatChunk> {
        Translator::on_end(self)
    }
}

impl Translator {
    pub(super) fn new(provider: String, model: &str) -> Self {
        Translator {
            provider,
            id: String::new(),
            model: model.to_string(),
            created: now(),
            started: false,
            role_sent: Vec::new(),
            calls: Vec::new(),
            total_calls: 0,
            finished: Vec::new(),
            usage: None,
        }
    }

    fn chunk(&mut self, index: u32, mut delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        if !self.role_sent.contains(&index) {
            // OpenAI's first delta names the role.
            self.role_sent.push(index);
            delta.role = Some(Role::Assistant);
            if delta.tool_calls.is_none() && delta.content.is_none() {
                delta.content = Some(String::new());
            }
        }
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index,
                delta,
                finish_reason: finish_reason.map(str::to_string),
                logprobs: None,
                extra: Extra::new(),
            }],
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            kestrel: None,
            extra: Extra::new(),
        }
    }

    fn calls_of(&self, index: u32) -> u32 {
        self.calls.iter().find(|(i, _)| *i == index).map_or(0, |(_, n)| *n)
    }

    fn count_call(&mut self, index: u32) {
        match self.calls.iter_mut().find(|(i, _)| *i == index) {
            Some((_, n)) => *n += 1,
            None => self.calls.push((index, 1)),
        }
        self.total_calls += 1;
    }

    /// One event's `data`: the chunks it makes, in order.
    pub(super) fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        // One typed parse: an error body is a field of its own, not a second pass.
        let mut resp: WireResponse =
            serde_json::from_str(data).map_err(|e| malformed(&self.provider, "stream event", e))?;
        if let Some(error) = resp.error.take() {
            return Err(stream_error(&self.provider, serde_json::json!({ "error": error })));
        }
        if !self.started {
            self.started = true;
            if let Some(id) = &resp.response_id {
                self.id = id.clone();
            } else {
                self.id = format!("gemini-{}", self.created);
            }
        }
        if let Some(m) = resp.model_version {
            self.model = m;
        }
        if let Some(u) = resp.usage_metadata {
            // Each event's counts are cumulative: the last one is the total.
            self.usage = Some(u);
        }
        if resp.candidates.is_empty() {
            if resp.prompt_feedback.and_then(|f| f.block_reason).is_some() && !self.finished.contains(&0) {
                self.finished.push(0);
                let chunk = self.chunk(0, Delta::default(), Some("content_filter"));
                out.push_back(chunk);
            }
            return Ok(());
        }
        for (i, cand) in resp.candidates.into_iter().enumerate() {
            let index = cand.index.unwrap_or(i as u32);
            for part in cand.content.map(|c| c.parts).unwrap_or_default() {
                if let Some(fc) = part.function_call {
                    let n = self.calls_of(index);
                    let call = tool_call(call_id(fc.id, self.total_calls), fc.name, fc.args, part.thought_signature);
                    self.count_call(index);
                    let delta = ToolCallDelta {
                        index: n,
                        id: Some(call.id),
                        kind: Some("function".into()),
                        function: Some(FunctionCallDelta {
                            name: Some(call.function.name),
                            arguments: Some(call.function.arguments),
                        }),
                        extra: call.extra,
                    };
                    let chunk = self.chunk(index, Delta { tool_calls: Some(vec![delta]), ..Delta::default() }, None);
                    out.push_back(chunk);
                } else if let Some(t) = part.text.filter(|t| !t.is_empty() && part.thought != Some(true)) {
                    let chunk = self.chunk(index, Delta { content: Some(t), ..Delta::default() }, None);
                    out.push_back(chunk);
                }
            }
            if let Some(reason) = cand.finish_reason {
                if !self.finished.contains(&index) {
                    self.finished.push(index);
                    let reason = finish_reason(&reason, self.calls_of(index) > 0);
                    let chunk = self.chunk(index, Delta::default(), Some(reason));
                    out.push_back(chunk);
                }
            }
        }
        Ok(())
    }

    /// At the end of the body: the usage-only chunk OpenAI sends last with `include_usage`
    /// (the client hides it from callers who did not ask), or an error when no candidate
    /// finished (the stream broke off).
    fn on_end(&mut self) -> Result<ChatChunk> {
        if self.finished.is_empty() {
            return Err(Error::Provider {
                provider: self.provider.clone(),
                status: 200,
                message: "the event stream ended before a finishReason".into(),
                body: None,
            });
        }
        let mut chunk = self.chunk(0, Delta::default(), None);
        chunk.choices.clear();
        chunk.usage = Some(self.usage.take().unwrap_or_default().to_openai());
        Ok(chunk)
    }
}

/// The model id as the path takes it (`models/` is already in the path).
fn path_model(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// python-genai `models.py`: `{model}:streamGenerateContent?alt=sse` for streams.
fn stream_url(url: &str) -> String {
    match url.strip_suffix(":generateContent") {
        Some(base) => format!("{base}:streamGenerateContent?alt=sse"),
        None if url.contains('?') => format!("{url}&alt=sse"),
        None => format!("{url}?alt=sse"),
    }
}

/// A `GenerateContentResponse` body, as OpenAI's response.
pub(super) fn decode(provider: &str, bytes: &[u8], model: &str) -> Result<ChatResponse> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| malformed(provider, "response", e))?;
    if v.get("error").is_some() {
        return Err(stream_error(provider, v));
    }
    let wire: WireResponse = serde_json::from_value(v).map_err(|e| malformed(provider, "response", e))?;
    Ok(to_response(wire, model))
}

impl Provider for Gemini {
    fn complete<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChatResponse>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.as_str();
            let body = build(&call)?;
            let url = call.endpoint.chat_url(path_model(call.model));
            let resp = http::post_json(call.http, call.endpoint, &url, AUTH, body, call.timeout).await?;
            let bytes = resp.bytes().await.map_err(|e| http::transport_error(provider, &e))?;
            decode(provider, &bytes, call.model)
        })
    }

    fn stream<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChunkStream>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.clone();
            let body = build(&call)?;
            let url = stream_url(&call.endpoint.chat_url(path_model(call.model)));
            let send = http::post_json(call.http, call.endpoint, &url, AUTH, body, None);
            let resp = match call.timeout {
                Some(t) => {
                    tokio::time::timeout(t, send).await.map_err(|_| Error::Timeout { provider: provider.clone() })??
                }
                None => send.await?,
            };
            let events = http::sse_data(&provider, resp);
            let translator = Translator::new(provider, call.model);
            Ok(Box::pin(http::Translated::new(events, translator)) as ChunkStream)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::Endpoint;

    fn body_for(req: Value, pass_unknown: bool) -> Result<Value> {
        let request = ChatRequest::from_value(req).unwrap();
        let endpoint = Endpoint {
            provider: "gemini".into(),
            base_url: "http://x".into(),
            chat_path: "/v1beta/models/{model}:generateContent".into(),
            key: None,
            headers: Default::default(),
        };
        let http = reqwest::Client::new();
        let call = Call {
            request: &request,
            model: "gemini-2.5-flash",
            max_output: None,
            endpoint: &endpoint,
            http: &http,
            timeout: None,
            pass_unknown,
        };
        build(&call).map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn messages_system_media_and_config() {
        let b = body_for(
            json!({"model": "m", "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Metric units."}]},
                {"role": "user", "content": "Hi"},
                {"role": "user", "content": [{"type": "text", "text": "there"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?x=1"}}]},
                {"role": "assistant", "content": "Hello!"}
            ], "temperature": 1.7, "top_p": 0.9, "stop": "END", "seed": 3, "max_tokens": 50, "n": 2,
               "logprobs": true, "user": "u", "safetySettings": [{"category": "x"}]}),
            true,
        )
        .unwrap();
        assert_eq!(b["systemInstruction"], json!({"parts": [{"text": "Be brief."}, {"text": "Metric units."}]}));
        assert_eq!(
            b["generationConfig"],
            json!({"maxOutputTokens": 50, "temperature": 1.7, "topP": 0.9, "stopSequences": ["END"], "seed": 3,
                   "candidateCount": 2})
        );
        assert_eq!(b["safetySettings"], json!([{"category": "x"}]));
        let contents = b["contents"].as_array().unwrap();
        assert_eq!(contents.len(), 2);
        assert_eq!(
            contents[0],
            json!({"role": "user", "parts": [{"text": "Hi"}, {"text": "there"},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?x=1"}}]})
        );
        assert_eq!(contents[1], json!({"role": "model", "parts": [{"text": "Hello!"}]}));
        assert!(b.get("logprobs").is_none() && b.get("user").is_none());
    }

    #[test]
    fn tools_round_trip_and_choices() {
        let req = json!({"model": "m", "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
                 "extra_content": {"google": {"thought_signature": "c2ln"}}},
                {"id": "call_1", "type": "function", "function": {"name": "noop", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "call_0", "content": "{\"temp\": 18}"},
            {"role": "tool", "tool_call_id": "call_1", "content": "done"}
        ], "tools": [
            {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
                "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}}},
            {"type": "function", "function": {"name": "noop", "parameters": {"type": "object", "properties": {}}}}],
           "tool_choice": {"type": "function", "function": {"name": "get_weather"}}});
        let b = body_for(req, false).unwrap();
        let decls = &b["tools"][0]["functionDeclarations"];
        assert_eq!(
            decls[0]["parameters"],
            json!({"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]})
        );
        assert!(decls[1].get("parameters").is_none());
        assert_eq!(
            b["toolConfig"],
            json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
        );
        let c = b["contents"].as_array().unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(
            c[1]["parts"],
            json!([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
                   {"functionCall": {"name": "noop", "args": {}}}])
        );
        assert_eq!(
            c[2],
            json!({"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}},
                {"functionResponse": {"name": "noop", "response": {"result": "done"}}}]})
        );

        let orphan = body_for(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"},
                {"role": "tool", "tool_call_id": "nope", "content": "1"}]}),
            false,
        );
        assert!(matches!(orphan, Err(Error::InvalidRequest { field, .. }) if field == "messages[1].tool_call_id"));
    }

    #[test]
    fn schemas_are_cleaned() {
        let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "additionalProperties": false, "$defs": {"Unit": {"type": "string", "enum": ["c", "f"]}},
            "properties": {
                "unit": {"$ref": "#/$defs/Unit"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
                "n": {"type": ["integer", "null"], "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"type": "string", "const": "x"}}
            }, "required": ["unit"]});
        assert_eq!(
            clean_schema(&schema),
            json!({"type": "OBJECT", "properties": {
                "unit": {"type": "STRING", "enum": ["c", "f"]},
                "note": {"nullable": true, "type": "STRING", "default": null},
                "n": {"nullable": true, "type": "INTEGER"},
                "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["x"]}}
            }, "required": ["unit"]})
        );
        let b = body_for(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format":
                {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}}),
            false,
        )
        .unwrap();
        assert_eq!(b["generationConfig"]["responseMimeType"], "application/json");
        assert_eq!(b["generationConfig"]["responseSchema"]["type"], "OBJECT");
    }

    #[test]
    fn responses_map_back() {
        let wire: WireResponse = serde_json::from_value(json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "thinking...", "thought": true},
                {"text": "Let me check."},
                {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
                "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 7, "totalTokenCount": 112,
                "cachedContentTokenCount": 60, "thoughtsTokenCount": 5},
            "modelVersion": "gemini-2.5-flash-001", "responseId": "resp-1"
        }))
        .unwrap();
        let r = to_response(wire, "gemini-2.5-flash");
        assert_eq!((r.id.as_str(), r.model.as_str()), ("resp-1", "gemini-2.5-flash-001"));
        let c = &r.choices[0];
        assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(c.message.content.as_deref(), Some("Let me check."));
        let call = &c.message.tool_calls.as_ref().unwrap()[0];
        assert_eq!((call.id.as_str(), call.function.arguments.as_str()), ("call_0", r#"{"city":"Paris"}"#));
        assert_eq!(call.extra["extra_content"]["google"]["thought_signature"], "c2ln");
        let u = r.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (100, 12, 112, 60));

        for (reason, want) in [
            ("STOP", "stop"),
            ("MAX_TOKENS", "length"),
            ("SAFETY", "content_filter"),
            ("RECITATION", "content_filter"),
            ("PROHIBITED_CONTENT", "content_filter"),
            ("BLOCKLIST", "content_filter"),
            ("SPII", "content_filter"),
            ("OTHER", "stop"),
        ] {
            assert_eq!(finish_reason(reason, false), want, "{reason}");
        }
        let blocked: WireResponse =
            serde_json::from_value(json!({"promptFeedback": {"blockReason": "SAFETY"}})).unwrap();
        let r = to_response(blocked, "m");
        assert_eq!(r.choices[0].finish_reason.as_deref(), Some("content_filter"));
        assert_eq!(
            stream_url("http://x/v1beta/models/m:generateContent"),
            "http://x/v1beta/models/m:streamGenerateContent?alt=sse"
        );
    }

    #[test]
    fn stream_events_translate() {
        let mut t = Translator::new("gemini".into(), "gemini-2.5-flash");
        let mut out = VecDeque::new();
        for e in [
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi "}]},"index":0}],"usageMetadata":{"promptTokenCount":9},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#,
            r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"there"},{"functionCall":{"name":"f","args":{"a":1}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#,
        ] {
            t.on_event(e, &mut out).unwrap();
        }
        out.push_back(t.on_end().unwrap());
        let chunks: Vec<ChatChunk> = out.into_iter().collect();
        assert_eq!(chunks.len(), 5, "{chunks:#?}");
        assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
        assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("Hi "));
        assert_eq!(chunks[0].id, "r1");
        let call = &chunks[2].choices[0].delta.tool_calls.as_ref().unwrap()[0];
        assert_eq!((call.index, call.id.as_deref()), (0, Some("call_0")));
        assert_eq!(call.function.as_ref().unwrap().arguments.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(chunks[3].choices[0].finish_reason.as_deref(), Some("tool_calls"));
        assert!(chunks[4].choices.is_empty());
        assert_eq!(chunks[4].usage.as_ref().unwrap().total_tokens, 13);

        let mut t = Translator::new("gemini".into(), "m");
        let err = t
            .on_event(r#"{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}"#, &mut VecDeque::new())
            .unwrap_err();
        assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
        assert!(Translator::new("gemini".into(), "m").on_end().is_err());
    }
}
