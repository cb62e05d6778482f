use super::*;
use crate::providers::offline_call;

fn body_for(req: Value, pass_unknown: bool) -> Result<Value> {
    let request = ChatRequest::from_value(req).unwrap();
    offline_call("gemini", &request, "gemini-2.5-flash", None, pass_unknown, |call| {
        build(call).map(|b| serde_json::from_slice(&b).unwrap())
    })
}

#[test]
fn messages_system_media_and_config() {
    let b = body_for(
        json!({"model": "m", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Metric units."}]},
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": [{"type": "text", "text": "there"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp?x=1"}}]},
            {"role": "assistant", "content": "Hello!"}
        ], "temperature": 1.7, "top_p": 0.9, "stop": "END", "seed": 3, "max_tokens": 50, "n": 2,
           "logprobs": true, "user": "u", "safetySettings": [{"category": "x"}]}),
        true,
    )
    .unwrap();
    assert_eq!(b["systemInstruction"], json!({"parts": [{"text": "Be brief."}, {"text": "Metric units."}]}));
    assert_eq!(
        b["generationConfig"],
        json!({"maxOutputTokens": 50, "temperature": 1.7, "topP": 0.9, "stopSequences": ["END"], "seed": 3,
               "candidateCount": 2})
    );
    assert_eq!(b["safetySettings"], json!([{"category": "x"}]));
    let contents = b["contents"].as_array().unwrap();
    assert_eq!(contents.len(), 2);
    assert_eq!(
        contents[0],
        json!({"role": "user", "parts": [{"text": "Hi"}, {"text": "there"},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}},
            {"fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/cat.webp?x=1"}}]})
    );
    assert_eq!(contents[1], json!({"role": "model", "parts": [{"text": "Hello!"}]}));
    assert!(b.get("logprobs").is_none() && b.get("user").is_none());
}

#[test]
fn tools_round_trip_and_choices() {
    let req = json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
             "extra_content": {"google": {"thought_signature": "c2ln"}}},
            {"id": "call_1", "type": "function", "function": {"name": "noop", "arguments": ""}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": "{\"temp\": 18}"},
        {"role": "tool", "tool_call_id": "call_1", "content": "done"}
    ], "tools": [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
            "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}}},
        {"type": "function", "function": {"name": "noop", "parameters": {"type": "object", "properties": {}}}}],
       "tool_choice": {"type": "function", "function": {"name": "get_weather"}}});
    let b = body_for(req, false).unwrap();
    let decls = &b["tools"][0]["functionDeclarations"];
    assert_eq!(
        decls[0]["parameters"],
        json!({"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]})
    );
    assert!(decls[1].get("parameters").is_none());
    assert_eq!(
        b["toolConfig"],
        json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}})
    );
    let c = b["contents"].as_array().unwrap();
    assert_eq!(c.len(), 3);
    assert_eq!(
        c[1]["parts"],
        json!([{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"},
               {"functionCall": {"name": "noop", "args": {}}}])
    );
    assert_eq!(
        c[2],
        json!({"role": "user", "parts": [
            {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}},
            {"functionResponse": {"name": "noop", "response": {"result": "done"}}}]})
    );

    let orphan = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"},
            {"role": "tool", "tool_call_id": "nope", "content": "1"}]}),
        false,
    );
    assert!(matches!(orphan, Err(Error::InvalidRequest { field, .. }) if field == "messages[1].tool_call_id"));
}

#[test]
fn schemas_are_cleaned() {
    let schema = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "additionalProperties": false, "$defs": {"Unit": {"type": "string", "enum": ["c", "f"]}},
        "properties": {
            "unit": {"$ref": "#/$defs/Unit"},
            "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
            "n": {"type": ["integer", "null"], "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"type": "string", "const": "x"}}
        }, "required": ["unit"]});
    assert_eq!(
        clean_schema(&schema),
        json!({"type": "OBJECT", "properties": {
            "unit": {"type": "STRING", "enum": ["c", "f"]},
            "note": {"nullable": true, "type": "STRING", "default": null},
            "n": {"nullable": true, "type": "INTEGER"},
            "tags": {"type": "ARRAY", "items": {"type": "STRING", "enum": ["x"]}}
        }, "required": ["unit"]})
    );
    let b = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format":
            {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}}),
        false,
    )
    .unwrap();
    assert_eq!(b["generationConfig"]["responseMimeType"], "application/json");
    assert_eq!(b["generationConfig"]["responseSchema"]["type"], "OBJECT");
}

#[test]
fn responses_map_back() {
    let wire: WireResponse = serde_json::from_value(json!({
        "candidates": [{"content": {"role": "model", "parts": [
            {"text": "thinking...", "thought": true},
            {"text": "Let me check."},
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2ln"}]},
            "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 7, "totalTokenCount": 112,
            "cachedContentTokenCount": 60, "thoughtsTokenCount": 5},
        "modelVersion": "gemini-2.5-flash-001", "responseId": "resp-1"
    }))
    .unwrap();
    let r = to_response(wire, "gemini-2.5-flash");
    assert_eq!((r.id.as_str(), r.model.as_str()), ("resp-1", "gemini-2.5-flash-001"));
    let c = &r.choices[0];
    assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(c.message.content.as_deref(), Some("Let me check."));
    let call = &c.message.tool_calls.as_ref().unwrap()[0];
    assert_eq!((call.id.as_str(), call.function.arguments.as_str()), ("call_0", r#"{"city":"Paris"}"#));
    assert_eq!(call.extra["extra_content"]["google"]["thought_signature"], "c2ln");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (100, 12, 112, 60));

    for (reason, want) in [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("SPII", "content_filter"),
        ("OTHER", "stop"),
    ] {
        assert_eq!(finish_reason(reason, false), want, "{reason}");
    }
    let blocked: WireResponse = serde_json::from_value(json!({"promptFeedback": {"blockReason": "SAFETY"}})).unwrap();
    let r = to_response(blocked, "m");
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("content_filter"));
    assert_eq!(
        stream_url("http://x/v1beta/models/m:generateContent"),
        "http://x/v1beta/models/m:streamGenerateContent?alt=sse"
    );
}

#[test]
fn stream_events_translate() {
    let mut t = Translator::new("gemini".into(), "gemini-2.5-flash");
    let mut out = VecDeque::new();
    for e in [
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi "}]},"index":0}],"usageMetadata":{"promptTokenCount":9},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#,
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"there"},{"functionCall":{"name":"f","args":{"a":1}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"totalTokenCount":13},"modelVersion":"gemini-2.5-flash","responseId":"r1"}"#,
    ] {
        t.on_event(e, &mut out).unwrap();
    }
    out.push_back(t.on_end().unwrap());
    let chunks: Vec<ChatChunk> = out.into_iter().collect();
    assert_eq!(chunks.len(), 5, "{chunks:#?}");
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("Hi "));
    assert_eq!(chunks[0].id, "r1");
    let call = &chunks[2].choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!((call.index, call.id.as_deref()), (0, Some("call_0")));
    assert_eq!(call.function.as_ref().unwrap().arguments.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(chunks[3].choices[0].finish_reason.as_deref(), Some("tool_calls"));
    assert!(chunks[4].choices.is_empty());
    assert_eq!(chunks[4].usage.as_ref().unwrap().total_tokens, 13);

    let mut t = Translator::new("gemini".into(), "m");
    let err = t
        .on_event(r#"{"error":{"code":429,"message":"Quota","status":"RESOURCE_EXHAUSTED"}}"#, &mut VecDeque::new())
        .unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(Translator::new("gemini".into(), "m").on_end().is_err());
}

#[test]
fn a_200_that_is_not_an_answer_is_a_provider_error() {
    for body in [&b"{}"[..], br#"{"usageMetadata": {"promptTokenCount": 3}}"#, br#"{"unexpected": true}"#] {
        let err = decode("gemini", body, "gemini-2.5-flash").unwrap_err();
        assert!(matches!(err, Error::Provider { status: 200, .. }), "{err:?}");
    }
    // A blocked prompt has no candidates, and says so: an answer with a content filter.
    let blocked = decode("gemini", br#"{"promptFeedback": {"blockReason": "SAFETY"}}"#, "m").unwrap();
    assert_eq!(blocked.choices[0].finish_reason.as_deref(), Some("content_filter"));
}

#[test]
fn tool_result_images_go_beside_the_function_response() {
    let b = body_for(
        json!({"model": "m", "messages": [
            {"role": "user", "content": "Screenshot?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [
                {"type": "text", "text": "here"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}),
        false,
    )
    .unwrap();
    assert_eq!(
        b["contents"][2]["parts"],
        json!([
            {"functionResponse": {"name": "shot", "response": {"result": "here"}}},
            {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
        ])
    );
}
