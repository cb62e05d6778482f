//! The provider's HTTP answer behind a routed call's outcome (status, response headers,
//! request id, retries taken), carried up for the bindings' raw responses and errors.

use std::time::Duration;

use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::cache::CacheConfig;
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::{CallOptions, Client, Failure, ResponsesRequest};

fn client_for(mock: &MockServer) -> Client {
    Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("groq", "gsk-test-groq")
        .base_url("groq", format!("{}/groq", mock.url()))
        .timeout(Duration::from_millis(800))
        .max_retries(0)
        .build()
        .unwrap()
}

fn easy() -> ChatRequest {
    ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")])
}

/// The mock numbers its answers: `chatcmpl-mock-N` goes with `req_mock_N`.
fn request_id_for(completion_id: &str) -> String {
    format!("req_mock_{}", completion_id.rsplit('-').next().unwrap())
}

#[tokio::test]
async fn the_answering_attempts_response_rides_on_the_answer() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock);
    let resp = client.chat(easy()).await.unwrap();
    let http = resp.provider_response.as_deref().expect("a provider answered");
    assert_eq!(http.status, 200);
    assert_eq!(http.method, "POST");
    assert_eq!(http.provider, "groq");
    assert!(http.url.ends_with("/groq/openai/v1/chat/completions"), "{}", http.url);
    assert_eq!(http.request_id.as_deref(), Some(request_id_for(&resp.id).as_str()));
    assert_eq!(http.header("X-Request-Id"), http.request_id.as_deref());
    assert_eq!(http.header("openai-version"), Some("2020-10-01"));
    assert_eq!(http.retries_taken, 0);
    assert!(http.elapsed_ms > 0.0);
    // Request headers (the key) never, and framing headers not: the body handed up is a translation.
    assert!(http.header("authorization").is_none() && http.header("content-length").is_none());
    // Not part of the completion's JSON.
    assert!(!serde_json::to_string(&resp).unwrap().contains("req_mock_"));
}

#[tokio::test]
async fn after_a_failed_substitute_the_requested_models_answer_counts_one_retry() {
    let script = Script::new().model("openai/gpt-oss-20b", Behaviour::error(503));
    let mock = MockServer::start(script).await.unwrap();
    let resp = client_for(&mock).chat(easy()).await.unwrap();
    let http = resp.provider_response.unwrap();
    assert_eq!((http.provider.as_str(), http.retries_taken), ("openai", 1));
    assert_eq!(http.request_id, Some(request_id_for(&resp.id)));
}

#[tokio::test]
async fn a_failure_carries_the_last_answer_with_its_body() {
    let script = Script::new().default_behaviour(Behaviour::error(429).error_message("slow down").retry_after(0.0));
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock);
    let opts = CallOptions { max_retries: Some(1), ..Default::default() };
    let Failure { error, attempts, response } = client.try_chat(easy(), opts).await.unwrap_err();
    assert_eq!(error.status(), Some(429));
    assert_eq!(attempts.len(), 3, "a substitute, then the requested model twice");
    let http = response.expect("the provider answered");
    assert_eq!((http.status, http.retries_taken), (429, 2));
    assert_eq!(http.request_id.as_deref(), Some("req_mock_3"));
    assert_eq!(http.header("retry-after"), Some("0"));
    assert!(http.body.as_deref().unwrap().contains("slow down"));
}

#[tokio::test]
async fn timeouts_and_cached_answers_have_no_response() {
    let script = Script::new().default_behaviour(Behaviour::reply("late").latency_ms(2000));
    let mock = MockServer::start(script).await.unwrap();
    let failure = client_for(&mock).try_chat(easy(), Default::default()).await.unwrap_err();
    assert!(failure.response.is_none(), "{:?}", failure.error);

    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .cache(CacheConfig::default())
        .build()
        .unwrap();
    assert!(client.chat(easy()).await.unwrap().provider_response.is_some());
    let cached = client.chat(easy()).await.unwrap();
    assert!(cached.kestrel.unwrap().cache_hit);
    assert!(cached.provider_response.is_none());
}

#[tokio::test]
async fn streams_and_responses_carry_it_too() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock);
    let mut req = easy();
    req.stream = Some(true);
    let stream = client.chat_stream(req).await.unwrap();
    let http = stream.provider_response().unwrap();
    assert_eq!(http.status, 200);
    assert!(http.header("content-type").unwrap().starts_with("text/event-stream"));
    assert!(http.request_id.as_deref().unwrap().starts_with("req_mock_"));

    let resp = client.responses(ResponsesRequest::new("gpt-4o", "hi")).await.unwrap();
    assert!(resp.provider_response.unwrap().request_id.unwrap().starts_with("req_mock_"));
    let events = client.responses_stream(ResponsesRequest::new("gpt-4o", "hi")).await.unwrap();
    assert!(events.provider_response().is_some());
}
