//! Azure OpenAI clients against the mock's Azure routes, over real HTTP: the deployment URL
//! and `api-version`, `api-key` and Entra ID auth (fixed, and per call), routing among
//! deployments with the requested one as the ceiling, a single unlisted deployment passed
//! through and counted, and Azure's errors.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{MockServer, Script};
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::{AzureAuth, AzureConfig, CallOptions, Client, ClientConfig, Error, Secret, Tier};

const VERSION: &str = "2024-10-21";
const EASY: &str = "What is 2+2?";
const HARD: &str = "Prove rigorously that there are infinitely many primes, step by step.";

fn script() -> Script {
    Script::new()
        .require_key_for("/azure", "az-key")
        .azure_deployment("big", "gpt-4o")
        .azure_deployment("mini", "gpt-4o-mini")
}

fn resource(mock: &MockServer, auth: AzureAuth) -> AzureConfig {
    AzureConfig::new(&format!("{}/azure/", mock.url()), VERSION, auth)
        .deployment("big", "gpt-4o")
        .deployment("mini", "gpt-4o-mini")
}

fn client(cfg: AzureConfig) -> Client {
    Client::builder().from_env(false).azure(cfg).max_retries(0).timeout(Duration::from_secs(5)).build().unwrap()
}

fn ask(model: &str, text: &str) -> ChatRequest {
    ChatRequest::new(model, vec![Message::user(text)])
}

#[tokio::test]
async fn routes_among_deployments_with_the_requested_one_as_ceiling() {
    let mock = MockServer::start(script()).await.unwrap();
    let client = client(resource(&mock, AzureAuth::ApiKey(Secret::new("az-key"))));

    let easy = client.chat(ask("big", EASY)).await.unwrap();
    let meta = easy.kestrel.as_ref().unwrap();
    assert_eq!((meta.model.as_str(), meta.provider.as_str()), ("mini", "azure"));
    assert_eq!(meta.requested_model, "big");
    assert_eq!(meta.tier, Some(Tier::Economy));
    assert!(meta.cost_usd > 0.0 && meta.cost_usd < meta.baseline_cost_usd, "{meta:?}");
    assert_eq!(easy.model, "gpt-4o-mini", "Azure answers with the deployment's model");
    let sent = &mock.requests()[0];
    assert_eq!(sent.path, "/azure/openai/deployments/mini/chat/completions");
    assert_eq!(sent.query.as_deref(), Some("api-version=2024-10-21"));
    assert_eq!(sent.header("api-key"), Some("az-key"));
    assert_eq!(sent.header("authorization"), None);

    mock.clear_requests();
    let hard = client.chat(ask("big", HARD)).await.unwrap();
    assert_eq!(hard.kestrel.as_ref().unwrap().model, "big", "a hard request stays on the requested deployment");
    assert_eq!(mock.requests()[0].path, "/azure/openai/deployments/big/chat/completions");

    // The model a deployment serves names it too; a cheap deployment is never routed up.
    assert_eq!(client.route(&ask("gpt-4o", EASY)).unwrap().requested_model, "gpt-4o");
    assert_eq!(client.chat(ask("gpt-4o", EASY)).await.unwrap().kestrel.unwrap().model, "mini");
    assert_eq!(client.chat(ask("mini", HARD)).await.unwrap().kestrel.unwrap().model, "mini");

    // Streams take the same way.
    mock.clear_requests();
    let mut s = client.chat_stream(ask("big", EASY)).await.unwrap();
    let mut text = String::new();
    while let Some(chunk) = s.next().await {
        let chunk = chunk.unwrap();
        if let Some(c) = chunk.choices.first().and_then(|c| c.delta.content.as_deref()) {
            text.push_str(c);
        }
    }
    assert!(text.contains("mini"), "{text}");
    assert_eq!(mock.requests()[0].path, "/azure/openai/deployments/mini/chat/completions");
    assert_eq!(client.usage().records(None, 10).len(), 5, "the dry run is not a request");
}

#[tokio::test]
async fn a_pinned_deployment_is_the_ceiling_and_an_unlisted_one_is_passed_through_counted() {
    let mock = MockServer::start(script()).await.unwrap();
    let pinned = client(resource(&mock, AzureAuth::ApiKey(Secret::new("az-key"))).pin("big"));
    let r = pinned.chat(ask("anything", EASY)).await.unwrap();
    assert_eq!(r.kestrel.as_ref().unwrap().requested_model, "big");
    assert_eq!(r.kestrel.as_ref().unwrap().model, "mini");

    // One deployment the client knows nothing about: it alone is called, and counted.
    let mock = MockServer::start(Script::new()).await.unwrap();
    let solo = AzureConfig::new(&mock.url(), VERSION, AzureAuth::ApiKey(Secret::new("k"))).pin("solo-deploy");
    let solo = client(solo);
    let r = solo.chat(ask("gpt-4o", HARD)).await.unwrap();
    let meta = r.kestrel.unwrap();
    assert_eq!((meta.model.as_str(), meta.provider.as_str()), ("solo-deploy", "azure"));
    assert_eq!(mock.requests()[0].path, "/openai/deployments/solo-deploy/chat/completions");
    let records = solo.usage().records(None, 10);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].model, "solo-deploy");

    // A base URL that names a deployment pins it, as the Python SDK's does.
    let cfg = AzureConfig::with_base_url(
        &format!("{}/openai/deployments/other", mock.url()),
        VERSION,
        AzureAuth::ApiKey(Secret::new("k")),
    );
    client(cfg).chat(ask("x", EASY)).await.unwrap();
    assert_eq!(mock.requests()[1].path, "/openai/deployments/other/chat/completions");
}

#[tokio::test]
async fn entra_id_tokens_fixed_or_per_call() {
    let mock = MockServer::start(script()).await.unwrap();
    let fixed = client(resource(&mock, AzureAuth::AdToken(Secret::new("tok-fixed"))));
    fixed.chat(ask("mini", EASY)).await.unwrap();
    assert_eq!(mock.requests()[0].header("authorization"), Some("Bearer tok-fixed"));
    assert_eq!(mock.requests()[0].header("api-key"), None);

    let per_call = client(resource(&mock, AzureAuth::TokenPerCall));
    for n in 1..=2 {
        let mut opts = CallOptions::default();
        opts.headers.insert("Authorization".into(), format!("Bearer tok-{n}"));
        per_call.chat_with(ask("mini", EASY), opts).await.unwrap();
    }
    let auth: Vec<_> = mock.requests()[1..].iter().map(|r| r.header("authorization").unwrap().to_string()).collect();
    assert_eq!(auth, ["Bearer tok-1", "Bearer tok-2"]);
    // Without a token Azure refuses, in its own words.
    let e = per_call.chat(ask("mini", EASY)).await.unwrap_err();
    assert!(matches!(&e, Error::Authentication { message, .. } if message.starts_with("Access denied")), "{e:?}");
}

#[tokio::test]
async fn azure_errors_come_back_typed() {
    let mock = MockServer::start(script()).await.unwrap();
    let wrong = client(resource(&mock, AzureAuth::ApiKey(Secret::new("nope"))));
    let e = wrong.chat(ask("mini", EASY)).await.unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e:?}");

    let ok = client(resource(&mock, AzureAuth::ApiKey(Secret::new("az-key"))));
    let e = ok.chat(ask("no-such-deployment", EASY)).await.unwrap_err();
    match e {
        Error::NotFound { body: Some(body), .. } => assert_eq!(body["error"]["code"], "DeploymentNotFound"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn configuration_follows_the_sdk_rules() {
    let cfg = |json: &str| ClientConfig::from_json(json).unwrap().into_builder().and_then(|b| b.build());
    let err = |json: &str| cfg(json).unwrap_err().to_string();
    let base = r#""from_env": false, "azure": {"azure_endpoint": "https://r.openai.azure.com", "api_version": "v""#;
    assert!(err(&format!("{{{base}}}}}")).contains("missing credentials"));
    assert!(err(&format!(r#"{{{base}, "api_key": "k", "azure_ad_token": "t"}}}}"#)).contains("mutually exclusive"));
    assert!(
        err(r#"{"from_env": false, "azure": {"api_key": "k", "azure_endpoint": "https://r"}}"#).contains("api_version")
    );
    assert!(err(r#"{"from_env": false, "azure": {"api_key": "k", "api_version": "v"}}"#).contains("azure_endpoint"));
    assert!(err(
        r#"{"from_env": false, "azure": {"api_key": "k", "api_version": "v", "base_url": "https://r/openai", "azure_endpoint": "https://r"}}"#
    )
    .contains("mutually exclusive"));
    let client = cfg(&format!(
        r#"{{{base}, "api_key": "k", "deployments": {{"gpt-4o": "big", "gpt-4o-mini": "mini"}}, "azure_deployment": "big"}}}}"#
    ))
    .unwrap();
    let health = client.health();
    assert_eq!(health.len(), 1);
    assert!(health[0].configured && health[0].provider == "azure");
    let shown =
        format!("{:?}", ClientConfig::from_json(&format!(r#"{{{base}, "api_key": "sk-secret-1"}}}}"#)).unwrap());
    assert!(!shown.contains("sk-secret-1"), "{shown}");
}
