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

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::http::{self, malformed, Auth};
use super::shared;
use super::wire::WireFormat;
use super::{Call, Endpoint, ModelPage};
use crate::error::{Error, Result};
use crate::types::{
    ChatChunk, ChatRequest, ChatResponse, Choice, CompletionTokensDetails, Content, ContentPart, Delta, Extra,
    FunctionCall, FunctionCallDelta, Message, PromptTokensDetails, ResponseFormat, Role, ToolCall, ToolCallDelta,
    ToolChoice, ToolChoiceMode, Usage,
};

/// The key goes in `x-goog-api-key` (python-genai `_api_client.py`:
/// `self._http_options.headers['x-goog-api-key'] = self.api_key`).
const AUTH: Auth = Auth::Header("x-goog-api-key");

/// Deepest `$ref` chain or schema nesting followed when cleaning a schema (guards cycles).
const MAX_SCHEMA_DEPTH: usize = 16;

/// The Gemini wire format. Stateless: everything per call comes in the [`Call`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Gemini;

mod request;
use request::*;

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
    let id = resp.response_id.unwrap_or_else(|| format!("gemini-{}", crate::clock::unix_secs()));
    let model = resp.model_version.unwrap_or_else(|| model.to_string());
    let mut out = ChatResponse::new(id, crate::clock::unix_secs(), model, choices);
    out.usage = Some(resp.usage_metadata.unwrap_or_default().to_openai());
    out
}

fn choice(index: u32, content: Option<String>, calls: Vec<ToolCall>, reason: &str) -> Choice {
    Choice::new(index, content, calls, Some(reason.into()))
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
    envelope: shared::Envelope,
    started: bool,
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

    fn on_end(&mut self) -> Result<Option<ChatChunk>> {
        Translator::on_end(self).map(Some)
    }
}

impl Translator {
    pub(super) fn new(provider: String, model: &str) -> Self {
        Translator {
            provider,
            envelope: shared::Envelope::new(model),
            started: false,
            calls: Vec::new(),
            total_calls: 0,
            finished: Vec::new(),
            usage: None,
        }
    }

    fn chunk(&mut self, index: u32, delta: Delta, finish_reason: Option<&str>) -> ChatChunk {
        self.envelope.chunk(index, delta, finish_reason)
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
                self.envelope.id = id.clone();
            } else {
                self.envelope.id = format!("gemini-{}", self.envelope.created);
            }
        }
        if let Some(m) = resp.model_version {
            self.envelope.model = m;
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
            return Err(http::cut_short(&self.provider, "a finishReason"));
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
    // Every field is optional on the wire, so shape alone proves nothing: an answer has
    // candidates, or says why it has none (a blocked prompt).
    if wire.candidates.is_empty() && wire.prompt_feedback.is_none() {
        return Err(malformed(provider, "response", "no candidates and no promptFeedback"));
    }
    Ok(to_response(wire, model))
}

impl WireFormat for Gemini {
    type State = ();
    type Events = Translator;
    const AUTH: Auth = AUTH;

    fn encode(&self, call: &Call<'_>, _stream: bool) -> Result<(Vec<u8>, ())> {
        Ok((build(call)?, ()))
    }

    fn decode(&self, provider: &str, body: &[u8], model: &str, _: ()) -> Result<ChatResponse> {
        decode(provider, body, model)
    }

    fn events(&self, provider: String, model: &str, _: ()) -> Translator {
        Translator::new(provider, model)
    }

    /// The model is in the path; streams use `streamGenerateContent` with SSE framing.
    fn url(&self, endpoint: &Endpoint, model: &str, stream: bool) -> String {
        let url = endpoint.chat_url(path_model(model));
        if stream {
            stream_url(&url)
        } else {
            url
        }
    }

    /// `GET /v1beta/models`, the collection the chat path's model lives in.
    fn models_url(&self, endpoint: &Endpoint) -> Option<String> {
        let (collection, _) = endpoint.chat_path.split_once("/{model}")?;
        Some(endpoint.url(&format!("{collection}?pageSize=1000")))
    }

    /// `{"models": [{"name": "models/…", "supportedGenerationMethods"}], "nextPageToken"}`:
    /// only the models that generate content, without the `models/` prefix.
    fn model_page(&self, provider: &str, body: &[u8]) -> Result<ModelPage> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Listed {
            name: String,
            #[serde(default)]
            supported_generation_methods: Vec<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct List {
            #[serde(default)]
            models: Vec<Listed>,
            next_page_token: Option<String>,
        }
        let list: List = serde_json::from_slice(body).map_err(|e| malformed(provider, "model list", e))?;
        let ids = list
            .models
            .into_iter()
            .filter(|m| m.supported_generation_methods.iter().any(|g| g == "generateContent"))
            .map(|m| m.name.strip_prefix("models/").map(str::to_string).unwrap_or(m.name))
            .collect();
        let next = list.next_page_token.filter(|t| !t.is_empty()).map(|t| ("pageToken", t));
        Ok(ModelPage { ids, next })
    }
}

#[cfg(test)]
mod tests;
