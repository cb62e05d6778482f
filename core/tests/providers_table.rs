//! One table of OpenAI requests sent through every provider Kestrel translates for, each
//! addressed directly (`kestrel: {routing: false}`), against the mock's routes for all of
//! them; the answers are checked in OpenAI's shape, streamed and not.
//!
//! | case          | openai | anthropic | gemini | cohere | groq | mistral |
//! |---------------|--------|-----------|--------|--------|------|---------|
//! | text          | yes    | yes       | yes    | yes    | yes  | yes     |
//! | multi-turn    | yes    | yes       | yes    | yes    | yes  | yes     |
//! | system prompt | yes    | yes       | yes    | yes    | yes  | yes     |
//! | image (data)  | yes    | yes       | yes    | skip¹  | skip¹| yes     |
//! | tools + round | yes    | yes       | yes    | yes    | yes  | yes     |
//! | json_object   | yes    | yes       | yes    | yes    | yes  | yes     |
//! | json_schema   | yes    | yes       | yes    | yes    | yes  | yes     |
//!
//! ¹ `vision = false` in the catalog (command-r-plus-08-2024, openai/gpt-oss-120b).
//! The skips are decided from the catalog at run time, and the test checks that the
//! table above names exactly those.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{MockServer, Script};
use kestrel_router::types::{ChatChunk, ChatRequest, ChatResponse, Role, StreamOptions};
use kestrel_router::Client;
use serde_json::{json, Value};

/// (provider, model).
const PROVIDERS: [(&str, &str); 6] = [
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4-6"),
    ("gemini", "gemini-4-argon"),
    ("cohere", "command-r-plus-08-2024"),
    ("groq", "openai/gpt-oss-120b"),
    ("mistral", "mistral-large-latest"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    Text,
    MultiTurn,
    System,
    Image,
    Tools,
    JsonObject,
    JsonSchema,
}

const CASES: [Case; 7] =
    [Case::Text, Case::MultiTurn, Case::System, Case::Image, Case::Tools, Case::JsonObject, Case::JsonSchema];

/// The combinations the table above marks `skip`.
const SKIPPED: [(&str, Case); 2] = [("cohere", Case::Image), ("groq", Case::Image)];

/// A key per provider, so a key reaching the wrong provider would show.
fn key_of(provider: &str) -> String {
    format!("key-{provider}-test")
}

/// The mock, and a client with every mocked provider pointed at it.
async fn setup(script: Script) -> (MockServer, Client) {
    let mock = MockServer::start(script).await.unwrap();
    let mut b = Client::builder().from_env(false).timeout(Duration::from_secs(5)).max_retries(0);
    for (provider, url) in mock.provider_base_urls() {
        b = b.api_key(provider, key_of(provider)).base_url(provider, url);
    }
    (mock, b.build().unwrap())
}

const WEATHER: &str = "get_weather";

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": WEATHER,
        "description": "Current weather for a city.",
        "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"], "additionalProperties": false}
    }})
}

fn person_schema() -> Value {
    json!({"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
           "required": ["name", "age"], "additionalProperties": false})
}

/// A 1×1 PNG.
const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn body(case: Case) -> Value {
    let user = |t: &str| json!({"role": "user", "content": t});
    match case {
        Case::Text => json!({"messages": [user("What is 2+2?")]}),
        Case::MultiTurn => json!({"messages": [
            user("My name is Ana."),
            {"role": "assistant", "content": "Hello Ana."},
            user("What is my name?")
        ]}),
        Case::System => json!({"messages": [{"role": "system", "content": "You are terse."}, user("Say hi.")]}),
        Case::Image => json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": PNG}}
        ]}]}),
        Case::Tools => json!({"messages": [user("Weather in Paris?")], "tools": [weather_tool()]}),
        Case::JsonObject => {
            json!({"messages": [user("Describe Ana in JSON.")], "response_format": {"type": "json_object"}})
        }
        Case::JsonSchema => json!({"messages": [user("Describe Ana, 31.")],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": person_schema(), "strict": true}}}),
    }
}

fn request(model: &str, mut v: Value, stream: bool) -> ChatRequest {
    v["model"] = json!(model);
    v["kestrel"] = json!({"routing": false});
    let mut r = ChatRequest::from_value(v).unwrap();
    if stream {
        r.stream = Some(true);
        r.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    }
    r
}

fn supports(client: &Client, model: &str, case: Case) -> bool {
    let catalog = client.catalog();
    let m = catalog.model(catalog.resolve(model).unwrap());
    match case {
        Case::Image => m.vision,
        Case::Tools => m.tools,
        Case::JsonObject => m.json_mode,
        Case::JsonSchema => m.json_schema,
        _ => true,
    }
}

/// A tool call as (name, arguments parsed).
type Call = (String, Value);

/// What an answer says, whether it came whole or in chunks.
#[derive(Debug, PartialEq)]
struct Said {
    text: Option<String>,
    calls: Vec<Call>,
    finish: String,
}

fn said(r: &ChatResponse) -> Said {
    let m = &r.choices[0].message;
    let calls = m
        .tool_calls
        .iter()
        .flatten()
        .map(|c| {
            assert_eq!(c.kind, "function");
            assert!(!c.id.is_empty());
            (c.function.name.clone(), serde_json::from_str(&c.function.arguments).expect("JSON arguments"))
        })
        .collect();
    Said {
        text: m.content.clone().filter(|t| !t.is_empty()),
        calls,
        finish: r.choices[0].finish_reason.clone().unwrap_or_default(),
    }
}

/// Reassembles a stream, checking OpenAI's chunk conventions on the way: the role in the
/// first delta, the finish reason in the last chunk with choices, metadata on the last
/// chunk, usage on the final (choice-less) chunk, tool calls by index with one id each.
fn reassemble(chunks: &[ChatChunk], ctx: &str) -> (Said, Vec<String>) {
    assert!(!chunks.is_empty(), "{ctx}: no chunks");
    assert!(chunks.iter().all(|c| c.object == "chat.completion.chunk"), "{ctx}");
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant), "{ctx}: role in the first delta");
    let with_choices: Vec<&ChatChunk> = chunks.iter().filter(|c| !c.choices.is_empty()).collect();
    let finishes: Vec<(usize, &str)> = with_choices
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.choices[0].finish_reason.as_deref().map(|f| (i, f)))
        .collect();
    assert_eq!(finishes.len(), 1, "{ctx}: one finish_reason: {chunks:#?}");
    assert_eq!(finishes[0].0, with_choices.len() - 1, "{ctx}: finish_reason in the last content chunk");
    let end = chunks.last().unwrap();
    assert!(end.kestrel.is_some(), "{ctx}: kestrel metadata on the last chunk");
    let usage = end.usage.as_ref().unwrap_or_else(|| panic!("{ctx}: usage on the last chunk"));
    assert!(usage.prompt_tokens > 0 && usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, "{ctx}");

    let mut text = String::new();
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for choice in chunks.iter().flat_map(|c| &c.choices) {
        text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        for tc in choice.delta.tool_calls.iter().flatten() {
            let i = tc.index as usize;
            if let Some(id) = &tc.id {
                assert_eq!(i, calls.len(), "{ctx}: a new call takes the next index");
                assert!(!calls.iter().any(|c| &c.0 == id), "{ctx}: ids are distinct");
                let name = tc.function.as_ref().and_then(|f| f.name.clone()).expect("the first delta names the call");
                calls.push((id.clone(), name, String::new()));
            }
            assert!(i < calls.len(), "{ctx}: arguments for a call not announced");
            calls[i].2 += tc.function.as_ref().and_then(|f| f.arguments.as_deref()).unwrap_or("");
        }
    }
    let ids = calls.iter().map(|c| c.0.clone()).collect();
    let calls = calls
        .into_iter()
        .map(|(_, name, args)| (name, serde_json::from_str(&args).unwrap_or_else(|e| panic!("{ctx}: {args}: {e}"))))
        .collect();
    let said = Said { text: Some(text).filter(|t| !t.is_empty()), calls, finish: finishes[0].1.to_string() };
    (said, ids)
}

async fn collect(client: &Client, r: ChatRequest) -> Vec<ChatChunk> {
    let mut s = client.chat_stream(r).await.unwrap();
    let mut chunks = Vec::new();
    while let Some(c) = s.next().await {
        chunks.push(c.unwrap());
    }
    chunks
}

/// Checks one answer for its case.
fn check(case: Case, s: &Said, ctx: &str) {
    match case {
        Case::Tools => {
            assert_eq!(s.finish, "tool_calls", "{ctx}");
            assert_eq!(s.calls.len(), 1, "{ctx}: {s:?}");
            assert_eq!(s.calls[0].0, WEATHER, "{ctx}");
            assert!(s.calls[0].1.is_object(), "{ctx}: arguments are a JSON object: {s:?}");
            assert!(s.calls[0].1.get("city").is_some(), "{ctx}: {s:?}");
        }
        Case::JsonObject | Case::JsonSchema => {
            assert_eq!(s.finish, "stop", "{ctx}");
            assert!(s.calls.is_empty(), "{ctx}: {s:?}");
            let v: Value = serde_json::from_str(s.text.as_deref().unwrap_or(""))
                .unwrap_or_else(|e| panic!("{ctx}: the answer is JSON: {e}: {s:?}"));
            assert!(v.is_object(), "{ctx}: {v}");
            if case == Case::JsonSchema {
                assert!(v["name"].is_string() && v["age"].is_i64(), "{ctx}: follows the schema: {v}");
            }
        }
        _ => {
            assert_eq!(s.finish, "stop", "{ctx}");
            assert!(s.calls.is_empty(), "{ctx}: {s:?}");
            assert!(s.text.as_deref().is_some_and(|t| !t.trim().is_empty()), "{ctx}: content present");
        }
    }
}

#[test]
fn the_skip_table_matches_the_catalog() {
    let catalog = kestrel_router::catalog::Catalog::builtin();
    let mut skipped = Vec::new();
    for (provider, model) in PROVIDERS {
        let m = catalog.model(catalog.resolve(model).unwrap());
        assert_eq!(m.provider, provider);
        let caps = [
            (Case::Image, m.vision),
            (Case::Tools, m.tools),
            (Case::JsonObject, m.json_mode),
            (Case::JsonSchema, m.json_schema),
        ];
        skipped.extend(caps.into_iter().filter(|(_, ok)| !ok).map(|(case, _)| (provider, case)));
    }
    assert_eq!(skipped, SKIPPED);
}

/// Every case of the table through one provider; returns how many ran.
async fn run_table(provider: &'static str) -> usize {
    let model = PROVIDERS.iter().find(|p| p.0 == provider).unwrap().1;
    let (mock, client) = setup(Script::new()).await;
    let mut ran = 0;
    {
        for case in CASES {
            let ctx = format!("{provider}/{model}/{case:?}");
            if !supports(&client, model, case) {
                assert!(SKIPPED.contains(&(provider, case)), "{ctx}: skipped but not in the table");
                continue;
            }
            mock.clear_requests();
            let r = client.chat(request(model, body(case), false)).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let meta = r.kestrel.as_ref().unwrap();
            assert_eq!((meta.provider.as_str(), meta.model.as_str(), meta.attempts), (provider, model, 1), "{ctx}");
            assert_eq!(r.object, "chat.completion", "{ctx}");
            let u = r.usage.as_ref().unwrap_or_else(|| panic!("{ctx}: usage"));
            assert!(u.prompt_tokens > 0 && u.completion_tokens > 0, "{ctx}: {u:?}");
            assert_eq!(u.total_tokens, u.prompt_tokens + u.completion_tokens, "{ctx}");
            let whole = said(&r);
            check(case, &whole, &ctx);
            let sent = mock.requests();
            assert_eq!(sent.len(), 1, "{ctx}");
            assert!(sent[0].path.starts_with(&format!("/{provider}/")), "{ctx}: {}", sent[0].path);

            let chunks = collect(&client, request(model, body(case), true)).await;
            let (streamed, _) = reassemble(&chunks, &format!("{ctx} streamed"));
            check(case, &streamed, &format!("{ctx} streamed"));
            assert_eq!(streamed, whole, "{ctx}: the stream says what the whole answer says");
            let meta = chunks.last().unwrap().kestrel.as_ref().unwrap();
            assert_eq!((meta.provider.as_str(), meta.model.as_str()), (provider, model), "{ctx}");

            if case == Case::Tools {
                // The round trip: the call and its result go back; the answer uses it.
                let call = &r.choices[0].message.tool_calls.as_ref().unwrap()[0];
                let mut next = body(case);
                next["messages"].as_array_mut().unwrap().extend([
                    json!({"role": "assistant", "content": null, "tool_calls": [{"id": call.id, "type": "function",
                        "function": {"name": call.function.name, "arguments": call.function.arguments}}]}),
                    json!({"role": "tool", "tool_call_id": call.id, "content": "18 degrees, sunny"}),
                ]);
                let r = client.chat(request(model, next.clone(), false)).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let answer = said(&r);
                assert_eq!(answer.finish, "stop", "{ctx} round trip");
                assert!(answer.calls.is_empty(), "{ctx} round trip: {answer:?}");
                assert!(answer.text.as_deref().unwrap_or("").contains("18 degrees"), "{ctx} round trip: {answer:?}");
                let chunks = collect(&client, request(model, next, true)).await;
                let (streamed, _) = reassemble(&chunks, &format!("{ctx} round trip streamed"));
                assert_eq!(streamed, answer, "{ctx} round trip streamed");
            }
            ran += 1;
        }
    }
    assert_eq!(ran, CASES.len() - SKIPPED.iter().filter(|s| s.0 == provider).count());
    ran
}

#[tokio::test]
async fn table_openai() {
    assert_eq!(run_table("openai").await, 7);
}

#[tokio::test]
async fn table_anthropic() {
    assert_eq!(run_table("anthropic").await, 7);
}

#[tokio::test]
async fn table_gemini() {
    assert_eq!(run_table("gemini").await, 7);
}

#[tokio::test]
async fn table_cohere() {
    assert_eq!(run_table("cohere").await, 6, "no image case");
}

#[tokio::test]
async fn table_groq() {
    assert_eq!(run_table("groq").await, 6, "no image case");
}

#[tokio::test]
async fn table_mistral() {
    assert_eq!(run_table("mistral").await, 7);
}
