//! Tool calling through the router: the model asks for `get_weather`, the program runs it
//! and sends the result back, and the model answers in text. Only models that support
//! tools are candidates for either call.
//!
//! `cargo run -p kestrel-examples --example tools`
//!
//! With no provider keys set (OPENAI_API_KEY, GROQ_API_KEY, ...) it runs against the bundled
//! mock provider.

mod common;

use kestrel_router::types::{ChatRequest, ChatResponse, Message, Tool, ToolCall};
use serde_json::{json, Value};

/// The "real" tool: a fixed forecast per city.
fn get_weather(arguments: &str) -> Value {
    let args: Value = serde_json::from_str(arguments).unwrap_or(Value::Null);
    let city = args.get("city").and_then(Value::as_str).unwrap_or("somewhere");
    let unit = args.get("unit").and_then(Value::as_str).unwrap_or("celsius");
    let temperature = if unit == "fahrenheit" { 64 } else { 18 };
    json!({ "city": city, "temperature": temperature, "unit": unit, "conditions": "partly cloudy" })
}

fn print_route(step: &str, resp: &ChatResponse) {
    if let Some(m) = &resp.kestrel {
        let tier = m.tier.map_or("none".to_string(), |t| t.to_string());
        println!("[{step}] {} → {} ({}, tier {tier}), ${:.6}", m.requested_model, m.model, m.provider, m.cost_usd);
    }
}

#[tokio::main]
async fn main() -> common::Result<()> {
    let (client, _mock) = common::client().await?;

    let weather = Tool::function(
        "get_weather",
        "Get the current weather for a city.",
        json!({
            "type": "object",
            "properties": {
                "city": { "type": "string", "description": "City name, e.g. Paris" },
                "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] }
            },
            "required": ["city"]
        }),
    );
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user("What's the weather like in Paris right now?")]);
    req.tools = Some(vec![weather]);

    // First call: the model answers with a tool call instead of text. (The mock provider
    // builds the arguments from the JSON schema, so its city is "example".)
    let first = client.chat(req.clone()).await?;
    print_route("call 1", &first);
    let calls: Vec<ToolCall> = first.choices[0].message.tool_calls.clone().unwrap_or_default();
    if calls.is_empty() {
        println!("no tool call; the model said: {}", first.choices[0].message.content.as_deref().unwrap_or_default());
        return Ok(());
    }

    // Replay the assistant's turn (content null, tool_calls set), then one result per call.
    let mut assistant = Message::assistant("");
    assistant.content = None;
    assistant.tool_calls = Some(calls.clone());
    req.messages.push(assistant);
    for call in &calls {
        println!("tool call {}: {}({})", call.id, call.function.name, call.function.arguments);
        let result = match call.function.name.as_str() {
            "get_weather" => get_weather(&call.function.arguments),
            other => json!({ "error": format!("unknown tool `{other}`") }),
        };
        println!("tool result: {result}");
        req.messages.push(Message::tool(&call.id, result.to_string()));
    }

    // Second call: with the results in the conversation, the model answers in text.
    let second = client.chat(req).await?;
    print_route("call 2", &second);
    println!("answer: {}", second.choices[0].message.content.as_deref().unwrap_or_default());
    Ok(())
}
