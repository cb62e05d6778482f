//! The client's own cost per call against the loopback mock, next to a bare reqwest POST
//! of the same body to the same mock in the same run: non-streaming calls, streams (time
//! to first chunk and to the end), and 64 calls in flight at once.
//!
//! `cargo bench -p kestrel-bench --bench client`, then `python3 bench/client_summary.py`
//! prints medians and the overhead.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::Client;

/// A typical short request: routed by Kestrel, sent as-is by the bare client.
fn request(stream: bool) -> ChatRequest {
    let mut r = ChatRequest::new(
        "gpt-4o",
        vec![
            Message::system("You are a helpful assistant for an online store."),
            Message::user("What is the capital of France?"),
        ],
    );
    if stream {
        r.stream = Some(true);
    }
    r
}

struct Setup {
    _mock: MockServer,
    kestrel: Client,
    bare: reqwest::Client,
    url: String,
    /// The body Kestrel sends after routing, so both clients send the same bytes.
    body: Vec<u8>,
    stream_body: Vec<u8>,
}

fn setup(rt: &tokio::runtime::Runtime) -> Setup {
    // Forty words streamed as forty chunks; answers come back at once.
    let answer = "word ".repeat(40);
    let mock = MockServer::start_blocking(Script::new().default_behaviour(Behaviour::reply(answer.trim()))).unwrap();
    let kestrel = rt.block_on(async {
        Client::builder()
            .from_env(false)
            .api_key("openai", "bench-key")
            .base_url("openai", format!("{}/v1", mock.url()))
            .build()
            .unwrap()
    });
    let routed = kestrel.route(&request(false)).unwrap();
    let model = routed.summary(kestrel.catalog()).model.to_string();
    let mut body: serde_json::Value = serde_json::to_value(request(false)).unwrap();
    body["model"] = model.into();
    let mut stream_body = body.clone();
    stream_body["stream"] = true.into();
    stream_body["stream_options"] = serde_json::json!({"include_usage": true});
    Setup {
        url: format!("{}/v1/chat/completions", mock.url()),
        _mock: mock,
        kestrel,
        bare: reqwest::Client::builder().tcp_nodelay(true).build().unwrap(),
        body: serde_json::to_vec(&body).unwrap(),
        stream_body: serde_json::to_vec(&stream_body).unwrap(),
    }
}

async fn bare_call(s: &Setup, body: &[u8]) -> reqwest::Response {
    s.bare
        .post(&s.url)
        .header("authorization", "Bearer bench-key")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let s = setup(&rt);

    let mut g = c.benchmark_group("call");
    g.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let resp = bare_call(&s, &s.body).await;
            let bytes = resp.bytes().await.unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        })
    });
    g.bench_function("kestrel", |b| b.to_async(&rt).iter(|| async { s.kestrel.chat(request(false)).await.unwrap() }));
    g.finish();

    let mut g = c.benchmark_group("stream_first_chunk");
    g.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let mut body = bare_call(&s, &s.stream_body).await.bytes_stream();
            body.next().await.unwrap().unwrap()
        })
    });
    g.bench_function("kestrel", |b| {
        b.to_async(&rt).iter(|| async {
            let mut st = s.kestrel.chat_stream(request(true)).await.unwrap();
            st.next().await.unwrap().unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("stream_full_40_chunks");
    g.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            let mut body = bare_call(&s, &s.stream_body).await.bytes_stream();
            let mut n = 0;
            while let Some(part) = body.next().await {
                n += part.unwrap().len();
            }
            n
        })
    });
    g.bench_function("kestrel", |b| {
        b.to_async(&rt).iter(|| async {
            let st = s.kestrel.chat_stream(request(true)).await.unwrap();
            st.map(Result::unwrap).count().await
        })
    });
    g.finish();

    let mut g = c.benchmark_group("concurrent_64");
    g.throughput(criterion::Throughput::Elements(64));
    g.bench_function("bare_reqwest", |b| {
        b.to_async(&rt).iter(|| async {
            futures_util::future::join_all((0..64).map(|_| async {
                let resp = bare_call(&s, &s.body).await;
                serde_json::from_slice::<serde_json::Value>(&resp.bytes().await.unwrap()).unwrap()
            }))
            .await
        })
    });
    g.bench_function("kestrel", |b| {
        b.to_async(&rt)
            .iter(|| async { futures_util::future::join_all((0..64).map(|_| s.kestrel.chat(request(false)))).await })
    });
    g.finish();
}

criterion_group! {
    name = client;
    config = Criterion::default().sample_size(40).measurement_time(Duration::from_secs(4)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(client);
