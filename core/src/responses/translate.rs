//! Responses ⇄ Chat Completions: a Responses request (with its expanded conversation)
//! becomes a [`ChatRequest`] for the chat pipeline, and the chat answer becomes a
//! [`Response`]. Ids are minted here.

use serde_json::{json, Value};

use super::types::*;
use crate::error::{Error, Result};
use crate::types::{
    ChatRequest, ChatResponse, Content, ContentPart, Extra, FileRef, FunctionCall, FunctionDef, ImageUrl,
    JsonSchemaFormat, Message, NamedFunction, NamedToolChoice, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
    ToolChoiceMode, Usage,
};

/// A new id such as `resp_…`, `msg_…` or `fc_…`: 48 hex digits, unique in the process.
pub(crate) fn new_id(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&crate::clock::unix_ms().to_le_bytes());
    h.update(&n.to_le_bytes());
    h.update(prefix.as_bytes());
    format!("{prefix}_{}", &h.finalize().to_hex()[..48])
}

/// Checks what the chat validation cannot see, naming Responses fields, before any I/O:
/// what would be malformed anywhere. What only OpenAI's Responses API can serve is
/// [`needs_openai`]'s to say.
pub(crate) fn validate(req: &ResponsesRequest) -> Result<()> {
    if req.model.trim().is_empty() {
        return Err(Error::invalid("model", "must not be empty"));
    }
    match &req.input {
        None if req.previous_response_id.is_none() => return Err(Error::invalid("input", "required")),
        Some(Input::Items(items)) if items.is_empty() && req.previous_response_id.is_none() => {
            return Err(Error::invalid("input", "must contain at least one item"))
        }
        Some(Input::Items(items)) => {
            for (i, item) in items.iter().enumerate() {
                validate_item(i, item)?;
            }
        }
        _ => {}
    }
    for (i, t) in req.tools.iter().flatten().enumerate() {
        if t.kind == "function" && t.name.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid(format!("tools[{i}].name"), "required for a function tool"));
        }
    }
    if let Some(ResponsesToolChoice::Named { kind, name, .. }) = &req.tool_choice {
        if kind == "function" && name.is_none() {
            return Err(Error::invalid("tool_choice.name", "required for a function"));
        }
    }
    if let Some(ResponsesToolChoice::Mode(m)) = &req.tool_choice {
        if !matches!(m.as_str(), "none" | "auto" | "required") {
            return Err(Error::invalid("tool_choice", format!("`{m}` is not one of none, auto, required")));
        }
    }
    Ok(())
}

/// What in a well-formed request only OpenAI's Responses API serves (its stored state,
/// its built-in tools, items that are not messages or function calls), as `(field,
/// why)`; `None` when the request can be translated and routed. Such a request goes,
/// unchanged, where the caller sent it (the bindings pass it to the official SDK).
pub(crate) fn needs_openai(req: &ResponsesRequest) -> Option<(String, String)> {
    let why = |field: String, why: String| Some((field, why));
    for field in ["conversation", "prompt"] {
        if req.extra.get(field).is_some_and(|v| !v.is_null()) {
            return why(field.into(), "needs OpenAI's stored state".into());
        }
    }
    if req.extra.get("background").and_then(Value::as_bool) == Some(true) {
        return why("background".into(), "background responses run on OpenAI's servers".into());
    }
    for (i, t) in req.tools.iter().flatten().enumerate() {
        if t.kind != "function" {
            return why(
                format!("tools[{i}].type"),
                format!("`{}` is a built-in tool of OpenAI's Responses API", t.kind),
            );
        }
    }
    if let Some(ResponsesToolChoice::Named { kind, .. }) = &req.tool_choice {
        if kind != "function" {
            return why("tool_choice".into(), format!("`{kind}` names a built-in tool or an allowed-tools list"));
        }
    }
    let Some(Input::Items(items)) = &req.input else { return None };
    for (i, item) in items.iter().enumerate() {
        match item {
            InputItem::Message(m) => {
                let MessageContent::Parts(parts) = &m.content else { continue };
                for (j, p) in parts.iter().enumerate() {
                    let by_id = match p {
                        InputContent::InputImage { image_url, .. } => image_url.is_none(),
                        InputContent::InputFile { file_data, .. } => file_data.is_none(),
                        _ => false,
                    };
                    if by_id {
                        return why(
                            format!("input[{i}].content[{j}]"),
                            "a file or image by id or URL lives on OpenAI's servers".into(),
                        );
                    }
                }
            }
            InputItem::FunctionCall(_) | InputItem::FunctionCallOutput(_) => {}
            InputItem::Other(v) => {
                let kind = v.get("type").and_then(Value::as_str).unwrap_or("?");
                return why(format!("input[{i}].type"), format!("`{kind}` items are OpenAI's Responses API's own"));
            }
        }
    }
    None
}

fn validate_item(i: usize, item: &InputItem) -> Result<()> {
    let InputItem::Message(m) = item else { return Ok(()) };
    if !matches!(m.role.as_str(), "user" | "assistant" | "system" | "developer") {
        return Err(Error::invalid(format!("input[{i}].role"), format!("`{}` is not a message role", m.role)));
    }
    if let MessageContent::Parts(parts) = &m.content {
        for (j, p) in parts.iter().enumerate() {
            let ok = match p {
                InputContent::InputText { .. } => true,
                InputContent::OutputText { .. } | InputContent::Refusal { .. } => m.role == "assistant",
                InputContent::InputImage { .. } | InputContent::InputFile { .. } => m.role == "user",
            };
            if !ok {
                return Err(Error::invalid(
                    format!("input[{i}].content[{j}]"),
                    format!("this part is not allowed in a `{}` message", m.role),
                ));
            }
        }
    }
    Ok(())
}

/// This request's own input as items (a string is one user message).
pub(crate) fn input_items(req: &ResponsesRequest) -> Vec<InputItem> {
    match &req.input {
        None => Vec::new(),
        Some(Input::Text(t)) => vec![InputItem::Message(InputMessage {
            kind: Some("message".into()),
            role: "user".into(),
            content: MessageContent::Text(t.clone()),
            id: None,
            status: None,
            extra: Extra::new(),
        })],
        Some(Input::Items(items)) => items.clone(),
    }
}

/// The output of a response as input items, for the next turn of the conversation.
pub(crate) fn output_as_input(output: &[OutputItem]) -> Vec<InputItem> {
    output
        .iter()
        .map(|o| match o {
            OutputItem::Message { id, content, .. } => InputItem::Message(InputMessage {
                kind: Some("message".into()),
                role: "assistant".into(),
                content: MessageContent::Parts(
                    content
                        .iter()
                        .map(|c| match c {
                            OutputContent::OutputText { text, .. } => InputContent::OutputText {
                                text: text.clone(),
                                annotations: Vec::new(),
                                extra: Extra::new(),
                            },
                            OutputContent::Refusal { refusal } => {
                                InputContent::Refusal { refusal: refusal.clone(), extra: Extra::new() }
                            }
                        })
                        .collect(),
                ),
                id: Some(id.clone()),
                status: Some("completed".into()),
                extra: Extra::new(),
            }),
            OutputItem::FunctionCall { id, call_id, name, arguments, .. } => {
                InputItem::FunctionCall(FunctionCallItem {
                    kind: "function_call".into(),
                    id: Some(id.clone()),
                    call_id: call_id.clone(),
                    name: name.clone(),
                    arguments: arguments.clone(),
                    status: Some("completed".into()),
                    extra: Extra::new(),
                })
            }
        })
        .collect()
}

/// The chat request for `req` over the whole `conversation` (history and this input).
pub(crate) fn to_chat(req: &ResponsesRequest, conversation: &[InputItem]) -> Result<ChatRequest> {
    let mut messages = Vec::with_capacity(conversation.len() + 1);
    if let Some(i) = &req.instructions {
        messages.push(Message::system(i.clone()));
    }
    for item in conversation {
        push_item(&mut messages, item)?;
    }
    let mut chat = ChatRequest::new(req.model.clone(), messages);
    chat.temperature = req.temperature;
    chat.top_p = req.top_p;
    chat.max_completion_tokens = req.max_output_tokens;
    chat.parallel_tool_calls = req.parallel_tool_calls;
    chat.user = req.user.clone();
    chat.safety_identifier = req.safety_identifier.clone();
    chat.prompt_cache_key = req.prompt_cache_key.clone();
    chat.service_tier = req.service_tier.clone();
    chat.reasoning_effort =
        req.reasoning.as_ref().and_then(|r| r.get("effort")).and_then(Value::as_str).map(String::from);
    chat.kestrel = req.kestrel.clone();
    chat.tools = req.tools.as_ref().filter(|t| !t.is_empty()).map(|tools| {
        tools
            .iter()
            .map(|t| Tool {
                kind: "function".into(),
                function: Some(FunctionDef {
                    name: t.name.clone().unwrap_or_default(),
                    description: t.description.clone(),
                    parameters: t.parameters.clone(),
                    strict: t.strict,
                    extra: Extra::new(),
                }),
                extra: Extra::new(),
            })
            .collect()
    });
    chat.tool_choice = req.tool_choice.as_ref().map(|c| match c {
        ResponsesToolChoice::Mode(m) => ToolChoice::Mode(match m.as_str() {
            "none" => ToolChoiceMode::None,
            "required" => ToolChoiceMode::Required,
            _ => ToolChoiceMode::Auto,
        }),
        ResponsesToolChoice::Named { name, .. } => ToolChoice::Named(NamedToolChoice {
            kind: "function".into(),
            function: NamedFunction { name: name.clone().unwrap_or_default() },
            extra: Extra::new(),
        }),
    });
    chat.response_format = req.text.as_ref().and_then(|t| t.format.as_ref()).map(|f| match f {
        TextFormat::Text => ResponseFormat::Text,
        TextFormat::JsonObject => ResponseFormat::JsonObject,
        TextFormat::JsonSchema { name, schema, description, strict } => ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: name.clone(),
                description: description.clone(),
                schema: schema.clone(),
                strict: *strict,
                extra: Extra::new(),
            },
        },
    });
    chat.validate()?;
    Ok(chat)
}

fn push_item(messages: &mut Vec<Message>, item: &InputItem) -> Result<()> {
    match item {
        InputItem::Message(m) => {
            let role = match m.role.as_str() {
                "assistant" => Role::Assistant,
                "system" => Role::System,
                "developer" => Role::Developer,
                _ => Role::User,
            };
            let content = match &m.content {
                MessageContent::Text(t) => Content::Text(t.clone()),
                MessageContent::Parts(parts) if role != Role::User => {
                    // Only text travels in non-user messages: join it.
                    let mut text = String::new();
                    for p in parts {
                        match p {
                            InputContent::InputText { text: t, .. } | InputContent::OutputText { text: t, .. } => {
                                text.push_str(t)
                            }
                            InputContent::Refusal { refusal, .. } => text.push_str(refusal),
                            _ => {}
                        }
                    }
                    Content::Text(text)
                }
                MessageContent::Parts(parts) => Content::Parts(parts.iter().filter_map(user_part).collect()),
            };
            let mut msg = Message::new(role, "");
            msg.content = Some(content);
            messages.push(msg);
        }
        InputItem::FunctionCall(c) => {
            let call = ToolCall {
                id: c.call_id.clone(),
                kind: "function".into(),
                function: FunctionCall { name: c.name.clone(), arguments: c.arguments.clone(), extra: Extra::new() },
                extra: Extra::new(),
            };
            // Calls made in one turn belong to one assistant message, beside its text.
            match messages.last_mut() {
                Some(last) if last.role == Role::Assistant => last.tool_calls.get_or_insert_with(Vec::new).push(call),
                _ => {
                    let mut msg = Message::new(Role::Assistant, "");
                    msg.content = None;
                    msg.tool_calls = Some(vec![call]);
                    messages.push(msg);
                }
            }
        }
        InputItem::FunctionCallOutput(o) => {
            let text = match &o.output {
                Value::String(s) => s.clone(),
                Value::Array(parts) => {
                    parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("")
                }
                other => other.to_string(),
            };
            messages.push(Message::tool(o.call_id.clone(), text));
        }
        InputItem::Other(_) => return Err(Error::invalid("input", "an item type Kestrel does not translate")),
    }
    Ok(())
}

fn user_part(p: &InputContent) -> Option<ContentPart> {
    Some(match p {
        InputContent::InputText { text, .. } | InputContent::OutputText { text, .. } => {
            ContentPart::Text { text: text.clone(), extra: Extra::new() }
        }
        InputContent::InputImage { image_url, detail, .. } => ContentPart::ImageUrl {
            image_url: ImageUrl { url: image_url.clone()?, detail: detail.clone(), extra: Extra::new() },
            extra: Extra::new(),
        },
        InputContent::InputFile { file_data, file_id, filename, .. } => ContentPart::File {
            file: FileRef {
                file_data: file_data.clone(),
                file_id: file_id.clone(),
                filename: filename.clone(),
                extra: Extra::new(),
            },
            extra: Extra::new(),
        },
        InputContent::Refusal { .. } => return None,
    })
}

/// Chat usage in the Responses shape.
pub(crate) fn usage(u: &Usage) -> ResponseUsage {
    ResponseUsage {
        input_tokens: u.prompt_tokens,
        input_tokens_details: InputTokensDetails { cached_tokens: u.cached_tokens() },
        output_tokens: u.completion_tokens,
        output_tokens_details: OutputTokensDetails {
            reasoning_tokens: u.completion_tokens_details.as_ref().and_then(|d| d.reasoning_tokens).unwrap_or(0),
        },
        total_tokens: u.total_tokens,
    }
}

/// A Response for `req` with nothing produced yet (`in_progress`), as streams open with.
pub(crate) fn skeleton(req: &ResponsesRequest, id: String, created_at: u64) -> Response {
    Response {
        id,
        object: "response".into(),
        created_at,
        status: "in_progress".into(),
        error: None,
        incomplete_details: None,
        instructions: req.instructions.clone(),
        max_output_tokens: req.max_output_tokens,
        model: req.model.clone(),
        output: Vec::new(),
        parallel_tool_calls: req.parallel_tool_calls.unwrap_or(true),
        previous_response_id: req.previous_response_id.clone(),
        temperature: req.temperature,
        text: req.text.clone().unwrap_or_else(|| TextConfig { format: Some(TextFormat::Text), extra: Extra::new() }),
        tool_choice: req.tool_choice.as_ref().map_or_else(|| json!("auto"), |c| json!(c)),
        tools: req.tools.clone().unwrap_or_default(),
        top_p: req.top_p,
        truncation: "disabled".into(),
        usage: None,
        metadata: req.metadata.clone().unwrap_or_default(),
        user: req.user.clone(),
        store: req.store.unwrap_or(true),
        kestrel: None,
        extra: Extra::new(),
        provider_response: None,
    }
}

/// Status and incomplete details for a chat `finish_reason`.
pub(crate) fn status_of(finish_reason: Option<&str>) -> (&'static str, Option<IncompleteDetails>) {
    match finish_reason {
        Some("length") => ("incomplete", Some(IncompleteDetails { reason: "max_output_tokens".into() })),
        Some("content_filter") => ("incomplete", Some(IncompleteDetails { reason: "content_filter".into() })),
        _ => ("completed", None),
    }
}

/// The Response for a chat answer.
pub(crate) fn from_chat(req: &ResponsesRequest, resp: ChatResponse) -> Response {
    let mut out = skeleton(req, new_id("resp"), resp.created);
    out.model = resp.model;
    let choice = resp.choices.into_iter().next();
    let finish = choice.as_ref().and_then(|c| c.finish_reason.clone());
    if let Some(c) = choice {
        let m = c.message;
        let mut content = Vec::new();
        if let Some(text) = m.content.filter(|t| !t.is_empty()) {
            content.push(OutputContent::OutputText { text, annotations: Vec::new(), logprobs: Vec::new() });
        }
        if let Some(refusal) = m.refusal {
            content.push(OutputContent::Refusal { refusal });
        }
        if !content.is_empty() {
            out.output.push(OutputItem::Message {
                id: new_id("msg"),
                role: "assistant".into(),
                status: "completed".into(),
                content,
            });
        }
        for call in m.tool_calls.into_iter().flatten() {
            out.output.push(OutputItem::FunctionCall {
                id: new_id("fc"),
                call_id: call.id,
                name: call.function.name,
                arguments: call.function.arguments,
                status: "completed".into(),
            });
        }
    }
    let (status, incomplete) = status_of(finish.as_deref());
    out.status = status.into();
    out.incomplete_details = incomplete;
    out.usage = resp.usage.as_ref().map(usage);
    out.kestrel = resp.kestrel;
    out
}
