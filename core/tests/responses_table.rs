//! The Responses API through every provider family Kestrel translates for, each model
//! addressed directly (`kestrel: {routing: false}`), against the mock over real HTTP: the
//! same table the chat translation has (`providers_table.rs`), in the Responses shape,
//! whole and streamed.
//!
//! | case                         | openai | anthropic | gemini | cohere |
//! |------------------------------|--------|-----------|--------|--------|
//! | text (string input)          | yes    | yes       | yes    | yes    |
//! | instructions                 | yes    | yes       | yes    | yes    |
//! | multi-turn input items       | yes    | yes       | yes    | yes    |
//! | function tool + output round | yes    | yes       | yes    | yes    |
//! | json_schema text format      | yes    | yes       | yes    | yes    |
//! | previous_response_id         | yes    | yes       | yes    | yes    |
//!
//! Every case runs whole and streamed; the stream's events are checked for order,
//! sequence numbers and that they say what the whole answer says.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{MockServer, Script};
use kestrel_router::responses::{OutputContent, OutputItem, Response, ResponseStreamEvent, ResponsesRequest};
use kestrel_router::{Client, Error};
use serde_json::{json, Value};

/// (provider, model).
const PROVIDERS: [(&str, &str); 4] = [
    ("openai", "gpt-4o"),
    ("anthropic", "claude-sonnet-4-6"),
    ("gemini", "gemini-4-argon"),
    ("cohere", "command-r-plus-08-2024"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    Text,
    Instructions,
    MultiTurn,
    Tools,
    JsonSchema,
}

const CASES: [Case; 5] = [Case::Text, Case::Instructions, Case::MultiTurn, Case::Tools, Case::JsonSchema];

async fn setup() -> (MockServer, Client) {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let mut b = Client::builder().from_env(false).timeout(Duration::from_secs(5)).max_retries(0);
    for (provider, url) in mock.provider_base_urls() {
        b = b.api_key(provider, format!("key-{provider}-test")).base_url(provider, url);
    }
    (mock, b.build().unwrap())
}

const WEATHER: &str = "get_weather";

/// A function tool in the Responses shape: flat, `name` beside `type`.
fn weather_tool() -> Value {
    json!({"type": "function", "name": WEATHER, "description": "Current weather for a city.", "strict": true,
        "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"], "additionalProperties": false}})
}

fn body(case: Case) -> Value {
    match case {
        Case::Text => json!({"input": "What is 2+2?"}),
        Case::Instructions => json!({"instructions": "You are terse and sign as Kestrel-Test.", "input": "Say hi."}),
        Case::MultiTurn => json!({"input": [
            {"role": "user", "content": "My name is Ana."},
            {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello Ana, glad to meet.", "annotations": []}]},
            {"role": "user", "content": [{"type": "input_text", "text": "What is my name?"}]}
        ]}),
        Case::Tools => json!({"input": "Weather in Paris?", "tools": [weather_tool()]}),
        Case::JsonSchema => {
            json!({"input": "Describe Ana, 31.", "text": {"format": {"type": "json_schema", "name": "person",
            "strict": true, "schema": {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"], "additionalProperties": false}}}})
        }
    }
}

fn request(model: &str, mut v: Value) -> ResponsesRequest {
    v["model"] = json!(model);
    v["kestrel"] = json!({"routing": false});
    ResponsesRequest::from_value(v).unwrap()
}

/// What a Response says: its text, its calls (name, arguments, call_id), its status.
#[derive(Debug, PartialEq)]
struct Said {
    text: String,
    calls: Vec<(String, Value)>,
    status: String,
}

fn said(r: &Response, ctx: &str) -> Said {
    assert_eq!(r.object, "response", "{ctx}");
    assert!(r.id.starts_with("resp_"), "{ctx}: {}", r.id);
    let mut calls = Vec::new();
    for item in &r.output {
        match item {
            OutputItem::Message { id, role, status, content } => {
                assert!(id.starts_with("msg_") && role == "assistant" && status == "completed", "{ctx}: {item:?}");
                for c in content {
                    if let OutputContent::OutputText { annotations, .. } = c {
                        assert!(annotations.is_empty(), "{ctx}");
                    }
                }
            }
            OutputItem::FunctionCall { id, call_id, name, arguments, status } => {
                assert!(id.starts_with("fc_") && !call_id.is_empty() && status == "completed", "{ctx}: {item:?}");
                let args = serde_json::from_str(arguments).unwrap_or_else(|e| panic!("{ctx}: {arguments}: {e}"));
                calls.push((name.clone(), args));
            }
        }
    }
    let u = r.usage.as_ref().unwrap_or_else(|| panic!("{ctx}: usage"));
    assert!(u.input_tokens > 0 && u.output_tokens > 0, "{ctx}: {u:?}");
    assert_eq!(u.total_tokens, u.input_tokens + u.output_tokens, "{ctx}");
    Said { text: r.output_text(), calls, status: r.status.clone() }
}

fn check(case: Case, s: &Said, ctx: &str) {
    assert_eq!(s.status, "completed", "{ctx}");
    match case {
        Case::Tools => {
            assert_eq!(s.calls.len(), 1, "{ctx}: {s:?}");
            assert_eq!(s.calls[0].0, WEATHER, "{ctx}");
            assert!(s.calls[0].1.get("city").is_some_and(Value::is_string), "{ctx}: {s:?}");
            assert!(s.text.is_empty(), "{ctx}: {s:?}");
        }
        Case::JsonSchema => {
            let v: Value = serde_json::from_str(&s.text).unwrap_or_else(|e| panic!("{ctx}: JSON answer: {e}: {s:?}"));
            assert!(v["name"].is_string() && v["age"].is_i64(), "{ctx}: follows the schema: {v}");
        }
        Case::MultiTurn => assert!(s.text.contains("What is my name?"), "{ctx}: answers the last turn: {s:?}"),
        Case::Text => assert!(s.text.contains("What is 2+2?"), "{ctx}: {s:?}"),
        Case::Instructions => assert!(s.text.contains("Say hi."), "{ctx}: {s:?}"),
    }
}

/// Collects a stream, checking the Responses event conventions: sequence numbers from 0
/// without gaps, `created` then `in_progress` first, `completed` last, every item added
/// before its deltas and done after them, and the deltas adding up to the done texts.
/// Returns the final Response.
async fn streamed(client: &Client, req: ResponsesRequest, ctx: &str) -> (Response, Vec<String>) {
    let mut s = client.responses_stream(req).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    let kinds: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
    for (i, e) in events.iter().enumerate() {
        let n = serde_json::to_value(e).unwrap()["sequence_number"].as_u64().unwrap();
        assert_eq!(n, i as u64, "{ctx}: sequence numbers: {kinds:?}");
    }
    assert_eq!(&kinds[..2], ["response.created", "response.in_progress"], "{ctx}");
    assert_eq!(kinds.last().unwrap(), "response.completed", "{ctx}: {kinds:?}");
    let id = match &events[0] {
        ResponseStreamEvent::Created { response, .. } => {
            assert_eq!(response.status, "in_progress", "{ctx}");
            response.id.clone()
        }
        _ => unreachable!(),
    };
    let done = events.last().unwrap().final_response().unwrap().clone();
    assert_eq!(done.id, id, "{ctx}: one id throughout");
    assert!(done.kestrel.is_some(), "{ctx}: kestrel metadata on the completed response");

    // Per output index: added, then deltas, then done; texts and arguments add up.
    let mut open: Option<(u32, String)> = None; // (output index, accumulated deltas)
    let mut next_index = 0;
    for e in &events[2..events.len() - 1] {
        match e {
            ResponseStreamEvent::OutputItemAdded { output_index, .. } => {
                assert!(open.is_none(), "{ctx}: one item at a time: {kinds:?}");
                assert_eq!(*output_index, next_index, "{ctx}");
                open = Some((*output_index, String::new()));
            }
            ResponseStreamEvent::ContentPartAdded { output_index, .. } => {
                assert_eq!(open.as_ref().map(|o| o.0), Some(*output_index), "{ctx}")
            }
            ResponseStreamEvent::OutputTextDelta { output_index, delta, .. }
            | ResponseStreamEvent::FunctionCallArgumentsDelta { output_index, delta, .. } => {
                let o = open.as_mut().unwrap_or_else(|| panic!("{ctx}: delta outside an item"));
                assert_eq!(o.0, *output_index, "{ctx}");
                o.1.push_str(delta);
            }
            ResponseStreamEvent::OutputTextDone { output_index, text, .. }
            | ResponseStreamEvent::FunctionCallArgumentsDone { output_index, arguments: text, .. } => {
                let o = open.as_ref().unwrap();
                assert_eq!((o.0, &o.1), (*output_index, text), "{ctx}: the deltas add up to the done text");
            }
            ResponseStreamEvent::ContentPartDone { .. } => assert!(open.is_some(), "{ctx}"),
            ResponseStreamEvent::OutputItemDone { output_index, item, .. } => {
                let (i, _) = open.take().unwrap_or_else(|| panic!("{ctx}: done before added"));
                assert_eq!(i, *output_index, "{ctx}");
                assert_eq!(&done.output[i as usize], item, "{ctx}: the completed response holds the item");
                next_index += 1;
            }
            other => panic!("{ctx}: unexpected event {other:?}"),
        }
    }
    assert!(open.is_none(), "{ctx}");
    assert_eq!(next_index as usize, done.output.len(), "{ctx}");
    (done, kinds)
}

fn sent_text(mock: &MockServer) -> String {
    mock.requests().iter().map(|r| r.body.to_string()).collect()
}

async fn run_table(provider: &'static str) -> usize {
    let model = PROVIDERS.iter().find(|p| p.0 == provider).unwrap().1;
    let (mock, client) = setup().await;
    let mut ran = 0;
    for case in CASES {
        let ctx = format!("{provider}/{model}/{case:?}");
        mock.clear_requests();
        let r = client.responses(request(model, body(case))).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let meta = r.kestrel.as_ref().unwrap();
        assert_eq!((meta.provider.as_str(), meta.model.as_str(), meta.attempts), (provider, model, 1), "{ctx}");
        let whole = said(&r, &ctx);
        check(case, &whole, &ctx);
        let sent = mock.requests();
        assert_eq!(sent.len(), 1, "{ctx}");
        assert!(sent[0].path.starts_with(&format!("/{provider}/")), "{ctx}: {}", sent[0].path);
        let body_sent = sent[0].body.to_string();
        match case {
            Case::Instructions => assert!(body_sent.contains("Kestrel-Test"), "{ctx}: instructions sent: {body_sent}"),
            Case::MultiTurn => assert!(
                body_sent.contains("My name is Ana.") && body_sent.contains("Hello Ana, glad to meet."),
                "{ctx}: every turn sent: {body_sent}"
            ),
            _ => {}
        }

        let (done, kinds) = streamed(&client, request(model, body(case)), &format!("{ctx} streamed")).await;
        let stream_said = said(&done, &format!("{ctx} streamed"));
        check(case, &stream_said, &format!("{ctx} streamed"));
        assert_eq!(stream_said, whole, "{ctx}: the stream says what the whole answer says");
        let expected_kind =
            if case == Case::Tools { "response.function_call_arguments.delta" } else { "response.output_text.delta" };
        assert!(kinds.iter().any(|k| k == expected_kind), "{ctx}: {kinds:?}");

        if case == Case::Tools {
            tool_round_trip(&client, &mock, model, &r, &ctx).await;
        }
        ran += 1;
    }
    follow_up(&client, &mock, model, &format!("{provider}/{model}/previous_response_id")).await;
    ran + 1
}

/// The call's result goes back, once as explicit items and once after
/// `previous_response_id`; both answers use it.
async fn tool_round_trip(client: &Client, mock: &MockServer, model: &str, first: &Response, ctx: &str) {
    let call = first.output.iter().find(|i| matches!(i, OutputItem::FunctionCall { .. })).unwrap();
    let OutputItem::FunctionCall { call_id, .. } = call else { unreachable!() };
    let output = json!({"type": "function_call_output", "call_id": call_id, "output": "18 degrees, sunny"});

    let mut explicit = body(Case::Tools);
    explicit["input"] =
        json!([{"role": "user", "content": "Weather in Paris?"}, serde_json::to_value(call).unwrap(), output]);
    let r = client.responses(request(model, explicit.clone())).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let s = said(&r, ctx);
    assert!(s.calls.is_empty() && s.text.contains("18 degrees"), "{ctx} round trip: {s:?}");
    let (done, _) = streamed(client, request(model, explicit), &format!("{ctx} round trip streamed")).await;
    assert_eq!(said(&done, ctx), s, "{ctx} round trip streamed");

    mock.clear_requests();
    let mut chained = body(Case::Tools);
    chained["previous_response_id"] = json!(first.id);
    chained["input"] = json!([output]);
    let r = client.responses(request(model, chained)).await.unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let s = said(&r, ctx);
    assert!(s.calls.is_empty() && s.text.contains("18 degrees"), "{ctx} chained round trip: {s:?}");
    assert!(
        sent_text(mock).contains("Weather in Paris?"),
        "{ctx}: the question was expanded from the stored conversation"
    );
}

/// A follow-up by `previous_response_id`, whole and streamed: the stored conversation
/// (earlier input and answer) is sent again with the new input.
async fn follow_up(client: &Client, mock: &MockServer, model: &str, ctx: &str) {
    let first = client
        .responses(request(model, json!({"input": "My name is Ana.", "instructions": "Be brief."})))
        .await
        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let first_text = first.output_text();
    mock.clear_requests();
    let r = client
        .responses(request(model, json!({"input": "What is my name?", "previous_response_id": first.id})))
        .await
        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_eq!(r.previous_response_id.as_deref(), Some(first.id.as_str()), "{ctx}");
    check(Case::MultiTurn, &said(&r, ctx), ctx);
    let sent = sent_text(mock);
    assert!(sent.contains("My name is Ana.") && sent.contains(&first_text[..20]), "{ctx}: history sent: {sent}");
    assert!(!sent.contains("Be brief."), "{ctx}: instructions are not carried over, as OpenAI's: {sent}");

    // Streamed answers are stored too, and can be followed up, streamed.
    let (done, _) =
        streamed(client, request(model, json!({"input": "I live in Lisbon.", "previous_response_id": r.id})), ctx)
            .await;
    mock.clear_requests();
    let (last, _) =
        streamed(client, request(model, json!({"input": "Where do I live?", "previous_response_id": done.id})), ctx)
            .await;
    assert!(last.output_text().contains("Where do I live?"), "{ctx}");
    let sent = sent_text(mock);
    for turn in ["My name is Ana.", "What is my name?", "I live in Lisbon.", "Where do I live?"] {
        assert!(sent.contains(turn), "{ctx}: `{turn}` in the expanded conversation: {sent}");
    }
}

#[tokio::test]
async fn table_openai() {
    assert_eq!(run_table("openai").await, 6);
}

#[tokio::test]
async fn table_anthropic() {
    assert_eq!(run_table("anthropic").await, 6);
}

#[tokio::test]
async fn table_gemini() {
    assert_eq!(run_table("gemini").await, 6);
}

#[tokio::test]
async fn table_cohere() {
    assert_eq!(run_table("cohere").await, 6);
}

#[tokio::test]
async fn a_conversation_moves_between_providers() {
    let (mock, client) = setup().await;
    let first = client.responses(request("claude-sonnet-4-6", json!({"input": "My name is Ana."}))).await.unwrap();
    mock.clear_requests();
    let r = client
        .responses(request("gemini-4-argon", json!({"input": "What is my name?", "previous_response_id": first.id})))
        .await
        .unwrap();
    assert_eq!(r.kestrel.as_ref().unwrap().provider, "gemini");
    let sent = mock.requests();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].path.starts_with("/gemini/"), "{}", sent[0].path);
    assert!(sent[0].body.to_string().contains("My name is Ana."), "the Anthropic turn reached Gemini");
}

#[tokio::test]
async fn an_unknown_previous_response_is_a_404_before_any_call() {
    let (mock, client) = setup().await;
    let err = client
        .responses(request("gpt-4o", json!({"input": "hi", "previous_response_id": "resp_nope"})))
        .await
        .unwrap_err();
    match &err {
        Error::NotFound { message, body, .. } => {
            assert_eq!(message, "Previous response with id 'resp_nope' not found.");
            let b = body.as_ref().unwrap();
            assert_eq!(b["error"]["param"], "previous_response_id");
            assert_eq!(b["error"]["code"], "previous_response_not_found");
        }
        other => panic!("{other:?}"),
    }
    let err = client
        .responses_stream(request("gpt-4o", json!({"input": "hi", "previous_response_id": "resp_nope"})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(mock.requests().is_empty(), "no network call");
}

#[tokio::test]
async fn store_false_and_other_tenants_cannot_follow_up() {
    let (_mock, client) = setup().await;
    let unstored =
        client.responses(request("gpt-4o", json!({"input": "My name is Ana.", "store": false}))).await.unwrap();
    assert!(!unstored.store);
    let follow = |id: &str, tenant: Option<&str>| {
        let mut v =
            json!({"model": "gpt-4o", "input": "Name?", "previous_response_id": id, "kestrel": {"routing": false}});
        if let Some(t) = tenant {
            v["kestrel"]["tenant"] = json!(t);
        }
        ResponsesRequest::from_value(v).unwrap()
    };
    assert!(matches!(client.responses(follow(&unstored.id, None)).await, Err(Error::NotFound { .. })));
    let mut v = json!({"model": "gpt-4o", "input": "My name is Ana.", "kestrel": {"routing": false, "tenant": "acme"}});
    let stored = client.responses(ResponsesRequest::from_value(v.take()).unwrap()).await.unwrap();
    assert!(client.responses(follow(&stored.id, Some("acme"))).await.is_ok());
    assert!(matches!(client.responses(follow(&stored.id, Some("other"))).await, Err(Error::NotFound { .. })));
}

#[tokio::test]
async fn the_store_is_bounded() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "key-openai-test")
        .base_url("openai", mock.provider_base_urls().into_iter().find(|p| p.0 == "openai").unwrap().1)
        .response_store_capacity(2)
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for turn in ["one", "two", "three"] {
        ids.push(client.responses(request("gpt-4o", json!({"input": turn}))).await.unwrap().id);
    }
    let follow = |id: &str| request("gpt-4o", json!({"input": "and?", "previous_response_id": id, "store": false}));
    assert!(matches!(client.responses(follow(&ids[0])).await, Err(Error::NotFound { .. })), "the oldest is gone");
    for id in &ids[1..] {
        client.responses(follow(id)).await.unwrap();
    }
}

#[test]
fn bad_requests_are_refused_with_the_field_named() {
    let err = |v: Value| match ResponsesRequest::from_value(v) {
        Err(Error::InvalidRequest { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(err(json!({"model": "gpt-4o"})), "input");
    assert_eq!(err(json!({"model": "gpt-4o", "input": 3})), "input");
    assert_eq!(err(json!({"model": "gpt-4o", "input": [{"role": "robot", "content": "x"}]})), "input[0].role");
    assert_eq!(err(json!({"model": "gpt-4o", "input": "hi", "tool_choice": "sometimes"})), "tool_choice");
    assert_eq!(err(json!({"model": "gpt-4o", "input": "hi", "tools": [{"type": "function"}]})), "tools[0].name");
    assert_eq!(
        err(
            json!({"model": "gpt-4o", "input": [{"role": "assistant", "content": [{"type": "input_image", "image_url": "x"}]}]})
        ),
        "input[0].content[0]"
    );
}

/// What only OpenAI's Responses API serves is well formed: it is not refused as invalid
/// but named for the bindings to send unchanged through the official SDK; routed alone
/// (the Rust API), it is refused before any network call.
#[tokio::test]
async fn what_only_openai_serves_is_passed_through_not_routed() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "key-openai-test")
        .base_url("openai", mock.provider_base_urls().into_iter().find(|p| p.0 == "openai").unwrap().1)
        .build()
        .unwrap();
    let cases = [
        (json!({"input": "hi", "tools": [{"type": "web_search"}]}), "tools[0].type"),
        (json!({"input": "hi", "tool_choice": {"type": "file_search"}}), "tool_choice"),
        (json!({"input": [{"type": "reasoning", "id": "rs_1", "summary": []}]}), "input[0].type"),
        (json!({"input": [{"type": "item_reference", "id": "msg_1"}]}), "input[0].type"),
        (
            json!({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}]}),
            "input[0].content[0]",
        ),
        (json!({"input": "hi", "conversation": "conv_1"}), "conversation"),
        (json!({"input": "hi", "prompt": {"id": "pmpt_1"}}), "prompt"),
        (json!({"input": "hi", "background": true}), "background"),
        (json!({"input": "and?", "previous_response_id": "resp_made_elsewhere"}), "previous_response_id"),
    ];
    for (body, field) in cases {
        let req = request("gpt-4o", body.clone());
        let why = client.responses_passthrough(&req).unwrap_or_else(|| panic!("{body}: routable?"));
        assert!(why.starts_with(field), "{body}: {why}");
        let refused = client.responses(req).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidRequest { .. } | Error::NotFound { .. }), "{refused:?}");
    }
    assert!(mock.requests().is_empty(), "nothing was sent");

    // Everything Kestrel translates is routed, follow-ups to its own responses included.
    let first = client
        .responses(request("gpt-4o", json!({"input": "hi", "tools": [{"type": "function", "name": "f"}]})))
        .await
        .unwrap();
    let follow = request("gpt-4o", json!({"input": "and?", "previous_response_id": first.id}));
    assert_eq!(client.responses_passthrough(&follow), None);
}

#[test]
fn the_response_has_the_sdk_shape() {
    // The fields openai-python's `Response` requires, by name and type.
    let r: Response = serde_json::from_value(json!({
        "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "error": null,
        "incomplete_details": null, "instructions": null, "max_output_tokens": null, "model": "gpt-4o",
        "output": [{"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": "hi", "annotations": [], "logprobs": []}]},
            {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}", "status": "completed"}],
        "parallel_tool_calls": true, "previous_response_id": null, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "store": true,
        "usage": {"input_tokens": 3, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 1,
            "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 4},
        "metadata": {}
    }))
    .unwrap();
    assert_eq!(r.output_text(), "hi");
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(back["output"][1]["call_id"], "call_1");
    assert_eq!(back["usage"]["input_tokens_details"]["cached_tokens"], 0);
}

#[tokio::test]
async fn responses_are_routed_cached_and_recorded_like_chat() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let mut b = Client::builder()
        .from_env(false)
        .timeout(Duration::from_secs(5))
        .max_retries(0)
        .cache(kestrel_router::CacheConfig::default());
    for (provider, url) in mock.provider_base_urls() {
        b = b.api_key(provider, format!("key-{provider}-test")).base_url(provider, url);
    }
    let client = b.build().unwrap();
    let ask = || ResponsesRequest::from_value(json!({"model": "gpt-4o", "input": "What is 2+2?"})).unwrap();
    let r = client.responses(ask()).await.unwrap();
    let meta = r.kestrel.as_ref().unwrap();
    assert_eq!(meta.requested_model, "gpt-4o");
    assert_ne!(meta.model, "gpt-4o", "an easy question goes below the ceiling: {meta:?}");
    assert!(meta.cost_usd < meta.baseline_cost_usd, "{meta:?}");
    assert_eq!(r.model, meta.model, "the Response names the model that answered");

    let again = client.responses(ask()).await.unwrap();
    assert!(again.kestrel.as_ref().unwrap().cache_hit, "the chat cache answers the same request");
    assert_eq!(again.output_text(), r.output_text());
    assert_ne!(again.id, r.id, "every Response gets its own id");
    assert_eq!(mock.requests().len(), 1);

    let records = client.usage().records(None, 10);
    assert_eq!(records.len(), 2, "one usage record per call");
    assert!(records.iter().all(|u| u.requested_model == "gpt-4o"));
}

#[tokio::test]
async fn a_broken_stream_ends_with_error_then_failed_and_is_not_stored() {
    let script = Script::new()
        .model("gpt-4o", kestrel_mock::Behaviour::reply("one two three four five six").cut_after_chunks(2));
    let mock = MockServer::start(script).await.unwrap();
    let mut b = Client::builder().from_env(false).timeout(Duration::from_secs(5)).max_retries(0);
    for (provider, url) in mock.provider_base_urls() {
        b = b.api_key(provider, format!("key-{provider}-test")).base_url(provider, url);
    }
    let client = b.build().unwrap();
    let mut s = client.responses_stream(request("gpt-4o", json!({"input": "Count."}))).await.unwrap();
    let id = s.id().to_string();
    let mut events = Vec::new();
    while let Some(e) = s.next().await {
        events.push(e);
    }
    let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
    assert_eq!(&kinds[kinds.len() - 2..], ["error", "response.failed"], "{kinds:?}");
    let failed = events.last().unwrap().final_response().unwrap();
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.error.as_ref().unwrap().code, "stream_interrupted", "{:?}", failed.error);
    let follow = request("gpt-4o", json!({"input": "more", "previous_response_id": id}));
    assert!(matches!(client.responses(follow).await, Err(Error::NotFound { .. })), "a failed response is not stored");
}

#[tokio::test]
async fn a_length_stop_is_an_incomplete_response() {
    let script = Script::new().model("gpt-4o", kestrel_mock::Behaviour::reply("cut short").finish_reason("length"));
    let mock = MockServer::start(script).await.unwrap();
    let mut b = Client::builder().from_env(false).max_retries(0);
    for (provider, url) in mock.provider_base_urls() {
        b = b.api_key(provider, format!("key-{provider}-test")).base_url(provider, url);
    }
    let client = b.build().unwrap();
    let r = client.responses(request("gpt-4o", json!({"input": "Go.", "max_output_tokens": 3}))).await.unwrap();
    assert_eq!(r.status, "incomplete");
    assert_eq!(r.incomplete_details.as_ref().unwrap().reason, "max_output_tokens");
    assert_eq!(mock.requests()[0].body["max_completion_tokens"], 3);
    let mut s = client.responses_stream(request("gpt-4o", json!({"input": "Go."}))).await.unwrap();
    let mut last = None;
    while let Some(e) = s.next().await {
        last = Some(e);
    }
    assert_eq!(last.unwrap().kind(), "response.incomplete");
}
