//! Kestrel's overhead against a bare reqwest client, measured interleaved: each round
//! runs the bare call and the Kestrel call back to back against the same loopback mock,
//! so drift in machine load hits both alike. Prints medians.
//!
//! `cargo run --release -p kestrel-bench --example overhead_ab`

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::types::{ChatRequest, Message};

const ROUNDS: usize = 3000;
const WARMUP: usize = 300;

fn request(stream: bool) -> ChatRequest {
    let mut r = ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of France?")]);
    r.stream = stream.then_some(true);
    r
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(label: &str, bare: &mut [f64], kestrel: &mut [f64]) {
    let (b, k) = (median(bare), median(kestrel));
    println!("{label:<32} {b:>10.1} µs {k:>10.1} µs {:>9.1} µs", k - b);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let answer = "word ".repeat(40);
    let mock = MockServer::start(Script::new().default_behaviour(Behaviour::reply(answer.trim()))).await.unwrap();
    let client = kestrel_router::Client::builder()
        .from_env(false)
        .api_key("openai", "k")
        .base_url("openai", format!("{}/v1", mock.url()))
        .build()
        .unwrap();
    let model = client.route(&request(false)).unwrap().summary(client.catalog()).model.to_string();
    let mut body = serde_json::to_value(request(false)).unwrap();
    body["model"] = model.into();
    let plain = serde_json::to_vec(&body).unwrap();
    body["stream"] = true.into();
    body["stream_options"] = serde_json::json!({"include_usage": true});
    let streamed = serde_json::to_vec(&body).unwrap();
    let url = format!("{}/v1/chat/completions", mock.url());
    let bare = reqwest::Client::builder().tcp_nodelay(true).build().unwrap();
    let send = |body: &Vec<u8>| {
        bare.post(&url).bearer_auth("k").header("content-type", "application/json").body(body.clone()).send()
    };
    let us = |d: Duration| d.as_secs_f64() * 1e6;

    let (mut b_call, mut k_call, mut b_first, mut k_first, mut b_full, mut k_full) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for i in 0..ROUNDS + WARMUP {
        let t = Instant::now();
        let r = send(&plain).await.unwrap();
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap());
        let bc = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(client.chat(request(false)).await.unwrap());
        let kc = t.elapsed();
        if i >= WARMUP {
            b_call.push(us(bc));
            k_call.push(us(kc));
        }
    }
    for i in 0..ROUNDS + WARMUP {
        let t = Instant::now();
        let mut s = send(&streamed).await.unwrap().bytes_stream();
        s.next().await.unwrap().unwrap();
        let bf = t.elapsed();
        // Stop where an SSE client stops: at the `[DONE]` event, not at the end of the body.
        while let Some(part) = s.next().await {
            if part.unwrap().windows(12).any(|w| w == b"data: [DONE]") {
                break;
            }
        }
        let bl = t.elapsed();
        let t = Instant::now();
        let mut s = client.chat_stream(request(true)).await.unwrap();
        s.next().await.unwrap().unwrap();
        let kf = t.elapsed();
        while let Some(c) = s.next().await {
            c.unwrap();
        }
        let kl = t.elapsed();
        if i >= WARMUP {
            b_first.push(us(bf));
            k_first.push(us(kf));
            b_full.push(us(bl));
            k_full.push(us(kl));
        }
    }

    let (mut b_conc, mut k_conc) = (vec![], vec![]);
    for i in 0..120 {
        let t = Instant::now();
        futures_util::future::join_all((0..64).map(|_| async {
            let r = send(&plain).await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap()
        }))
        .await;
        let bc = t.elapsed();
        let t = Instant::now();
        for r in futures_util::future::join_all((0..64).map(|_| client.chat(request(false)))).await {
            r.unwrap();
        }
        let kc = t.elapsed();
        if i >= 20 {
            b_conc.push(us(bc));
            k_conc.push(us(kc));
        }
    }

    println!("{:<32} {:>13} {:>13} {:>12}", "median", "bare reqwest", "kestrel", "overhead");
    report("non-streaming call", &mut b_call, &mut k_call);
    report("stream: time to first chunk", &mut b_first, &mut k_first);
    report("stream: 40 chunks, to the end", &mut b_full, &mut k_full);
    let per_chunk =
        ((median(&mut k_full) - median(&mut k_first)) - (median(&mut b_full) - median(&mut b_first))) / 40.0;
    println!("{:<32} {:>41.2} µs", "  per-chunk overhead", per_chunk);
    report("64 calls in flight (batch)", &mut b_conc, &mut k_conc);
    let (b, k) = (median(&mut b_conc), median(&mut k_conc));
    println!("{:<32} {:>10.0}/s {:>10.0}/s", "  throughput", 64e6 / b, 64e6 / k);
}
