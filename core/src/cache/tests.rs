use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::types::{ChatRequest, Message};

fn answer(text: &str) -> ChatResponse {
    serde_json::from_value(serde_json::json!({
        "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    }))
    .unwrap()
}

fn stage0(cfg: CacheConfig) -> Stage0 {
    Stage0::new(cfg).unwrap()
}

async fn ask(s: &Stage0, req: &ChatRequest, tenant: Option<&str>) -> Option<(String, CacheLayer)> {
    match s.plan(req, tenant) {
        Plan::Use(mut l) => s
            .lookup(&mut l)
            .await
            .map(|(e, layer)| (e.response.choices[0].message.content.clone().unwrap_or_default(), layer)),
        Plan::Bypass => None,
    }
}

async fn remember(s: &Stage0, req: &ChatRequest, tenant: Option<&str>, text: &str) {
    let Plan::Use(mut l) = s.plan(req, tenant) else { panic!("bypassed") };
    assert!(s.lookup(&mut l).await.is_none());
    s.store(l, &answer(text), "gpt-4o-mini").await;
}

fn user(text: &str) -> ChatRequest {
    ChatRequest::new("gpt-4o", vec![Message::user(text)])
}

#[tokio::test]
async fn exact_and_semantic_hits_and_guarded_misses() {
    let s = stage0(CacheConfig::default());
    remember(&s, &user("How do I enable 2FA?"), None, "Settings > Security").await;
    assert_eq!(
        ask(&s, &user("How do I enable 2FA?"), None).await,
        Some(("Settings > Security".into(), CacheLayer::Exact))
    );
    assert_eq!(ask(&s, &user("how can I turn on 2FA"), None).await.map(|h| h.1), Some(CacheLayer::Semantic));
    assert_eq!(ask(&s, &user("How do I disable 2FA?"), None).await, None);
    assert_eq!(ask(&s, &user("How do I enable 2FA?"), Some("acme")).await, None, "tenants never share");
    let mut hot = user("How do I enable 2FA?");
    hot.model = "gpt-4o-mini".into();
    assert_eq!(ask(&s, &hot, None).await, None, "the model is part of the key");
}

#[tokio::test]
async fn rules_bypass_what_must_not_be_shared() {
    let s = stage0(CacheConfig::default());
    let mut n2 = user("hi");
    n2.n = Some(2);
    assert!(matches!(s.plan(&n2, None), Plan::Bypass));
    let mut hot = user("Write a poem");
    hot.temperature = Some(1.5);
    assert!(matches!(s.plan(&hot, None), Plan::Bypass));
    let mut off = user("Write a poem");
    off.kestrel = Some(crate::router::RequestPolicy { cache: Some(CacheSwitch::On(false)), ..Default::default() });
    assert!(matches!(s.plan(&off, None), Plan::Bypass));
    let tool = ChatRequest::new("gpt-4o", vec![Message::user("weather?"), Message::tool("call_1", "21C")]);
    assert!(matches!(s.plan(&tool, None), Plan::Bypass));
    let s2 = stage0(CacheConfig { cache_tool_results: true, ..CacheConfig::default() });
    assert!(matches!(s2.plan(&tool, None), Plan::Use(_)));

    // "refresh" skips the lookup but stores the new answer.
    remember(&s, &user("Write a poem"), None, "old").await;
    let mut refresh = user("Write a poem");
    refresh.kestrel = Some(crate::router::RequestPolicy {
        cache: Some(CacheSwitch::Refresh(RefreshTag::Refresh)),
        ..Default::default()
    });
    let Plan::Use(mut l) = s.plan(&refresh, None) else { panic!() };
    assert!(s.lookup(&mut l).await.is_none());
    s.store(l, &answer("new"), "m").await;
    assert_eq!(ask(&s, &user("Write a poem"), None).await.unwrap().0, "new");

    // A filtered answer is never stored.
    let q = user("Tell me something");
    let Plan::Use(l) = s.plan(&q, None) else { panic!() };
    let mut filtered = answer("...");
    filtered.choices[0].finish_reason = Some("content_filter".into());
    s.store(l, &filtered, "m").await;
    assert_eq!(ask(&s, &q, None).await, None);
}

#[tokio::test]
async fn entries_expire_and_the_lru_is_bounded() {
    let s = stage0(CacheConfig { ttl: Duration::from_millis(30), ..CacheConfig::default() });
    remember(&s, &user("What is 2+2?"), None, "4").await;
    assert!(ask(&s, &user("What is 2+2?"), None).await.is_some());
    tokio::time::sleep(Duration::from_millis(40)).await;
    assert!(ask(&s, &user("What is 2+2?"), None).await.is_none(), "expired");

    let mem = Arc::new(MemoryCache::new(64, usize::MAX));
    let s = stage0(CacheConfig { backend: Some(mem.clone()), ..CacheConfig::default() });
    for i in 0..500 {
        remember(&s, &user(&format!("What is {i} squared?")), None, "n").await;
    }
    assert!(mem.len() <= 64 + 16, "{}", mem.len());
    assert!(ask(&s, &user("What is 499 squared?"), None).await.is_some(), "the newest stays");

    let small = Arc::new(MemoryCache::new(10_000, 64 * 1024));
    let s = stage0(CacheConfig { backend: Some(small.clone()), ..CacheConfig::default() });
    let big = "x".repeat(2000);
    for i in 0..500 {
        remember(&s, &user(&format!("Question {i}")), None, &big).await;
    }
    assert!(small.bytes() <= 64 * 1024 + 16 * 4096, "{}", small.bytes());
}

#[test]
fn bad_settings_are_refused() {
    assert!(Stage0::new(CacheConfig { threshold: 0.0, ..CacheConfig::default() }).is_err());
    assert!(Stage0::new(CacheConfig { threshold: 1.5, ..CacheConfig::default() }).is_err());
    assert!(Stage0::new(CacheConfig { max_entries: 0, ..CacheConfig::default() }).is_err());
}

/// Reads meaning the way a sentence model would for these tests: one vector per set of
/// content words, so a rewording with the same words scores 1.0 whatever its order.
struct ContentWords;

impl Embedder for ContentWords {
    fn id(&self) -> &str {
        "content-words"
    }

    fn reads_meaning(&self) -> bool {
        true
    }

    fn embed<'a>(&'a self, text: &'a str) -> futures_util::future::BoxFuture<'a, crate::Result<Vec<f32>>> {
        let mut words: Vec<String> = text::fingerprint(text)
            .tokens
            .into_iter()
            .filter(|w| !matches!(w.as_str(), "how" | "to" | "i" | "my" | "it" | "what"))
            .collect();
        words.sort();
        Box::pin(std::future::ready(Ok(HashingEmbedder::default().vector(&words.join(" ")))))
    }
}

#[tokio::test]
async fn a_model_lets_wording_change_but_never_the_anchors() {
    let s = stage0(CacheConfig { embedder: Some(Arc::new(ContentWords)), ..CacheConfig::default() });
    assert_eq!(s.threshold(), LOCAL_THRESHOLD);
    remember(&s, &user("How do I enable dark mode in Chrome?"), None, "Settings > Appearance").await;
    let reworded = ask(&s, &user("In Chrome, dark mode: how can I enable it?"), None).await;
    assert_eq!(reworded, Some(("Settings > Appearance".into(), CacheLayer::Semantic)));
    assert_eq!(ask(&s, &user("How do I disable dark mode in Chrome?"), None).await, None);
    assert_eq!(ask(&s, &user("How do I enable dark mode in Firefox?"), None).await, None);
    assert_eq!(ask(&s, &user("How do I enable dark mode in Chrome 2?"), None).await, None);
    assert_eq!(ask(&s, &user("How do I not enable dark mode in Chrome?"), None).await, None);

    // A case change in code is another program, for either guard.
    for s in [stage0(CacheConfig::default()), s] {
        remember(&s, &user("print(x)"), None, "the value of x").await;
        assert_eq!(ask(&s, &user("print(X)"), None).await, None);
        remember(&s, &user("Why does myVar return undefined?"), None, "hoisting").await;
        assert_eq!(ask(&s, &user("Why does myvar return undefined?"), None).await, None);
    }
}

#[tokio::test]
async fn an_entry_keeps_its_question_for_the_pairwise_checks() {
    let mem = Arc::new(MemoryCache::new(100, usize::MAX));
    let s = stage0(CacheConfig {
        backend: Some(mem.clone()),
        embedder: Some(Arc::new(ContentWords)),
        ..CacheConfig::default()
    });
    remember(&s, &user("Who wrote Pride and Prejudice?"), None, "Jane Austen").await;
    let Plan::Use(mut l) = s.plan(&user("who wrote pride and prejudice, please"), None) else { panic!() };
    let (entry, layer) = s.lookup(&mut l).await.unwrap();
    assert_eq!(layer, CacheLayer::Semantic);
    let q = entry.question.as_ref().expect("stored with its question");
    assert_eq!(q.names, ["prejudice", "pride"]);
    // It survives the trip through JSON (the Redis backend stores entries so).
    let back: Entry = serde_json::from_str(&serde_json::to_string(&*entry).unwrap()).unwrap();
    assert_eq!(back.question.as_ref(), Some(q));
    assert_eq!(ask(&s, &user("Who wrote Sense and Sensibility?"), None).await, None);
}
