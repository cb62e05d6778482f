//! Anthropic's Messages API (`POST /v1/messages`): OpenAI chat requests become Messages
//! requests, and the `message` (or each stream event) comes back as an OpenAI completion
//! (or chunk).
//!
//! Shapes follow the official SDK's types (anthropic-sdk-python `src/anthropic/types/`:
//! `message_create_params.py`, `message.py`, `usage.py`, `raw_*_event.py`,
//! `tool_choice_*_param.py`, `shared/error_*.py`) and its recorded streams
//! (`tests/lib/streaming/fixtures/*.txt`).
//!
//! | OpenAI | Anthropic |
//! |---|---|
//! | `system` / `developer` messages | top-level `system` (joined with a blank line) |
//! | consecutive same-role messages | one turn (the API alternates user and assistant) |
//! | `image_url` (`data:` / `https:`) | `image` block, `base64` / `url` source |
//! | `file.file_data` (`data:` URL) | `document` block, `base64` source |
//! | assistant `tool_calls` | `tool_use` blocks, `input` = parsed arguments |
//! | `tool` messages | `tool_result` blocks in a user turn |
//! | `max_completion_tokens` / `max_tokens` | `max_tokens` (required; see [`max_tokens`]) |
//! | `stop` | `stop_sequences` |
//! | `tools[].function` | `tools[]` `{name, description, input_schema}` |
//! | `tool_choice` auto / none / required / named | `{type: auto}` / `none` / `any` / `tool` |
//! | `parallel_tool_calls: false` | `tool_choice.disable_parallel_tool_use: true` |
//! | `response_format` JSON | a forced tool whose `input_schema` is the schema |
//! | `user` (else `safety_identifier`) | `metadata.user_id` |

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::malformed;
use super::http::{self, Auth};
use super::{Call, ChunkStream, Endpoint, Provider};
use crate::error::{Error, Result};
use crate::types::{
    AssistantMessage, ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Content, ContentPart, Delta, Extra,
    FunctionCall, FunctionCallDelta, Message, PromptTokensDetails, ResponseFormat, Role, ToolCall, ToolCallDelta,
    ToolChoice, ToolChoiceMode, Usage,
};

/// The Messages API version every request names. anthropic-sdk-python 1.x sends this one
/// (`_client.py`, `"anthropic-version": "2023-06-01"`). The SDK majors of October 2026
/// (Python 2.x) send `2026-10-21` instead, a version that rejects `temperature`, `top_p` and
/// `top_k` with a 400 (its `MessageCreateParams` no longer has them); `2023-06-01` still
/// takes them, so OpenAI's sampling fields keep a translation here. Callers can pin another
/// version with a default `anthropic-version` header.
pub const API_VERSION: &str = "2023-06-01";

/// `max_tokens` when the caller set no limit: the model's own limit, but at most this.
const DEFAULT_MAX_TOKENS: u32 = 8192;
/// `max_tokens` when the caller set no limit and the catalog does not know the model:
/// the smallest output limit of the Claude models still served (Claude 3 Haiku).
const UNKNOWN_MODEL_MAX_TOKENS: u32 = 4096;
/// Names the forced tool that carries a `json_object` answer.
const JSON_OBJECT_TOOL: &str = "json_response";

/// Parameters of OpenAI's API that the Messages API has no equivalent for (the caller set
/// them if `true`): dropped with a debug log, never sent. `stream_options` is not listed:
/// Anthropic streams usage unasked.
fn openai_only(r: &ChatRequest) -> [(&'static str, bool); 19] {
    [
        ("n", r.n.is_some()),
        ("seed", r.seed.is_some()),
        ("presence_penalty", r.presence_penalty.is_some()),
        ("frequency_penalty", r.frequency_penalty.is_some()),
        ("logit_bias", r.logit_bias.is_some()),
        ("logprobs", r.logprobs.is_some()),
        ("top_logprobs", r.top_logprobs.is_some()),
        ("reasoning_effort", r.reasoning_effort.is_some()),
        ("verbosity", r.verbosity.is_some()),
        ("modalities", r.modalities.is_some()),
        ("audio", r.audio.is_some()),
        ("prediction", r.prediction.is_some()),
        ("service_tier", r.service_tier.is_some()),
        ("store", r.store.is_some()),
        ("metadata", r.metadata.is_some()),
        ("prompt_cache_key", r.prompt_cache_key.is_some()),
        ("web_search_options", r.web_search_options.is_some()),
        ("functions", r.functions.is_some()),
        ("function_call", r.function_call.is_some()),
    ]
}

/// The Anthropic Messages wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Anthropic;

/// A translated request.
pub(super) struct Wire {
    pub(super) body: Vec<u8>,
    /// The forced tool whose input is the JSON answer (`response_format`), if any.
    pub(super) json_tool: Option<String>,
}

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

    if tracing::enabled!(tracing::Level::DEBUG) {
        for (param, _) in openai_only(req).into_iter().filter(|(_, set)| *set) {
            tracing::debug!(provider, param, "parameter dropped: the provider has no equivalent");
        }
    }
    if req.safety_identifier.is_some() && req.user.is_some() {
        tracing::debug!(provider, param = "safety_identifier", "parameter dropped: `user` fills metadata.user_id");
    }
    // Fields Kestrel does not know (`top_k`, `thinking`, ...) go only to the provider the
    // caller addressed, and never replace a translated field.
    for (k, v) in &req.extra {
        if !call.pass_unknown {
            tracing::debug!(provider, param = %k, "unknown parameter not forwarded to another provider");
        } else if !out.contains_key(k) {
            out.insert(k.clone(), v.clone());
        }
    }
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
fn max_tokens(call: &Call<'_>) -> u32 {
    call.request
        .max_output()
        .unwrap_or_else(|| call.max_output.map_or(UNKNOWN_MODEL_MAX_TOKENS, |m| m.min(DEFAULT_MAX_TOKENS)))
}

/// One user or assistant turn being assembled.
struct Turn {
    role: &'static str,
    blocks: Vec<Value>,
}

/// `system` (a string, or text blocks when one carries `cache_control`) and the turns.
fn convert_messages(req: &ChatRequest) -> Result<(Option<Value>, Vec<Value>)> {
    let mut system: Vec<Value> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        let (role, blocks) = match m.role {
            Role::System | Role::Developer => {
                system.extend(text_blocks(m));
                continue;
            }
            Role::User => ("user", user_blocks(i, m)?),
            Role::Assistant => ("assistant", assistant_blocks(i, m)?),
            Role::Tool => ("user", vec![tool_result(m)]),
            Role::Function => {
                return Err(Error::invalid(
                    format!("messages[{i}].role"),
                    "`function` messages (deprecated) cannot be sent to Anthropic; use `tool` messages",
                ))
            }
        };
        if blocks.is_empty() {
            // The API refuses empty turns and empty text blocks; OpenAI allows `""`.
            continue;
        }
        match turns.last_mut() {
            // The API alternates user and assistant turns: consecutive ones become one.
            Some(t) if t.role == role => t.blocks.extend(blocks),
            _ => turns.push(Turn { role, blocks }),
        }
    }
    if turns.is_empty() {
        return Err(Error::invalid("messages", "Anthropic needs at least one non-empty user or assistant message"));
    }
    let messages = turns.into_iter().map(|t| json!({"role": t.role, "content": compact(t.blocks)})).collect();
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
fn compact(mut blocks: Vec<Value>) -> Value {
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
fn text_block(text: &str, extra: Option<&Extra>) -> Option<Value> {
    if text.is_empty() {
        return None;
    }
    let mut block = json!({"type": "text", "text": text});
    if let Some(cc) = extra.and_then(|e| e.get("cache_control")) {
        block["cache_control"] = cc.clone();
    }
    Some(block)
}

fn text_blocks(m: &Message) -> Vec<Value> {
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

fn user_blocks(i: usize, m: &Message) -> Result<Vec<Value>> {
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
fn media_source(url: &str) -> Option<Value> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (meta, data) = rest.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        return Some(json!({"type": "base64", "media_type": media_type, "data": data}));
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then(|| json!({"type": "url", "url": url}))
}

fn assistant_blocks(i: usize, m: &Message) -> Result<Vec<Value>> {
    let mut blocks = text_blocks(m);
    if m.content.is_none() {
        if let Some(r) = &m.refusal {
            blocks.extend(text_block(r, None));
        }
    }
    for (j, call) in m.tool_calls.iter().flatten().enumerate() {
        // tool_use_block_param.py: {type: tool_use, id, name, input: object}.
        let args = call.function.arguments.trim();
        let input = if args.is_empty() {
            Value::Object(Map::new())
        } else {
            match serde_json::from_str::<Value>(args) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return Err(Error::invalid(
                        format!("messages[{i}].tool_calls[{j}].function.arguments"),
                        "must be a JSON object to be replayed to Anthropic",
                    ))
                }
            }
        };
        blocks.push(json!({"type": "tool_use", "id": call.id, "name": call.function.name, "input": input}));
    }
    Ok(blocks)
}

/// tool_result_block_param.py: {type: tool_result, tool_use_id, content: string | blocks}.
fn tool_result(m: &Message) -> Value {
    let mut block = json!({"type": "tool_result", "tool_use_id": m.tool_call_id.as_deref().unwrap_or_default()});
    match &m.content {
        Some(Content::Text(s)) if !s.is_empty() => block["content"] = Value::String(s.clone()),
        Some(Content::Parts(_)) => {
            let texts = text_blocks(m);
            if !texts.is_empty() {
                block["content"] = compact(texts);
            }
        }
        _ => {}
    }
    block
}

/// Writes `tools` and `tool_choice` (the caller's, plus the JSON-answer tool) and returns
/// the JSON tool's name.
fn tools(req: &ChatRequest, out: &mut Map<String, Value>, provider: &str) -> Option<String> {
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
fn unique_name(name: &str, tools: &[Value]) -> String {
    if tools.iter().any(|t| t["name"] == name) {
        format!("kestrel_{name}")
    } else {
        name.to_string()
    }
}

// ─────────────────────────────────── answers ───────────────────────────────────

/// message.py `Message` (the fields used here).
#[derive(Debug, Deserialize)]
struct WireMessage {
    id: String,
    model: String,
    #[serde(default)]
    content: Vec<Block>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

/// content_block.py: text and tool_use translate; thinking, server-tool and other blocks
/// have no OpenAI equivalent and are skipped.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default = "empty_object")]
        input: Value,
    },
    #[serde(other)]
    Other,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// usage.py `Usage` and message_delta_usage.py `MessageDeltaUsage` (cumulative counts).
#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Later counts replace earlier ones (message_delta's are cumulative).
    fn update(&mut self, newer: WireUsage) {
        self.input_tokens = newer.input_tokens.or(self.input_tokens);
        self.output_tokens = newer.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = newer.cache_creation_input_tokens.or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = newer.cache_read_input_tokens.or(self.cache_read_input_tokens);
    }

    /// "Total input tokens in a request is the summation of `input_tokens`,
    /// `cache_creation_input_tokens`, and `cache_read_input_tokens`" (message.py), which
    /// is what OpenAI's `prompt_tokens` counts; cache reads are its `cached_tokens`.
    fn to_openai(&self) -> Usage {
        let read = self.cache_read_input_tokens.unwrap_or(0);
        let created = self.cache_creation_input_tokens.unwrap_or(0);
        let prompt = self.input_tokens.unwrap_or(0) + read + created;
        let completion = self.output_tokens.unwrap_or(0);
        let mut extra = Extra::new();
        if created > 0 {
            // Billed above the input price; kept under Anthropic's name (as LiteLLM does).
            extra.insert("cache_creation_input_tokens".into(), json!(created));
        }
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            prompt_tokens_details: Some(PromptTokensDetails { cached_tokens: Some(read), ..Default::default() }),
            completion_tokens_details: None,
            extra,
        }
    }
}

/// stop_reason.py → OpenAI's finish_reason. `json_only`: the only tool used was the
/// JSON-answer tool, which is an answer, not a call.
fn finish_reason(stop_reason: Option<&str>, json_only: bool) -> &'static str {
    match stop_reason {
        Some("max_tokens" | "model_context_window_exceeded") => "length",
        Some("tool_use") if !json_only => "tool_calls",
        Some("refusal") => "content_filter",
        // end_turn, stop_sequence, pause_turn (server tools), or the JSON tool.
        _ => "stop",
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn to_response(msg: WireMessage, json_tool: Option<&str>) -> ChatResponse {
    let mut text = String::new();
    let mut json_answer: Option<String> = None;
    let mut calls = Vec::new();
    for block in msg.content {
        match block {
            Block::Text { text: t } => text.push_str(&t),
            Block::ToolUse { name, input, .. } if Some(name.as_str()) == json_tool => {
                json_answer = Some(input.to_string());
            }
            Block::ToolUse { id, name, input } => calls.push(ToolCall {
                id,
                kind: "function".into(),
                function: FunctionCall { name, arguments: input.to_string(), extra: Extra::new() },
                extra: Extra::new(),
            }),
            Block::Other => {}
        }
    }
    let json_only = json_answer.is_some() && calls.is_empty();
    // With a JSON answer, the message is the JSON (the tool is forced, so no text precedes
    // it); without text, a tool-calling answer has `content: null`, as OpenAI's does.
    let content = match json_answer {
        Some(j) => Some(j),
        None if text.is_empty() && !calls.is_empty() => None,
        None => Some(text),
    };
    ChatResponse {
        id: msg.id,
        object: "chat.completion".into(),
        created: now(),
        model: msg.model,
        choices: vec![Choice {
            index: 0,
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
            finish_reason: Some(finish_reason(msg.stop_reason.as_deref(), json_only).into()),
            logprobs: None,
            extra: Extra::new(),
        }],
        usage: Some(msg.usage.to_openai()),
        system_fingerprint: None,
        service_tier: None,
        kestrel: None,
        extra: Extra::new(),
    }
}

/// An `error` event inside a 200 stream, `{"type": "error", "error": {"type", "message"}}`,
/// as the error its type's HTTP status would have been (the status of each type is in
/// Anthropic's "HTTP errors" page, docs.claude.com/en/api/errors; the names in
/// shared/error_type.py). `overloaded_error` is 529: transient, so it fails over.
fn stream_error(provider: &str, v: Value) -> Error {
    let status = match v.pointer("/error/type").and_then(Value::as_str).unwrap_or("") {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    };
    let message = http::error_message(&v).unwrap_or_else(|| v.to_string());
    http::classify(provider, status, message, Some(Box::new(v)), None)
}

// ─────────────────────────────────── streams ───────────────────────────────────

/// raw_message_stream_event.py, plus `ping` and `error`, which the SDK handles by event
/// name (`_streaming.py`). Unknown event types are skipped: the API may add them.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: WireMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: Block,
    },
    ContentBlockDelta {
        index: usize,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    /// `{"type": "error", "error": {"type", "message"}}` inside a 200 stream.
    Error {
        error: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum BlockDelta {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    /// thinking, signature and citations deltas.
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// What each content block of the streamed message became.
#[derive(Debug, Clone, Copy)]
enum BlockKind {
    Text,
    /// A tool call: its OpenAI `index`, and whether any argument text was sent.
    Tool {
        index: u32,
        args_sent: bool,
    },
    /// The JSON-answer tool: its input streams as content.
    Json,
    Other,
}

/// Turns Anthropic stream events into OpenAI chunks, at most one per event.
pub(super) struct Translator {
    provider: String,
    json_tool: Option<String>,
    id: String,
    model: String,
    created: u64,
    role_sent: bool,
    blocks: Vec<BlockKind>,
    tool_calls: u32,
    usage: WireUsage,
    /// `message_stop` arrived: the stream is complete.
    finished: bool,
}

impl Translator {
    pub(super) fn new(provider: String, json_tool: Option<String>, model: &str) -> Self {
        Translator {
            provider,
            json_tool,
            id: String::new(),
            model: model.to_string(),
            created: now(),
            role_sent: false,
            blocks: Vec::new(),
            tool_calls: 0,
            usage: WireUsage::default(),
            finished: false,
        }
    }

    fn chunk(&mut self, mut delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        if !self.role_sent {
            // OpenAI's first delta names the role.
            self.role_sent = true;
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
                index: 0,
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

    fn text(&mut self, text: String) -> Option<ChatChunk> {
        (!text.is_empty() || !self.role_sent)
            .then(|| self.chunk(Delta { content: Some(text), ..Delta::default() }, None))
    }

    fn arguments(&mut self, index: u32, fragment: String) -> ChatChunk {
        let call = ToolCallDelta {
            index,
            id: None,
            kind: None,
            function: Some(FunctionCallDelta { name: None, arguments: Some(fragment) }),
            extra: Extra::new(),
        };
        self.chunk(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, None)
    }

    fn set_kind(&mut self, index: usize, kind: BlockKind) {
        if self.blocks.len() <= index {
            self.blocks.resize(index + 1, BlockKind::Other);
        }
        self.blocks[index] = kind;
    }

    /// One event's `data`; `Ok(None)` for events that carry nothing to forward. No chunk
    /// is made before the first content block, so an `error` event right after
    /// `message_start` still fails over.
    pub(super) fn on_event(&mut self, data: &str) -> Result<Option<ChatChunk>> {
        // One typed parse: error events are a variant of their own, not a second pass.
        let event: Event = serde_json::from_str(data).map_err(|e| malformed(&self.provider, "stream event", e))?;
        Ok(match event {
            Event::Error { error } => {
                return Err(stream_error(&self.provider, serde_json::json!({"type": "error", "error": error})))
            }
            Event::MessageStart { message } => {
                self.id = message.id;
                self.model = message.model;
                self.usage.update(message.usage);
                None
            }
            Event::ContentBlockStart { index, content_block } => match content_block {
                Block::Text { text } => {
                    self.set_kind(index, BlockKind::Text);
                    self.text(text)
                }
                Block::ToolUse { name, .. } if Some(name.as_str()) == self.json_tool.as_deref() => {
                    self.set_kind(index, BlockKind::Json);
                    self.text(String::new())
                }
                Block::ToolUse { id, name, .. } => {
                    let n = self.tool_calls;
                    self.tool_calls += 1;
                    self.set_kind(index, BlockKind::Tool { index: n, args_sent: false });
                    let call = ToolCallDelta {
                        index: n,
                        id: Some(id),
                        kind: Some("function".into()),
                        function: Some(FunctionCallDelta { name: Some(name), arguments: Some(String::new()) }),
                        extra: Extra::new(),
                    };
                    Some(self.chunk(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, None))
                }
                Block::Other => {
                    self.set_kind(index, BlockKind::Other);
                    None
                }
            },
            Event::ContentBlockDelta { index, delta } => {
                match (self.blocks.get(index).copied().unwrap_or(BlockKind::Other), delta) {
                    (BlockKind::Text, BlockDelta::TextDelta { text }) if !text.is_empty() => self.text(text),
                    (BlockKind::Json, BlockDelta::InputJsonDelta { partial_json }) if !partial_json.is_empty() => {
                        self.text(partial_json)
                    }
                    (BlockKind::Tool { index: n, .. }, BlockDelta::InputJsonDelta { partial_json })
                        if !partial_json.is_empty() =>
                    {
                        self.set_kind(index, BlockKind::Tool { index: n, args_sent: true });
                        Some(self.arguments(n, partial_json))
                    }
                    _ => None,
                }
            }
            Event::ContentBlockStop { index } => match self.blocks.get(index).copied() {
                // A tool without parameters streams no input at all; OpenAI sends `{}`,
                // as the non-streaming answer would.
                Some(BlockKind::Tool { index: n, args_sent: false }) => Some(self.arguments(n, "{}".into())),
                _ => None,
            },
            Event::MessageDelta { delta, usage } => {
                if let Some(u) = usage {
                    self.usage.update(u);
                }
                let json_only = self.tool_calls == 0 && self.blocks.iter().any(|b| matches!(b, BlockKind::Json));
                let reason = finish_reason(delta.stop_reason.as_deref(), json_only);
                Some(self.chunk(Delta::default(), Some(reason)))
            }
            Event::MessageStop => {
                self.finished = true;
                // The usage-only chunk OpenAI sends last with `include_usage`; the client
                // hides it from callers who did not ask for usage.
                let mut chunk = self.chunk(Delta::default(), None);
                chunk.choices.clear();
                chunk.usage = Some(self.usage.to_openai());
                Some(chunk)
            }
            Event::Other => None,
        })
    }
}

/// The chunk stream of one response: ends at `message_stop` (Anthropic sends no `[DONE]`).
struct Chunks {
    events: http::SseData,
    translator: Translator,
    done: bool,
}

impl Stream for Chunks {
    type Item = Result<ChatChunk>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while !this.done {
            let next = match this.events.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(next) => next,
            };
            match next {
                Some(Ok(data)) => match this.translator.on_event(&data) {
                    Ok(Some(chunk)) => {
                        this.done = this.translator.finished;
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                    Ok(None) => {}
                    Err(e) => {
                        this.done = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::Provider {
                        provider: this.translator.provider.clone(),
                        status: 200,
                        message: "the event stream ended before message_stop".into(),
                        body: None,
                    })));
                }
            }
        }
        Poll::Ready(None)
    }
}

/// The endpoint with `anthropic-version` set, unless the caller's headers already name one.
fn versioned(endpoint: &Endpoint) -> Cow<'_, Endpoint> {
    if endpoint.headers.contains_key("anthropic-version") {
        return Cow::Borrowed(endpoint);
    }
    let mut e = endpoint.clone();
    e.headers.insert(HeaderName::from_static("anthropic-version"), HeaderValue::from_static(API_VERSION));
    Cow::Owned(e)
}

/// The key goes in `x-api-key` (anthropic-sdk-python 1.x `_client.py` `_api_key_auth`; the
/// 2.x SDKs send `Authorization: Bearer`, and the API takes either).
const AUTH: Auth = Auth::Header("x-api-key");

/// A Messages response body, as OpenAI's response.
pub(super) fn decode(provider: &str, bytes: &[u8], json_tool: Option<&str>) -> Result<ChatResponse> {
    let msg: WireMessage = serde_json::from_slice(bytes).map_err(|e| malformed(provider, "response", e))?;
    Ok(to_response(msg, json_tool))
}

impl Provider for Anthropic {
    fn complete<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChatResponse>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.as_str();
            let wire = build(&call, false)?;
            let url = call.endpoint.chat_url(call.model);
            let endpoint = versioned(call.endpoint);
            let resp = http::post_json(call.http, &endpoint, &url, AUTH, wire.body, call.timeout).await?;
            let bytes = resp.bytes().await.map_err(|e| http::transport_error(provider, &e))?;
            decode(provider, &bytes, wire.json_tool.as_deref())
        })
    }

    fn stream<'a>(&'a self, call: Call<'a>) -> BoxFuture<'a, Result<ChunkStream>> {
        Box::pin(async move {
            let provider = call.endpoint.provider.clone();
            let wire = build(&call, true)?;
            let url = call.endpoint.chat_url(call.model);
            let endpoint = versioned(call.endpoint);
            let send = http::post_json(call.http, &endpoint, &url, AUTH, wire.body, None);
            let resp = match call.timeout {
                Some(t) => {
                    tokio::time::timeout(t, send).await.map_err(|_| Error::Timeout { provider: provider.clone() })??
                }
                None => send.await?,
            };
            let events = http::sse_data(&provider, resp);
            let translator = Translator::new(provider, wire.json_tool, call.model);
            Ok(Box::pin(Chunks { events, translator, done: false }) as ChunkStream)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_for(req: Value, max_output: Option<u32>, pass_unknown: bool) -> (Value, Option<String>) {
        let request = ChatRequest::from_value(req).unwrap();
        let endpoint = Endpoint {
            provider: "anthropic".into(),
            base_url: "http://x".into(),
            chat_path: "/v1/messages".into(),
            key: None,
            headers: Default::default(),
        };
        let http = reqwest::Client::new();
        let call = Call {
            request: &request,
            model: "claude-haiku-4-5",
            max_output,
            endpoint: &endpoint,
            http: &http,
            timeout: None,
            pass_unknown,
        };
        let wire = build(&call, false).unwrap();
        (serde_json::from_slice(&wire.body).unwrap(), wire.json_tool)
    }

    #[test]
    fn messages_system_and_sampling() {
        let (b, json_tool) = body_for(
            json!({"model": "claude-haiku-4-5", "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
                {"role": "user", "content": "Hi"},
                {"role": "user", "content": [{"type": "text", "text": "there"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]},
                {"role": "assistant", "content": "Hello!"}
            ], "temperature": 1.7, "top_p": 0.9, "stop": "END", "user": "u-1", "seed": 3, "n": 1,
               "presence_penalty": 0.5, "logprobs": true, "top_k": 5}),
            Some(64000),
            true,
        );
        assert!(json_tool.is_none());
        assert_eq!(b["system"], "Be brief.\n\nUse metric units.");
        assert_eq!(b["max_tokens"], 8192);
        assert_eq!(b["temperature"], 1.0);
        assert_eq!(b["top_p"], 0.9);
        assert_eq!(b["stop_sequences"], json!(["END"]));
        assert_eq!(b["metadata"], json!({"user_id": "u-1"}));
        assert_eq!(b["top_k"], 5, "unknown fields reach the provider the caller addressed");
        for dropped in ["seed", "n", "presence_penalty", "logprobs", "user", "stream"] {
            assert!(b.get(dropped).is_none(), "{dropped}");
        }
        let msgs = b["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 2, "consecutive user turns merge: {msgs:?}");
        assert_eq!(
            msgs[0]["content"],
            json!([
                {"type": "text", "text": "Hi"},
                {"type": "text", "text": "there"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
            ])
        );
        assert_eq!(msgs[1], json!({"role": "assistant", "content": "Hello!"}));
    }

    #[test]
    fn documents_translate_and_audio_is_refused() {
        let (b, _) = body_for(
            json!({"model": "m", "messages": [{"role": "user", "content": [
                {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}},
                {"type": "file", "file": {"file_data": "JVBERi0y"}},
                {"type": "text", "text": "Compare them."}]}]}),
            None,
            false,
        );
        let blocks = &b["messages"][0]["content"];
        assert_eq!(
            blocks[0],
            json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}})
        );
        assert_eq!(blocks[1]["source"]["data"], "JVBERi0y");

        let request = ChatRequest::from_value(json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}]}]}))
        .unwrap();
        let endpoint = Endpoint {
            provider: "anthropic".into(),
            base_url: "http://x".into(),
            chat_path: "/v1/messages".into(),
            key: None,
            headers: Default::default(),
        };
        let http = reqwest::Client::new();
        let call = Call {
            request: &request,
            model: "m",
            max_output: None,
            endpoint: &endpoint,
            http: &http,
            timeout: None,
            pass_unknown: false,
        };
        let err = build(&call, false).err().unwrap();
        assert!(matches!(&err, Error::InvalidRequest { field, .. } if field == "messages[0].content[0]"), "{err}");
    }

    #[test]
    fn tools_round_trip_and_choices() {
        let req = json!({"model": "m", "messages": [
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "24C"}]}
        ], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
           "tool_choice": "required", "parallel_tool_calls": false, "max_tokens": 100});
        let (b, _) = body_for(req.clone(), Some(64000), false);
        assert_eq!(b["max_tokens"], 100);
        assert_eq!(b["tool_choice"], json!({"type": "any", "disable_parallel_tool_use": true}));
        assert_eq!(b["tools"][0]["input_schema"]["required"], json!(["city"]));
        assert_eq!(b["tools"][0]["description"], "Weather");
        let msgs = b["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(
            msgs[1]["content"][1],
            json!({"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}})
        );
        assert_eq!(msgs[1]["content"].as_array().unwrap().len(), 2, "no empty text block");
        assert_eq!(
            msgs[2],
            json!({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "24C"}
            ]})
        );

        let choice = |c: Value| {
            let mut r = req.clone();
            r["tool_choice"] = c;
            r.as_object_mut().unwrap().remove("parallel_tool_calls");
            body_for(r, None, false).0["tool_choice"].clone()
        };
        assert_eq!(choice(json!("auto")), json!({"type": "auto"}));
        assert_eq!(choice(json!("none")), json!({"type": "none"}));
        assert_eq!(
            choice(json!({"type": "function", "function": {"name": "get_weather"}})),
            json!({"type": "tool", "name": "get_weather"})
        );
        assert_eq!(choice(Value::Null), Value::Null);
    }

    #[test]
    fn json_modes_force_a_tool() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]});
        let (b, tool) = body_for(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}),
            None,
            false,
        );
        assert_eq!(tool.as_deref(), Some("answer"));
        assert_eq!(b["max_tokens"], 4096);
        assert_eq!(b["tools"][0]["input_schema"], schema);
        assert_eq!(b["tool_choice"], json!({"type": "tool", "name": "answer"}));
        let (b, tool) = body_for(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
                "response_format": {"type": "json_object"}}),
            None,
            false,
        );
        assert_eq!(tool.as_deref(), Some("json_response"));
        assert_eq!(b["tools"][0]["input_schema"], json!({"type": "object"}));
    }

    #[test]
    fn responses_map_back() {
        let msg: WireMessage = serde_json::from_value(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 7}
        }))
        .unwrap();
        let r = to_response(msg, None);
        assert_eq!(r.model, "claude-haiku-4-5-20251001");
        let c = &r.choices[0];
        assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(c.message.content.as_deref(), Some("Let me check."));
        let call = &c.message.tool_calls.as_ref().unwrap()[0];
        assert_eq!((call.id.as_str(), call.function.arguments.as_str()), ("toolu_1", r#"{"city":"Paris"}"#));
        let u = r.usage.unwrap();
        assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (115, 7, 122, 100));

        for (stop, want) in
            [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("refusal", "content_filter")]
        {
            assert_eq!(finish_reason(Some(stop), false), want);
        }
        let json_msg: WireMessage = serde_json::from_value(json!({"id": "m", "model": "x", "stop_reason": "tool_use",
            "content": [{"type": "tool_use", "id": "t", "name": "answer", "input": {"a": 1}}]}))
        .unwrap();
        let r = to_response(json_msg, Some("answer"));
        assert_eq!(r.choices[0].message.content.as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(r.choices[0].finish_reason.as_deref(), Some("stop"));
        assert!(r.choices[0].message.tool_calls.is_none());
    }

    #[test]
    fn stream_events_translate() {
        let mut t = Translator::new("anthropic".into(), None, "claude-haiku-4-5");
        let events = [
            r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-haiku-4-5-20251001","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"cache_read_input_tokens":4,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type": "ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#,
            r#"{"type":"content_block_stop","index":1}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":6}}"#,
            r#"{"type":"message_stop"}"#,
        ];
        let chunks: Vec<ChatChunk> = events.iter().filter_map(|e| t.on_event(e).unwrap()).collect();
        assert_eq!(chunks.len(), 7, "{chunks:#?}");
        assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
        assert_eq!(chunks[0].id, "msg_1");
        assert_eq!(chunks[1].choices[0].delta.content.as_deref(), Some("Hi"));
        let header = &chunks[2].choices[0].delta.tool_calls.as_ref().unwrap()[0];
        assert_eq!((header.index, header.id.as_deref()), (0, Some("toolu_1")));
        assert_eq!(chunks[5].choices[0].finish_reason.as_deref(), Some("tool_calls"));
        let usage = chunks[6].usage.as_ref().unwrap();
        assert!(chunks[6].choices.is_empty());
        assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens()), (15, 6, 4));
        assert!(t.finished);

        let mut t = Translator::new("anthropic".into(), None, "m");
        let err =
            t.on_event(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#).unwrap_err();
        assert!(matches!(err, Error::Provider { status: 529, .. }) && err.is_transient(), "{err:?}");
    }
}
