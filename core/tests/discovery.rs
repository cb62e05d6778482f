//! Model discovery against the loopback mock: each provider's own model listing (its
//! wire shape and pagination) narrows routing to the models the key is offered.

use kestrel_mock::{MockServer, Script};
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::Client;

fn easy(model: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user("What is 2+2?")])
}

fn listings(mock: &MockServer) -> Vec<String> {
    mock.requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| format!("{}?{}", r.path, r.query.unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn plans_only_listed_models_and_lists_once_per_key() {
    // Groq's key is not offered its economy model: routing must not plan it.
    let mock =
        MockServer::start(Script::new().listed("/groq", ["qwen/qwen3.8-27b", "whisper-large-v3"])).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("groq", "gsk-test-groq")
        .base_url("groq", format!("{}/groq", mock.url()))
        .discover_models(true)
        .build()
        .unwrap();
    let first = client.chat(easy("gpt-4o")).await.unwrap();
    let model = first.kestrel.as_ref().unwrap().model.clone();
    assert_ne!(model, "openai/gpt-oss-20b", "an unlisted model was planned");
    let mut seen = listings(&mock);
    seen.sort();
    assert_eq!(seen, ["/groq/openai/v1/models?", "/openai/v1/models?"]);
    let groq_listing = mock.requests().into_iter().find(|r| r.path == "/groq/openai/v1/models").unwrap();
    assert_eq!(groq_listing.header("authorization"), Some("Bearer gsk-test-groq"));
    let groq: Vec<String> =
        client.available_models().iter().filter(|m| m.provider == "groq").map(|m| m.id.clone()).collect();
    assert_eq!(groq, ["qwen/qwen3.8-27b"]);

    client.chat(easy("gpt-4o")).await.unwrap();
    assert_eq!(listings(&mock).len(), 2, "a second request lists nothing again");

    // A new key may be offered other models: it is listed again.
    client.set_api_key("groq", "gsk-other").unwrap();
    client.chat(easy("gpt-4o")).await.unwrap();
    assert_eq!(listings(&mock).len(), 3);
}

#[tokio::test]
async fn a_failed_listing_leaves_routing_as_it_was() {
    // The mock wants another key for Groq's listing (401): discovery logs and gives up.
    let mock = MockServer::start(Script::new().require_key_for("/groq/openai/v1/models", "gsk-only-for-listing"))
        .await
        .unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("groq", "gsk-test-groq")
        .base_url("groq", format!("{}/groq", mock.url()))
        .discover_models(true)
        .build()
        .unwrap();
    let resp = client.chat(easy("openai/gpt-oss-120b")).await.unwrap();
    assert_eq!(resp.kestrel.as_ref().unwrap().model, "openai/gpt-oss-20b");
}

/// For Anthropic, Gemini and Cohere: 1,100 other ids come first, so the one catalog
/// model offered is only seen by following the listing's pages.
#[tokio::test]
async fn reads_each_providers_listing_across_pages() {
    for (provider, prefix, requested, offered) in [
        ("anthropic", "/anthropic", "claude-opus-5", "claude-haiku-5-5"),
        ("gemini", "/gemini", "gemini-4-argon", "gemini-2.5-flash-lite"),
        ("cohere", "/cohere", "command-a-03-2025", "command-r7b-12-2024"),
    ] {
        let listed: Vec<String> = (0..1100).map(|i| format!("other-model-{i}")).chain([offered.to_string()]).collect();
        let mock = MockServer::start(Script::new().listed(prefix, listed)).await.unwrap();
        let client = Client::builder()
            .from_env(false)
            .api_key(provider, "key-1")
            .base_url(provider, format!("{}{prefix}", mock.url()))
            .discover_models(true)
            .build()
            .unwrap();
        let resp = client.chat(easy(requested)).await.unwrap();
        assert_eq!(resp.kestrel.as_ref().unwrap().model, offered, "{provider}");
        let ids: Vec<String> = client.available_models().iter().map(|m| m.id.clone()).collect();
        assert_eq!(ids, [offered], "{provider}");
        assert_eq!(listings(&mock).len(), 2, "{provider}: two pages: {:?}", listings(&mock));
    }
}
