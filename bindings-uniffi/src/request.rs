//! The request as a typed record (`ChatCompletionCreateParams`, the OpenAI Java SDK's name)
//! for the fields most calls set, plus `extra_json` for the open-ended rest. It becomes the
//! OpenAI JSON body and goes through the core's own parser and validator, so a request from
//! Kotlin or Swift is checked exactly like one from Python or Node.

use serde_json::{json, Map, Value};

use crate::errors::KestrelError;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChatRole {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

impl ChatRole {
    fn as_str(self) -> &'static str {
        match self {
            ChatRole::System => "system",
            ChatRole::Developer => "developer",
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
            ChatRole::Tool => "tool",
        }
    }
}

/// One message of the conversation. Text content only; images, audio and other content
/// parts go in `ChatCompletionCreateParams.extra_json` as `"messages"`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionMessageParam {
    pub role: ChatRole,
    /// `None` only for an assistant message that carries tool calls.
    #[uniffi(default = None)]
    pub content: Option<String>,
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// For `Tool` messages: the id of the call this answers.
    #[uniffi(default = None)]
    pub tool_call_id: Option<String>,
    /// For `Assistant` messages replayed from history.
    #[uniffi(default = [])]
    pub tool_calls: Vec<crate::records::ChatCompletionMessageToolCall>,
}

/// A function the model may call.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionTool {
    pub name: String,
    #[uniffi(default = None)]
    pub description: Option<String>,
    /// The parameters' JSON Schema, as JSON text.
    #[uniffi(default = None)]
    pub parameters_json: Option<String>,
    #[uniffi(default = None)]
    pub strict: Option<bool>,
}

/// `response_format`: plain text, any JSON object, or JSON following a schema.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { name: String, schema_json: String, strict: Option<bool> },
}

/// A chat request. `extra_json`, a JSON object, sets any other field of the OpenAI body
/// (`n`, `stop`, `logprobs`, `stream_options`, content-part `messages`, Kestrel's own
/// `"kestrel": {"tier_floor": ...}` options ...); a field set both ways is an error.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ChatCompletionCreateParams {
    pub model: String,
    pub messages: Vec<ChatCompletionMessageParam>,
    #[uniffi(default = None)]
    pub temperature: Option<f64>,
    #[uniffi(default = None)]
    pub top_p: Option<f64>,
    #[uniffi(default = None)]
    pub max_completion_tokens: Option<i32>,
    #[uniffi(default = [])]
    pub tools: Vec<ChatCompletionTool>,
    /// `"none"`, `"auto"`, `"required"`, or the name of one function to call.
    #[uniffi(default = None)]
    pub tool_choice: Option<String>,
    #[uniffi(default = None)]
    pub response_format: Option<ResponseFormat>,
    #[uniffi(default = None)]
    pub seed: Option<i64>,
    #[uniffi(default = None)]
    pub user: Option<String>,
    #[uniffi(default = None)]
    pub extra_json: Option<String>,
}

/// Per-call settings, as the SDKs take them on one request.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct RequestOptions {
    /// Total time limit per attempt, in seconds.
    #[uniffi(default = None)]
    pub timeout_seconds: Option<f64>,
    /// Retry passes over the failover plan, instead of the client's.
    #[uniffi(default = None)]
    pub max_retries: Option<i32>,
}

impl TryFrom<RequestOptions> for kestrel_router::CallOptions {
    type Error = KestrelError;
    fn try_from(o: RequestOptions) -> Result<Self, KestrelError> {
        let max_retries = o
            .max_retries
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| KestrelError::config(format!("max_retries must be a non-negative integer, got {n}")))
            })
            .transpose()?;
        Ok(kestrel_router::CallOptions { timeout: o.timeout_seconds, max_retries, ..Default::default() })
    }
}

/// JSON text the caller gave for `field`, parsed; a typed error naming the field if not.
fn parse_json(text: &str, field: &str) -> Result<Value, KestrelError> {
    serde_json::from_str(text).map_err(|e| KestrelError::InvalidRequest {
        reason: format!("invalid request: {field}: not valid JSON: {e}"),
        param: Some(field.to_string()),
    })
}

fn message_json(m: ChatCompletionMessageParam) -> Value {
    let mut o = Map::new();
    o.insert("role".into(), m.role.as_str().into());
    o.insert("content".into(), m.content.map_or(Value::Null, Value::String));
    if let Some(name) = m.name {
        o.insert("name".into(), name.into());
    }
    if let Some(id) = m.tool_call_id {
        o.insert("tool_call_id".into(), id.into());
    }
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .into_iter()
            .map(|c| {
                json!({"id": c.id, "type": "function",
                       "function": {"name": c.function.name, "arguments": c.function.arguments}})
            })
            .collect();
        o.insert("tool_calls".into(), calls.into());
    }
    Value::Object(o)
}

impl ChatCompletionCreateParams {
    /// The OpenAI JSON body for these parameters (not yet validated: the core does that).
    pub(crate) fn into_json(self) -> Result<Value, KestrelError> {
        let mut body = match self.extra_json.as_deref() {
            None => Map::new(),
            Some(text) => match parse_json(text, "extra_json")? {
                Value::Object(o) => o,
                _ => {
                    return Err(KestrelError::InvalidRequest {
                        reason: "invalid request: extra_json: must be a JSON object".into(),
                        param: Some("extra_json".into()),
                    })
                }
            },
        };
        let extra_messages = body.contains_key("messages");
        let mut set = |key: &str, value: Value| -> Result<(), KestrelError> {
            if body.contains_key(key) {
                return Err(KestrelError::InvalidRequest {
                    reason: format!("invalid request: {key}: set both as a parameter and in extra_json"),
                    param: Some(key.to_string()),
                });
            }
            body.insert(key.to_string(), value);
            Ok(())
        };
        set("model", self.model.into())?;
        // Content-part messages may come in extra_json instead.
        if !self.messages.is_empty() || !extra_messages {
            let messages: Vec<Value> = self.messages.into_iter().map(message_json).collect();
            set("messages", messages.into())?;
        }
        if let Some(t) = self.temperature {
            set("temperature", t.into())?;
        }
        if let Some(p) = self.top_p {
            set("top_p", p.into())?;
        }
        if let Some(n) = self.max_completion_tokens {
            set("max_completion_tokens", n.into())?;
        }
        if !self.tools.is_empty() {
            let mut tools = Vec::with_capacity(self.tools.len());
            for (i, t) in self.tools.into_iter().enumerate() {
                let mut f = Map::new();
                f.insert("name".into(), t.name.into());
                if let Some(d) = t.description {
                    f.insert("description".into(), d.into());
                }
                if let Some(p) = t.parameters_json {
                    f.insert("parameters".into(), parse_json(&p, &format!("tools[{i}].function.parameters"))?);
                }
                if let Some(s) = t.strict {
                    f.insert("strict".into(), s.into());
                }
                tools.push(json!({"type": "function", "function": f}));
            }
            set("tools", tools.into())?;
        }
        if let Some(choice) = self.tool_choice {
            let value = match choice.as_str() {
                "none" | "auto" | "required" => Value::String(choice),
                _ => json!({"type": "function", "function": {"name": choice}}),
            };
            set("tool_choice", value)?;
        }
        if let Some(format) = self.response_format {
            let value = match format {
                ResponseFormat::Text => json!({"type": "text"}),
                ResponseFormat::JsonObject => json!({"type": "json_object"}),
                ResponseFormat::JsonSchema { name, schema_json, strict } => {
                    let schema = parse_json(&schema_json, "response_format.json_schema.schema")?;
                    let mut s = json!({"name": name, "schema": schema});
                    if let Some(strict) = strict {
                        s["strict"] = strict.into();
                    }
                    json!({"type": "json_schema", "json_schema": s})
                }
            };
            set("response_format", value)?;
        }
        if let Some(seed) = self.seed {
            set("seed", seed.into())?;
        }
        if let Some(user) = self.user {
            set("user", user.into())?;
        }
        Ok(Value::Object(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ChatCompletionCreateParams {
        ChatCompletionCreateParams {
            model: "gpt-4o".into(),
            messages: vec![ChatCompletionMessageParam {
                role: ChatRole::User,
                content: Some("hi".into()),
                name: None,
                tool_call_id: None,
                tool_calls: vec![],
            }],
            temperature: None,
            top_p: None,
            max_completion_tokens: None,
            tools: vec![],
            tool_choice: None,
            response_format: None,
            seed: None,
            user: None,
            extra_json: None,
        }
    }

    #[test]
    fn typed_fields_and_extra_json_make_one_body() {
        let mut p = params();
        p.tool_choice = Some("get_weather".into());
        p.tools = vec![ChatCompletionTool {
            name: "get_weather".into(),
            description: None,
            parameters_json: Some(r#"{"type":"object"}"#.into()),
            strict: None,
        }];
        p.extra_json = Some(r#"{"n": 2, "kestrel": {"tenant": "acme"}}"#.into());
        let body = p.into_json().unwrap();
        assert_eq!(body["n"], 2);
        assert_eq!(body["kestrel"]["tenant"], "acme");
        assert_eq!(body["messages"], json!([{"role": "user", "content": "hi"}]));
        assert_eq!(body["tool_choice"], json!({"type": "function", "function": {"name": "get_weather"}}));
        assert_eq!(body["tools"][0]["function"]["parameters"], json!({"type": "object"}));
        kestrel_router::ChatRequest::from_value(body).unwrap();
    }

    #[test]
    fn conflicts_and_bad_json_name_the_field() {
        let mut p = params();
        p.extra_json = Some(r#"{"model": "x"}"#.into());
        assert!(matches!(p.into_json(), Err(KestrelError::InvalidRequest { param: Some(f), .. }) if f == "model"));
        let mut p = params();
        p.response_format =
            Some(ResponseFormat::JsonSchema { name: "s".into(), schema_json: "{nope".into(), strict: None });
        assert!(matches!(p.into_json(), Err(KestrelError::InvalidRequest { param: Some(f), .. })
            if f == "response_format.json_schema.schema"));
    }
}
