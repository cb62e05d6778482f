//! The native Cohere provider over real HTTP against the mock's v2 Chat API: what goes on
//! the wire (read back from the mock's record) and what comes back in OpenAI's shape.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, RecordedRequest, Script};
use kestrel_router::types::{ChatChunk, ChatRequest, ChatResponse, Role, StreamOptions};
use kestrel_router::usage::ErrorKind;
use kestrel_router::{Client, Error};
use serde_json::{json, Value};

const KEY: &str = "co-test-key";
/// Cohere's dated ids (it retired the bare `command-r-plus` / `command-r` names on 2025-09-15).
const PLUS: &str = "command-r-plus-08-2024";
const R: &str = "command-r-08-2024";
const R7B: &str = "command-r7b-12-2024";

async fn setup(script: Script) -> (MockServer, Client) {
    let mock = MockServer::start(script).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("cohere", KEY)
        .base_url("cohere", format!("{}/cohere", mock.url()))
        .timeout(Duration::from_secs(5))
        .max_retries(0)
        .build()
        .unwrap();
    (mock, client)
}

fn req(v: Value) -> ChatRequest {
    ChatRequest::from_value(v).unwrap()
}

/// A request for `command-r-plus-08-2024` that stays on it (no routing).
fn pinned(mut v: Value) -> ChatRequest {
    v["model"] = json!(PLUS);
    v["kestrel"] = json!({"routing": false});
    req(v)
}

fn easy() -> ChatRequest {
    req(json!({"model": PLUS, "messages": [{"role": "user", "content": "What is 2+2?"}]}))
}

fn last(mock: &MockServer) -> RecordedRequest {
    mock.requests().pop().expect("the mock received a request")
}

fn content(r: &ChatResponse) -> &str {
    r.choices[0].message.content.as_deref().unwrap_or("")
}

fn finish(r: &ChatResponse) -> &str {
    r.choices[0].finish_reason.as_deref().unwrap_or("")
}

const WEATHER: &str = "get_weather";

fn weather_tool() -> Value {
    json!({"type": "function", "function": {
        "name": WEATHER,
        "description": "Current weather for a city.",
        "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"]}
    }})
}

async fn collect(client: &Client, r: ChatRequest) -> Vec<ChatChunk> {
    let mut s = client.chat_stream(r).await.unwrap();
    let mut chunks = Vec::new();
    while let Some(c) = s.next().await {
        chunks.push(c.unwrap());
    }
    chunks
}

#[tokio::test]
async fn plain_request_goes_on_the_wire_as_v2_chat() {
    let (mock, client) = setup(Script::new().require_key(KEY)).await;
    let plan = client.route(&easy()).unwrap().summary(client.catalog()).plan.join(",");
    assert!(plan.ends_with(PLUS) && plan.split(',').all(|m| m.starts_with("command-")), "{plan}");
    let r = client.chat(easy()).await.unwrap();
    let meta = r.kestrel.as_ref().unwrap();
    assert_eq!(meta.provider, "cohere");
    assert_eq!(meta.requested_model, PLUS);
    assert_ne!(meta.model, PLUS, "an easy question is routed down");
    assert!(meta.saved_usd > 0.0, "{meta:?}");
    let sent = last(&mock);
    let wire = sent.model().unwrap().to_string();
    assert!([R, R7B].contains(&wire.as_str()), "{wire}");
    assert_eq!(content(&r), format!("Mock answer from {wire}: you said \"What is 2+2?\"."));
    assert_eq!(finish(&r), "stop");
    assert_eq!((r.object.as_str(), r.model.as_str()), ("chat.completion", wire.as_str()));
    assert!(r.id.starts_with("mock-"), "{}", r.id);
    let u = r.usage.as_ref().unwrap();
    assert!(u.prompt_tokens > 0 && u.completion_tokens > 0 && u.total_tokens == u.prompt_tokens + u.completion_tokens);

    assert_eq!(sent.path, "/cohere/v2/chat");
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(
        sent.body,
        json!({"model": wire, "messages": [{"role": "user", "content": "What is 2+2?"}], "stream": false})
    );
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.provider.as_str(), rec.prompt_tokens), ("cohere", u.prompt_tokens));
}

#[tokio::test]
async fn system_prompt_and_sampling_translate() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hello"}
        ], "temperature": 0.4, "top_p": 1.0, "max_completion_tokens": 300, "stop": ["END"], "seed": 7,
           "frequency_penalty": 1.5, "presence_penalty": 0.2, "user": "u-1", "n": 1, "logprobs": true,
           "stream_options": {"include_usage": true}})))
        .await
        .unwrap();
    assert!(content(&r).contains(PLUS), "{}", content(&r));
    let body = last(&mock).body;
    assert_eq!(
        body["messages"],
        json!([{"role": "system", "content": "You are terse."}, {"role": "system", "content": "Answer in French."},
               {"role": "user", "content": "Hello"}])
    );
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["temperature"], 0.4);
    assert_eq!(body["p"], 0.99, "clamped to Cohere's range (the mock rejects more)");
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["seed"], 7);
    assert_eq!((body["frequency_penalty"].as_f64(), body["presence_penalty"].as_f64()), (Some(1.0), Some(0.2)));
    for k in ["top_p", "stop", "max_completion_tokens", "user", "n", "logprobs", "stream_options", "kestrel"] {
        assert!(body.get(k).is_none(), "{k} must not reach Cohere: {body}");
    }
}

#[tokio::test]
async fn multi_turn_conversations_keep_their_order() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [
            {"role": "user", "content": "My name is Ada."},
            {"role": "assistant", "content": "Hello Ada."},
            {"role": "user", "content": [{"type": "text", "text": "What is my name?"}]}
        ]})))
        .await
        .unwrap();
    assert!(content(&r).contains("What is my name?"), "{}", content(&r));
    assert_eq!(
        last(&mock).body["messages"],
        json!([{"role": "user", "content": "My name is Ada."}, {"role": "assistant", "content": "Hello Ada."},
               {"role": "user", "content": [{"type": "text", "text": "What is my name?"}]}])
    );

    // Audio has no v2 equivalent: refused before any I/O.
    mock.clear_requests();
    let err = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}]}]})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn tools_round_trip() {
    let (mock, client) = setup(Script::new()).await;
    let first =
        pinned(json!({"messages": [{"role": "user", "content": "Weather in Paris?"}], "tools": [weather_tool()]}));
    let r = client.chat(first).await.unwrap();
    assert_eq!(finish(&r), "tool_calls");
    assert_eq!(r.choices[0].message.content, None);
    let call = r.choices[0].message.tool_calls.clone().unwrap().remove(0);
    assert_eq!(call.function.name, WEATHER);
    assert!(call.id.starts_with(WEATHER), "{}", call.id);
    let args: Value = serde_json::from_str(&call.function.arguments).unwrap();
    assert_eq!(args, json!({"city": "example", "unit": "celsius"}));
    let body = last(&mock).body;
    assert_eq!(body["tools"][0], weather_tool());
    assert!(body.get("tool_choice").is_none(), "auto is Cohere's default");

    let second = pinned(json!({"messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [serde_json::to_value(&call).unwrap()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}
    ], "tools": [weather_tool()]}));
    let r = client.chat(second).await.unwrap();
    assert_eq!(finish(&r), "stop");
    assert!(content(&r).contains("18C and sunny"), "{}", content(&r));
    let msgs = last(&mock).body["messages"].clone();
    assert_eq!(
        msgs[1],
        json!({"role": "assistant", "tool_plan": "Let me check.", "tool_calls": [
            {"id": call.id, "type": "function", "function": {"name": WEATHER, "arguments": call.function.arguments}}]})
    );
    assert_eq!(msgs[2], json!({"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}));

    // A tool plan comes back as the message text, next to the calls.
    mock.set_script(
        Script::new().model(PLUS, Behaviour::tool_call(WEATHER, json!({"city": "Rome"})).text("Checking.")),
    );
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Rome?"}], "tools": [weather_tool()]})))
        .await
        .unwrap();
    assert_eq!((content(&r), finish(&r)), ("Checking.", "tool_calls"));
}

#[tokio::test]
async fn tool_choice_maps_to_cohere_modes() {
    let (mock, client) = setup(Script::new()).await;
    let ping = json!({"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}}});
    let send = |choice: Value| {
        pinned(json!({"messages": [{"role": "user", "content": "x"}], "tools": [weather_tool(), ping],
            "tool_choice": choice}))
    };
    let r = client.chat(send(json!("none"))).await.unwrap();
    assert_eq!(finish(&r), "stop");
    assert_eq!(last(&mock).body["tool_choice"], "NONE");
    client.chat(send(json!("required"))).await.unwrap();
    assert_eq!(last(&mock).body["tool_choice"], "REQUIRED");
    client.chat(send(json!("auto"))).await.unwrap();
    assert!(last(&mock).body.get("tool_choice").is_none());
    let r = client.chat(send(json!({"type": "function", "function": {"name": "ping"}}))).await.unwrap();
    let body = last(&mock).body;
    assert_eq!(body["tool_choice"], "REQUIRED");
    assert_eq!(body["tools"].as_array().unwrap().len(), 1, "only the named tool is offered");
    assert_eq!(r.choices[0].message.tool_calls.as_ref().unwrap()[0].function.name, "ping");
}

#[tokio::test]
async fn json_modes_answer_json_text() {
    let (mock, client) = setup(Script::new()).await;
    let schema = json!({"type": "object", "properties": {"answer": {"type": "integer"}, "why": {"type": "string"}},
        "required": ["answer", "why"]});
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "2+2 as JSON"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "sum", "schema": schema, "strict": true}}})))
        .await
        .unwrap();
    assert_eq!(serde_json::from_str::<Value>(content(&r)).unwrap(), json!({"answer": 1, "why": "example"}));
    assert_eq!(finish(&r), "stop");
    assert_eq!(last(&mock).body["response_format"], json!({"type": "json_object", "json_schema": schema}));

    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "JSON please"}],
            "response_format": {"type": "json_object"}})))
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(content(&r)).unwrap().is_object());
    assert_eq!(last(&mock).body["response_format"], json!({"type": "json_object"}));
}

#[tokio::test]
async fn streaming_text_reassembles_and_ends_with_usage() {
    let (mock, client) = setup(Script::new().model(PLUS, Behaviour::reply("one two three four"))).await;
    let mut r = pinned(json!({"messages": [{"role": "user", "content": "Count"}]}));
    r.stream = Some(true);
    let chunks = collect(&client, r.clone()).await;
    assert_eq!(last(&mock).body["stream"], true);
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert!(chunks.iter().all(|c| c.object == "chat.completion.chunk" && c.id.starts_with("mock-")));
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert_eq!(text, "one two three four");
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("stop"));
    let meta = end.kestrel.as_ref().expect("the last chunk carries kestrel metadata");
    assert_eq!((meta.provider.as_str(), meta.model.as_str()), ("cohere", PLUS));
    assert!(chunks.iter().all(|c| c.usage.is_none()), "usage not asked for");
    let rec = &client.usage().records(None, 1)[0];
    assert!(rec.stream && rec.completion_tokens > 0 && rec.prompt_tokens > 0, "{rec:?}");

    r.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    let chunks = collect(&client, r).await;
    let end = chunks.last().unwrap();
    assert!(end.choices.is_empty() && end.kestrel.is_some());
    assert_eq!(end.usage.as_ref().unwrap().completion_tokens, 4, "the mock's count: 18 chars / 4");
}

#[tokio::test]
async fn streaming_tool_calls_reassemble_by_index() {
    let script = Script::new().model(
        PLUS,
        Behaviour::new()
            .text("Checking both.")
            .with_tool_call(WEATHER, json!({"city": "Paris", "unit": "celsius"}))
            .with_tool_call("ping", json!({})),
    );
    let (_mock, client) = setup(script).await;
    let mut r = pinned(json!({"messages": [{"role": "user", "content": "Weather?"}],
        "tools": [weather_tool(), {"type": "function", "function": {"name": "ping"}}]}));
    r.stream = Some(true);
    let chunks = collect(&client, r).await;
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut text = String::new();
    for choice in chunks.iter().flat_map(|c| &c.choices) {
        text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        for tc in choice.delta.tool_calls.iter().flatten() {
            let i = tc.index as usize;
            if let Some(id) = &tc.id {
                assert_eq!(i, calls.len(), "tool calls are numbered 0, 1, ...");
                assert_eq!(tc.kind.as_deref(), Some("function"));
                let f = tc.function.as_ref().unwrap();
                calls.push((id.clone(), f.name.clone().unwrap(), f.arguments.clone().unwrap_or_default()));
            } else {
                calls[i].2 += tc.function.as_ref().and_then(|f| f.arguments.as_deref()).unwrap_or("");
            }
        }
    }
    assert_eq!(text, "Checking both.", "the tool plan streams as content");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, WEATHER);
    assert_eq!(serde_json::from_str::<Value>(&calls[0].2).unwrap(), json!({"city": "Paris", "unit": "celsius"}));
    assert_eq!((calls[1].1.as_str(), calls[1].2.as_str()), ("ping", "{}"));
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert!(end.kestrel.is_some());
}

#[tokio::test]
async fn request_errors_are_the_requested_models_own() {
    for (status, check) in [
        (400, (|e: &Error| matches!(e, Error::BadRequest { status: 400, .. })) as fn(&Error) -> bool),
        (422, |e| matches!(e, Error::BadRequest { status: 422, .. })),
        (401, |e| matches!(e, Error::Authentication { .. })),
        (498, |e| matches!(e, Error::Authentication { .. })),
        (404, |e| matches!(e, Error::NotFound { .. })),
    ] {
        let (mock, client) = setup(Script::new().default_behaviour(Behaviour::error(status))).await;
        let err = client.chat(easy()).await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        // One substitute, then the requested model, whose own error is raised unretried.
        assert_eq!(mock.requests().len(), 2, "{status}");
        assert!(err.body().unwrap()["message"].is_string(), "Cohere's error body: {:?}", err.body());
    }
    // A wrong key: the mock's 401 with Cohere's message.
    let (_mock, client) = setup(Script::new().require_key("co-other")).await;
    let err = client.chat(easy()).await.unwrap_err();
    assert!(matches!(&err, Error::Authentication { message, .. } if message == "invalid api token"), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_server_errors_fail_over() {
    for (status, kind) in [(429, ErrorKind::RateLimited), (500, ErrorKind::Provider), (503, ErrorKind::Provider)] {
        let (mock, client) = setup(Script::new()).await;
        let first = client.route(&easy()).unwrap().summary(client.catalog()).plan[0].to_string();
        let first_wire = first.as_str();
        mock.set_script(Script::new().model(first_wire, Behaviour::error(status).retry_after(1.0)));
        let r = client.chat(easy()).await.unwrap_or_else(|e| panic!("{status}: {e}"));
        let meta = r.kestrel.unwrap();
        assert_eq!(meta.attempts, 2, "{status}");
        assert_ne!(meta.model, first);
        let models: Vec<String> = mock.requests().iter().map(|q| q.model().unwrap().to_string()).collect();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0], first_wire);
        let rec = &client.usage().records(None, 1)[0];
        assert_eq!(rec.attempts[0].error, Some(kind), "{status}");
    }
}

#[tokio::test]
async fn streams_fail_over_before_the_first_chunk() {
    let stream = || {
        let mut r = easy();
        r.stream = Some(true);
        r
    };
    for bad in [Behaviour::error(429), Behaviour::new().error_type("server_error"), Behaviour::new().malformed_json()] {
        let (mock, client) = setup(Script::new()).await;
        let first = client.route(&easy()).unwrap().summary(client.catalog()).plan[0].to_string();
        let first_wire = first.as_str();
        mock.set_script(Script::new().model(first_wire, bad.clone()));
        let chunks = collect(&client, stream()).await;
        let meta = chunks.last().unwrap().kestrel.clone().unwrap();
        assert_eq!(meta.attempts, 2, "{bad:?}");
        assert_eq!(mock.requests().len(), 2);
    }
    // A stream cut after it started ends with a typed error, never a second answer.
    let (mock, client) = setup(Script::new().default_behaviour(Behaviour::new().cut_after_chunks(2))).await;
    let mut s = client.chat_stream(stream()).await.unwrap();
    let mut text = String::new();
    let mut failed = None;
    while let Some(c) = s.next().await {
        match c {
            Ok(c) => text += c.choices.first().and_then(|c| c.delta.content.as_deref()).unwrap_or(""),
            Err(e) => failed = Some(e),
        }
    }
    assert_eq!(text, "Mock answer ");
    assert!(matches!(failed, Some(Error::StreamInterrupted { .. })), "{failed:?}");
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn finish_reasons_map_to_openai() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Hello there"}], "stop": ["said"]})))
        .await
        .unwrap();
    assert_eq!((finish(&r), content(&r)), ("stop", format!("Mock answer from {PLUS}: you ").as_str()));
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 3})))
        .await
        .unwrap();
    assert_eq!((finish(&r), content(&r)), ("length", "Mock answer "));
    assert_eq!(last(&mock).body["max_tokens"], 3);

    // ERROR is a provider failure (so it fails over when routed), not an answer.
    mock.set_script(Script::new().model(PLUS, Behaviour::reply("partial").finish_reason("ERROR")));
    let err = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap_err();
    assert!(matches!(err, Error::Provider { .. }) && err.is_transient(), "{err:?}");
}

#[tokio::test]
async fn usage_comes_from_token_counts() {
    let (_mock, client) = setup(Script::new().model(PLUS, Behaviour::reply("hi").usage(123, 45))).await;
    let r = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (123, 45, 168));
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.prompt_tokens, rec.completion_tokens), (123, 45));
    assert!(rec.cost_usd > 0.0, "{rec:?}");

    let mut s = pinned(json!({"messages": [{"role": "user", "content": "x"}]}));
    s.stream = Some(true);
    s.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    let chunks = collect(&client, s).await;
    let u = chunks.last().unwrap().usage.clone().unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens), (123, 45));
}
