//! Stage 0 in the client, against the loopback mock over real HTTP: hits cost nothing and
//! skip the provider, streams replay, misses are stored (streamed ones too), the rules
//! bypass, tenants are isolated, and the ledger counts it all.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::cache::{CacheConfig, CacheSwitch, MemoryCache, RefreshTag};
use kestrel_router::router::RequestPolicy;
use kestrel_router::types::{ChatRequest, Message, StreamOptions};
use kestrel_router::Client;

async fn setup(cfg: CacheConfig) -> (MockServer, Client) {
    let mock =
        MockServer::start(Script::new().default_behaviour(Behaviour::reply("Four.").usage(20, 3))).await.unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .timeout(Duration::from_millis(800))
        .max_retries(0)
        .cache(cfg)
        .build()
        .unwrap();
    (mock, client)
}

fn ask(text: &str) -> ChatRequest {
    ChatRequest::new("gpt-4o", vec![Message::user(text)])
}

fn with(mut req: ChatRequest, policy: RequestPolicy) -> ChatRequest {
    req.kestrel = Some(policy);
    req
}

#[tokio::test]
async fn a_repeat_is_answered_from_the_cache_at_no_cost() {
    let (mock, client) = setup(CacheConfig::default()).await;
    let first = client.chat(ask("What is 2+2?")).await.unwrap();
    assert!(!first.kestrel.as_ref().unwrap().cache_hit);
    let again = client.chat(ask("What is 2+2?")).await.unwrap();
    let meta = again.kestrel.as_ref().unwrap();
    assert!(meta.cache_hit);
    assert_eq!(meta.cache_layer.as_deref(), Some("exact"));
    assert_eq!(meta.provider, "cache");
    assert_eq!(meta.cost_usd, 0.0);
    assert!(meta.baseline_cost_usd > 0.0 && meta.saved_usd == meta.baseline_cost_usd, "{meta:?}");
    assert_eq!(again.choices, first.choices);
    assert_ne!(again.id, first.id, "every response has its own id");
    assert_eq!(mock.requests().len(), 1, "the provider was called once");

    let reworded = client.chat(ask("what's 2 + 2")).await.unwrap();
    assert_eq!(reworded.kestrel.as_ref().unwrap().cache_layer.as_deref(), Some("semantic"));
    let other = client.chat(ask("What is 2+3?")).await.unwrap();
    assert!(!other.kestrel.as_ref().unwrap().cache_hit, "a different number is a different question");
    assert_eq!(mock.requests().len(), 2);

    let stats = client.usage().cache(None);
    assert_eq!((stats.exact_hits, stats.semantic_hits, stats.misses, stats.bypasses), (1, 1, 2, 0));
    assert!((stats.hit_rate - 0.5).abs() < 1e-9);
    assert!(stats.saved_usd > 0.0);
    let routing = client.usage().routing(None);
    assert_eq!(routing.cache, 2);
    let savings = client.usage().savings(None);
    assert_eq!(savings.cache_hits, 2);
}

#[tokio::test]
async fn a_hit_replays_as_a_stream_and_a_streamed_answer_is_stored() {
    let (mock, client) = setup(CacheConfig::default()).await;
    let mut streamed = ask("Name a prime number");
    streamed.stream = Some(true);
    let mut s = client.chat_stream(streamed.clone()).await.unwrap();
    let mut text = String::new();
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        text.extend(c.choices.iter().filter_map(|ch| ch.delta.content.clone()));
    }
    drop(s);
    // The store runs in the background once the stream ends.
    let mut hit = None;
    for _ in 0..50 {
        let r = client.chat(ask("Name a prime number")).await.unwrap();
        if r.kestrel.as_ref().unwrap().cache_hit {
            hit = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let hit = hit.expect("the streamed answer was cached");
    assert_eq!(hit.choices[0].message.content.as_deref(), Some(text.as_str()));
    assert_eq!(hit.choices[0].finish_reason.as_deref(), Some("stop"));

    streamed.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    let before = mock.requests().len();
    let chunks: Vec<_> = client.chat_stream(streamed).await.unwrap().collect().await;
    let chunks: Vec<_> = chunks.into_iter().map(Result::unwrap).collect();
    assert_eq!(mock.requests().len(), before, "replayed without a provider call");
    assert_eq!(chunks[0].choices[0].delta.role, Some(kestrel_router::types::Role::Assistant));
    let replayed: String = chunks.iter().flat_map(|c| &c.choices).filter_map(|c| c.delta.content.clone()).collect();
    assert_eq!(replayed, text);
    let last = chunks.last().unwrap();
    assert!(last.usage.is_some(), "include_usage gets its usage chunk");
    assert!(last.kestrel.as_ref().unwrap().cache_hit);
    assert!(chunks.iter().any(|c| c.choices.iter().any(|ch| ch.finish_reason.as_deref() == Some("stop"))));
}

#[tokio::test]
async fn rules_bypass_and_switches_work_per_request() {
    let (mock, client) = setup(CacheConfig::default()).await;
    let mut hot = ask("Write a haiku");
    hot.temperature = Some(1.4);
    client.chat(hot.clone()).await.unwrap();
    client.chat(hot).await.unwrap();
    assert_eq!(mock.requests().len(), 2, "high temperature asks for a new answer each time");

    client.chat(ask("Write a limerick")).await.unwrap();
    let off =
        with(ask("Write a limerick"), RequestPolicy { cache: Some(CacheSwitch::On(false)), ..Default::default() });
    assert!(!client.chat(off).await.unwrap().kestrel.unwrap().cache_hit);
    let refresh = with(
        ask("Write a limerick"),
        RequestPolicy { cache: Some(CacheSwitch::Refresh(RefreshTag::Refresh)), ..Default::default() },
    );
    assert!(!client.chat(refresh).await.unwrap().kestrel.unwrap().cache_hit);
    assert!(client.chat(ask("Write a limerick")).await.unwrap().kestrel.unwrap().cache_hit);
    assert_eq!(mock.requests().len(), 5);
    let stats = client.usage().cache(None);
    assert_eq!(stats.bypasses, 3, "{stats:?}");

    // An answer stopped by a content filter is never served again.
    mock.set_script(Script::new().default_behaviour(Behaviour::reply("...").finish_reason("content_filter")));
    client.chat(ask("Something borderline")).await.unwrap();
    assert!(!client.chat(ask("Something borderline")).await.unwrap().kestrel.unwrap().cache_hit);

    // A request option naming an unknown switch is a typed error before any I/O.
    let bad = ChatRequest::from_json(
        r#"{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}], "kestrel": {"cache": "sometimes"}}"#,
    );
    assert!(bad.is_err());
}

#[tokio::test]
async fn tenants_never_share_and_clients_can_share_a_backend() {
    let shared = Arc::new(MemoryCache::new(1000, 1 << 20));
    let cfg = CacheConfig { backend: Some(shared.clone()), ..CacheConfig::default() };
    let (mock, a) = setup(cfg.clone()).await;
    let acme = RequestPolicy { tenant: Some("acme".into()), ..Default::default() };
    let globex = RequestPolicy { tenant: Some("globex".into()), ..Default::default() };
    a.chat(with(ask("Our refund policy?"), acme.clone())).await.unwrap();
    assert!(!a.chat(with(ask("Our refund policy?"), globex)).await.unwrap().kestrel.unwrap().cache_hit);
    assert!(!a.chat(ask("Our refund policy?")).await.unwrap().kestrel.unwrap().cache_hit);
    let b = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .cache(cfg)
        .build()
        .unwrap();
    assert!(b.chat(with(ask("Our refund policy?"), acme)).await.unwrap().kestrel.unwrap().cache_hit);
    assert_eq!(a.usage().cache(Some("acme")).exact_hits, 0);
    assert_eq!(b.usage().cache(Some("acme")).exact_hits, 1);
    a.clear_cache().await.unwrap();
    assert!(shared.is_empty());
}

#[tokio::test]
async fn a_bad_request_fails_before_the_cache_and_the_network() {
    let (mock, client) = setup(CacheConfig::default()).await;
    let e = client.chat(ChatRequest::new("gpt-4o", vec![])).await.unwrap_err();
    assert!(e.to_string().contains("messages"), "{e}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn a_provider_embedder_can_replace_the_offline_one() {
    let cfg = CacheConfig { embedding_model: Some("text-embedding-3-small".into()), ..CacheConfig::default() };
    let (mock, client) = setup(cfg).await;
    client.chat(ask("How do I reset my password?")).await.unwrap();
    let r = client.chat(ask("how can I reset my password")).await.unwrap();
    assert_eq!(r.kestrel.unwrap().cache_layer.as_deref(), Some("semantic"));
    let embeds: Vec<_> = mock.requests().into_iter().filter(|r| r.path.ends_with("/embeddings")).collect();
    assert_eq!(embeds.len(), 2, "one embedding per lookup that missed the exact layer, reused to store");
    assert_eq!(embeds[0].path, "/openai/v1/embeddings");
    assert_eq!(embeds[0].header("authorization"), Some("Bearer sk-test-openai"));
    assert_eq!(embeds[0].body["model"], "text-embedding-3-small");

    // An embeddings endpoint that is down costs the semantic layer, never the request.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("mistral", "mistral-key")
        .base_url("mistral", format!("http://{dead}/v1"))
        .cache(CacheConfig {
            embedding_model: Some("mistral-embed".into()),
            embedding_provider: Some("mistral".into()),
            ..CacheConfig::default()
        })
        .build()
        .unwrap();
    client.chat(ask("How do I reset my password?")).await.unwrap();
    assert!(client.chat(ask("How do I reset my password?")).await.unwrap().kestrel.unwrap().cache_hit);
    assert!(!client.chat(ask("how can I reset my password")).await.unwrap().kestrel.unwrap().cache_hit);
}

#[tokio::test]
async fn a_miss_that_fails_is_still_counted_as_a_miss() {
    let (mock, client) = setup(CacheConfig::default()).await;
    mock.set_script(Script::new().default_behaviour(Behaviour::error(400)));
    assert!(client.chat(ask("Will this fail?")).await.is_err());
    let rec = client.usage().records(None, 1).pop().unwrap();
    assert_eq!(rec.cache, Some(kestrel_router::cache::CacheStatus::Miss));
    assert!(rec.error.is_some());
    assert_eq!(client.usage().cache(None).misses, 1);
}
