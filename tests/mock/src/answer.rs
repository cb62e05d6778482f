//! The content of an answer: scripted, or the deterministic default built from the request.

use serde_json::{json, Map, Value};

use crate::script::Behaviour;

/// How much of the last user message the default answer echoes.
const ECHO_CHARS: usize = 60;
/// Guards `$ref` cycles in JSON schemas.
const MAX_SCHEMA_DEPTH: usize = 12;

/// What the assistant says, before it is put into a completion or a stream.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Answer {
    pub text: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// One tool call with its wire id and serialized arguments.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// Builds the answer to `request` for `model`; `seq` numbers ids so they are deterministic.
pub(crate) fn build(request: &Value, model: &str, behaviour: &Behaviour, seq: u64) -> Answer {
    let (text, calls) = if behaviour.text.is_some() || behaviour.tool_calls.is_some() {
        let calls = behaviour.tool_calls.iter().flatten().map(|c| (c.name.clone(), c.arguments_string())).collect();
        (behaviour.text.clone(), calls)
    } else {
        default_content(request, model)
    };
    let tool_calls: Vec<ToolCall> = calls
        .into_iter()
        .enumerate()
        .map(|(i, (name, arguments))| ToolCall { id: format!("call_mock_{seq}_{i}"), name, arguments })
        .collect();
    let finish_reason = behaviour.finish_reason.clone().unwrap_or_else(|| {
        if tool_calls.is_empty() {
            "stop".into()
        } else {
            "tool_calls".into()
        }
    });
    let prompt_chars: usize = messages(request).iter().map(|m| message_text(m).chars().count()).sum();
    let completion_chars = text.as_deref().map_or(0, |t| t.chars().count())
        + tool_calls.iter().map(|c| c.name.chars().count() + c.arguments.chars().count()).sum::<usize>();
    let usage = behaviour.usage.clone().unwrap_or_default();
    Answer {
        text,
        tool_calls,
        finish_reason,
        prompt_tokens: usage.prompt_tokens.unwrap_or_else(|| tokens(prompt_chars)),
        completion_tokens: usage.completion_tokens.unwrap_or_else(|| tokens(completion_chars)),
    }
}

/// The token estimate used everywhere in the mock: a quarter of the characters, at least 1.
pub(crate) fn tokens(chars: usize) -> u64 {
    (chars as u64 / 4).max(1)
}

fn messages(request: &Value) -> &[Value] {
    request.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The text of a message: a string content, or the `text` of its content parts.
pub(crate) fn message_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    }
}

/// The default content: a tool call, a tool-result acknowledgement, JSON, or an echo.
fn default_content(request: &Value, model: &str) -> (Option<String>, Vec<(String, String)>) {
    let messages = messages(request);
    let last = messages.last();
    let last_role = last.and_then(|m| m.get("role")).and_then(Value::as_str).unwrap_or("");

    if last_role == "tool" {
        let result = echo(&last.map(message_text).unwrap_or_default());
        return (Some(format!("Mock answer from {model}: the tool returned \"{result}\".")), Vec::new());
    }

    if last_role == "user" {
        if let Some(call) = default_tool_call(request) {
            return (None, vec![call]);
        }
    }

    let user_text = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(message_text)
        .unwrap_or_default();
    let prose = if user_text.trim().is_empty() {
        format!("Mock answer from {model}: (no user message).")
    } else {
        format!("Mock answer from {model}: you said \"{}\".", echo(&user_text))
    };

    let format = request.get("response_format");
    let text = match format.and_then(|f| f.get("type")).and_then(Value::as_str) {
        Some("json_object") => json!({"model": model, "answer": prose}).to_string(),
        Some("json_schema") => {
            let schema = format.and_then(|f| f.pointer("/json_schema/schema")).unwrap_or(&Value::Null);
            let value = example(schema, schema, 0);
            if value.is_object() {
                value.to_string()
            } else {
                json!({ "answer": prose }).to_string()
            }
        }
        _ => prose,
    };
    (Some(text), Vec::new())
}

/// The call a model "would" make: the tool named by `tool_choice`, else the first function tool.
fn default_tool_call(request: &Value) -> Option<(String, String)> {
    let tools = request.get("tools").and_then(Value::as_array)?;
    let choice = request.get("tool_choice");
    if choice.and_then(Value::as_str) == Some("none") {
        return None;
    }
    let functions =
        tools.iter().filter_map(|t| t.get("function")).filter(|f| f.get("name").and_then(Value::as_str).is_some());
    let wanted = choice.and_then(|c| c.pointer("/function/name")).and_then(Value::as_str);
    let function = match wanted {
        Some(name) => functions
            .clone()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
            .unwrap_or_else(|| json!({ "name": name })),
        None => functions.clone().next()?.clone(),
    };
    let name = function.get("name")?.as_str()?.to_string();
    let params = function.get("parameters").unwrap_or(&Value::Null);
    let mut args = example(params, params, 0);
    if !args.is_object() {
        args = Value::Object(Map::new());
    }
    Some((name, args.to_string()))
}

/// A value satisfying `schema`: required properties only; strings "example", numbers 1,
/// booleans true, enums their first value. `root` resolves local `$ref`s (e.g. pydantic's
/// `#/$defs/...`).
pub(crate) fn example(schema: &Value, root: &Value, depth: usize) -> Value {
    if depth > MAX_SCHEMA_DEPTH {
        return Value::Null;
    }
    let Some(obj) = schema.as_object() else {
        return Value::Null;
    };
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        let target = reference.strip_prefix('#').and_then(|pointer| root.pointer(pointer)).unwrap_or(&Value::Null);
        return example(target, root, depth + 1);
    }
    if let Some(value) = obj.get("const") {
        return value.clone();
    }
    if let Some(first) = obj.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(options) = obj.get(key).and_then(Value::as_array) {
            // Prefer a non-null alternative, as Optional[...] fields list null among them.
            let pick = options
                .iter()
                .find(|o| o.get("type").and_then(Value::as_str) != Some("null"))
                .or_else(|| options.first());
            if let Some(pick) = pick {
                return example(pick, root, depth + 1);
            }
        }
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null"),
        _ if obj.contains_key("properties") => "object",
        _ if obj.contains_key("items") => "array",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            let properties = obj.get("properties").and_then(Value::as_object);
            for name in obj.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                let sub = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                out.insert(name.to_string(), example(sub, root, depth + 1));
            }
            Value::Object(out)
        }
        "array" => match obj.get("items") {
            Some(items) if items.is_object() => Value::Array(vec![example(items, root, depth + 1)]),
            _ => Value::Array(Vec::new()),
        },
        "integer" | "number" => {
            let mut n = 1.0_f64;
            if let Some(min) = obj.get("minimum").and_then(Value::as_f64) {
                n = n.max(min);
            }
            if let Some(max) = obj.get("maximum").and_then(Value::as_f64) {
                n = n.min(max);
            }
            if ty == "integer" || n.fract() == 0.0 {
                json!(n.ceil() as i64)
            } else {
                json!(n)
            }
        }
        "boolean" => Value::Bool(true),
        "null" => Value::Null,
        _ => Value::String("example".into()),
    }
}

/// A short single-line excerpt, so answers stay small and deterministic.
fn echo(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > ECHO_CHARS {
        let cut: String = flat.chars().take(ECHO_CHARS).collect();
        format!("{}...", cut.trim_end())
    } else {
        flat
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Behaviour;

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": text})
    }

    #[test]
    fn default_echoes_and_counts() {
        let req = json!({"model": "m", "messages": [
            {"role": "system", "content": "be brief"},
            user("What is 2+2?")
        ]});
        let a = build(&req, "m", &Behaviour::new(), 1);
        assert_eq!(a.text.as_deref(), Some("Mock answer from m: you said \"What is 2+2?\"."));
        assert_eq!(a.finish_reason, "stop");
        assert_eq!(a.prompt_tokens, (8 + 12) / 4);
        assert_eq!(a.completion_tokens, 44 / 4);
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "word ".repeat(50);
        let req = json!({"messages": [user(&long)]});
        let text = build(&req, "m", &Behaviour::new(), 1).text.unwrap();
        assert!(text.ends_with("...\"."), "{text}");
        assert!(text.len() < 120);
    }

    #[test]
    fn tools_get_a_call_from_the_schema() {
        let req = json!({"messages": [user("weather?")], "tools": [
            {"type": "function", "function": {"name": "other"}},
            {"type": "function", "function": {"name": "get_weather", "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["c", "f"]},
                    "days": {"type": "integer"},
                    "exact": {"type": "boolean"},
                    "note": {"type": "string"}
                },
                "required": ["city", "unit", "days", "exact"]
            }}}
        ], "tool_choice": {"type": "function", "function": {"name": "get_weather"}}});
        let a = build(&req, "m", &Behaviour::new(), 7);
        assert_eq!(a.text, None);
        assert_eq!(a.finish_reason, "tool_calls");
        assert_eq!(a.tool_calls[0].id, "call_mock_7_0");
        assert_eq!(a.tool_calls[0].name, "get_weather");
        let args: Value = serde_json::from_str(&a.tool_calls[0].arguments).unwrap();
        assert_eq!(args, json!({"city": "example", "unit": "c", "days": 1, "exact": true}));
    }

    #[test]
    fn tool_choice_none_and_tool_results_answer_in_text() {
        let tools = json!([{"type": "function", "function": {"name": "f"}}]);
        let req = json!({"messages": [user("hi")], "tools": tools, "tool_choice": "none"});
        assert!(build(&req, "m", &Behaviour::new(), 1).tool_calls.is_empty());
        let req = json!({"messages": [user("hi"),
            {"role": "assistant", "content": null, "tool_calls": []},
            {"role": "tool", "tool_call_id": "c", "content": "22 degrees"}], "tools": tools});
        let a = build(&req, "m", &Behaviour::new(), 1);
        assert!(a.tool_calls.is_empty());
        assert!(a.text.unwrap().contains("22 degrees"));
    }

    #[test]
    fn json_modes_answer_valid_json() {
        let req = json!({"messages": [user("hi")], "response_format": {"type": "json_object"}});
        let text = build(&req, "m", &Behaviour::new(), 1).text.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["model"], "m");

        let req = json!({"messages": [user("hi")], "response_format": {"type": "json_schema",
        "json_schema": {"name": "x", "strict": true, "schema": {
            "type": "object",
            "$defs": {"Item": {"type": "object", "properties": {"n": {"type": "number"}}, "required": ["n"]}},
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                "maybe": {"anyOf": [{"type": "null"}, {"type": "string"}]}
            },
            "required": ["items", "maybe"]
        }}}});
        let text = build(&req, "m", &Behaviour::new(), 1).text.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, json!({"items": [{"n": 1}], "maybe": "example"}));
    }

    #[test]
    fn script_overrides_content_and_usage() {
        let req = json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}]});
        let b = Behaviour::reply("scripted").usage(10, 20).finish_reason("length");
        let a = build(&req, "m", &b, 1);
        assert_eq!(a.text.as_deref(), Some("scripted"));
        assert!(a.tool_calls.is_empty());
        assert_eq!((a.prompt_tokens, a.completion_tokens), (10, 20));
        assert_eq!(a.finish_reason, "length");
    }
}
