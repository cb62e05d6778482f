//! Cohere's v2 Chat API (`POST /v2/chat`): OpenAI chat requests become v2 chat requests,
//! and the response (or each stream event) comes back as an OpenAI completion (or chunk).
//!
//! Shapes follow the official SDK (cohere-python `src/cohere/v2/raw_client.py` for the
//! request fields and errors, `src/cohere/types/`: `chat_message_v2.py`, `content.py`,
//! `image_url.py`, `tool_v2.py`, `tool_call_v2.py`, `response_format_v2.py`,
//! `chat_finish_reason.py`, `usage.py`, and `src/cohere/v2/types/v2chat_response.py`,
//! `v2chat_stream_response.py` with the `chat_*_event_delta*.py` types for streams).
//!
//! | OpenAI | Cohere v2 |
//! |---|---|
//! | `system` / `developer` messages | `system` messages |
//! | `image_url` parts | `image_url` content parts (`{url, detail}`) |
//! | assistant `tool_calls` (+ text) | `tool_calls` (+ `tool_plan`) |
//! | `tool` messages | `tool` messages (`tool_call_id`, `content`) |
//! | `max_completion_tokens` / `max_tokens` | `max_tokens` |
//! | `top_p` / `stop` | `p` / `stop_sequences` |
//! | `tool_choice` auto / none / required / named | omitted / `NONE` / `REQUIRED` / `REQUIRED` + only that tool |
//! | `response_format` JSON | `{type: json_object, json_schema?}` |

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, malformed, Auth};
use super::shared;
use super::wire::WireFormat;
use super::{Call, Endpoint, ModelPage};
use crate::error::{Error, Result};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, Content, ContentPart, Delta, Extra, FunctionCall, FunctionCallDelta,
    Message, PromptTokensDetails, ResponseFormat, Role, ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, Usage,
};

/// The Cohere v2 chat wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Cohere;

/// `value` clamped into `lo..=hi`, with a debug log when it had to move.
fn clamp(provider: &str, param: &'static str, value: f64, lo: f64, hi: f64) -> f64 {
    let c = value.clamp(lo, hi);
    if c != value {
        tracing::debug!(provider, param, value, clamped = c, "parameter clamped to the provider's range");
    }
    c
}

/// Parameters of OpenAI's API that v2 chat has no equivalent for (the caller set them if
/// `true`): dropped with a debug log, never sent. `logprobs` exists in v2 but answers in
/// another shape, so it is dropped too.
const UNTRANSLATED: &str = "n logit_bias logprobs top_logprobs parallel_tool_calls reasoning_effort verbosity modalities audio prediction service_tier store metadata user safety_identifier prompt_cache_key web_search_options functions function_call";

/// The request body for this call.
pub(super) fn build(call: &Call<'_>, stream: bool) -> Result<Vec<u8>> {
    let req = call.request;
    let provider = call.endpoint.provider.as_str();
    let mut out = Map::new();
    out.insert("model".into(), Value::String(call.model.to_string()));
    out.insert("messages".into(), Value::Array(convert_messages(req)?));
    tools(req, &mut out);

    if let Some(rf) = &req.response_format {
        // response_format_v2.py: JsonObjectResponseFormatV2 {type: json_object, json_schema?}.
        // The SDK notes the parameter "is not supported when used in combinations with the
        // `documents` or `tools` parameters"; it is sent as asked and Cohere says so if not.
        match rf {
            ResponseFormat::JsonObject => {
                out.insert("response_format".into(), json!({"type": "json_object"}));
            }
            ResponseFormat::JsonSchema { json_schema } => {
                let mut f = json!({"type": "json_object"});
                if let Some(schema) = &json_schema.schema {
                    f["json_schema"] = schema.clone();
                }
                out.insert("response_format".into(), f);
            }
            ResponseFormat::Text => {}
        }
    }
    if let Some(m) = req.max_output() {
        out.insert("max_tokens".into(), json!(m));
    }
    if let Some(t) = req.temperature {
        out.insert("temperature".into(), json!(t));
    }
    if let Some(p) = req.top_p {
        // raw_client.py `p`: "min value of `0.01`, max value of `0.99`"; OpenAI takes 0..=1.
        out.insert("p".into(), json!(clamp(provider, "top_p", p, 0.01, 0.99)));
    }
    if let Some(stop) = &req.stop {
        out.insert("stop_sequences".into(), json!(stop.as_slice()));
    }
    if let Some(seed) = req.seed {
        out.insert("seed".into(), json!(seed));
    }
    // raw_client.py: both penalties "min value of `0.0`, max value of `1.0`"; OpenAI takes -2..=2.
    if let Some(v) = req.frequency_penalty {
        out.insert("frequency_penalty".into(), json!(clamp(provider, "frequency_penalty", v, 0.0, 1.0)));
    }
    if let Some(v) = req.presence_penalty {
        out.insert("presence_penalty".into(), json!(clamp(provider, "presence_penalty", v, 0.0, 1.0)));
    }

    shared::log_untranslated(provider, req, UNTRANSLATED);
    if req.stream_options.is_some() {
        tracing::debug!(provider, param = "stream_options", "parameter dropped: Cohere streams usage unasked");
    }
    // Fields Kestrel does not know (`k`, `safety_mode`, `thinking`, ...) go only to the
    // provider the caller addressed, and never replace a translated field.
    shared::forward_unknown(call, &mut out, |_, _| false);
    out.insert("stream".into(), Value::Bool(stream));
    serde_json::to_vec(&Value::Object(out)).map_err(|e| Error::invalid("body", e.to_string()))
}

/// The text of a message's content, parts joined (refusals included).
fn joined_text(m: &Message) -> String {
    m.texts().collect::<Vec<_>>().join("\n")
}

fn convert_messages(req: &ChatRequest) -> Result<Vec<Value>> {
    let mut out = Vec::with_capacity(req.messages.len());
    // Images from tool results, sent as a user message after the run of tool messages
    // (Cohere's tool content is text or documents only; tool results must stay together).
    let mut tool_media: Vec<Value> = Vec::new();
    for (i, m) in req.messages.iter().enumerate() {
        if m.role != Role::Tool && !tool_media.is_empty() {
            out.push(json!({"role": "user", "content": std::mem::take(&mut tool_media)}));
        }
        let msg = match m.role {
            // chat_message_v2.py SystemChatMessageV2: content is a string or text parts.
            Role::System | Role::Developer => json!({"role": "system", "content": joined_text(m)}),
            Role::User => json!({"role": "user", "content": user_content(i, m)?}),
            Role::Assistant => assistant(m),
            // ToolChatMessageV2 {tool_call_id, content: str | [TextToolContent]}.
            Role::Tool => {
                let id = m.tool_call_id.as_deref().unwrap_or_default();
                let mut text = joined_text(m);
                if let Value::Array(parts) = user_content(i, m)? {
                    let media: Vec<Value> = parts.into_iter().filter(|p| p["type"] != "text").collect();
                    if !media.is_empty() {
                        tool_media.push(json!({"type": "text", "text": shared::tool_media_note(id)}));
                        tool_media.extend(media);
                        if text.is_empty() {
                            text = shared::TOOL_MEDIA_MOVED.to_string();
                        }
                    }
                }
                json!({"role": "tool", "tool_call_id": id, "content": text})
            }
            Role::Function => {
                return Err(Error::invalid(
                    format!("messages[{i}].role"),
                    "`function` messages (deprecated) cannot be sent to Cohere; use `tool` messages",
                ))
            }
        };
        out.push(msg);
    }
    if !tool_media.is_empty() {
        out.push(json!({"role": "user", "content": tool_media}));
    }
    Ok(out)
}

/// UserChatMessageV2 content: a string, or `content.py` parts: TextContent and
/// ImageUrlContent `{type: image_url, image_url: {url, detail?}}` (`image_url.py`: "either
/// a base64 data URI or a web URL"), the same shape as OpenAI's part.
fn user_content(i: usize, m: &Message) -> Result<Value> {
    let parts = match &m.content {
        Some(Content::Parts(parts)) => parts,
        Some(Content::Text(s)) => return Ok(Value::String(s.clone())),
        None => return Ok(Value::String(String::new())),
    };
    let mut out = Vec::with_capacity(parts.len());
    for (j, p) in parts.iter().enumerate() {
        match p {
            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text, .. } => {
                out.push(json!({"type": "text", "text": text}));
            }
            ContentPart::ImageUrl { image_url, .. } => {
                let mut img = json!({"url": image_url.url});
                if let Some(d) = &image_url.detail {
                    img["detail"] = json!(d);
                }
                out.push(json!({"type": "image_url", "image_url": img}));
            }
            ContentPart::InputAudio { .. } | ContentPart::File { .. } => {
                return Err(Error::invalid(
                    format!("messages[{i}].content[{j}]"),
                    "Cohere's chat API takes text and images only (no audio or files)",
                ))
            }
        }
    }
    Ok(Value::Array(out))
}

/// AssistantChatMessageV2 `{tool_calls, tool_plan, content}`. With tool calls, the text the
/// model wrote before them is its `tool_plan` ("a chain-of-thought style reflection and
/// plan", assistant_message.py), which is also how answers come back (see [`to_response`]).
fn assistant(m: &Message) -> Value {
    let mut text = joined_text(m);
    if text.is_empty() {
        text = m.refusal.clone().unwrap_or_default();
    }
    let calls: Vec<Value> = m
        .tool_calls
        .iter()
        .flatten()
        .map(|c| {
            json!({"id": c.id, "type": "function",
                   "function": {"name": c.function.name, "arguments": c.function.arguments}})
        })
        .collect();
    let mut msg = json!({"role": "assistant"});
    if calls.is_empty() {
        msg["content"] = Value::String(text);
    } else {
        if !text.is_empty() {
            msg["tool_plan"] = Value::String(text);
        }
        msg["tool_calls"] = Value::Array(calls);
    }
    msg
}

/// Writes `tools` (tool_v2.py `{type: function, function: {name, description, parameters}}`)
/// and `tool_choice` (v2chat_request_tool_choice.py: `REQUIRED` | `NONE`; omitted = auto).
fn tools(req: &ChatRequest, out: &mut Map<String, Value>) {
    // A named choice has no v2 equivalent: the nearest is REQUIRED with that tool alone,
    // so the model must call it (it still chooses the arguments, and may call it twice).
    let named = match &req.tool_choice {
        Some(ToolChoice::Named(n)) => Some(n.function.name.as_str()),
        _ => None,
    };
    let tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .filter(|t| t.kind == "function")
        .filter_map(|t| t.function.as_ref())
        .filter(|f| named.is_none_or(|n| n == f.name))
        .map(|f| {
            let mut function = json!({"name": f.name});
            if let Some(d) = &f.description {
                function["description"] = Value::String(d.clone());
            }
            // `parameters` is required in ToolV2Function.
            function["parameters"] =
                f.parameters.clone().unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            json!({"type": "function", "function": function})
        })
        .collect();
    if tools.is_empty() {
        return;
    }
    out.insert("tools".into(), Value::Array(tools));
    let choice = match (&req.tool_choice, named) {
        (_, Some(_)) | (Some(ToolChoice::Mode(ToolChoiceMode::Required)), _) => Some("REQUIRED"),
        (Some(ToolChoice::Mode(ToolChoiceMode::None)), _) => Some("NONE"),
        _ => None,
    };
    if let Some(c) = choice {
        out.insert("tool_choice".into(), json!(c));
    }
}

// ─────────────────────────────────── answers ───────────────────────────────────

/// v2chat_response.py `V2ChatResponse` (the fields used here).
#[derive(Debug, Deserialize)]
struct WireResponse {
    id: String,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    message: WireMessage,
    #[serde(default)]
    usage: Option<WireUsage>,
}

/// assistant_message_response.py.
#[derive(Debug, Default, Deserialize)]
struct WireMessage {
    #[serde(default)]
    content: Option<Vec<WireContent>>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
    #[serde(default)]
    tool_plan: Option<String>,
}

/// Text items translate; `thinking` items have no OpenAI equivalent and are skipped.
#[derive(Debug, Deserialize)]
struct WireContent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// tool_call_v2.py (also the `tool-call-start` delta).
#[derive(Debug, Default, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Debug, Default, Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

/// usage.py: `tokens` (what the model processed) and `billed_units` (what is charged);
/// counts are floats in the SDK types.
#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    billed_units: Option<WireTokens>,
    #[serde(default)]
    tokens: Option<WireTokens>,
    #[serde(default)]
    cached_tokens: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct WireTokens {
    #[serde(default)]
    input_tokens: Option<f64>,
    #[serde(default)]
    output_tokens: Option<f64>,
}

impl WireUsage {
    /// `tokens` counts, each falling back to `billed_units` when absent.
    fn to_openai(&self) -> Usage {
        let pick = |f: fn(&WireTokens) -> Option<f64>| {
            self.tokens.as_ref().and_then(f).or_else(|| self.billed_units.as_ref().and_then(f)).unwrap_or(0.0).max(0.0)
                as u64
        };
        let prompt = pick(|t| t.input_tokens);
        let completion = pick(|t| t.output_tokens);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            prompt_tokens_details: self
                .cached_tokens
                .map(|c| PromptTokensDetails { cached_tokens: Some(c.max(0.0) as u64), ..Default::default() }),
            completion_tokens_details: None,
            extra: Extra::new(),
        }
    }
}

/// chat_finish_reason.py → OpenAI's finish_reason; `ERROR` (and `TIMEOUT`) are failures.
fn finish_reason(provider: &str, reason: Option<&str>, error: Option<&str>) -> Result<&'static str> {
    match reason {
        Some("MAX_TOKENS") => Ok("length"),
        Some("TOOL_CALL") => Ok("tool_calls"),
        Some("ERROR") => Err(Error::Provider {
            provider: provider.to_string(),
            status: 500,
            message: format!(
                "the generation failed (finish_reason ERROR){}",
                error.map(|e| format!(": {e}")).unwrap_or_default()
            ),
            body: None,
        }),
        Some("TIMEOUT") => Err(Error::Timeout { provider: provider.to_string() }),
        // COMPLETE, STOP_SEQUENCE, or a reason newer than this mapping.
        _ => Ok("stop"),
    }
}

fn to_response(provider: &str, model: &str, r: WireResponse) -> Result<ChatResponse> {
    let finish = finish_reason(provider, r.finish_reason.as_deref(), None)?;
    let mut text: String = r
        .message
        .content
        .iter()
        .flatten()
        .filter(|c| c.kind == "text" || c.kind.is_empty())
        .filter_map(|c| c.text.as_deref())
        .collect();
    let calls: Vec<ToolCall> = r
        .message
        .tool_calls
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let f = c.function.unwrap_or_default();
            ToolCall {
                id: c.id.unwrap_or_else(|| format!("call_{i}")),
                kind: "function".into(),
                function: FunctionCall {
                    name: f.name.unwrap_or_default(),
                    arguments: f.arguments.filter(|a| !a.trim().is_empty()).unwrap_or_else(|| "{}".into()),
                    extra: Extra::new(),
                },
                extra: Extra::new(),
            }
        })
        .collect();
    // The tool plan is the text the model wrote before its calls: OpenAI's content.
    if text.is_empty() && !calls.is_empty() {
        text = r.message.tool_plan.unwrap_or_default();
    }
    let content = if text.is_empty() && !calls.is_empty() { None } else { Some(text) };
    let choice = Choice::new(0, content, calls, Some(finish.into()));
    let mut resp = ChatResponse::new(r.id, crate::clock::unix_secs(), model, vec![choice]);
    resp.usage = Some(r.usage.unwrap_or_default().to_openai());
    Ok(resp)
}

/// Cohere's own statuses beyond the common ones (raw_client.py): 498 `InvalidTokenError`
/// is a rejected key; 499 `ClientClosedRequestError` is not the caller's fault.
fn cohere_status(e: Error) -> Error {
    match e {
        Error::BadRequest { provider, status: 498, message, body } => Error::Authentication { provider, message, body },
        Error::BadRequest { provider, status: 499, message, body } => {
            Error::Provider { provider, status: 499, message, body }
        }
        e => e,
    }
}

// ─────────────────────────────────── streams ───────────────────────────────────

/// v2chat_stream_response.py: the `delta` of every event type in one shape (all fields
/// optional there too); `citation-*` and `debug` events are skipped.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    delta: Option<EventDelta>,
}

#[derive(Debug, Default, Deserialize)]
struct EventDelta {
    #[serde(default)]
    message: Option<DeltaMessage>,
    /// message-end (chat_message_end_event_delta.py).
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Default, Deserialize)]
struct DeltaMessage {
    /// content-start / content-delta: `{type?, text?, thinking?}`.
    #[serde(default)]
    content: Option<DeltaContent>,
    /// tool-plan-delta.
    #[serde(default)]
    tool_plan: Option<String>,
    /// tool-call-start: a whole ToolCallV2; tool-call-delta: `{function: {arguments}}`.
    #[serde(default)]
    tool_calls: Option<WireToolCall>,
}

#[derive(Debug, Default, Deserialize)]
struct DeltaContent {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

/// Turns Cohere stream events into OpenAI chunks.
pub(super) struct Translator {
    provider: String,
    envelope: shared::Envelope,
    /// Content indexes that are `thinking` rather than text.
    thinking: Vec<usize>,
    /// Per Cohere tool-call index: the OpenAI index and whether arguments were sent.
    tools: Vec<(usize, u32, bool)>,
    /// `message-end` arrived: the stream is complete.
    finished: bool,
}

impl http::EventTranslator for Translator {
    fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        Translator::on_event(self, data, out)
    }

    fn finished(&self) -> bool {
        self.finished
    }

    fn on_end(&mut self) -> Result<Option<ChatChunk>> {
        Err(http::cut_short(&self.provider, "message-end"))
    }
}

impl Translator {
    pub(super) fn new(provider: String, model: &str) -> Self {
        Translator {
            provider,
            envelope: shared::Envelope::new(model),
            thinking: Vec::new(),
            tools: Vec::new(),
            finished: false,
        }
    }

    fn chunk(&mut self, delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        self.envelope.chunk(0, delta, finish_reason)
    }

    fn text(&mut self, text: String) -> Option<ChatChunk> {
        (!text.is_empty()).then(|| self.chunk(Delta { content: Some(text), ..Delta::default() }, None))
    }

    fn tool_delta(&mut self, call: ToolCallDelta) -> ChatChunk {
        self.chunk(Delta { tool_calls: Some(vec![call]), ..Delta::default() }, None)
    }

    fn arguments(&mut self, index: u32, fragment: String) -> ChatChunk {
        self.tool_delta(ToolCallDelta {
            index,
            id: None,
            kind: None,
            function: Some(FunctionCallDelta { name: None, arguments: Some(fragment) }),
            extra: Extra::new(),
        })
    }

    /// One event's `data`, appending the chunks it makes to `out`. No chunk is made before
    /// the first content, so a `message-end` with `ERROR` right away still fails over.
    pub(super) fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        let ev: Event = serde_json::from_str(data).map_err(|e| malformed(&self.provider, "stream event", e))?;
        let delta = ev.delta.unwrap_or_default();
        let message = delta.message.unwrap_or_default();
        let index = ev.index.unwrap_or(0);
        match ev.kind.as_str() {
            "message-start" => {
                if let Some(id) = ev.id {
                    self.envelope.id = id;
                }
            }
            "content-start" | "content-delta" => {
                let content = message.content.unwrap_or_default();
                if content.kind.as_deref() == Some("thinking") {
                    self.thinking.push(index);
                } else if !self.thinking.contains(&index) {
                    out.extend(self.text(content.text.unwrap_or_default()));
                }
            }
            "tool-plan-delta" => out.extend(self.text(message.tool_plan.unwrap_or_default())),
            "tool-call-start" => {
                let call = message.tool_calls.unwrap_or_default();
                let f = call.function.unwrap_or_default();
                let n = self.tools.len() as u32;
                let args = f.arguments.unwrap_or_default();
                self.tools.push((index, n, !args.is_empty()));
                let header = ToolCallDelta {
                    index: n,
                    id: Some(call.id.unwrap_or_else(|| format!("call_{n}"))),
                    kind: Some("function".into()),
                    function: Some(FunctionCallDelta { name: f.name, arguments: Some(String::new()) }),
                    extra: Extra::new(),
                };
                out.push_back(self.tool_delta(header));
                if !args.is_empty() {
                    out.push_back(self.arguments(n, args));
                }
            }
            "tool-call-delta" => {
                let args = message.tool_calls.and_then(|c| c.function).and_then(|f| f.arguments).unwrap_or_default();
                if let Some(t) = self.tools.iter_mut().rev().find(|t| t.0 == index).filter(|_| !args.is_empty()) {
                    t.2 = true;
                    let n = t.1;
                    out.push_back(self.arguments(n, args));
                }
            }
            "tool-call-end" => {
                // A call without parameters may stream no arguments; OpenAI sends `{}`.
                if let Some(t) = self.tools.iter_mut().rev().find(|t| t.0 == index).filter(|t| !t.2) {
                    t.2 = true;
                    let n = t.1;
                    out.push_back(self.arguments(n, "{}".into()));
                }
            }
            "message-end" => {
                let reason = finish_reason(&self.provider, delta.finish_reason.as_deref(), delta.error.as_deref())?;
                self.finished = true;
                out.push_back(self.chunk(Delta::default(), Some(reason)));
                // The usage-only chunk OpenAI sends last with `include_usage`; the client
                // hides it from callers who did not ask for usage.
                let mut chunk = self.chunk(Delta::default(), None);
                chunk.choices.clear();
                chunk.usage = Some(delta.usage.unwrap_or_default().to_openai());
                out.push_back(chunk);
            }
            // content-end, citation-start/end, debug, and event types newer than this.
            _ => {}
        }
        Ok(())
    }
}

/// The SDK sends the key as `Authorization: Bearer` (core/client_wrapper.py).
const AUTH: Auth = Auth::Bearer;

/// A v2 chat response body, as OpenAI's response.
pub(super) fn decode(provider: &str, bytes: &[u8], model: &str) -> Result<ChatResponse> {
    let r: WireResponse = serde_json::from_slice(bytes).map_err(|e| malformed(provider, "response", e))?;
    to_response(provider, model, r)
}

impl WireFormat for Cohere {
    type State = ();
    type Events = Translator;
    const AUTH: Auth = AUTH;

    fn encode(&self, call: &Call<'_>, stream: bool) -> Result<(Vec<u8>, ())> {
        Ok((build(call, stream)?, ()))
    }

    fn decode(&self, provider: &str, body: &[u8], model: &str, _: ()) -> Result<ChatResponse> {
        decode(provider, body, model)
    }

    fn events(&self, provider: String, model: &str, _: ()) -> Translator {
        Translator::new(provider, model)
    }

    fn map_error(&self, e: Error) -> Error {
        cohere_status(e)
    }

    /// `GET /v1/models?endpoint=chat` (the listing has no v2 path).
    fn models_url(&self, endpoint: &Endpoint) -> Option<String> {
        let root = endpoint.chat_path.strip_suffix("/v2/chat")?;
        Some(endpoint.url(&format!("{root}/v1/models?endpoint=chat&page_size=1000")))
    }

    /// `{"models": [{"name", "endpoints"}], "next_page_token"}`.
    fn model_page(&self, provider: &str, body: &[u8]) -> Result<ModelPage> {
        #[derive(Deserialize)]
        struct Listed {
            name: String,
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            models: Vec<Listed>,
            next_page_token: Option<String>,
        }
        let list: List = serde_json::from_slice(body).map_err(|e| malformed(provider, "model list", e))?;
        let next = list.next_page_token.filter(|t| !t.is_empty()).map(|t| ("page_token", t));
        Ok(ModelPage { ids: list.models.into_iter().map(|m| m.name).collect(), next })
    }
}

#[cfg(test)]
mod tests;
