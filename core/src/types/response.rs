use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, FunctionCall, KestrelMeta, Role, ToolCall};

/// A Chat Completions response (`object: "chat.completion"`), plus Kestrel's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub id: String,
    #[serde(default = "completion_object")]
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Where the request went and what it cost; absent in a provider's own answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kestrel: Option<KestrelMeta>,
    #[serde(flatten)]
    pub extra: Extra,
    /// The provider's HTTP answer behind this response (status, headers, request id), for
    /// the SDKs' raw responses and `_request_id`; `None` for an answer from the cache. Not
    /// part of the JSON: it describes the exchange, not the completion.
    #[serde(skip)]
    pub provider_response: Option<Box<crate::ProviderResponse>>,
}

fn completion_object() -> String {
    "chat.completion".into()
}

fn chunk_object() -> String {
    "chat.completion.chunk".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub logprobs: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The assistant's answer in a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssistantMessage {
    pub role: Role,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Token counts. Provider-specific detail fields pass through in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens_details: Option<PromptTokensDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens_details: Option<CompletionTokensDetails>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Usage {
    /// Input tokens served from the provider's prompt cache (billed at a discount).
    pub fn cached_tokens(&self) -> u64 {
        self.prompt_tokens_details.as_ref().and_then(|d| d.cached_tokens).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromptTokensDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionTokensDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_prediction_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_prediction_tokens: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One streamed event (`object: "chat.completion.chunk"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatChunk {
    pub id: String,
    #[serde(default = "chunk_object")]
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Present (possibly `null`) only when `stream_options.include_usage` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    /// Set on the stream's last chunk only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kestrel: Option<KestrelMeta>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Always written (`null` when absent), as OpenAI sends it on every chunk choice.
    #[serde(default)]
    pub logprobs: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A fragment of a tool call; fragments with the same `index` concatenate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}

impl ChatResponse {
    /// A `chat.completion` with what every answer has; the optional fields empty.
    pub fn new(id: impl Into<String>, created: u64, model: impl Into<String>, choices: Vec<Choice>) -> Self {
        ChatResponse {
            id: id.into(),
            object: completion_object(),
            created,
            model: model.into(),
            choices,
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            kestrel: None,
            extra: Extra::new(),
            provider_response: None,
        }
    }
}

impl Choice {
    /// An assistant answer with text and/or tool calls (an empty list means none).
    pub fn new(index: u32, content: Option<String>, tool_calls: Vec<ToolCall>, finish_reason: Option<String>) -> Self {
        Choice {
            index,
            message: AssistantMessage {
                role: Role::Assistant,
                content,
                refusal: None,
                tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
                annotations: None,
                audio: None,
                function_call: None,
                extra: Extra::new(),
            },
            finish_reason,
            logprobs: None,
            extra: Extra::new(),
        }
    }
}

impl ChatChunk {
    /// A `chat.completion.chunk` carrying `choices`; the optional fields empty.
    pub fn new(id: impl Into<String>, created: u64, model: impl Into<String>, choices: Vec<ChunkChoice>) -> Self {
        ChatChunk {
            id: id.into(),
            object: chunk_object(),
            created,
            model: model.into(),
            choices,
            usage: None,
            system_fingerprint: None,
            service_tier: None,
            kestrel: None,
            extra: Extra::new(),
        }
    }
}

impl ChatChunk {
    /// Whether the chunk carries any part of the answer (text, a refusal, a tool call, a
    /// finish, usage, logprobs or a provider extra such as reasoning), as opposed to a
    /// bare role announcement. Until one does, a stream can still fail over unseen.
    pub(crate) fn carries_answer(&self) -> bool {
        self.usage.is_some()
            || self.choices.iter().any(|c| {
                let d = &c.delta;
                c.finish_reason.is_some()
                    || c.logprobs.as_ref().is_some_and(|l| !l.is_null())
                    || d.content.as_deref().is_some_and(|t| !t.is_empty())
                    || d.refusal.as_deref().is_some_and(|t| !t.is_empty())
                    || d.tool_calls.as_ref().is_some_and(|t| !t.is_empty())
                    || d.function_call.is_some()
                    || d.extra.values().any(|v| !v.is_null())
            })
    }
}

impl ChunkChoice {
    pub fn new(index: u32, delta: Delta, finish_reason: Option<String>) -> Self {
        ChunkChoice { index, delta, finish_reason, logprobs: None, extra: Extra::new() }
    }
}

impl Delta {
    /// Makes this the first delta of a choice: OpenAI's names the role, and carries an empty
    /// text when it has nothing else.
    pub fn opening(mut self) -> Self {
        self.role = Some(Role::Assistant);
        if self.tool_calls.is_none() && self.content.is_none() {
            self.content = Some(String::new());
        }
        self
    }
}
