//! Failures seen in other routers' trackers, each pinned down against the mock: streamed
//! Anthropic tool use, Gemini parallel function calls, the Gemini key staying out of
//! errors and records, Anthropic's cumulative `output_tokens`, `error` events inside a
//! 200 stream, and Anthropic prompt-cache pricing.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::types::{ChatChunk, ChatRequest, StreamOptions};
use kestrel_router::{Client, Error};
use serde_json::{json, Value};

const WEATHER: &str = "get_weather";
const GEMINI_KEY: &str = "AIzaSy-secret-gemini-key-0123456789";
const ANTHROPIC_KEY: &str = "sk-ant-secret";

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": WEATHER,
        "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"]}
    }})
}

/// A client with only `provider` (key and the mock's base URL for it).
fn client_for(mock: &MockServer, provider: &str, key: &str) -> Client {
    let url = mock.provider_base_urls().into_iter().find(|(p, _)| *p == provider).unwrap().1;
    Client::builder()
        .from_env(false)
        .api_key(provider, key)
        .base_url(provider, url)
        .timeout(Duration::from_secs(5))
        .max_retries(0)
        .build()
        .unwrap()
}

fn pinned(model: &str, mut v: Value, stream: bool) -> ChatRequest {
    v["model"] = json!(model);
    v["kestrel"] = json!({"routing": false});
    let mut r = ChatRequest::from_value(v).unwrap();
    if stream {
        r.stream = Some(true);
        r.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    }
    r
}

async fn collect(client: &Client, r: ChatRequest) -> Vec<ChatChunk> {
    let mut s = client.chat_stream(r).await.unwrap();
    let mut chunks = Vec::new();
    while let Some(c) = s.next().await {
        chunks.push(c.unwrap());
    }
    chunks
}

/// Streamed tool calls as (index, id, name, arguments), from their deltas.
fn streamed_calls(chunks: &[ChatChunk]) -> Vec<(u32, String, String, String)> {
    let mut calls: Vec<(u32, String, String, String)> = Vec::new();
    for tc in chunks.iter().flat_map(|c| &c.choices).flat_map(|c| c.delta.tool_calls.iter().flatten()) {
        if let Some(id) = &tc.id {
            let name = tc.function.as_ref().and_then(|f| f.name.clone()).unwrap_or_default();
            calls.push((tc.index, id.clone(), name, String::new()));
        }
        let call = calls.iter_mut().find(|c| c.0 == tc.index).expect("arguments for an announced call");
        call.3 += tc.function.as_ref().and_then(|f| f.arguments.as_deref()).unwrap_or("");
    }
    calls
}

fn finish_reason(chunks: &[ChatChunk]) -> Option<String> {
    chunks.iter().flat_map(|c| &c.choices).find_map(|c| c.finish_reason.clone())
}

#[tokio::test]
async fn anthropic_streamed_tool_use_becomes_tool_call_deltas() {
    let paris = json!({"city": "Paris", "unit": "celsius"});
    let mock =
        MockServer::start(Script::new().model("claude-sonnet-4-6", Behaviour::tool_call(WEATHER, paris.clone())))
            .await
            .unwrap();
    let client = client_for(&mock, "anthropic", ANTHROPIC_KEY);
    let ask = json!({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [weather_tool()]});
    let chunks = collect(&client, pinned("claude-sonnet-4-6", ask, true)).await;
    let calls = streamed_calls(&chunks);
    assert_eq!(calls.len(), 1, "{chunks:#?}");
    assert_eq!(calls[0].0, 0);
    assert!(calls[0].1.starts_with("toolu_"), "{calls:?}");
    assert_eq!(calls[0].2, WEATHER);
    assert_eq!(serde_json::from_str::<Value>(&calls[0].3).unwrap(), paris);
    // No text content pretends to be the call.
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert_eq!(text, "");
    assert_eq!(finish_reason(&chunks).as_deref(), Some("tool_calls"));
    assert!(chunks.last().unwrap().kestrel.is_some());
}

#[tokio::test]
async fn gemini_parallel_function_calls_get_their_own_index_and_id() {
    let paris = json!({"city": "Paris", "unit": "celsius"});
    let rome = json!({"city": "Rome", "unit": "celsius"});
    let script = Script::new().model(
        "gemini-4-argon",
        Behaviour::new().with_tool_call(WEATHER, paris.clone()).with_tool_call(WEATHER, rome.clone()),
    );
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, "gemini", GEMINI_KEY);
    let ask =
        json!({"messages": [{"role": "user", "content": "Weather in Paris and Rome?"}], "tools": [weather_tool()]});

    let r = client.chat(pinned("gemini-4-argon", ask.clone(), false)).await.unwrap();
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    let calls = r.choices[0].message.tool_calls.clone().unwrap();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].id, calls[1].id, "each call its own id");
    assert!(calls.iter().all(|c| !c.id.is_empty() && c.function.name == WEATHER));
    let args: Vec<Value> = calls.iter().map(|c| serde_json::from_str(&c.function.arguments).unwrap()).collect();
    assert_eq!(args, [paris.clone(), rome.clone()]);

    let chunks = collect(&client, pinned("gemini-4-argon", ask, true)).await;
    let calls = streamed_calls(&chunks);
    assert_eq!(calls.iter().map(|c| c.0).collect::<Vec<_>>(), [0, 1], "{chunks:#?}");
    assert_ne!(calls[0].1, calls[1].1, "each streamed call its own id");
    let args: Vec<Value> = calls.iter().map(|c| serde_json::from_str(&c.3).unwrap()).collect();
    assert_eq!(args, [paris, rome]);
    assert_eq!(finish_reason(&chunks).as_deref(), Some("tool_calls"));
}

#[tokio::test]
async fn the_gemini_key_never_shows() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock, "gemini", GEMINI_KEY);
    let ask = || json!({"messages": [{"role": "user", "content": "Hello"}]});
    let leaks = |what: &str, text: String| assert!(!text.contains(GEMINI_KEY), "the key shows in {what}: {text}");

    client.chat(pinned("gemini-4-argon", ask(), false)).await.unwrap();
    collect(&client, pinned("gemini-4-argon", ask(), true)).await;
    for sent in mock.requests() {
        assert_eq!(sent.header("x-goog-api-key"), Some(GEMINI_KEY), "the key goes in the header");
        let query = sent.query.clone().unwrap_or_default();
        assert!(!query.contains("key="), "no key in the query: {query}");
        leaks("the URL", format!("{}?{query}", sent.path));
    }

    // Failures of every kind: a request error, a server error, a broken body, a bad key.
    for bad in [Behaviour::error(400), Behaviour::error(500), Behaviour::new().malformed_json()] {
        mock.set_script(Script::new().model("gemini-4-argon", bad.clone()));
        for stream in [false, true] {
            let err = if stream {
                match client.chat_stream(pinned("gemini-4-argon", ask(), true)).await {
                    Err(e) => e,
                    Ok(mut s) => loop {
                        match s.next().await {
                            Some(Err(e)) => break e,
                            Some(Ok(_)) => {}
                            None => panic!("{bad:?}: the stream ended without an error"),
                        }
                    },
                }
            } else {
                client.chat(pinned("gemini-4-argon", ask(), false)).await.unwrap_err()
            };
            leaks("an error message", err.to_string());
            leaks("an error's Debug", format!("{err:?}"));
            leaks("an error body", err.body().map(Value::to_string).unwrap_or_default());
        }
    }
    mock.set_script(Script::new().require_key("AIza-other"));
    let err = client.chat(pinned("gemini-4-argon", ask(), false)).await.unwrap_err();
    leaks("an auth error", format!("{err} {err:?}"));

    let records = client.usage().records(None, 100);
    assert!(records.len() >= 8, "{}", records.len());
    for rec in &records {
        leaks("a usage record", format!("{rec:?}"));
        leaks("a usage record's JSON", serde_json::to_string(rec).unwrap());
    }
    leaks("the client's Debug", format!("{client:?}"));
}

#[tokio::test]
async fn anthropic_output_tokens_are_cumulative() {
    // message_start says output_tokens 1, message_delta the final 56: the answer used 56.
    let script = Script::new().model("claude-sonnet-4-6", Behaviour::reply("counted").usage(100, 56));
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, "anthropic", ANTHROPIC_KEY);
    let ask = json!({"messages": [{"role": "user", "content": "Count"}]});
    let chunks = collect(&client, pinned("claude-sonnet-4-6", ask.clone(), true)).await;
    let u = chunks.last().unwrap().usage.clone().unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (100, 56, 156));
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!(rec.completion_tokens, 56);
    let whole = client.chat(pinned("claude-sonnet-4-6", ask, false)).await.unwrap();
    assert_eq!(whole.usage.unwrap().completion_tokens, 56, "streamed and not agree");
}

fn routed_stream() -> ChatRequest {
    let mut r = ChatRequest::from_value(
        json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]}),
    )
    .unwrap();
    r.stream = Some(true);
    r
}

#[tokio::test]
async fn an_error_event_before_the_first_chunk_fails_over() {
    // The router tries claude-haiku-5-5 first (see core/tests/anthropic.rs); it answers 200
    // and then an `error` event.
    for kind in ["overloaded_error", "api_error", "rate_limit_error"] {
        let script = Script::new().model("claude-haiku-5-5", Behaviour::new().error_type(kind));
        let mock = MockServer::start(script).await.unwrap();
        let client = client_for(&mock, "anthropic", ANTHROPIC_KEY);
        let chunks = collect(&client, routed_stream()).await;
        let meta = chunks.last().unwrap().kestrel.clone().unwrap();
        assert_eq!((meta.model.as_str(), meta.attempts), ("claude-sonnet-4-6", 2), "{kind}");
        let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
        assert!(text.starts_with("Mock answer from claude-sonnet-4-6"), "{kind}: one answer only: {text}");
        assert_eq!(mock.requests().len(), 2, "{kind}");
    }
}

#[tokio::test]
async fn an_error_event_after_the_first_chunk_interrupts_the_stream() {
    let script =
        Script::new().model("claude-haiku-5-5", Behaviour::new().error_type("overloaded_error").cut_after_chunks(2));
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, "anthropic", ANTHROPIC_KEY);
    let mut s = client.chat_stream(routed_stream()).await.unwrap();
    let (mut text, mut failed, mut after_error) = (String::new(), None, 0);
    while let Some(c) = s.next().await {
        match c {
            Ok(c) if failed.is_none() => {
                text += c.choices.first().and_then(|c| c.delta.content.as_deref()).unwrap_or("");
            }
            Ok(_) => after_error += 1,
            Err(e) => failed = Some(e),
        }
    }
    assert_eq!(text, "Mock answer ");
    assert!(
        matches!(&failed, Some(Error::StreamInterrupted { provider, message })
            if provider == "anthropic" && message.contains("Overloaded")),
        "{failed:?}"
    );
    assert_eq!(after_error, 0, "nothing after the error");
    assert_eq!(mock.requests().len(), 1, "no second answer");
}

#[tokio::test]
async fn anthropic_prompt_cache_writes_and_reads_are_priced_by_their_rules() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock, "anthropic", ANTHROPIC_KEY);
    let document = "A long reference document. ".repeat(40);
    let ask = |q: &str| {
        pinned(
            "claude-sonnet-4-6",
            json!({"messages": [{"role": "user", "content": [
                {"type": "text", "text": document, "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": q}
            ]}]}),
            false,
        )
    };
    // claude-sonnet-4-6: $3 input, $3.75 5-minute cache write, $0.30 cache read, $15 output.
    let spec = client.catalog().model(client.catalog().resolve("claude-sonnet-4-6").unwrap()).clone();
    assert_eq!(
        (spec.input_per_mtok, spec.cache_write_per_mtok, spec.cached_input_per_mtok, spec.output_per_mtok),
        (3.0, Some(3.75), Some(0.30), 15.0)
    );

    // The first request writes the document (270 tokens: 1080 characters / 4) to the cache.
    let first = client.chat(ask("Summarize it.")).await.unwrap();
    let u = first.usage.clone().unwrap();
    assert_eq!(u.extra["cache_creation_input_tokens"], 270);
    assert_eq!(u.cached_tokens(), 0);
    let plain = u.prompt_tokens - 270;
    let want = (plain as f64 * 3.0 + 270.0 * 3.75 + u.completion_tokens as f64 * 15.0) / 1e6;
    let meta = first.kestrel.clone().unwrap();
    assert_eq!(meta.cost_usd, want, "{u:?}");
    assert_eq!(meta.baseline_cost_usd, want, "the same model: the same rules");
    assert_eq!(client.usage().records(None, 1)[0].cost_usd, want);

    // The second reads it.
    let second = client.chat(ask("List its points.")).await.unwrap();
    let u = second.usage.clone().unwrap();
    assert!(u.extra.get("cache_creation_input_tokens").is_none(), "{u:?}");
    assert_eq!(u.cached_tokens(), 270);
    let plain = u.prompt_tokens - 270;
    let want = (plain as f64 * 3.0 + 270.0 * 0.30 + u.completion_tokens as f64 * 15.0) / 1e6;
    assert_eq!(second.kestrel.unwrap().cost_usd, want, "{u:?}");
    assert_eq!(client.usage().records(None, 1)[0].cost_usd, want);

    // The figures, by hand: 1000 tokens of which 200 written and 300 read, 100 out.
    let by_hand = (500.0 * 3.0 + 200.0 * 3.75 + 300.0 * 0.30 + 100.0 * 15.0) / 1e6;
    assert!((spec.cost(1000, 100, 300, 200) - by_hand).abs() < 1e-15);
    assert!((spec.cost(1000, 100, 300, 200) - 0.003_84).abs() < 1e-12);
    // Never counted twice: reads and writes together are capped by the input.
    assert!((spec.cost(100, 0, 100, 100) - 100.0 * 3.75 / 1e6).abs() < 1e-15);
    // Without a write price, writes cost the input price.
    let gpt = client.catalog().model(client.catalog().resolve("gpt-4o").unwrap());
    assert_eq!(gpt.cache_write_per_mtok, None);
    assert_eq!(gpt.cost(1000, 0, 0, 400), gpt.cost(1000, 0, 0, 0));
}
