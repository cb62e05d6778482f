//! Stage 0 costs: an exact hit (Stage 0 alone, and a whole `client.chat` answered from the
//! cache), a semantic lookup with 100,000 entries cached, memory per entry, and an exact
//! hit through Redis on loopback (when `redis-server` is installed).
//!
//! The same lookups with model-sized vectors (384 floats, the local model's guard), the
//! embedding left out: a stand-in embedder hands out fixed vectors. With
//! `KESTREL_EMBED_MODEL_DIR` set and `--features kestrel-router/local-embedder`, the
//! embedding itself (all-MiniLM-L6-v2 on this CPU), one text and a batch of 8.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::future::BoxFuture;
use kestrel_router::cache::{CacheConfig, Embedder, LocalEmbedder, MemoryCache, Plan, Stage0};
use kestrel_router::types::{ChatRequest, ChatResponse, Message};
use kestrel_router::Client;

fn answer(text: &str) -> ChatResponse {
    serde_json::from_value(serde_json::json!({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 120, "total_tokens": 160}
    }))
    .unwrap()
}

fn question(i: usize) -> ChatRequest {
    let topics = ["billing", "shipping", "returns", "passwords", "invoices", "refunds", "accounts", "orders"];
    let text = format!(
        "How do I update the {} settings for order number {} in my {} account?",
        topics[i % topics.len()],
        i,
        topics[(i / 8) % topics.len()]
    );
    ChatRequest::new("gpt-4o", vec![Message::system("You are a support assistant."), Message::user(text)])
}

/// The same question as a user might retype it: a greeting, another opener, lower case,
/// no question mark.
fn reword(mut r: ChatRequest) -> ChatRequest {
    let text: String = r.messages[1].texts().collect();
    let text = text.replacen("How do I", "hey, how can I", 1).to_lowercase().replace('?', "");
    r.messages[1] = Message::user(text);
    r
}

async fn remember(s: &Stage0, req: &ChatRequest, text: &str) {
    if let Plan::Use(mut l) = s.plan(req, None) {
        let _ = s.lookup(&mut l).await;
        s.store(l, &answer(text), "gpt-4o-mini").await;
    }
}

async fn lookup(s: &Stage0, req: &ChatRequest) -> bool {
    match s.plan(req, None) {
        Plan::Use(mut l) => s.lookup(&mut l).await.is_some(),
        Plan::Bypass => false,
    }
}

/// Stands in for the local model where the embedding is not what is measured: a
/// deterministic 384-float unit vector per set of content words (so a rewording gets its
/// original's vector), read as a model reads (the anchor guard applies).
struct FixedVectors;

impl Embedder for FixedVectors {
    fn id(&self) -> &str {
        "fixed-384"
    }

    fn reads_meaning(&self) -> bool {
        true
    }

    fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, kestrel_router::Result<Vec<f32>>> {
        let skip = ["how", "do", "i", "can", "hey", "the", "a", "in", "my", "for", "to"];
        let mut words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| !w.is_empty() && !skip.contains(&w.as_str()))
            .collect();
        words.sort();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&words, &mut h);
        let mut x = std::hash::Hasher::finish(&h) | 1;
        let mut v: Vec<f32> = (0..384)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        kestrel_router::cache::embed::normalize(&mut v);
        Box::pin(std::future::ready(Ok(v)))
    }
}

/// Letters only, never a listed anchor word: "zqbaf".
fn made_up(mut i: usize) -> String {
    let mut w = String::from("zq");
    for _ in 0..4 {
        w.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
    }
    w
}

/// Questions without numbers or listed words: with the model's guard they all share one
/// semantic block (same context, no anchors), the worst case for a lookup.
fn anchorless(i: usize) -> ChatRequest {
    let text = format!("How do I frobnicate the {} {} widget?", made_up(i), made_up(i / 7 + 3));
    ChatRequest::new("gpt-4o", vec![Message::system("You are a support assistant."), Message::user(text)])
}

/// Resident memory of this process, in bytes.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<usize>().ok()).unwrap_or(0) * 4096
}

fn cache(c: &mut Criterion) {
    // A current-thread runtime: `block_on` itself then costs well under a microsecond.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer_text = "Open Settings, choose the section you need, edit the field and press Save. ".repeat(4);

    // Exact hit, Stage 0 alone and through the client.
    let stage0 = Stage0::new(CacheConfig::default()).unwrap();
    let req = question(7);
    rt.block_on(remember(&stage0, &req, &answer_text));
    c.bench_function("cache/exact_hit_stage0", |b| b.iter(|| rt.block_on(lookup(&stage0, &req))));

    let client = Client::builder().from_env(false).api_key("openai", "sk-bench").cache(CacheConfig::default()).build();
    let client = client.unwrap();
    let mock = rt.block_on(kestrel_mock::MockServer::start(kestrel_mock::Script::new())).unwrap();
    client.set_base_url("openai", format!("{}/openai/v1", mock.url())).unwrap();
    let plain = ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of France?")]);
    rt.block_on(client.chat(plain.clone())).unwrap();
    c.bench_function("cache/exact_hit_client_chat", |b| b.iter(|| rt.block_on(client.chat(plain.clone())).unwrap()));

    // Semantic lookup with 100,000 entries.
    let mem = Arc::new(MemoryCache::new(200_000, usize::MAX));
    let big = Stage0::new(CacheConfig { backend: Some(mem.clone()), ..CacheConfig::default() }).unwrap();
    let before = rss();
    rt.block_on(async {
        for i in 0..100_000 {
            remember(&big, &question(i), &answer_text).await;
        }
    });
    let after = rss();
    println!(
        "cache/memory: {} entries, {} B accounted per entry, {} B resident per entry ({}-byte answers, 256-dim vectors)",
        mem.len(),
        mem.bytes() / mem.len().max(1),
        after.saturating_sub(before) / mem.len().max(1),
        answer_text.len()
    );
    // A reworded question: misses the exact layer, found by the semantic one.
    let reworded = reword(question(4242));
    assert!(rt.block_on(lookup(&big, &reworded)), "the reworded question hits");
    c.bench_function("cache/semantic_hit_100k", |b| b.iter(|| rt.block_on(lookup(&big, &reworded))));
    let unseen = ChatRequest::new(
        "gpt-4o",
        vec![Message::system("You are a support assistant."), Message::user("How do I close my account for good?")],
    );
    c.bench_function("cache/miss_100k", |b| b.iter(|| rt.block_on(lookup(&big, &unseen))));

    // The same with the model's guard and 384-float vectors, embedding left out.
    let mem = Arc::new(MemoryCache::new(200_000, usize::MAX));
    let fixed = Arc::new(FixedVectors);
    let model = Stage0::new(CacheConfig {
        backend: Some(mem.clone()),
        embedder: Some(fixed.clone()),
        ..CacheConfig::default()
    })
    .unwrap();
    let before = rss();
    rt.block_on(async {
        for i in 0..100_000 {
            remember(&model, &question(i), &answer_text).await;
        }
    });
    let after = rss();
    println!(
        "cache/memory_model: {} entries, {} B accounted per entry, {} B resident per entry (384-dim vectors)",
        mem.len(),
        mem.bytes() / mem.len().max(1),
        after.saturating_sub(before) / mem.len().max(1),
    );
    let reworded = reword(question(4242));
    assert!(rt.block_on(lookup(&model, &reworded)), "the reworded question hits");
    c.bench_function("cache/semantic_hit_100k_384d", |b| b.iter(|| rt.block_on(lookup(&model, &reworded))));
    c.bench_function("cache/miss_100k_384d", |b| b.iter(|| rt.block_on(lookup(&model, &unseen))));

    // Worst case: 100,000 questions with no anchors in one context, so one semantic block
    // (which keeps its newest 512 for lookups).
    let mem = Arc::new(MemoryCache::new(200_000, usize::MAX));
    let one_block =
        Stage0::new(CacheConfig { backend: Some(mem.clone()), embedder: Some(fixed), ..CacheConfig::default() })
            .unwrap();
    rt.block_on(async {
        for i in 0..100_000 {
            remember(&one_block, &anchorless(i), &answer_text).await;
        }
    });
    let reworded = reword(anchorless(99_990));
    assert!(rt.block_on(lookup(&one_block, &reworded)), "the reworded question hits");
    c.bench_function("cache/semantic_hit_100k_one_block_384d", |b| {
        b.iter(|| rt.block_on(lookup(&one_block, &reworded)))
    });
    let unseen_here = reword(anchorless(100_001));
    c.bench_function("cache/miss_100k_one_block_384d", |b| b.iter(|| rt.block_on(lookup(&one_block, &unseen_here))));

    // The embedding itself, when the model is at hand.
    match std::env::var_os("KESTREL_EMBED_MODEL_DIR").map(|d| LocalEmbedder::load(std::path::Path::new(&d))) {
        Some(Ok(e)) => {
            let mut n = 0usize;
            c.bench_function("cache/embed_local_one", |b| {
                b.iter(|| {
                    n += 1;
                    e.embed_batch_now(&[&format!("How do I reset the password of account {n}?")]).unwrap()
                })
            });
            let texts: Vec<String> = (0..8).map(|i| format!("How can I change my password number {i}?")).collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            c.bench_function("cache/embed_local_batch_8", |b| b.iter(|| e.embed_batch_now(&texts).unwrap()));
        }
        Some(Err(err)) => println!("cache/embed_local: skipped ({err})"),
        None => println!("cache/embed_local: skipped (KESTREL_EMBED_MODEL_DIR not set)"),
    }

    // Redis on loopback.
    if let Some(mut server) = start_redis() {
        let redis = Stage0::new(CacheConfig {
            redis_url: Some(format!("redis://127.0.0.1:{}/", server.1)),
            redis_prefix: "bench".into(),
            redis_timeout: Duration::from_secs(1),
            ..CacheConfig::default()
        })
        .unwrap();
        rt.block_on(remember(&redis, &req, &answer_text));
        assert!(rt.block_on(lookup(&redis, &req)));
        c.bench_function("cache/exact_hit_redis", |b| b.iter(|| rt.block_on(lookup(&redis, &req))));
        let reworded7 = reword(question(7));
        assert!(rt.block_on(lookup(&redis, &reworded7)));
        c.bench_function("cache/semantic_hit_redis", |b| b.iter(|| rt.block_on(lookup(&redis, &reworded7))));
        let _ = server.0.kill();
    } else {
        println!("cache/redis: skipped (redis-server not installed)");
    }
}

fn start_redis() -> Option<(Child, u16)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((child, port));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(3));
    targets = cache
}
criterion_main!(benches);
