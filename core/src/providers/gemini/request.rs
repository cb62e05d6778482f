//! The request side: an OpenAI chat request as the provider's request body.

use super::*;

/// Parameters of OpenAI's API that Gemini has no equivalent for (the caller set them if
/// `true`): dropped with a debug log, never sent.
pub(super) const UNTRANSLATED: &str = "logit_bias logprobs top_logprobs parallel_tool_calls reasoning_effort verbosity modalities audio prediction service_tier store metadata user prompt_cache_key web_search_options";

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

    shared::log_untranslated(provider, req, UNTRANSLATED);
    // Fields Kestrel does not know (`safetySettings`, `cachedContent`, `thinkingConfig`
    // inside `generationConfig`, ...) go only to the provider the caller addressed, and never
    // replace a translated field.
    shared::forward_unknown(call, &mut out, |k, v| {
        if k != "generationConfig" {
            return false;
        }
        for (ck, cv) in v.as_object().into_iter().flatten() {
            config.entry(ck.clone()).or_insert_with(|| cv.clone());
        }
        true
    });
    if !config.is_empty() {
        out.insert("generationConfig".into(), Value::Object(config));
    }
    serde_json::to_vec(&Value::Object(out)).map_err(|e| Error::invalid("body", e.to_string()))
}

/// `systemInstruction` and `contents`.
pub(super) fn convert_messages(req: &ChatRequest) -> Result<(Option<Value>, Vec<Value>)> {
    let mut system: Vec<Value> = Vec::new();
    let mut turns = shared::Turns::default();
    for (i, m) in req.messages.iter().enumerate() {
        let (role, parts) = match m.role {
            Role::System | Role::Developer => {
                system.extend(text_parts(m));
                continue;
            }
            Role::User => ("user", user_parts(i, m)?),
            Role::Assistant => ("model", model_parts(i, m)?),
            Role::Tool => {
                // `FunctionResponse.response` is JSON only; images and documents the tool
                // returned go beside it in the same turn, where every Gemini model reads them.
                let mut parts = vec![function_response(i, m, &req.messages[..i])?];
                if matches!(m.content, Some(Content::Parts(_))) {
                    parts.extend(user_parts(i, m)?.into_iter().filter(|p| p.get("text").is_none()));
                }
                ("user", parts)
            }
            Role::Function => {
                // The deprecated function-result role names the function itself.
                let name = m.name.clone().unwrap_or_default();
                ("user", vec![json!({"functionResponse": {"name": name, "response": result_object(m)}})])
            }
        };
        turns.push(role, parts);
    }
    let contents =
        turns.finish("Gemini")?.into_iter().map(|(role, parts)| json!({"role": role, "parts": parts})).collect();
    let system = (!system.is_empty()).then(|| json!({"parts": system}));
    Ok((system, contents))
}

pub(super) fn text_part(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({"text": text}))
}

pub(super) fn text_parts(m: &Message) -> Vec<Value> {
    m.texts().filter_map(text_part).collect()
}

pub(super) fn user_parts(i: usize, m: &Message) -> Result<Vec<Value>> {
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
pub(super) fn media_part(url: &str) -> Option<Value> {
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
pub(super) fn mime_from_extension(url: &str) -> &'static str {
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

pub(super) fn model_parts(i: usize, m: &Message) -> Result<Vec<Value>> {
    let mut parts = text_parts(m);
    if m.content.is_none() {
        if let Some(r) = &m.refusal {
            parts.extend(text_part(r));
        }
    }
    for (j, call) in m.tool_calls.iter().flatten().enumerate() {
        let args = shared::call_arguments(i, j, &call.function.arguments, "Gemini")?;
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
pub(super) fn function_response(i: usize, m: &Message, earlier: &[Message]) -> Result<Value> {
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
pub(super) fn result_object(m: &Message) -> Value {
    let text: String = m.texts().collect::<Vec<_>>().join("\n");
    match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) => v,
        Ok(v) if !text.trim().is_empty() => json!({ "result": v }),
        _ => json!({ "result": text }),
    }
}

/// Writes `tools` (one `Tool` with every function declaration) and `toolConfig`.
pub(super) fn tools(req: &ChatRequest, out: &mut Map<String, Value>, provider: &str) {
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

pub(super) fn clean(schema: &Value, defs: Option<&Value>, depth: usize) -> Value {
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
