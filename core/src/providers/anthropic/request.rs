//! The request side: an OpenAI chat request as the provider's request body.

use super::*;

/// A translated request.
pub(super) struct Wire {
    pub(super) body: Vec<u8>,
    /// The forced tool whose input is the JSON answer (`response_format`), if any.
    pub(super) json_tool: Option<String>,
}

/// Parameters of OpenAI's API that the Messages API has no equivalent for (the caller set
/// them if `true`): dropped with a debug log, never sent. `stream_options` is not listed:
/// Anthropic streams usage unasked.
pub(super) const UNTRANSLATED: &str = "n seed presence_penalty frequency_penalty logit_bias logprobs top_logprobs reasoning_effort verbosity modalities audio prediction service_tier store metadata prompt_cache_key web_search_options functions function_call";

/// The request body for this call.
pub(super) fn build(call: &Call<'_>, stream: bool) -> Result<Wire> {
    let req = call.request;
    let provider = call.endpoint.provider.as_str();
    let mut out = Map::new();
    out.insert("model".into(), Value::String(call.model.to_string()));
    out.insert("max_tokens".into(), json!(max_tokens(call)));
    let (system, messages) = convert_messages(req)?;
    if let Some(system) = system {
        out.insert("system".into(), system);
    }
    out.insert("messages".into(), Value::Array(messages));

    if let Some(t) = req.temperature {
        // OpenAI takes 0..=2, Anthropic 0..=1 ("Ranges from 0.0 to 1.0",
        // message_create_params.py): above 1 is clamped rather than rejected.
        let clamped = t.min(1.0);
        if clamped != t {
            tracing::debug!(provider, temperature = t, "temperature clamped to 1.0: the provider's maximum");
        }
        out.insert("temperature".into(), json!(clamped));
    }
    if let Some(p) = req.top_p {
        out.insert("top_p".into(), json!(p));
    }
    if let Some(stop) = &req.stop {
        out.insert("stop_sequences".into(), json!(stop.as_slice()));
    }

    let json_tool = tools(req, &mut out, provider);

    if let Some(user) = req.user.as_deref().or(req.safety_identifier.as_deref()) {
        // MetadataParam.user_id: "an external identifier for the user", the same role as
        // OpenAI's `user` and its successor `safety_identifier`.
        out.insert("metadata".into(), json!({ "user_id": user }));
    }

    shared::log_untranslated(provider, req, UNTRANSLATED);
    if req.safety_identifier.is_some() && req.user.is_some() {
        tracing::debug!(provider, param = "safety_identifier", "parameter dropped: `user` fills metadata.user_id");
    }
    // Fields Kestrel does not know (`top_k`, `thinking`, ...) go only to the provider the
    // caller addressed, and never replace a translated field.
    shared::forward_unknown(call, &mut out, |_, _| false);
    if stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    let body = serde_json::to_vec(&Value::Object(out)).map_err(|e| Error::invalid("body", e.to_string()))?;
    Ok(Wire { body, json_tool })
}

/// Anthropic requires `max_tokens` (`max_tokens: Required[int]` in message_create_params.py);
/// OpenAI callers usually leave it out. Sending the model's whole output limit (64K for
/// current models) would make every non-streaming call one the official SDK refuses to
/// send ("Streaming is required for operations that may take longer than 10 minutes",
/// `_base_client.py` `_calculate_nonstreaming_timeout`, above about 21K tokens), so an
/// unset limit becomes the model's limit capped at 8192, which covers ordinary answers.
pub(super) fn max_tokens(call: &Call<'_>) -> u32 {
    call.request
        .max_output()
        .unwrap_or_else(|| call.max_output.map_or(UNKNOWN_MODEL_MAX_TOKENS, |m| m.min(DEFAULT_MAX_TOKENS)))
}

/// `system` (a string, or text blocks when one carries `cache_control`) and the turns.
pub(super) fn convert_messages(req: &ChatRequest) -> Result<(Option<Value>, Vec<Value>)> {
    let mut system: Vec<Value> = Vec::new();
    let mut turns = shared::Turns::default();
    for (i, m) in req.messages.iter().enumerate() {
        let (role, blocks) = match m.role {
            Role::System | Role::Developer => {
                system.extend(text_blocks(m));
                continue;
            }
            Role::User => ("user", user_blocks(i, m)?),
            Role::Assistant => ("assistant", assistant_blocks(i, m)?),
            Role::Tool => ("user", vec![tool_result(i, m)?]),
            Role::Function => {
                return Err(Error::invalid(
                    format!("messages[{i}].role"),
                    "`function` messages (deprecated) cannot be sent to Anthropic; use `tool` messages",
                ))
            }
        };
        turns.push(role, blocks);
    }
    let turns = turns.finish("Anthropic")?;
    let messages = turns.into_iter().map(|(role, blocks)| json!({"role": role, "content": compact(blocks)})).collect();
    let system = match system.len() {
        0 => None,
        _ if system.iter().all(|b| b.get("cache_control").is_none()) => {
            let texts: Vec<&str> = system.iter().filter_map(|b| b["text"].as_str()).collect();
            Some(Value::String(texts.join("\n\n")))
        }
        _ => Some(Value::Array(system)),
    };
    Ok((system, messages))
}

/// A turn of a single plain text block is sent as a string, the API's shorthand.
pub(super) fn compact(mut blocks: Vec<Value>) -> Value {
    let plain_text = |b: &Value| b["type"] == "text" && b.as_object().is_some_and(|o| o.len() == 2);
    if blocks.len() == 1 && plain_text(&blocks[0]) {
        if let Some(Value::String(s)) = blocks[0].get_mut("text").map(Value::take) {
            return Value::String(s);
        }
    }
    Value::Array(blocks)
}

/// A text block, keeping a `cache_control` marker the caller put on the part (the form
/// OpenRouter and LiteLLM accept for Anthropic prompt caching).
pub(super) fn text_block(text: &str, extra: Option<&Extra>) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    let mut block = json!({"type": "text", "text": text});
    if let Some(cc) = extra.and_then(|e| e.get("cache_control")) {
        block["cache_control"] = cc.clone();
    }
    Some(block)
}

pub(super) fn text_blocks(m: &Message) -> Vec<Value> {
    match &m.content {
        Some(Content::Text(s)) => text_block(s, None).into_iter().collect(),
        Some(Content::Parts(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text, extra } | ContentPart::Refusal { refusal: text, extra } => {
                    text_block(text, Some(extra))
                }
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    }
}

pub(super) fn user_blocks(i: usize, m: &Message) -> Result<Vec<Value>> {
    let parts = match &m.content {
        Some(Content::Parts(parts)) => parts,
        _ => return Ok(text_blocks(m)),
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (j, p) in parts.iter().enumerate() {
        let field = |f: &str| format!("messages[{i}].content[{j}]{f}");
        match p {
            ContentPart::Text { text, extra } | ContentPart::Refusal { refusal: text, extra } => {
                blocks.extend(text_block(text, Some(extra)));
            }
            ContentPart::ImageUrl { image_url, extra } => {
                // image_block_param.py: source is Base64ImageSourceParam {type: base64,
                // media_type, data} or URLImageSourceParam {type: url, url}. `detail` has
                // no equivalent.
                let source = media_source(&image_url.url).ok_or_else(|| {
                    Error::invalid(field(".image_url.url"), "must be an http(s) URL or a data:<type>;base64, URL")
                })?;
                let mut block = json!({"type": "image", "source": source});
                if let Some(cc) = extra.get("cache_control") {
                    block["cache_control"] = cc.clone();
                }
                blocks.push(block);
            }
            ContentPart::File { file, .. } => {
                // A PDF as a `document` block with a base64 source (OpenAI takes PDFs only
                // here, as a data: URL or bare base64). OpenAI file ids name files stored
                // at OpenAI, which Anthropic cannot read.
                let source = match file.file_data.as_deref() {
                    Some(d) if d.starts_with("data:") => media_source(d),
                    Some(d) => Some(json!({"type": "base64", "media_type": "application/pdf", "data": d})),
                    None => None,
                }
                .ok_or_else(|| {
                    Error::invalid(
                        field(".file"),
                        "only inline file_data (base64 or a data: URL) can be sent to Anthropic",
                    )
                })?;
                blocks.push(json!({"type": "document", "source": source}));
            }
            ContentPart::InputAudio { .. } => {
                return Err(Error::invalid(field(""), "Anthropic does not accept audio input"));
            }
        }
    }
    Ok(blocks)
}

/// `data:<media type>;base64,<data>` → a base64 source; `http(s)://` → a url source.
pub(super) fn media_source(url: &str) -> Option<Value> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        return Some(json!({"type": "base64", "media_type": media_type, "data": data}));
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| json!({"type": "url", "url": url}))
}

pub(super) fn assistant_blocks(i: usize, m: &Message) -> Result<Vec<Value>> {
    let mut blocks = text_blocks(m);
    if m.content.is_none() {
        if let Some(r) = &m.refusal {
            blocks.extend(text_block(r, None));
        }
    }
    for (j, call) in m.tool_calls.iter().flatten().enumerate() {
        // tool_use_block_param.py: {type: tool_use, id, name, input: object}.
        let input = shared::call_arguments(i, j, &call.function.arguments, "Anthropic")?;
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.function.name, "input": input}));
    }
    Ok(blocks)
}

/// tool_result_block_param.py: {type: tool_result, tool_use_id, content: string | blocks},
/// the blocks being text, image or document ones, so images and PDFs a tool returned stay
/// in its result.
pub(super) fn tool_result(i: usize, m: &Message) -> Result<Value> {
    let mut block = json!({"type": "tool_result", "tool_use_id": m.tool_call_id.as_deref().unwrap_or_default()});
    match &m.content {
        Some(Content::Text(s)) if !s.is_empty() => block["content"] = Value::String(s.clone()),
        Some(Content::Parts(_)) => {
            let blocks = user_blocks(i, m)?;
            if !blocks.is_empty() {
                block["content"] = compact(blocks);
            }
        }
        _ => {}
    }
    Ok(block)
}

/// Writes `tools` and `tool_choice` (the caller's, plus the JSON-answer tool) and returns
/// the JSON tool's name.
pub(super) fn tools(req: &ChatRequest, out: &mut Map<String, Value>, provider: &str) -> Option<String> {
    let mut tools: Vec<Value> = Vec::new();
    for t in req.tools.iter().flatten() {
        let Some(f) = t.function.as_ref().filter(|_| t.kind == "function") else {
            tracing::debug!(provider, kind = %t.kind, "tool dropped: only function tools translate");
            continue;
        };
        // tool_param.py: {name, description?, input_schema (required, type object), strict?}.
        let mut tool = json!({"name": f.name});
        if let Some(d) = &f.description {
            tool["description"] = Value::String(d.clone());
        }
        tool["input_schema"] = f.parameters.clone().unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        if let Some(strict) = f.strict {
            tool["strict"] = Value::Bool(strict);
        }
        if let Some(cc) = t.extra.get("cache_control") {
            tool["cache_control"] = cc.clone();
        }
        tools.push(tool);
    }
    let caller_tools = !tools.is_empty();

    // JSON mode: Anthropic's documented way to get JSON out of any Claude model is a tool
    // whose input schema is the wanted JSON, with tool_choice forcing it; the tool's input
    // is then returned as the message text, so the caller gets JSON text as from OpenAI.
    // (Newer models also take `output_config.format`; the tool works on all of them.)
    let json_tool = match &req.response_format {
        Some(ResponseFormat::JsonSchema { json_schema }) => {
            let name = unique_name(&json_schema.name, &tools);
            let description = json_schema.description.clone().unwrap_or_else(|| {
                format!("Give the answer as the input of this tool, a `{}` object.", json_schema.name)
            });
            let schema = json_schema.schema.clone().unwrap_or_else(|| json!({"type": "object"}));
            let mut tool = json!({"name": name, "description": description, "input_schema": schema});
            if let Some(strict) = json_schema.strict {
                tool["strict"] = Value::Bool(strict);
            }
            tools.push(tool);
            Some(name)
        }
        Some(ResponseFormat::JsonObject) => {
            let name = unique_name(JSON_OBJECT_TOOL, &tools);
            tools.push(json!({
                "name": name,
                "description": "Give the answer as the input of this tool: a JSON object.",
                "input_schema": {"type": "object"}
            }));
            Some(name)
        }
        _ => None,
    };
    if tools.is_empty() {
        return None;
    }

    // tool_choice_{auto,any,tool,none}_param.py.
    let mut choice = match (&req.tool_choice, &json_tool) {
        (Some(ToolChoice::Named(n)), _) => json!({"type": "tool", "name": n.function.name}),
        (Some(ToolChoice::Mode(ToolChoiceMode::Required)), _) => json!({"type": "any"}),
        // A JSON answer is required: force its tool, or let the model pick between the
        // caller's tools and the JSON one.
        (Some(ToolChoice::Mode(ToolChoiceMode::None)), Some(name)) => json!({"type": "tool", "name": name}),
        (_, Some(name)) if !caller_tools => json!({"type": "tool", "name": name}),
        (_, Some(_)) => json!({"type": "any"}),
        (Some(ToolChoice::Mode(ToolChoiceMode::None)), None) => json!({"type": "none"}),
        (Some(ToolChoice::Mode(ToolChoiceMode::Auto)), None) => json!({"type": "auto"}),
        (None, None) => Value::Null,
    };
    if req.parallel_tool_calls == Some(false) && choice["type"] != "none" {
        if choice.is_null() {
            choice = json!({"type": "auto"});
        }
        choice["disable_parallel_tool_use"] = Value::Bool(true);
    }
    out.insert("tools".into(), Value::Array(tools));
    if !choice.is_null() {
        out.insert("tool_choice".into(), choice);
    }
    json_tool
}

/// `name`, or `kestrel_<name>` if one of the caller's tools already has that name.
pub(super) fn unique_name(name: &str, tools: &[Value]) -> String {
    if tools.iter().any(|t| t["name"] == name) {
        format!("kestrel_{name}")
    } else {
        name.to_string()
    }
}
