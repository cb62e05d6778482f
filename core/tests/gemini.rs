//! The native Gemini provider over real HTTP against the mock's Gemini route: what goes on
//! the wire (read back from the mock's record) and what comes back in OpenAI's shape.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, RecordedRequest, Script};
use kestrel_router::types::{ChatChunk, ChatRequest, ChatResponse, Role, StreamOptions};
use kestrel_router::usage::ErrorKind;
use kestrel_router::{Client, Error};
use serde_json::{json, Value};

const KEY: &str = "AIza-test";

/// The mock, and a client whose only provider is Gemini, pointed at it.
async fn setup(script: Script) -> (MockServer, Client) {
    let mock = MockServer::start(script).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("gemini", KEY)
        .base_url("gemini", format!("{}/gemini", mock.url()))
        .timeout(Duration::from_secs(5))
        .max_retries(0)
        .build()
        .unwrap();
    (mock, client)
}

fn req(v: Value) -> ChatRequest {
    ChatRequest::from_value(v).unwrap()
}

/// A request for `gemini-4-argon` that stays on it (no routing).
fn pinned(mut v: Value) -> ChatRequest {
    v["model"] = json!("gemini-4-argon");
    v["kestrel"] = json!({"routing": false});
    req(v)
}

fn last(mock: &MockServer) -> RecordedRequest {
    mock.requests().pop().expect("the mock received a request")
}

/// The model named in a recorded request's path (`…/models/{model}:generateContent`).
fn model_of(r: &RecordedRequest) -> String {
    let rest = r.path.rsplit_once(':').unwrap().0;
    rest.rsplit_once("/models/").unwrap().1.to_string()
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
            "required": ["city", "unit"], "additionalProperties": false}
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

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

#[tokio::test]
async fn plain_request_goes_on_the_wire_as_generate_content() {
    let (mock, client) = setup(Script::new().require_key(KEY)).await;
    let r = client.chat(req(json!({"model": "gemini-4-argon", "messages": [user("What is 2+2?")]}))).await.unwrap();
    let meta = r.kestrel.as_ref().unwrap();
    assert_eq!(meta.provider, "gemini");
    assert_eq!(meta.requested_model, "gemini-4-argon");
    let sent = last(&mock);
    let model = model_of(&sent);
    assert_eq!(meta.model, model);
    assert!(model.starts_with("gemini-"), "{model}");
    assert_eq!(sent.path, format!("/gemini/v1beta/models/{model}:generateContent"));
    assert_eq!(sent.header("x-goog-api-key"), Some(KEY));
    assert_eq!(sent.header("authorization"), None);
    assert_eq!(sent.body, json!({"contents": [{"role": "user", "parts": [{"text": "What is 2+2?"}]}]}));

    assert_eq!(content(&r), format!("Mock answer from {model}: you said \"What is 2+2?\"."));
    assert_eq!(finish(&r), "stop");
    assert_eq!(r.object, "chat.completion");
    assert!(r.id.starts_with("mock-gemini-"), "{}", r.id);
    assert_eq!(r.model, model);
    let u = r.usage.as_ref().unwrap();
    assert!(u.prompt_tokens > 0 && u.completion_tokens > 0 && u.total_tokens == u.prompt_tokens + u.completion_tokens);
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.provider.as_str(), rec.prompt_tokens), ("gemini", u.prompt_tokens));
}

#[tokio::test]
async fn system_prompt_and_sampling_go_to_their_fields() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
            user("Hello")
        ], "temperature": 1.6, "top_p": 0.5, "max_completion_tokens": 300, "stop": ["END"], "seed": 7,
           "user": "user-42", "logprobs": true, "store": true})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "stop");
    let body = last(&mock).body;
    assert_eq!(
        body["systemInstruction"],
        json!({"parts": [{"text": "You are terse."}, {"text": "Answer in French."}]})
    );
    assert_eq!(
        body["generationConfig"],
        json!({"maxOutputTokens": 300, "temperature": 1.6, "topP": 0.5, "stopSequences": ["END"], "seed": 7})
    );
    assert_eq!(body["contents"], json!([{"role": "user", "parts": [{"text": "Hello"}]}]));
    for dropped in ["user", "logprobs", "store", "model", "messages"] {
        assert!(body.get(dropped).is_none(), "{dropped}");
    }
}

#[tokio::test]
async fn multi_turn_merges_roles_and_images_translate() {
    let (mock, client) = setup(Script::new()).await;
    let r = client
        .chat(pinned(json!({"messages": [
            user("Hi"),
            {"role": "assistant", "content": "Hello! How can I help?"},
            user("Look at these."),
            {"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.JPG", "detail": "high"}},
                {"type": "text", "text": "What are they?"}]}
        ]})))
        .await
        .unwrap();
    assert!(content(&r).contains("What are they?"), "{}", content(&r));
    assert_eq!(
        last(&mock).body["contents"],
        json!([
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Hello! How can I help?"}]},
            {"role": "user", "parts": [
                {"text": "Look at these."},
                {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
                {"fileData": {"mimeType": "image/jpeg", "fileUri": "https://example.com/cat.JPG"}},
                {"text": "What are they?"}]}
        ])
    );
}

#[tokio::test]
async fn tools_round_trip() {
    let (mock, client) = setup(Script::new()).await;
    let question = user("Weather in Paris?");
    let r = client
        .chat(pinned(json!({"messages": [question], "tools": [weather_tool()], "tool_choice": "auto"})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "tool_calls");
    assert_eq!(r.choices[0].message.content, None);
    let calls = r.choices[0].message.tool_calls.clone().unwrap();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, "call_0");
    assert_eq!((calls[0].kind.as_str(), calls[0].function.name.as_str()), ("function", WEATHER));
    let args: Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
    assert_eq!(args, json!({"city": "example", "unit": "celsius"}));
    let body = last(&mock).body;
    assert_eq!(
        body["tools"],
        json!([{"functionDeclarations": [{"name": WEATHER, "description": "Current weather for a city.",
            "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"},
                "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]}}, "required": ["city", "unit"]}}]}])
    );
    assert_eq!(body["toolConfig"], json!({"functionCallingConfig": {"mode": "AUTO"}}));

    let assistant = json!({"role": "assistant", "content": null, "tool_calls": [
        {"id": calls[0].id, "type": "function", "function": {"name": WEATHER, "arguments": calls[0].function.arguments}},
        {"id": "call_1", "type": "function", "function": {"name": WEATHER, "arguments": "{\"city\":\"Rome\",\"unit\":\"celsius\"}"}}
    ]});
    let r = client
        .chat(pinned(json!({"messages": [question, assistant,
            {"role": "tool", "tool_call_id": calls[0].id, "content": "{\"temp\": 18, \"sky\": \"sunny\"}"},
            {"role": "tool", "tool_call_id": "call_1", "content": "24 degrees"}
        ], "tools": [weather_tool()]})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "stop");
    assert!(content(&r).contains("24 degrees"), "{}", content(&r));
    let contents = last(&mock).body["contents"].clone();
    assert_eq!(contents.as_array().unwrap().len(), 3);
    assert_eq!(
        contents[1],
        json!({"role": "model", "parts": [
            {"functionCall": {"name": WEATHER, "args": {"city": "example", "unit": "celsius"}}},
            {"functionCall": {"name": WEATHER, "args": {"city": "Rome", "unit": "celsius"}}}]})
    );
    assert_eq!(
        contents[2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": WEATHER, "response": {"temp": 18, "sky": "sunny"}}},
            {"functionResponse": {"name": WEATHER, "response": {"result": "24 degrees"}}}]})
    );

    // tool_choice modes.
    let choice = |c: Value| pinned(json!({"messages": [question], "tools": [weather_tool()], "tool_choice": c}));
    for (c, want) in [
        (json!("none"), json!({"mode": "NONE"})),
        (json!("required"), json!({"mode": "ANY"})),
        (
            json!({"type": "function", "function": {"name": WEATHER}}),
            json!({"mode": "ANY", "allowedFunctionNames": [WEATHER]}),
        ),
    ] {
        client.chat(choice(c)).await.unwrap();
        assert_eq!(last(&mock).body["toolConfig"]["functionCallingConfig"], want);
    }
}

#[tokio::test]
async fn json_modes_set_the_response_mime_type_and_schema() {
    let (mock, client) = setup(Script::new()).await;
    let schema = json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
        "name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}
    }, "required": ["name", "age", "tags"], "additionalProperties": false});
    let r = client
        .chat(pinned(json!({"messages": [user("Describe Ana, 31.")],
            "response_format": {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": true}}})))
        .await
        .unwrap();
    assert_eq!(finish(&r), "stop");
    let v: Value = serde_json::from_str(content(&r)).unwrap();
    assert_eq!(v, json!({"name": "example", "age": 1, "tags": ["example"]}));
    let config = last(&mock).body["generationConfig"].clone();
    assert_eq!(
        config,
        json!({"responseMimeType": "application/json", "responseSchema": {"type": "OBJECT", "properties": {
            "name": {"type": "STRING"}, "age": {"type": "INTEGER"}, "tags": {"type": "ARRAY", "items": {"type": "STRING"}}
        }, "required": ["name", "age", "tags"]}})
    );

    let r = client
        .chat(pinned(json!({"messages": [user("Reply in JSON.")], "response_format": {"type": "json_object"}})))
        .await
        .unwrap();
    assert!(serde_json::from_str::<Value>(content(&r)).unwrap().is_object(), "{}", content(&r));
    assert_eq!(last(&mock).body["generationConfig"], json!({"responseMimeType": "application/json"}));
}

#[tokio::test]
async fn streaming_text_reassembles_and_ends_with_usage() {
    let (mock, client) = setup(Script::new().model("gemini-4-argon", Behaviour::reply("one two three four"))).await;
    let mut r = pinned(json!({"messages": [user("Count")]}));
    r.stream = Some(true);
    let chunks = collect(&client, r.clone()).await;
    let sent = last(&mock);
    assert_eq!(sent.path, "/gemini/v1beta/models/gemini-4-argon:streamGenerateContent");
    assert_eq!(sent.query.as_deref(), Some("alt=sse"));
    assert!(sent.body.get("stream").is_none());
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert!(chunks.iter().all(|c| c.object == "chat.completion.chunk" && c.id.starts_with("mock-gemini-")));
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert_eq!(text, "one two three four");
    assert!(chunks.len() >= 5, "a chunk per word: {chunks:#?}");
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("stop"));
    let meta = end.kestrel.as_ref().expect("the last chunk carries kestrel metadata");
    assert_eq!((meta.provider.as_str(), meta.model.as_str()), ("gemini", "gemini-4-argon"));
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
async fn streaming_tool_calls_arrive_whole_by_index() {
    let script = Script::new().model(
        "gemini-4-argon",
        Behaviour::new()
            .text("Checking both.")
            .with_tool_call(WEATHER, json!({"city": "Paris", "unit": "celsius"}))
            .with_tool_call("ping", json!({})),
    );
    let (_mock, client) = setup(script).await;
    let mut r = pinned(json!({"messages": [user("Weather?")],
        "tools": [weather_tool(), {"type": "function", "function": {"name": "ping"}}]}));
    r.stream = Some(true);
    let chunks = collect(&client, r).await;
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut text = String::new();
    for choice in chunks.iter().flat_map(|c| &c.choices) {
        text.push_str(choice.delta.content.as_deref().unwrap_or(""));
        for tc in choice.delta.tool_calls.iter().flatten() {
            assert_eq!(tc.index as usize, calls.len(), "tool calls are numbered 0, 1, ...");
            assert_eq!(tc.kind.as_deref(), Some("function"));
            let f = tc.function.as_ref().unwrap();
            calls.push((tc.id.clone().unwrap(), f.name.clone().unwrap(), f.arguments.clone().unwrap()));
        }
    }
    assert_eq!(text, "Checking both.");
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].0.as_str(), calls[0].1.as_str()), ("call_0", WEATHER));
    assert_eq!(serde_json::from_str::<Value>(&calls[0].2).unwrap(), json!({"city": "Paris", "unit": "celsius"}));
    assert_eq!((calls[1].0.as_str(), calls[1].1.as_str(), calls[1].2.as_str()), ("call_1", "ping", "{}"));
    let end = chunks.last().unwrap();
    assert_eq!(end.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert!(end.kestrel.is_some());
}

#[tokio::test]
async fn request_errors_are_the_requested_models_own() {
    for (status, name, check) in [
        (
            400,
            "INVALID_ARGUMENT",
            (|e: &Error| matches!(e, Error::BadRequest { status: 400, .. })) as fn(&Error) -> bool,
        ),
        (401, "UNAUTHENTICATED", |e| matches!(e, Error::Authentication { .. })),
        (403, "PERMISSION_DENIED", |e| matches!(e, Error::PermissionDenied { .. })),
        (404, "NOT_FOUND", |e| matches!(e, Error::NotFound { .. })),
    ] {
        let (mock, client) = setup(Script::new().default_behaviour(Behaviour::error(status))).await;
        let err =
            client.chat(req(json!({"model": "gemini-4-argon", "messages": [user("What is 2+2?")]}))).await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        // One substitute, then the requested model, whose own error is raised unretried.
        assert_eq!(mock.requests().len(), 2, "{status}");
        let body = err.body().unwrap();
        assert_eq!(
            (body["error"]["code"].as_u64(), body["error"]["status"].as_str()),
            (Some(status as u64), Some(name))
        );
    }
    let (_mock, client) = setup(Script::new().model("gemini-4-argon", Behaviour::error(404))).await;
    let err = client.chat(pinned(json!({"messages": [user("x")]}))).await.unwrap_err();
    assert!(err.to_string().contains("models/gemini-4-argon is not found"), "{err}");

    // A wrong key: the API's 400 "API key not valid".
    let (_mock, client) = setup(Script::new().require_key("AIza-other")).await;
    let err = client.chat(pinned(json!({"messages": [user("x")]}))).await.unwrap_err();
    assert!(matches!(&err, Error::BadRequest { message, .. } if message.starts_with("API key not valid")), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_unavailable_fail_over() {
    for (status, kind) in [(429, ErrorKind::RateLimited), (503, ErrorKind::Provider), (500, ErrorKind::Provider)] {
        // Whichever model the plan tries first fails once; the next one answers.
        let (mock, client) = setup(Script::new()).await;
        client.chat(req(json!({"model": "gemini-4-argon", "messages": [user("What is 2+2?")]}))).await.unwrap();
        let first = model_of(&last(&mock));
        mock.clear_requests();
        mock.set_script(Script::new().model(first.clone(), Behaviour::error(status)));
        let r = client
            .chat(req(json!({"model": "gemini-4-argon", "messages": [user("What is 2+2?")]})))
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));
        let meta = r.kestrel.unwrap();
        assert_eq!(meta.attempts, 2, "{status}");
        let models: Vec<String> = mock.requests().iter().map(model_of).collect();
        assert_eq!(models.len(), 2);
        assert_eq!(models[0], first);
        assert_ne!(models[1], first);
        assert_eq!(meta.model, models[1]);
        let rec = &client.usage().records(None, 1)[0];
        assert_eq!(rec.attempts[0].error, Some(kind), "{status}");
    }
}

#[tokio::test]
async fn streams_fail_over_on_errors_before_the_first_chunk() {
    let (mock, client) = setup(Script::new()).await;
    client.chat(req(json!({"model": "gemini-4-argon", "messages": [user("Hi")]}))).await.unwrap();
    let first = model_of(&last(&mock));
    // A 200 whose first event is a RESOURCE_EXHAUSTED error body.
    mock.set_script(Script::new().model(first.clone(), Behaviour::new().error_type("RESOURCE_EXHAUSTED")));
    mock.clear_requests();
    let mut r = req(json!({"model": "gemini-4-argon", "messages": [user("Hi")]}));
    r.stream = Some(true);
    let chunks = collect(&client, r).await;
    let models: Vec<String> = mock.requests().iter().map(model_of).collect();
    assert_eq!(models.len(), 2, "{models:?}");
    assert_ne!(models[1], first);
    let text: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.as_deref()).collect();
    assert!(text.starts_with("Mock answer"), "{text}");
}

#[tokio::test]
async fn broken_answers_are_errors() {
    let (_mock, client) =
        setup(Script::new().model("gemini-4-argon", Behaviour::reply("a b c").malformed_json())).await;
    let err = client.chat(pinned(json!({"messages": [user("x")]}))).await.unwrap_err();
    assert!(matches!(err, Error::Provider { .. }), "{err:?}");

    let (_mock, client) =
        setup(Script::new().model("gemini-4-argon", Behaviour::reply("one two three four").cut_after_chunks(2))).await;
    let mut r = pinned(json!({"messages": [user("x")]}));
    r.stream = Some(true);
    let mut s = client.chat_stream(r).await.unwrap();
    let mut text = String::new();
    let mut failed = false;
    while let Some(c) = s.next().await {
        match c {
            Ok(c) => text.extend(c.choices.iter().filter_map(|c| c.delta.content.clone())),
            Err(_) => failed = true,
        }
    }
    assert!(failed, "a cut stream ends in an error");
    assert_eq!(text, "one two ");
}

#[tokio::test]
async fn finish_reasons_map() {
    let (mock, client) = setup(Script::new()).await;
    for (scripted, want) in
        [("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter")]
    {
        mock.set_script(Script::new().model("gemini-4-argon", Behaviour::reply("text").finish_reason(scripted)));
        let r = client.chat(pinned(json!({"messages": [user("x")]}))).await.unwrap();
        assert_eq!(finish(&r), want, "{scripted}");
        let mut s = pinned(json!({"messages": [user("x")]}));
        s.stream = Some(true);
        let chunks = collect(&client, s).await;
        let f = chunks.iter().flat_map(|c| &c.choices).find_map(|c| c.finish_reason.as_deref());
        assert_eq!(f, Some(want), "{scripted} streamed");
    }
    // The mock cuts the text at maxOutputTokens, as the API does.
    mock.set_script(Script::new());
    let r = client.chat(pinned(json!({"messages": [user("Tell me a long story")], "max_tokens": 2}))).await.unwrap();
    assert_eq!((finish(&r), content(&r)), ("length", "Mock ans"));
}

#[tokio::test]
async fn usage_counts_cached_tokens() {
    let (mock, client) = setup(Script::new().model("gemini-4-argon", Behaviour::reply("hello").usage(120, 9))).await;
    let r = client.chat(pinned(json!({"messages": [user("x")]}))).await.unwrap();
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (120, 9, 129, 0));

    // A request naming a context cache (a Gemini field, passed through to the addressed
    // provider) reports cached tokens, counted in the prompt as OpenAI's are.
    let r = client.chat(pinned(json!({"messages": [user("x")], "cachedContent": "cachedContents/abc"}))).await.unwrap();
    assert_eq!(last(&mock).body["cachedContent"], "cachedContents/abc");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.cached_tokens()), (120, 60));
    let rec = &client.usage().records(None, 1)[0];
    assert_eq!((rec.prompt_tokens, rec.completion_tokens), (120, 9));
}
