//! OpenAI wire types: round-trips, pass-through of unknown fields, and typed validation errors.

use kestrel_router::types::{
    ChatChunk, ChatRequest, ChatResponse, Content, ContentPart, ResponseFormat, Role, ToolChoice,
};
use kestrel_router::Error;
use serde_json::{json, Value};

fn invalid(body: Value) -> (String, String) {
    match ChatRequest::from_json(&body.to_string()) {
        Err(Error::InvalidRequest { field, message }) => (field, message),
        other => panic!("expected InvalidRequest for {body}, got {other:?}"),
    }
}

#[test]
fn every_documented_request_field_round_trips() {
    let body = json!({
        "model": "gpt-4o",
        "messages": [
            {"role": "developer", "content": "Be terse."},
            {"role": "system", "content": [{"type": "text", "text": "You are helpful."}]},
            {"role": "user", "name": "ana", "content": [
                {"type": "text", "text": "What is in these?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "high"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
                {"type": "file", "file": {"file_id": "file-123", "filename": "a.pdf"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"x\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\"ok\":true}"},
            {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}
        ],
        "max_tokens": 100, "max_completion_tokens": 200, "temperature": 0.2, "top_p": 0.9, "n": 1,
        "stop": ["\n\n", "END"], "seed": 42, "presence_penalty": 0.1, "frequency_penalty": -0.1,
        "logit_bias": {"50256": -100}, "logprobs": true, "top_logprobs": 3,
        "stream": true, "stream_options": {"include_usage": true},
        "tools": [{"type": "function", "function": {"name": "lookup", "description": "d",
                   "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}, "strict": true}}],
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        "parallel_tool_calls": false,
        "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}},
        "reasoning_effort": "low", "verbosity": "low", "modalities": ["text"], "audio": {"voice": "alloy", "format": "wav"},
        "prediction": {"type": "content", "content": "x"}, "service_tier": "auto", "store": false,
        "metadata": {"k": "v"}, "user": "u-1", "safety_identifier": "s", "prompt_cache_key": "p",
        "web_search_options": {}, "some_future_field": {"nested": [1, 2]}
    });
    let req = ChatRequest::from_json(&body.to_string()).unwrap();
    assert_eq!(serde_json::to_value(&req).unwrap(), body);
    assert!(matches!(req.tool_choice, Some(ToolChoice::Named(_))));
    assert!(matches!(req.response_format, Some(ResponseFormat::JsonSchema { .. })));
    assert_eq!(req.extra["some_future_field"], json!({"nested": [1, 2]}));
    match &req.messages[2].content {
        Some(Content::Parts(p)) => assert!(matches!(p[3], ContentPart::File { .. })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_fields_pass_through_at_every_level() {
    let body = json!({
        "model": "m", "x_top": 1,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}], "x_msg": true}],
        "tools": [{"type": "function", "x_tool": 2, "function": {"name": "f", "x_fn": 3}}]
    });
    let req = ChatRequest::from_json(&body.to_string()).unwrap();
    assert_eq!(serde_json::to_value(&req).unwrap(), body);
}

#[test]
fn responses_and_chunks_round_trip_with_unknown_fields() {
    let resp = json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "logprobs": null,
            "message": {"role": "assistant", "content": null, "refusal": null, "annotations": [],
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
        "system_fingerprint": "fp_1", "service_tier": "default", "provider_extra": {"a": 1}
    });
    let parsed: ChatResponse = serde_json::from_value(resp.clone()).unwrap();
    assert_eq!(parsed.usage.as_ref().unwrap().cached_tokens(), 4);
    assert_eq!(serde_json::to_value(&parsed).unwrap(), resp);

    let chunk = json!({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "finish_reason": null, "logprobs": null,
            "delta": {"role": "assistant", "tool_calls": [{"index": 0, "id": "c1", "type": "function",
                "function": {"name": "f", "arguments": ""}}]}}],
        "obfuscation": "abc"
    });
    let parsed: ChatChunk = serde_json::from_value(chunk.clone()).unwrap();
    assert_eq!(parsed.choices[0].delta.role, Some(Role::Assistant));
    assert_eq!(serde_json::to_value(&parsed).unwrap(), chunk);
}

#[test]
fn invalid_requests_name_the_field() {
    let (f, m) = invalid(json!({"model": "gpt-4o", "messages": []}));
    assert_eq!(f, "messages");
    assert!(m.contains("at least one"), "{m}");

    let (f, m) = invalid(json!({"model": "gpt-4o", "messages": [{"role": "robot", "content": "x"}]}));
    assert_eq!(f, "messages[0].role");
    assert!(m.contains("robot"), "{m}");

    let (f, _) = invalid(json!({"model": "gpt-4o", "messages": [
        {"role": "user", "content": "x"}, {"role": "tool", "content": "y"}]}));
    assert_eq!(f, "messages[1].tool_call_id");

    let (f, m) = invalid(json!({"model": "gpt-4o", "messages": [{"role": "user", "content": 5}]}));
    assert_eq!(f, "messages[0].content");
    assert!(m.contains("a string or an array of content parts"), "{m}");

    let (f, _) = invalid(json!({"model": "gpt-4o", "messages": "hello"}));
    assert_eq!(f, "messages");

    let (f, _) = invalid(json!({"model": 4, "messages": [{"role": "user", "content": "x"}]}));
    assert_eq!(f, "model");

    let (f, _) = invalid(json!({"messages": [{"role": "user", "content": "x"}]}));
    assert_eq!(f, "body");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}));
    assert_eq!(f, "temperature");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 3.5}));
    assert_eq!(f, "temperature");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tool_choice": {"type": "function", "function": {"name": "missing"}}}));
    assert_eq!(f, "tool_choice.function.name");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "bad name!"}}]}));
    assert_eq!(f, "tools[0].function.name");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "system", "content": [
        {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}));
    assert_eq!(f, "messages[0].content[0]");

    // Tool results may carry images and files (as OpenAI takes them), not audio.
    let tool = |part: serde_json::Value| {
        json!({"model": "m", "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [part]}]})
    };
    for part in [
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}),
        json!({"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}}),
    ] {
        ChatRequest::from_json(&tool(part).to_string()).unwrap();
    }
    let (f, _) = invalid(tool(json!({"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}})));
    assert_eq!(f, "messages[2].content[0]");

    let (f, _) = invalid(json!({"model": "m", "messages": [{"role": "assistant"}]}));
    assert_eq!(f, "messages[0].content");

    let (f, _) =
        invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "stop": ["a","b","c","d","e"]}));
    assert_eq!(f, "stop");
}

#[test]
fn kestrel_policy_is_typed_and_never_unknown() {
    let ok = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "kestrel": {"floor": "standard", "deny_providers": ["groq"], "tenant": "acme"}});
    let req = ChatRequest::from_json(&ok.to_string()).unwrap();
    assert_eq!(req.kestrel.unwrap().tenant.as_deref(), Some("acme"));
    let (f, _) =
        invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "kestrel": {"flor": "standard"}}));
    assert_eq!(f, "kestrel.flor");
    let (f, _) =
        invalid(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "kestrel": {"floor": "gold"}}));
    assert_eq!(f, "kestrel.floor");
}
