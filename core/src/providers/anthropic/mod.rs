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

use std::collections::VecDeque;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, malformed, Auth, EventTranslator};
use super::shared;
use super::wire::WireFormat;
use super::{Call, Endpoint, ModelPage};
use crate::error::{Error, Result};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, Content, ContentPart, Delta, Extra, FunctionCall, FunctionCallDelta,
    Message, PromptTokensDetails, ResponseFormat, Role, ToolCall, ToolCallDelta, ToolChoice, ToolChoiceMode, Usage,
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

/// The Anthropic Messages wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Anthropic;

mod request;
use request::*;

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
    let reason = finish_reason(msg.stop_reason.as_deref(), json_only);
    let choice = Choice::new(0, content, calls, Some(reason.into()));
    let mut resp = ChatResponse::new(msg.id, crate::clock::unix_secs(), msg.model, vec![choice]);
    resp.usage = Some(msg.usage.to_openai());
    resp
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
    envelope: shared::Envelope,
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
            envelope: shared::Envelope::new(model),
            blocks: Vec::new(),
            tool_calls: 0,
            usage: WireUsage::default(),
            finished: false,
        }
    }

    fn chunk(&mut self, delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        self.envelope.chunk(0, delta, finish_reason)
    }

    fn text(&mut self, text: String) -> Option<ChatChunk> {
        (!text.is_empty() || !self.envelope.opened(0))
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
    fn translate(&mut self, data: &str) -> Result<Option<ChatChunk>> {
        // One typed parse: error events are a variant of their own, not a second pass.
        let event: Event = serde_json::from_str(data).map_err(|e| malformed(&self.provider, "stream event", e))?;
        Ok(match event {
            Event::Error { error } => {
                return Err(stream_error(&self.provider, serde_json::json!({"type": "error", "error": error})))
            }
            Event::MessageStart { message } => {
                self.envelope.id = message.id;
                self.envelope.model = message.model;
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
impl EventTranslator for Translator {
    fn on_event(&mut self, data: &str, out: &mut VecDeque<ChatChunk>) -> Result<()> {
        out.extend(self.translate(data)?);
        Ok(())
    }

    fn finished(&self) -> bool {
        self.finished
    }

    fn on_end(&mut self) -> Result<Option<ChatChunk>> {
        Err(http::cut_short(&self.provider, "message_stop"))
    }
}

/// The key goes in `x-api-key` (anthropic-sdk-python 1.x `_client.py` `_api_key_auth`; the
/// 2.x SDKs send `Authorization: Bearer`, and the API takes either).
const AUTH: Auth = Auth::Header("x-api-key");

/// A Messages response body, as OpenAI's response.
pub(super) fn decode(provider: &str, bytes: &[u8], json_tool: Option<&str>) -> Result<ChatResponse> {
    let msg: WireMessage = serde_json::from_slice(bytes).map_err(|e| malformed(provider, "response", e))?;
    Ok(to_response(msg, json_tool))
}

impl WireFormat for Anthropic {
    /// The forced tool whose input is the JSON answer, if any.
    type State = Option<String>;
    type Events = Translator;
    const AUTH: Auth = AUTH;

    fn encode(&self, call: &Call<'_>, stream: bool) -> Result<(Vec<u8>, Option<String>)> {
        build(call, stream).map(|w| (w.body, w.json_tool))
    }

    fn decode(&self, provider: &str, body: &[u8], _model: &str, json_tool: Option<String>) -> Result<ChatResponse> {
        decode(provider, body, json_tool.as_deref())
    }

    fn events(&self, provider: String, model: &str, json_tool: Option<String>) -> Translator {
        Translator::new(provider, json_tool, model)
    }

    /// Every request names the Messages API version; callers can pin another with a
    /// default `anthropic-version` header.
    fn default_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("anthropic-version", API_VERSION)]
    }

    /// `GET /v1/models`, up to its maximum page size.
    fn models_url(&self, endpoint: &Endpoint) -> Option<String> {
        let root = endpoint.chat_path.strip_suffix("/messages")?;
        Some(endpoint.url(&format!("{root}/models?limit=1000")))
    }

    /// `{"data": [{"id", "type": "model"}], "has_more", "last_id"}`: the next page starts
    /// after the last id.
    fn model_page(&self, provider: &str, body: &[u8]) -> Result<ModelPage> {
        #[derive(Deserialize)]
        struct Listed {
            id: String,
        }
        #[derive(Deserialize)]
        struct List {
            data: Vec<Listed>,
            #[serde(default)]
            has_more: bool,
            last_id: Option<String>,
        }
        let list: List = serde_json::from_slice(body).map_err(|e| malformed(provider, "model list", e))?;
        let next = list.last_id.filter(|_| list.has_more).map(|id| ("after_id", id));
        Ok(ModelPage { ids: list.data.into_iter().map(|m| m.id).collect(), next })
    }
}

#[cfg(test)]
mod tests;
