//! Load test of `kestrel serve` (not run in CI; `bash bench/serve_load.sh`): N chat requests
//! at C concurrency, first straight to kestrel-mock, then through the server (routing on,
//! usage stored in SQLite) to the same mock. Prints throughput, latency percentiles, the
//! latency the server adds, and checks that every request left exactly one usage record.
//!
//! `cargo run --release -p kestrel-bench --example serve_load -- [N] [C] [STREAM_SHARE]`

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_server::store::UsageQuery;
use kestrel_server::{keys, Server, ServerConfig};
use serde_json::json;

struct Run {
    wall: Duration,
    latencies_ms: Vec<f64>,
    failures: usize,
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(http: &reqwest::Client, url: &str, key: &str, n: usize, c: usize, stream_share: f64) -> Run {
    let start = Instant::now();
    let results: Vec<Option<f64>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let stream = (i % 100) < (stream_share * 100.0).round() as usize;
            let body = json!({"model": "gpt-4o", "stream": stream,
                "messages": [{"role": "user", "content": format!("Request {i}: what is {i} plus {i}?")}]});
            let req = http.post(url).bearer_auth(key).json(&body);
            async move {
                let t = Instant::now();
                let resp = req.send().await.ok()?;
                if !resp.status().is_success() {
                    return None;
                }
                let _ = resp.bytes().await.ok()?;
                Some(t.elapsed().as_secs_f64() * 1000.0)
            }
        })
        .buffer_unordered(c)
        .collect()
        .await;
    let wall = start.elapsed();
    let failures = results.iter().filter(|r| r.is_none()).count();
    let mut latencies_ms: Vec<f64> = results.into_iter().flatten().collect();
    latencies_ms.sort_by(f64::total_cmp);
    Run { wall, latencies_ms, failures }
}

fn report(name: &str, r: &Run, n: usize) {
    println!(
        "{name:<28} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   failures {}",
        n as f64 / r.wall.as_secs_f64(),
        pct(&r.latencies_ms, 0.50),
        pct(&r.latencies_ms, 0.99),
        r.failures
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let c: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let stream_share: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(0.0);

    let mock = MockServer::start(Script::new().default_behaviour(Behaviour::new().usage(40, 20))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = ServerConfig::new(dir.path().join("kestrel.db"));
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.master_key = Some("55".repeat(32));
    cfg.base_urls = vec![("openai".into(), format!("{}/openai/v1", mock.url()))];
    cfg.max_retries = Some(0);
    let server = Server::start(cfg).await.unwrap();
    let shared = server.shared().clone();
    let new = keys::NewKey {
        tenant: "load".into(),
        providers: [("openai".to_string(), "sk-load".to_string())].into(),
        ..Default::default()
    };
    let key = keys::create(&*shared.store, &shared.master, &shared.catalog, new).unwrap().key;
    let http = reqwest::Client::builder().pool_max_idle_per_host(c).build().unwrap();

    println!("{n} requests at concurrency {c} (stream share {:.0}%), kestrel-mock on loopback\n", stream_share * 100.0);
    // Warm both paths (connections, the key's client) before measuring.
    let direct_url = format!("{}/openai/v1/chat/completions", mock.url());
    let served_url = format!("{}/v1/chat/completions", server.url());
    run(&http, &direct_url, "sk-load", c, c, stream_share).await;
    run(&http, &served_url, &key, c, c, stream_share).await;

    let direct = run(&http, &direct_url, "sk-load", n, c, stream_share).await;
    report("direct to the mock", &direct, n);
    let served = run(&http, &served_url, &key, n, c, stream_share).await;
    report("through kestrel serve", &served, n);
    println!(
        "{:<28} p50 {:+.2} ms   p99 {:+.2} ms",
        "added by the server",
        pct(&served.latencies_ms, 0.50) - pct(&direct.latencies_ms, 0.50),
        pct(&served.latencies_ms, 0.99) - pct(&direct.latencies_ms, 0.99),
    );

    let lost = shared.pool.lost.load(std::sync::atomic::Ordering::Relaxed);
    server.shutdown().await;
    let stored = shared.store.usage(&UsageQuery { tenant: "load".into(), ..Default::default() }).unwrap();
    let expected = n + c; // the warm-up requests count too
    let ok = served.failures == 0 && stored.len() == expected && lost == 0;
    println!(
        "\nusage records stored: {} of {expected} requests (warm-up included), lost {lost}: {}",
        stored.len(),
        if ok { "none lost" } else { "MISMATCH" }
    );
    if !ok {
        std::process::exit(1);
    }
}
