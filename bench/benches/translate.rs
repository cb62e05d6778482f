//! Each provider's translation cost, with no network: an OpenAI request to the provider's
//! body, the provider's answer back to an OpenAI `ChatResponse`, and one stream event to
//! OpenAI chunks. The payloads have the shapes the mock provider emits (tests/mock).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kestrel_router::catalog::Api;
use kestrel_router::providers::bench;
use kestrel_router::ChatRequest;
use serde_json::json;

struct Case {
    api: Api,
    provider: &'static str,
    model: &'static str,
    /// A text answer with usage.
    text: String,
    /// An answer calling the request's tool.
    tool: String,
    /// Events that set up the stream (message start, text block start).
    prelude: Vec<String>,
    /// One text-delta event.
    delta: String,
}

/// System prompt, two turns, one tool.
fn request() -> ChatRequest {
    ChatRequest::from_value(json!({
        "model": "any",
        "messages": [
            {"role": "system", "content": "You are a concise assistant for a travel booking site. Answer in at most three sentences and use the tools when the user asks about current conditions."},
            {"role": "user", "content": "I'm flying to Lisbon next Tuesday. What should I pack for a three-day business trip?"},
            {"role": "assistant", "content": "For a three-day business trip to Lisbon, pack two suits or blazers, comfortable walking shoes for the hills, and a light layer for the evenings."},
            {"role": "user", "content": "And what's the weather going to be like there right now?"}
        ],
        "tools": [{"type": "function", "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {"type": "object", "properties": {
                "city": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
            }, "required": ["city"]}
        }}],
        "temperature": 0.7,
        "max_completion_tokens": 512
    }))
    .expect("a valid request")
}

const ANSWER: &str = "Lisbon is currently sunny with a light breeze from the Atlantic, around 22 degrees in the afternoon and cooler by the river in the evening. A light jacket will be enough.";

fn cases() -> Vec<Case> {
    let openai_usage = json!({
        "prompt_tokens": 112, "completion_tokens": 38, "total_tokens": 150,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
    });
    let openai_completion = |message: serde_json::Value, finish: &str| {
        json!({
            "id": "chatcmpl-mock-1", "object": "chat.completion", "created": 1_764_000_000u64, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": openai_usage, "service_tier": "default", "system_fingerprint": "fp_kestrel_mock"
        })
        .to_string()
    };
    let anthropic_usage = json!({"input_tokens": 112, "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0, "output_tokens": 38, "service_tier": "standard"});
    let anthropic_message = |content: serde_json::Value, stop: &str| {
        json!({"id": "msg_mock_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": content, "stop_reason": stop, "stop_sequence": null, "usage": anthropic_usage})
        .to_string()
    };
    let gemini_usage = json!({"promptTokenCount": 112, "candidatesTokenCount": 38, "totalTokenCount": 150,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 112}]});
    let gemini_response = |parts: serde_json::Value| {
        json!({"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0, "finishReason": "STOP"}],
            "usageMetadata": gemini_usage, "modelVersion": "gemini-2.5-flash", "responseId": "resp_mock_1"})
        .to_string()
    };
    let cohere_usage = json!({"billed_units": {"input_tokens": 112, "output_tokens": 38},
        "tokens": {"input_tokens": 112, "output_tokens": 38}});
    let cohere_response = |message: serde_json::Value, finish: &str| {
        json!({"id": "cohere_mock_1", "message": message, "finish_reason": finish, "usage": cohere_usage}).to_string()
    };
    vec![
        Case {
            api: Api::Openai,
            provider: "openai",
            model: "gpt-4o-mini",
            text: openai_completion(
                json!({"role": "assistant", "content": ANSWER, "refusal": null, "annotations": []}),
                "stop",
            ),
            tool: openai_completion(
                json!({"role": "assistant", "content": null, "refusal": null, "annotations": [],
                    "tool_calls": [{"id": "call_mock_1_0", "type": "function",
                        "function": {"name": "get_weather", "arguments": "{\"city\":\"Lisbon\",\"unit\":\"celsius\"}"}}]}),
                "tool_calls",
            ),
            prelude: vec![],
            delta: json!({"id": "chatcmpl-mock-1", "object": "chat.completion.chunk", "created": 1_764_000_000u64,
                "model": "gpt-4o-mini", "service_tier": "default", "system_fingerprint": "fp_kestrel_mock",
                "choices": [{"index": 0, "delta": {"content": "sunny "}, "logprobs": null, "finish_reason": null}],
                "usage": null})
            .to_string(),
        },
        Case {
            api: Api::Anthropic,
            provider: "anthropic",
            model: "claude-haiku-4-5",
            text: anthropic_message(json!([{"type": "text", "text": ANSWER}]), "end_turn"),
            tool: anthropic_message(
                json!([{"type": "text", "text": "Let me check the weather."},
                    {"type": "tool_use", "id": "toolu_mock_1_0", "name": "get_weather",
                        "input": {"city": "Lisbon", "unit": "celsius"}}]),
                "tool_use",
            ),
            prelude: vec![
                json!({"type": "message_start", "message": {"id": "msg_mock_1", "type": "message", "role": "assistant",
                    "model": "claude-haiku-4-5", "content": [], "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": 112, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0,
                        "output_tokens": 1, "service_tier": "standard"}}})
                .to_string(),
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
                    .to_string(),
            ],
            delta:
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "sunny "}})
                    .to_string(),
        },
        Case {
            api: Api::Gemini,
            provider: "gemini",
            model: "gemini-2.5-flash",
            text: gemini_response(json!([{"text": ANSWER}])),
            tool: gemini_response(
                json!([{"functionCall": {"name": "get_weather", "args": {"city": "Lisbon", "unit": "celsius"}}}]),
            ),
            prelude: vec![],
            delta: json!({"candidates": [{"content": {"parts": [{"text": "sunny "}], "role": "model"}, "index": 0}],
                "usageMetadata": {"promptTokenCount": 112, "totalTokenCount": 112,
                    "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 112}]},
                "modelVersion": "gemini-2.5-flash", "responseId": "resp_mock_1"})
            .to_string(),
        },
        Case {
            api: Api::Cohere,
            provider: "cohere",
            model: "command-r-plus-08-2024",
            text: cohere_response(
                json!({"role": "assistant", "content": [{"type": "text", "text": ANSWER}]}),
                "COMPLETE",
            ),
            tool: cohere_response(
                json!({"role": "assistant", "tool_plan": "I will check the weather in Lisbon.",
                    "tool_calls": [{"id": "get_weather_mock_1_0", "type": "function",
                        "function": {"name": "get_weather", "arguments": "{\"city\":\"Lisbon\",\"unit\":\"celsius\"}"}}]}),
                "TOOL_CALL",
            ),
            prelude: vec![
                json!({"type": "message-start", "id": "cohere_mock_1", "delta": {"message": {
                    "role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}})
                .to_string(),
                json!({"type": "content-start", "index": 0,
                    "delta": {"message": {"content": {"type": "text", "text": ""}}}})
                .to_string(),
            ],
            delta: json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "sunny "}}}})
                .to_string(),
        },
    ]
}

/// Checks once, outside the timing, that each payload translates to what it should.
fn check(case: &Case, req: &ChatRequest) {
    let body = bench::encode(case.api, case.provider, req, case.model, false).expect("encode");
    assert!(body.len() > 200, "{}: body too short", case.provider);
    let text = bench::decode(case.api, case.provider, case.text.as_bytes(), case.model).expect("decode text");
    assert_eq!(text.choices[0].message.content.as_deref(), Some(ANSWER), "{}", case.provider);
    assert!(text.usage.is_some(), "{}: no usage", case.provider);
    let tool = bench::decode(case.api, case.provider, case.tool.as_bytes(), case.model).expect("decode tool");
    let calls = tool.choices[0].message.tool_calls.as_ref().map_or(0, Vec::len);
    assert_eq!(calls, 1, "{}: tool call not decoded", case.provider);
    let mut t = bench::translator(case.api, case.provider, case.model);
    for e in &case.prelude {
        t(e).expect("prelude");
    }
    let chunks = t(&case.delta).expect("delta");
    assert!(
        chunks.iter().any(|c| c.choices.first().and_then(|c| c.delta.content.as_deref()) == Some("sunny ")),
        "{}: text delta not translated",
        case.provider
    );
}

fn translate(c: &mut Criterion) {
    let req = request();
    let cases = cases();
    for case in &cases {
        check(case, &req);
    }

    let mut group = c.benchmark_group("encode");
    for case in &cases {
        group.bench_with_input(BenchmarkId::from_parameter(case.provider), case, |b, case| {
            b.iter(|| bench::encode(case.api, case.provider, black_box(&req), case.model, false).unwrap())
        });
    }
    group.finish();

    for name in ["decode_text", "decode_tool"] {
        let mut group = c.benchmark_group(name);
        for case in &cases {
            let body = if name == "decode_text" { &case.text } else { &case.tool };
            group.bench_with_input(BenchmarkId::from_parameter(case.provider), case, |b, case| {
                b.iter(|| bench::decode(case.api, case.provider, black_box(body.as_bytes()), case.model).unwrap())
            });
        }
        group.finish();
    }

    let mut group = c.benchmark_group("chunk_text");
    for case in &cases {
        let mut t = bench::translator(case.api, case.provider, case.model);
        for e in &case.prelude {
            t(e).unwrap();
        }
        group.bench_function(BenchmarkId::from_parameter(case.provider), |b| {
            b.iter(|| t(black_box(&case.delta)).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(2));
    targets = translate
}
criterion_main!(benches);
