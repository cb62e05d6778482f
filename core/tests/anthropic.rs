//! The native Anthropic provider over real HTTP against the mock's Messages API: what goes
//! on the wire (read back from the mock's record) and what comes back in OpenAI's shape.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, RecordedRequest, Script};
use kestrel_router::types::{ChatChunk, ChatRequest, ChatResponse};
use kestrel_router::usage::ErrorKind;
use kestrel_router::{Client, Error};
use serde_json::{json, Value};

const KEY: &str = "sk-ant-test";

/// The mock, and a client whose only provider is Anthropic, pointed at it.
async fn setup(script: Script) -> (MockServer, Client) {
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, |b| b);
    (mock, client)
}

fn client_for(
    mock: &MockServer,
    tweak: impl FnOnce(kestrel_router::ClientBuilder) -> kestrel_router::ClientBuilder,
) -> Client {
    let b = Client::builder()
        .from_env(false)
        .api_key("anthropic", KEY)
        .base_url("anthropic", format!("{}/anthropic", mock.url()))
        .timeout(Duration::from_secs(5))
        .max_retries(0);
    tweak(b).build().unwrap()
}

fn req(v: Value) -> ChatRequest {
    ChatRequest::from_value(v).unwrap()
}

/// A request for `claude-sonnet-4-6` that stays on it (no routing).
fn pinned(mut v: Value) -> ChatRequest {
    v["model"] = json!("claude-sonnet-4-6");
    v["kestrel"] = json!({"routing": false});
    req(v)
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
async fn plain_request_goes_on_the_wire_as_a_message() {
    let (mock, client) = setup(Script::new().require_key(KEY)).await;
    let r = client
        .chat(req(json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]})))
        .await
        .unwrap();
    let meta = r.kestrel.as_ref().unwrap();
    assert_eq!((meta.provider.as_str(), meta.model.as_str()), ("anthropic", "claude-haiku-5-5"));
    assert_eq!(meta.requested_model, "claude-sonnet-4-6");
    assert!(meta.saved_usd > 0.0, "{meta:?}");
    assert_eq!(content(&r), "Mock answer from claude-haiku-5-5: you said \"What is 2+2?\".");
    assert_eq!(finish(&r), "stop");
    assert_eq!(r.object, "chat.completion");
    assert!(r.id.starts_with("msg_"), "{}", r.id);
    assert_eq!(r.model, "claude-haiku-5-5");
    let u = r.usage.as_ref().unwrap();
    assert!(u.prompt_tokens > 0 && u.completion_tokens > 0 && u.total_tokens == u.prompt_tokens + u.completion_tokens);

    let sent = last(&mock);
    assert_eq!(sent.path, "/anthropic/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(
        sent.body,
        json!({"model": "claude-haiku-5-5", "max_tokens": 8192,
               "messages": [{"role": "user", "content": "What is 2+2?"}]})
    );
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.provider.as_str(), rec.prompt_tokens), ("anthropic", u.prompt_tokens));
}

#[tokio::test]
async fn system_and_developer_messages_become_the_system_prompt() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            {"role": "user", "content": "Hello"}
        ], "temperature": 1.6, "top_p": 0.5, "max_completion_tokens": 300, "user": "user-42",
           "seed": 1, "frequency_penalty": 0.3, "logprobs": true, "n": 1, "store": true})))
        .await
        .unwrap();
    assert!(content(&r).contains("claude-sonnet-4-6"), "{}", content(&r));
    let body = last(&mock).body;
    assert_eq!(body["system"], "You are terse.\n\nAnswer in French.");
    assert_eq!(body["messages"], json!([{"role": "user", "content": "Hello"}]));
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["temperature"], 1.0, "clamped to Anthropic's maximum (the mock rejects more)");
    assert_eq!(body["top_p"], 0.5);
    assert_eq!(body["metadata"], json!({"user_id": "user-42"}));
    for k in ["seed", "frequency_penalty", "logprobs", "n", "store", "user", "max_completion_tokens", "kestrel"] {
        assert!(body.get(k).is_none(), "{k} must not reach Anthropic: {body}");
    }
}

#[tokio::test]
async fn consecutive_turns_merge_and_images_translate() {
    let (mock, client) = setup(Script::new()).await;
    client
        .chat(pinned(json!({"messages": [
            {"role": "user", "content": "First."},
            {"role": "user", "content": [
                {"type": "text", "text": "What is in these pictures?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==", "detail": "high"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
            ]},
            {"role": "assistant", "content": "A cat"},
            {"role": "assistant", "content": "and a dog."},
            {"role": "user", "content": "Which is bigger?"}
        ]})))
        .await
        .unwrap();
    let body = last(&mock).body;
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [
                {"type": "text", "text": "First."},
                {"type": "text", "text": "What is in these pictures?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg=="}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
            ]},
            {"role": "assistant", "content": [{"type": "text", "text": "A cat"}, {"type": "text", "text": "and a dog."}]},
            {"role": "user", "content": "Which is bigger?"}
        ])
    );

    let err = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "ftp://example.com/x.png"}}]}]})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { field, .. } if field == "messages[0].content[0].image_url.url"),
        "{err}"
    );
}

#[tokio::test]
async fn tools_round_trip() {
    let (mock, client) = setup(Script::new()).await;
    let question = json!({"role": "user", "content": "Weather in Paris?"});
    let r = client.chat(pinned(json!({"messages": [question], "tools": [weather_tool()]}))).await.unwrap();
    assert_eq!(finish(&r), "tool_calls");
    assert_eq!(r.choices[0].message.content, None);
    let calls = r.choices[0].message.tool_calls.clone().unwrap();
    assert_eq!(calls.len(), 1);
    assert!(calls[0].id.starts_with("toolu_"), "{}", calls[0].id);
    assert_eq!((calls[0].kind.as_str(), calls[0].function.name.as_str()), ("function", WEATHER));
    let args: Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
    assert_eq!(args, json!({"city": "example", "unit": "celsius"}));
    assert_eq!(
        last(&mock).body["tools"],
        json!([{"name": WEATHER, "description": "Current weather for a city.",
                "input_schema": weather_tool()["function"]["parameters"]}])
    );

    // The results go back: the mock (like the API) insists every tool_use is answered by
    // a tool_result in the next user turn.
    let assistant = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": calls[0].id, "type": "function", "function": {"name": WEATHER, "arguments": calls[0].function.arguments}},
        {"id": "toolu_second", "type": "function", "function": {"name": WEATHER, "arguments": "{\"city\":\"Rome\",\"unit\":\"celsius\"}"}}
    ]});
    let r = client
        .chat(pinned(json!({"messages": [question, assistant,
            {"role": "tool", "tool_call_id": calls[0].id, "content": "18 degrees, sunny"},
            {"role": "tool", "tool_call_id": "toolu_second", "content": "24 degrees"}
        ], "tools": [weather_tool()]})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "stop");
    assert!(content(&r).contains("24 degrees"), "{}", content(&r));
    let msgs = last(&mock).body["messages"].clone();
    assert_eq!(msgs.as_array().unwrap().len(), 3);
    assert_eq!(
        msgs[1]["content"],
        json!([
            {"type": "tool_use", "id": calls[0].id, "name": WEATHER, "input": {"city": "example", "unit": "celsius"}},
            {"type": "tool_use", "id": "toolu_second", "name": WEATHER, "input": {"city": "Rome", "unit": "celsius"}}
        ])
    );
    assert_eq!(
        msgs[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": calls[0].id, "content": "18 degrees, sunny"},
            {"type": "tool_result", "tool_use_id": "toolu_second", "content": "24 degrees"}
        ]})
    );
}

#[tokio::test]
async fn tool_choice_maps_to_anthropic_modes() {
    let (mock, client) = setup(Script::new()).await;
    let other = json!({"type": "function", "function": {"name": "lookup", "parameters": {"type": "object",
        "properties": {"q": {"type": "string"}}, "required": ["q"]}}});
    let cases = [
        (json!("auto"), None, json!({"type": "auto"})),
        (json!("none"), None, json!({"type": "none"})),
        (json!("required"), None, json!({"type": "any"})),
        (json!({"type": "function", "function": {"name": "lookup"}}), None, json!({"type": "tool", "name": "lookup"})),
        (json!("auto"), Some(false), json!({"type": "auto", "disable_parallel_tool_use": true})),
        (Value::Null, Some(false), json!({"type": "auto", "disable_parallel_tool_use": true})),
    ];
    for (choice, parallel, want) in cases {
        let mut r = json!({"messages": [{"role": "user", "content": "Go"}], "tools": [weather_tool(), other]});
        if !choice.is_null() {
            r["tool_choice"] = choice.clone();
        }
        if let Some(p) = parallel {
            r["parallel_tool_calls"] = json!(p);
        }
        let resp = client.chat(pinned(r)).await.unwrap();
        assert_eq!(last(&mock).body["tool_choice"], want, "{choice}");
        let called: Vec<String> =
            resp.choices[0].message.tool_calls.iter().flatten().map(|c| c.function.name.clone()).collect();
        match want["type"].as_str() {
            Some("none") => assert!(called.is_empty()),
            Some("tool") => assert_eq!(called, ["lookup"]),
            _ => assert_eq!(called, [WEATHER]),
        }
    }
}

#[tokio::test]
async fn json_schema_mode_answers_json_text() {
    let (mock, client) = setup(Script::new()).await;
    let schema = json!({"type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}
    }, "required": ["name", "age", "tags"], "additionalProperties": false});
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Describe Ana, 31."}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": true}}})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "stop");
    assert!(r.choices[0].message.tool_calls.is_none());
    let v: Value = serde_json::from_str(content(&r)).unwrap();
    assert_eq!(v, json!({"name": "example", "age": 1, "tags": ["example"]}));
    let body = last(&mock).body;
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "person"}));
    assert_eq!(body["tools"][0]["input_schema"], schema);
    assert_eq!(body["tools"][0]["strict"], true);
    assert!(body.get("response_format").is_none());

    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Reply in JSON."}],
            "response_format": {"type": "json_object"}})))
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(content(&r)).unwrap().is_object(), "{}", content(&r));
    assert_eq!(last(&mock).body["tool_choice"], json!({"type": "tool", "name": "json_response"}));

    // Streamed, the tool's input arrives as content.
    let mut streamed = pinned(json!({"messages": [{"role": "user", "content": "Describe Ana."}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}}));
    streamed.stream = Some(true);
    let chunks = collect(&client, streamed).await;
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"name": "example", "age": 1, "tags": ["example"]})
    );
    assert!(chunks.iter().flat_map(|c| &c.choices).all(|c| c.delta.tool_calls.is_none()));
    let finish = chunks.iter().flat_map(|c| &c.choices).find_map(|c| c.finish_reason.as_deref());
    assert_eq!(finish, Some("stop"));
}

#[tokio::test]
async fn streaming_text_reassembles_and_ends_with_metadata() {
    let (mock, client) = setup(Script::new().model("claude-sonnet-4-6", Behaviour::reply("one two three four"))).await;
    let mut r = pinned(json!({"messages": [{"role": "user", "content": "Count"}]}));
    r.stream = Some(true);
    let chunks = collect(&client, r.clone()).await;
    assert_eq!(last(&mock).body["stream"], true);
    assert_eq!(chunks[0].choices[0].delta.role, Some(kestrel_router::types::Role::Assistant));
    assert!(chunks.iter().all(|c| c.object == "chat.completion.chunk" && c.id.starts_with("msg_")));
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert_eq!(text, "one two three four");
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("stop"));
    let meta = end.kestrel.as_ref().expect("the last chunk carries kestrel metadata");
    assert_eq!((meta.provider.as_str(), meta.model.as_str()), ("anthropic", "claude-sonnet-4-6"));
    assert!(chunks.iter().all(|c| c.usage.is_none()), "usage not asked for");
    let rec = &client.usage().records(None, 1)[0];
    assert!(rec.stream && rec.completion_tokens > 0 && rec.prompt_tokens > 0, "{rec:?}");

    r.stream_options = Some(kestrel_router::types::StreamOptions { include_usage: Some(true), ..Default::default() });
    let chunks = collect(&client, r).await;
    let end = chunks.last().unwrap();
    assert!(end.choices.is_empty() && end.kestrel.is_some());
    assert_eq!(end.usage.as_ref().unwrap().completion_tokens, 4, "the mock's count: 18 chars / 4");
}

#[tokio::test]
async fn streaming_tool_calls_reassemble_by_index() {
    let script = Script::new().model(
        "claude-sonnet-4-6",
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
                assert_eq!(f.arguments.as_deref(), Some(""), "the header carries empty arguments");
                calls.push((id.clone(), f.name.clone().unwrap(), String::new()));
            } else {
                calls[i].2 += tc.function.as_ref().and_then(|f| f.arguments.as_deref()).unwrap_or("");
            }
        }
    }
    assert_eq!(text, "Checking both.");
    assert_eq!(calls.len(), 2);
    assert!(calls[0].0.starts_with("toolu_") && calls[0].1 == WEATHER);
    assert_eq!(serde_json::from_str::<Value>(&calls[0].2).unwrap(), json!({"city": "Paris", "unit": "celsius"}));
    assert_eq!(calls[1].1, "ping");
    assert_eq!(calls[1].2, "{}");
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert!(end.kestrel.is_some());
}

#[tokio::test]
async fn substitute_errors_move_on_to_the_requested_model() {
    // Whatever a substitute answers, the call ends on the requested model, as a direct call
    // would have; a rejected key and an unknown model are remembered.
    for status in [400, 401, 403, 404] {
        let (mock, client) = setup(Script::new().model("claude-haiku-5-5", Behaviour::error(status))).await;
        let r = client
            .chat(req(json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]})))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        let meta = r.kestrel.unwrap();
        assert_eq!((meta.model.as_str(), meta.attempts), ("claude-sonnet-4-6", 2), "{status}");
        let models: Vec<String> = mock.requests().iter().map(|q| q.model().unwrap().to_string()).collect();
        assert_eq!(models, ["claude-haiku-5-5", "claude-sonnet-4-6"], "{status}");
        let health = client.health().into_iter().find(|h| h.provider == "anthropic").unwrap();
        assert_eq!(health.key_rejected, status == 401 || status == 403, "{status}");
        assert_eq!(health.retired_models, if status == 404 { vec!["claude-haiku-5-5"] } else { vec![] }, "{status}");
    }
}

#[tokio::test]
async fn the_requested_models_own_errors_are_typed_and_not_retried() {
    for (status, check) in [
        (400, (|e: &Error| matches!(e, Error::BadRequest { status: 400, .. })) as fn(&Error) -> bool),
        (401, |e| matches!(e, Error::Authentication { .. })),
        (403, |e| matches!(e, Error::PermissionDenied { .. })),
        (404, |e| matches!(e, Error::NotFound { .. })),
    ] {
        let (mock, client) = setup(Script::new().model("claude-sonnet-4-6", Behaviour::error(status))).await;
        let err = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert_eq!(mock.requests().len(), 1, "{status}: not retried");
        let body = err.body().unwrap();
        assert_eq!(body["type"], "error");
        assert!(body["error"]["type"].as_str().unwrap().ends_with("_error"), "{body}");
    }
    let err_404 = {
        let (_mock, client) = setup(Script::new().model("claude-sonnet-4-6", Behaviour::error(404))).await;
        client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap_err()
    };
    assert!(err_404.to_string().contains("model: claude-sonnet-4-6"), "{err_404}");

    // A wrong key: the mock's 401 authentication_error, with its message.
    let (_mock, client) = setup(Script::new().require_key("sk-ant-other")).await;
    let err = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap_err();
    assert!(matches!(&err, Error::Authentication { message, .. } if message == "invalid x-api-key"), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_overload_fail_over() {
    for (status, kind) in [(429, ErrorKind::RateLimited), (529, ErrorKind::Provider), (500, ErrorKind::Provider)] {
        let mut bad = Behaviour::error(status);
        if status == 429 {
            bad = bad.retry_after(2.0);
        }
        let (mock, client) = setup(Script::new().model("claude-haiku-5-5", bad)).await;
        let r = client
            .chat(req(json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]})))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        let meta = r.kestrel.unwrap();
        assert_eq!((meta.model.as_str(), meta.attempts), ("claude-sonnet-4-6", 2), "{status}");
        let models: Vec<String> = mock.requests().iter().map(|q| q.model().unwrap().to_string()).collect();
        assert_eq!(models, ["claude-haiku-5-5", "claude-sonnet-4-6"]);
        let rec = &client.usage().records(None, 1)[0];
        assert_eq!(rec.attempts[0].error, Some(kind), "{status}");
        if status == 429 {
            // Retry-After keeps the model out for the wait.
            mock.clear_requests();
            client
                .chat(req(
                    json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]}),
                ))
                .await
                .unwrap();
            assert_ne!(mock.requests()[0].model(), Some("claude-haiku-5-5"));
        }
    }
}

#[tokio::test]
async fn other_providers_fail_over_to_haiku() {
    // OpenAI's cheaper models come first in the plan; when they are all rate limited, the
    // request ends on Anthropic's haiku, through this provider.
    let mock = MockServer::start(Script::new().default_behaviour(Behaviour::error(429))).await.unwrap();
    let client =
        client_for(&mock, |b| b.api_key("openai", "sk-openai").base_url("openai", format!("{}/openai/v1", mock.url())));
    let request = req(json!({"model": "claude-haiku-5-5", "messages": [{"role": "user", "content": "What is 2+2?"}]}));
    let plan = client.route(&request).unwrap().summary(client.catalog()).plan.join(",");
    assert!(plan.starts_with("gpt-") && plan.ends_with("claude-haiku-5-5"), "{plan}");
    mock.set_script(Script::new().default_behaviour(Behaviour::error(429)).model("claude-haiku-5-5", Behaviour::new()));
    let r = client.chat(request).await.unwrap();
    let meta = r.kestrel.unwrap();
    assert_eq!((meta.provider.as_str(), meta.model.as_str()), ("anthropic", "claude-haiku-5-5"));
    assert!(meta.attempts >= 2, "{meta:?}");
    assert_eq!(last(&mock).path, "/anthropic/v1/messages");
}

#[tokio::test]
async fn streams_fail_over_on_errors_before_the_first_chunk() {
    let easy = || {
        let mut r =
            req(json!({"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "What is 2+2?"}]}));
        r.stream = Some(true);
        r
    };
    // 529 before the stream, an `error` event right after message_start, a broken event.
    for bad in
        [Behaviour::error(529), Behaviour::new().error_type("overloaded_error"), Behaviour::new().malformed_json()]
    {
        let (mock, client) = setup(Script::new().model("claude-haiku-5-5", bad.clone())).await;
        let chunks = collect(&client, easy()).await;
        let meta = chunks.last().unwrap().kestrel.clone().unwrap();
        assert_eq!((meta.model.as_str(), meta.attempts), ("claude-sonnet-4-6", 2), "{bad:?}");
        assert_eq!(mock.requests().len(), 2);
    }
    // A stream cut after it started ends with a typed error, never a second answer.
    let (mock, client) = setup(Script::new().model("claude-haiku-5-5", Behaviour::new().cut_after_chunks(2))).await;
    let mut s = client.chat_stream(easy()).await.unwrap();
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
async fn stop_sequences_and_limits_set_the_finish_reason() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Hello there"}], "stop": ["said"]})))
        .await
        .unwrap();
    assert_eq!((finish(&r), content(&r)), ("stop", "Mock answer from claude-sonnet-4-6: you "));
    assert_eq!(last(&mock).body["stop_sequences"], json!(["said"]));

    let r = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "Hello there"}], "max_tokens": 3})))
        .await
        .unwrap();
    assert_eq!((finish(&r), content(&r)), ("length", "Mock answer "));
    assert_eq!(last(&mock).body["max_tokens"], 3);

    mock.set_script(Script::new().model("claude-sonnet-4-6", Behaviour::reply("").finish_reason("refusal")));
    let r = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap();
    assert_eq!(finish(&r), "content_filter");
}

#[tokio::test]
async fn usage_counts_prompt_cache_reads_and_writes() {
    let (mock, client) = setup(Script::new()).await;
    let document = "A long reference document. ".repeat(40);
    let ask = |q: &str| {
        pinned(json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": document, "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": q}
        ]}]}))
    };
    let first = client.chat(ask("Summarize it.")).await.unwrap();
    assert_eq!(last(&mock).body["messages"][0]["content"][0]["cache_control"], json!({"type": "ephemeral"}));
    let u1 = first.usage.unwrap();
    assert_eq!(u1.cached_tokens(), 0);
    assert_eq!(u1.extra["cache_creation_input_tokens"], 270, "1080 characters / 4");

    let second = client.chat(ask("List its points.")).await.unwrap();
    let u2 = second.usage.unwrap();
    assert_eq!(u2.cached_tokens(), 270);
    assert!(u2.prompt_tokens > 270, "input + cache reads + cache writes: {u2:?}");
    assert_eq!(u2.total_tokens, u2.prompt_tokens + u2.completion_tokens);
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.cached_tokens, rec.prompt_tokens), (270, u2.prompt_tokens));

    // Scripted counts come back as they were sent.
    mock.set_script(Script::new().model("claude-sonnet-4-6", Behaviour::reply("ok").usage(1234, 56)));
    let u = client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap().usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (1234, 56, 1290));
}

#[tokio::test]
async fn a_caller_pinned_api_version_wins() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock, |b| b.default_header("anthropic-version", "2026-10-21").unwrap());
    client.chat(pinned(json!({"messages": [{"role": "user", "content": "x"}]}))).await.unwrap();
    assert_eq!(last(&mock).header("anthropic-version"), Some("2026-10-21"));
    // That version takes no sampling parameters (the mock answers as the API does).
    let err = client
        .chat(pinned(json!({"messages": [{"role": "user", "content": "x"}], "temperature": 0.5})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::BadRequest { message, .. } if message == "temperature: Extra inputs are not permitted")
    );
}
