//! Cost of parsing provider answers into the typed OpenAI structures (profiling aid).
use kestrel::types::{ChatChunk, ChatResponse};
use std::time::Instant;

fn main() {
    let chunk = r#"{"id":"chatcmpl-mock-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4.1-nano","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"content":"word "},"logprobs":null,"finish_reason":null}],"usage":null}"#;
    let resp = r#"{"id":"chatcmpl-mock-1","object":"chat.completion","created":1700000000,"model":"gpt-4.1-nano","system_fingerprint":"fp_mock","choices":[{"index":0,"message":{"role":"assistant","content":"Mock answer from gpt-4.1-nano: you said the capital of France","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":20,"completion_tokens":12,"total_tokens":32,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default"}"#;
    let n = 100_000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_str::<ChatChunk>(std::hint::black_box(chunk)).unwrap());
    }
    println!("chunk typed: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_str::<serde_json::Value>(std::hint::black_box(chunk)).unwrap());
    }
    println!("chunk value: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_str::<ChatResponse>(std::hint::black_box(resp)).unwrap());
    }
    println!("response typed: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(serde_json::from_str::<serde_json::Value>(std::hint::black_box(resp)).unwrap());
    }
    println!("response value: {:?}", t.elapsed() / n);
}
