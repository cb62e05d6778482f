//! Costs of the client's own steps, without the network (profiling aid).
use std::time::Instant;

use kestrel::types::{ChatRequest, ChatResponse, Message};
use kestrel::usage::{Ledger, LedgerConfig, UsageRecord};

fn main() {
    let client = kestrel::Client::builder().from_env(false).api_key("openai", "k").build().unwrap();
    let req = || ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of France?")]);
    let n = 100_000u32;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(client.route(&req()).unwrap());
    }
    println!("route (incl. availability): {:?}", t.elapsed() / n);
    let r = req();
    let t = Instant::now();
    for _ in 0..n {
        let v = serde_json::to_value(std::hint::black_box(&r)).unwrap();
        std::hint::black_box(serde_json::to_vec(&v).unwrap());
    }
    println!("request body: {:?}", t.elapsed() / n);
    let d = client.route(&r).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(d.reasons.iter().map(ToString::to_string).collect::<Vec<_>>());
    }
    println!("reasons to strings: {:?}", t.elapsed() / n);
    let ledger = Ledger::new(LedgerConfig::default());
    let rec = UsageRecord {
        model: "gpt-4.1-nano".into(),
        provider: "openai".into(),
        requested_model: "gpt-4o".into(),
        prompt_tokens: 10,
        completion_tokens: 20,
        ..Default::default()
    };
    let t = Instant::now();
    for _ in 0..n {
        ledger.record(rec.clone());
    }
    println!("ledger record: {:?}", t.elapsed() / n);
    let resp = r#"{"id":"chatcmpl-mock-1","object":"chat.completion","created":1700000000,"model":"gpt-4.1-nano","choices":[{"index":0,"message":{"role":"assistant","content":"Mock answer","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":12,"total_tokens":32}}"#;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_str::<ChatResponse>(resp).unwrap());
    }
    println!("parse response: {:?}", t.elapsed() / n);
}
