//! Interleaved A/B of one non-streaming call: bare reqwest vs Kestrel, same mock, same
//! body; prints medians and percentiles (profiling aid; the criterion bench is `client`).
use std::time::Instant;

use kestrel::types::{ChatRequest, Message};
use kestrel_mock::{MockServer, Script};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = kestrel::Client::builder()
        .from_env(false)
        .api_key("openai", "k")
        .base_url("openai", format!("{}/v1", mock.url()))
        .build()
        .unwrap();
    let req = || ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of France?")]);
    let model = client.route(&req()).unwrap().summary(client.catalog()).model.to_string();
    let mut body = serde_json::to_value(req()).unwrap();
    body["model"] = model.into();
    let body = serde_json::to_vec(&body).unwrap();
    let url = format!("{}/v1/chat/completions", mock.url());
    let mut bare = reqwest::Client::builder().tcp_nodelay(true);
    if std::env::var("BARE_TIMEOUTS").is_ok() {
        bare = bare.read_timeout(std::time::Duration::from_secs(120)).timeout(std::time::Duration::from_secs(60));
    }
    let bare = bare.build().unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for i in 0..4000 {
        let t = Instant::now();
        let r = bare
            .post(&url)
            .bearer_auth("k")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&r.bytes().await.unwrap()).unwrap());
        let ta = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(client.chat(req()).await.unwrap());
        let tb = t.elapsed();
        if i >= 500 {
            a.push(ta.as_secs_f64() * 1e6);
            b.push(tb.as_secs_f64() * 1e6);
        }
    }
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let p = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    println!("bare reqwest: p50 {:.1} µs  p90 {:.1} µs", p(&a, 0.5), p(&a, 0.9));
    println!("kestrel:      p50 {:.1} µs  p90 {:.1} µs", p(&b, 0.5), p(&b, 0.9));
    println!("overhead at the median: {:.1} µs", p(&b, 0.5) - p(&a, 0.5));
}
