//! Where streaming time goes: bare bytes, bare + SSE + typed chunks, the Kestrel client
//! (profiling aid).
use std::time::Instant;

use futures_util::StreamExt;
use kestrel::types::{ChatChunk, ChatRequest, Message};
use kestrel_mock::{Behaviour, MockServer, Script};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mock =
        MockServer::start(Script::new().default_behaviour(Behaviour::reply("word ".repeat(40).trim()))).await.unwrap();
    let client = kestrel::Client::builder()
        .from_env(false)
        .api_key("openai", "k")
        .base_url("openai", format!("{}/v1", mock.url()))
        .build()
        .unwrap();
    let url = format!("{}/v1/chat/completions", mock.url());
    let body = serde_json::json!({"model": "gpt-4.1-nano", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "What is the capital of France?"}]})
    .to_string();
    let bare = reqwest::Client::new();
    let n = 300u32;
    for round in 0..2 {
        let t = Instant::now();
        for _ in 0..n {
            let r = bare.post(&url).bearer_auth("k").body(body.clone()).send().await.unwrap();
            let mut s = r.bytes_stream();
            while let Some(b) = s.next().await {
                b.unwrap();
            }
        }
        let a = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            use eventsource_stream::Eventsource;
            let r = bare.post(&url).bearer_auth("k").body(body.clone()).send().await.unwrap();
            let mut s = r.bytes_stream().eventsource();
            while let Some(ev) = s.next().await {
                let ev = ev.unwrap();
                if ev.data != "[DONE]" {
                    std::hint::black_box(serde_json::from_str::<ChatChunk>(&ev.data).unwrap());
                }
            }
        }
        let b = t.elapsed() / n;
        let t = Instant::now();
        for _ in 0..n {
            let req = ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of France?")]);
            let s = client.chat_stream(req).await.unwrap();
            s.map(Result::unwrap).count().await;
        }
        let c = t.elapsed() / n;
        println!("round {round}: bare bytes {a:?} · bare+sse+typed {b:?} · kestrel {c:?}");
    }
}
