//! `kestrel cache-eval`: replays labelled request pairs through Stage 0 and reports the hit
//! rate on pairs that should share an answer and the false-hit rate on pairs that must not.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::future::BoxFuture;
use kestrel_router::cache::{CacheConfig, Embedder, HashingEmbedder, LocalEmbedder, PairModel, Plan, Stage0};
use kestrel_router::types::{ChatRequest, ChatResponse, Message};
use serde::Deserialize;

#[derive(Args)]
pub struct CacheEvalArgs {
    /// JSON lines: {"id", "expect": "hit"|"miss", "category", "a": request, "b": request};
    /// a request is an OpenAI request object or a string (one user message to gpt-4o).
    files: Vec<PathBuf>,
    /// Semantic similarity threshold (default: the cache's default for the embedder).
    #[arg(long)]
    threshold: Option<f32>,
    /// Embed with the local sentence model in this directory (the cache's
    /// `embedding_path`; needs the `local-embedder` feature); default: the built-in
    /// hashing embedder.
    #[arg(long)]
    embedding_path: Option<PathBuf>,
    /// Check each semantic hit with the sentence-pair model in this directory (the cache's
    /// `pair_model_path`; needs the `local-embedder` feature).
    #[arg(long)]
    pair_model_path: Option<PathBuf>,
    /// Least agreement, in both orders, for the pair model (default: the cache's).
    #[arg(long)]
    pair_threshold: Option<f32>,
    /// List every pair that went the wrong way.
    #[arg(long)]
    errors: bool,
}

#[derive(Deserialize)]
struct Pair {
    id: String,
    expect: Expect,
    category: String,
    a: serde_json::Value,
    b: serde_json::Value,
}

#[derive(Deserialize, PartialEq, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Hit,
    Miss,
}

fn request(v: serde_json::Value) -> kestrel_router::Result<ChatRequest> {
    match v {
        serde_json::Value::String(s) => Ok(ChatRequest::new("gpt-4o", vec![Message::user(s)])),
        other => ChatRequest::from_value(other),
    }
}

fn answer() -> ChatResponse {
    serde_json::from_value(serde_json::json!({
        "id": "chatcmpl-eval", "object": "chat.completion", "created": 0, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "A"}}]
    }))
    .expect("a valid response")
}

/// Times the first embedding of each text (later ones are the embedder's own cache).
struct Timed {
    inner: Arc<dyn Embedder>,
    seen: Mutex<HashSet<String>>,
    times: Mutex<Vec<Duration>>,
}

impl Embedder for Timed {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn reads_meaning(&self) -> bool {
        self.inner.reads_meaning()
    }

    fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, kestrel_router::Result<Vec<f32>>> {
        Box::pin(async move {
            let first = self.seen.lock().unwrap().insert(text.to_string());
            let t = Instant::now();
            let v = self.inner.embed(text).await;
            if first {
                self.times.lock().unwrap().push(t.elapsed());
            }
            v
        })
    }
}

/// Whether `b` is served the answer stored for `a`, with a fresh cache per pair.
async fn shares(cfg: &CacheConfig, a: &ChatRequest, b: &ChatRequest) -> kestrel_router::Result<bool> {
    let stage0 = Stage0::new(cfg.clone())?;
    if let Plan::Use(mut lookup) = stage0.plan(a, None) {
        let _ = stage0.lookup(&mut lookup).await;
        stage0.store(lookup, &answer(), "gpt-4o").await;
    }
    Ok(match stage0.plan(b, None) {
        Plan::Use(mut lookup) => stage0.lookup(&mut lookup).await.is_some(),
        Plan::Bypass => false,
    })
}

#[derive(Default)]
struct Tally {
    pairs: usize,
    shared: usize,
}

pub fn run(args: CacheEvalArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let inner: Arc<dyn Embedder> = match &args.embedding_path {
        Some(dir) => Arc::new(LocalEmbedder::load(dir)?),
        None => Arc::new(HashingEmbedder::default()),
    };
    let embedder = Arc::new(Timed { inner, seen: Mutex::default(), times: Mutex::default() });
    let probe: Arc<dyn Embedder> = embedder.clone();
    let pair = args.pair_model_path.as_deref().map(PairModel::load).transpose()?.map(Arc::new);
    let mut cfg = CacheConfig {
        embedder: Some(probe),
        threshold: args.threshold.unwrap_or(kestrel_router::cache::DEFAULT_THRESHOLD),
        pair_model: pair.clone(),
        ..CacheConfig::default()
    };
    if let Some(t) = args.pair_threshold {
        cfg.pair_threshold = t;
    }
    let threshold = Stage0::new(cfg.clone())?.threshold();
    let pair_label =
        pair.as_ref().map_or(String::new(), |p| format!(", pair model {} at {}", p.id(), cfg.pair_threshold));
    let mut pair_times = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build()?;
    let mut ok = true;
    for file in &args.files {
        let input = crate::open_input(Some(file))?;
        let mut by_cat: BTreeMap<(bool, String), Tally> = BTreeMap::new();
        let mut wrong = Vec::new();
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let p: Pair = serde_json::from_str(&line).map_err(|e| format!("{}:{}: {e}", file.display(), i + 1))?;
            let (a, b) = (request(p.a).map_err(|e| format!("{}: a: {e}", p.id))?, request(p.b)?);
            let shared = rt.block_on(shares(&cfg, &a, &b))?;
            let final_text = |r: &ChatRequest| kestrel_router::cache::key::final_user_text(r);
            // With --errors, read and timed on every pair (the cache asks only about a
            // candidate hit).
            let agreement = match (&pair, final_text(&a), final_text(&b)) {
                (Some(pair), Some(x), Some(y)) if args.errors => {
                    let started = Instant::now();
                    let p = pair.agreement(&x, &y)?;
                    pair_times.push(started.elapsed());
                    format!(", pair {p:.2}")
                }
                _ => String::new(),
            };
            let t = by_cat.entry((p.expect == Expect::Hit, p.category.clone())).or_default();
            t.pairs += 1;
            t.shared += usize::from(shared);
            if shared != (p.expect == Expect::Hit) {
                let canonical = |r: &ChatRequest| {
                    kestrel_router::cache::key::final_user_text(r)
                        .map(|t| kestrel_router::cache::text::fingerprint(&t).text())
                };
                let (ca, cb) = (canonical(&a), canonical(&b));
                let sim = match (final_text(&a), final_text(&b)) {
                    (Some(x), Some(y)) if embedder.reads_meaning() => {
                        let pair =
                            rt.block_on(async { (embedder.inner.embed(&x).await, embedder.inner.embed(&y).await) });
                        match pair {
                            (Ok(x), Ok(y)) => kestrel_router::cache::embed::cosine(&x, &y),
                            _ => 0.0,
                        }
                    }
                    _ => match (&ca, &cb) {
                        (Some(x), Some(y)) => {
                            let e = HashingEmbedder::default();
                            kestrel_router::cache::embed::cosine(&e.vector(x), &e.vector(y))
                        }
                        _ => 0.0,
                    },
                };
                wrong.push(format!("{} ({}, cos {sim:.2}{agreement}): {ca:?} / {cb:?}", p.id, p.category));
            }
        }
        let sum = |hit: bool| {
            by_cat.iter().filter(|((h, _), _)| *h == hit).fold((0, 0), |(n, s), (_, t)| (n + t.pairs, s + t.shared))
        };
        let (hit_pairs, hits) = sum(true);
        let (miss_pairs, false_hits) = sum(false);
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
        println!("{} (embedder {}, threshold {threshold}{pair_label})", file.display(), embedder.id());
        println!("  should hit : {hits}/{hit_pairs} hit ({:.1} %)", pct(hits, hit_pairs));
        println!("  must miss  : {false_hits}/{miss_pairs} false hits ({:.1} %)", pct(false_hits, miss_pairs));
        for ((hit, cat), t) in &by_cat {
            let what = if *hit { "hit" } else { "false hits" };
            println!("    {:<5} {cat:<12} {:>3}/{:<3} {what}", if *hit { "hit" } else { "miss" }, t.shared, t.pairs);
        }
        if args.errors && !wrong.is_empty() {
            println!("  went the wrong way (canonical final messages):");
            wrong.iter().for_each(|w| println!("    {w}"));
        }
        ok &= false_hits == 0 && pct(hits, hit_pairs) >= 70.0;
    }
    let times = embedder.times.lock().unwrap().clone();
    print_times("embedding", "texts", times, "one at a time, first sight of each text");
    print_times("pair check", "pairs", pair_times, "both orders in one pass");
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// p50, p99 and max of `times`, on one line.
fn print_times(what: &str, unit: &str, mut times: Vec<Duration>, how: &str) {
    if times.is_empty() {
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: {} {unit}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({how})",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}
