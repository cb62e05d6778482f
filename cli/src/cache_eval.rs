//! `kestrel cache-eval`: replays labelled request pairs through Stage 0 and reports the hit
//! rate on pairs that should share an answer and the false-hit rate on pairs that must not.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kestrel_router::cache::{CacheConfig, Plan, Stage0};
use kestrel_router::types::{ChatRequest, ChatResponse, Message};
use serde::Deserialize;

#[derive(Args)]
pub struct CacheEvalArgs {
    /// JSON lines: {"id", "expect": "hit"|"miss", "category", "a": request, "b": request};
    /// a request is an OpenAI request object or a string (one user message to gpt-4o).
    files: Vec<PathBuf>,
    /// Semantic similarity threshold (default: the cache's default).
    #[arg(long)]
    threshold: Option<f32>,
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

/// Whether `b` is served the answer stored for `a`, with a fresh cache per pair.
async fn shares(threshold: f32, a: &ChatRequest, b: &ChatRequest) -> kestrel_router::Result<bool> {
    let stage0 = Stage0::new(CacheConfig { threshold, ..CacheConfig::default() })?;
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
    let threshold = args.threshold.unwrap_or(kestrel_router::cache::DEFAULT_THRESHOLD);
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
            let shared = rt.block_on(shares(threshold, &a, &b))?;
            let t = by_cat.entry((p.expect == Expect::Hit, p.category.clone())).or_default();
            t.pairs += 1;
            t.shared += usize::from(shared);
            if shared != (p.expect == Expect::Hit) {
                let canonical = |r: &ChatRequest| {
                    kestrel_router::cache::key::final_user_text(r)
                        .map(|t| kestrel_router::cache::text::fingerprint(&t).text())
                };
                let (ca, cb) = (canonical(&a), canonical(&b));
                let e = kestrel_router::cache::HashingEmbedder::default();
                let sim = match (&ca, &cb) {
                    (Some(x), Some(y)) => kestrel_router::cache::embed::cosine(&e.vector(x), &e.vector(y)),
                    _ => 0.0,
                };
                wrong.push(format!("{} ({}, cos {sim:.2}): {ca:?} / {cb:?}", p.id, p.category));
            }
        }
        let sum = |hit: bool| {
            by_cat.iter().filter(|((h, _), _)| *h == hit).fold((0, 0), |(n, s), (_, t)| (n + t.pairs, s + t.shared))
        };
        let (hit_pairs, hits) = sum(true);
        let (miss_pairs, false_hits) = sum(false);
        let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 * 100.0 / b as f64 };
        println!("{} (threshold {threshold})", file.display());
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
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
