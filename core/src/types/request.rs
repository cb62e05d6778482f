use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::Extra;
use crate::error::{Error, Result};

/// A Chat Completions request body, as `POST /v1/chat/completions` takes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modalities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_identifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_search_options: Option<Value>,
    /// Deprecated predecessor of `tools`; passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<Value>>,
    /// Deprecated predecessor of `tool_choice`; passed through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    /// Kestrel's per-request routing options. Never sent to a provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kestrel: Option<super::RequestPolicy>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `stop`: one sequence or up to four.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    /// The sequences as a list, whichever form the request used.
    pub fn as_slice(&self) -> &[String] {
        match self {
            Stop::One(s) => std::slice::from_ref(s),
            Stop::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    /// Deprecated function-result role; kept so old conversations still parse.
    Function,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::Developer => "developer",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Function => "function",
        }
    }
}

/// One conversation message. A single struct (rather than one type per role) keeps error
/// paths precise (`messages[3].tool_call_id`) and lets unknown fields pass through; the
/// per-role rules are checked by [`ChatRequest::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    /// `null` only for assistant messages that carry tool calls; written out as `null`
    /// (not omitted) as the OpenAI SDKs do.
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Message {
    /// A message with plain-text content.
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(Content::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            refusal: None,
            audio: None,
            function_call: None,
            extra: Extra::new(),
        }
    }

    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, text)
    }

    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, text)
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, text)
    }

    /// A tool result answering the assistant's call `tool_call_id`.
    pub fn tool(tool_call_id: impl Into<String>, text: impl Into<String>) -> Self {
        let mut m = Self::new(Role::Tool, text);
        m.tool_call_id = Some(tool_call_id.into());
        m
    }

    /// The text parts of this message, without allocating.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        let (one, parts) = match &self.content {
            Some(Content::Text(s)) => (Some(s.as_str()), &[][..]),
            Some(Content::Parts(p)) => (None, p.as_slice()),
            None => (None, &[][..]),
        };
        one.into_iter().chain(parts.iter().filter_map(|p| match p {
            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text, .. } => Some(text.as_str()),
            _ => None,
        }))
    }
}

/// Message content: a string, or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

// Hand-written so a wrong type names the expectation ("a string or an array of content
// parts") and errors inside a part keep their index in the path.
impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::text_or_list(d, "a string or an array of content parts", Content::Text, Content::Parts)
    }
}

/// One part of a multi-part message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
        #[serde(flatten)]
        extra: Extra,
    },
    ImageUrl {
        image_url: ImageUrl,
        #[serde(flatten)]
        extra: Extra,
    },
    InputAudio {
        input_audio: InputAudio,
        #[serde(flatten)]
        extra: Extra,
    },
    File {
        file: FileRef,
        #[serde(flatten)]
        extra: Extra,
    },
    /// Assistant refusals replayed in the conversation.
    Refusal {
        refusal: String,
        #[serde(flatten)]
        extra: Extra,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// An `https://` URL or a `data:image/...;base64,` URL.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputAudio {
    /// Base64-encoded audio.
    pub data: String,
    /// `wav` or `mp3`.
    pub format: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionDef>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Tool {
    /// A function tool with a JSON-schema `parameters` object.
    pub fn function(name: impl Into<String>, description: impl Into<String>, parameters: Value) -> Self {
        Tool {
            kind: "function".into(),
            function: Some(FunctionDef {
                name: name.into(),
                description: Some(description.into()),
                parameters: Some(parameters),
                strict: None,
                extra: Extra::new(),
            }),
            extra: Extra::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A call the assistant made; in requests it is replayed conversation history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
    #[serde(flatten)]
    pub extra: Extra,
}

fn function_kind() -> String {
    "function".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON-encoded arguments, as a string (OpenAI's convention).
    pub arguments: String,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `tool_choice`: a mode, or one named function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(ToolChoiceMode),
    Named(NamedToolChoice),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoiceMode {
    None,
    Auto,
    Required,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: NamedFunction,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

/// `response_format`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ChatRequest {
    /// A request for `model` with these messages and nothing else set.
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ChatRequest { model: model.into(), messages, ..Default::default() }
    }

    /// Parses and validates a JSON request body. Type errors name the JSON path of the
    /// offending field (`messages[1].content`), so the caller can fix it without guessing.
    pub fn from_json(body: &str) -> Result<Self> {
        let de = &mut serde_json::Deserializer::from_str(body);
        let req: ChatRequest = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_string() } else { path };
            Error::invalid(field, strip_serde_position(&e.inner().to_string()))
        })?;
        req.validate()?;
        Ok(req)
    }

    /// Like [`ChatRequest::from_json`] for an already-parsed value.
    pub fn from_value(value: Value) -> Result<Self> {
        let req: ChatRequest = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { "body".to_string() } else { path };
            Error::invalid(field, e.inner().to_string())
        })?;
        req.validate()?;
        Ok(req)
    }

    /// Checks the rules the type system cannot: every violation is reported before any
    /// network call, naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.model.trim().is_empty() {
            return Err(Error::invalid("model", "must not be empty"));
        }
        if self.messages.is_empty() {
            return Err(Error::invalid("messages", "must contain at least one message"));
        }
        for (i, m) in self.messages.iter().enumerate() {
            validate_message(i, m)?;
        }
        if let Some(n) = self.n {
            if n == 0 {
                return Err(Error::invalid("n", "must be at least 1"));
            }
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(Error::invalid("temperature", format!("{t} is outside 0..=2")));
            }
        }
        if let Some(p) = self.top_p {
            if !(0.0..=1.0).contains(&p) {
                return Err(Error::invalid("top_p", format!("{p} is outside 0..=1")));
            }
        }
        for (name, v) in [("presence_penalty", self.presence_penalty), ("frequency_penalty", self.frequency_penalty)] {
            if let Some(v) = v {
                if !(-2.0..=2.0).contains(&v) {
                    return Err(Error::invalid(name, format!("{v} is outside -2..=2")));
                }
            }
        }
        if let Some(Stop::Many(v)) = &self.stop {
            if v.len() > 4 {
                return Err(Error::invalid("stop", "at most 4 stop sequences"));
            }
        }
        if let Some(tools) = &self.tools {
            for (i, t) in tools.iter().enumerate() {
                if t.kind == "function" {
                    match &t.function {
                        None => {
                            return Err(Error::invalid(format!("tools[{i}].function"), "missing for a function tool"))
                        }
                        Some(f) if !valid_function_name(&f.name) => {
                            return Err(Error::invalid(
                                format!("tools[{i}].function.name"),
                                "must be 1-64 characters of a-z, A-Z, 0-9, _ or -",
                            ))
                        }
                        Some(f) => {
                            if let Some(p) = &f.parameters {
                                if !p.is_object() {
                                    return Err(Error::invalid(
                                        format!("tools[{i}].function.parameters"),
                                        "must be a JSON Schema object",
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
        match &self.tool_choice {
            Some(ToolChoice::Named(n)) => {
                let known =
                    self.tools.iter().flatten().any(|t| t.function.as_ref().is_some_and(|f| f.name == n.function.name));
                if !known {
                    return Err(Error::invalid(
                        "tool_choice.function.name",
                        format!("`{}` is not one of the request's tools", n.function.name),
                    ));
                }
            }
            Some(ToolChoice::Mode(ToolChoiceMode::Required)) if self.tools.as_ref().is_none_or(|t| t.is_empty()) => {
                return Err(Error::invalid("tool_choice", "`required` needs at least one tool"));
            }
            _ => {}
        }
        if let Some(ResponseFormat::JsonSchema { json_schema }) = &self.response_format {
            if !valid_function_name(&json_schema.name) {
                return Err(Error::invalid(
                    "response_format.json_schema.name",
                    "must be 1-64 characters of a-z, A-Z, 0-9, _ or -",
                ));
            }
        }
        Ok(())
    }

    /// Whether the caller asked for a stream.
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }

    /// The output cap the caller set, whichever field they used.
    pub fn max_output(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Whether the request carries at least one tool definition.
    pub fn has_tools(&self) -> bool {
        self.tools.as_ref().is_some_and(|t| !t.is_empty()) || self.functions.as_ref().is_some_and(|f| !f.is_empty())
    }
}

fn validate_message(i: usize, m: &Message) -> Result<()> {
    let field = |f: &str| format!("messages[{i}].{f}");
    match m.role {
        Role::Tool => {
            if m.tool_call_id.as_deref().is_none_or(str::is_empty) {
                return Err(Error::invalid(field("tool_call_id"), "required for a message with role `tool`"));
            }
            if m.content.is_none() {
                return Err(Error::invalid(field("content"), "required for a message with role `tool`"));
            }
        }
        Role::Assistant => {
            let has_calls = m.tool_calls.as_ref().is_some_and(|c| !c.is_empty());
            if m.content.is_none()
                && !has_calls
                && m.function_call.is_none()
                && m.audio.is_none()
                && m.refusal.is_none()
            {
                return Err(Error::invalid(field("content"), "an assistant message needs content or tool_calls"));
            }
        }
        Role::Function => {
            if m.name.is_none() {
                return Err(Error::invalid(field("name"), "required for a message with role `function`"));
            }
        }
        Role::System | Role::Developer | Role::User => {
            if m.content.is_none() {
                return Err(Error::invalid(
                    field("content"),
                    format!("required for a message with role `{}`", m.role.as_str()),
                ));
            }
        }
    }
    if m.role != Role::Assistant && m.tool_calls.is_some() {
        return Err(Error::invalid(field("tool_calls"), "only assistant messages carry tool_calls"));
    }
    if let Some(Content::Parts(parts)) = &m.content {
        if parts.is_empty() && m.role != Role::Assistant {
            return Err(Error::invalid(field("content"), "the list of content parts is empty"));
        }
        for (j, p) in parts.iter().enumerate() {
            let allowed = match p {
                ContentPart::Text { .. } => true,
                ContentPart::Refusal { .. } => m.role == Role::Assistant,
                // OpenAI takes images and files in tool results too (a screenshot tool, a
                // PDF fetcher); providers that do not are given them another way.
                ContentPart::ImageUrl { .. } | ContentPart::File { .. } => matches!(m.role, Role::User | Role::Tool),
                ContentPart::InputAudio { .. } => m.role == Role::User,
            };
            if !allowed {
                return Err(Error::invalid(
                    format!("messages[{i}].content[{j}]"),
                    format!("this part type is not allowed in a `{}` message", m.role.as_str()),
                ));
            }
        }
    }
    Ok(())
}

fn valid_function_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// serde_json appends "at line 1 column 42"; the path already says where.
fn strip_serde_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}
