use super::*;
use crate::providers::offline_call;

fn body_for(req: Value, max_output: Option<u32>, pass_unknown: bool) -> (Value, Option<String>) {
    let request = ChatRequest::from_value(req).unwrap();
    let wire = offline_call("anthropic", &request, "claude-haiku-4-5", max_output, pass_unknown, |call| {
        build(call, false).unwrap()
    });
    (serde_json::from_slice(&wire.body).unwrap(), wire.json_tool)
}

#[test]
fn messages_system_and_sampling() {
    let (b, json_tool) = body_for(
        json!({"model": "claude-haiku-4-5", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use metric units."}]},
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": [{"type": "text", "text": "there"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]},
            {"role": "assistant", "content": "Hello!"}
        ], "temperature": 1.7, "top_p": 0.9, "stop": "END", "user": "u-1", "seed": 3, "n": 1,
           "presence_penalty": 0.5, "logprobs": true, "top_k": 5}),
        Some(64000),
        true,
    );
    assert!(json_tool.is_none());
    assert_eq!(b["system"], "Be brief.\n\nUse metric units.");
    assert_eq!(b["max_tokens"], 8192);
    assert_eq!(b["temperature"], 1.0);
    assert_eq!(b["top_p"], 0.9);
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!(b["metadata"], json!({"user_id": "u-1"}));
    assert_eq!(b["top_k"], 5, "unknown fields reach the provider the caller addressed");
    for dropped in ["seed", "n", "presence_penalty", "logprobs", "user", "stream"] {
        assert!(b.get(dropped).is_none(), "{dropped}");
    }
    let msgs = b["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2, "consecutive user turns merge: {msgs:?}");
    assert_eq!(
        msgs[0]["content"],
        json!([
            {"type": "text", "text": "Hi"},
            {"type": "text", "text": "there"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
        ])
    );
    assert_eq!(msgs[1], json!({"role": "assistant", "content": "Hello!"}));
}

#[test]
fn documents_translate_and_audio_is_refused() {
    let (b, _) = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0x"}},
            {"type": "file", "file": {"file_data": "JVBERi0y"}},
            {"type": "text", "text": "Compare them."}]}]}),
        None,
        false,
    );
    let blocks = &b["messages"][0]["content"];
    assert_eq!(
        blocks[0],
        json!({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}})
    );
    assert_eq!(blocks[1]["source"]["data"], "JVBERi0y");

    let request = ChatRequest::from_value(json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}]}]}))
    .unwrap();
    let err = offline_call("anthropic", &request, "m", None, false, |call| build(call, false).err().unwrap());
    assert!(matches!(&err, Error::InvalidRequest { field, .. } if field == "messages[0].content[0]"), "{err}");
}

#[test]
fn tools_round_trip_and_choices() {
    let req = json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "toolu_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}]},
        {"role": "tool", "tool_call_id": "toolu_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "24C"}]}
    ], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
       "tool_choice": "required", "parallel_tool_calls": false, "max_tokens": 100});
    let (b, _) = body_for(req.clone(), Some(64000), false);
    assert_eq!(b["max_tokens"], 100);
    assert_eq!(b["tool_choice"], json!({"type": "any", "disable_parallel_tool_use": true}));
    assert_eq!(b["tools"][0]["input_schema"]["required"], json!(["city"]));
    assert_eq!(b["tools"][0]["description"], "Weather");
    let msgs = b["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        msgs[1]["content"][1],
        json!({"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}})
    );
    assert_eq!(msgs[1]["content"].as_array().unwrap().len(), 2, "no empty text block");
    assert_eq!(
        msgs[2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "24C"}
        ]})
    );

    let choice = |c: Value| {
        let mut r = req.clone();
        r["tool_choice"] = c;
        r.as_object_mut().unwrap().remove("parallel_tool_calls");
        body_for(r, None, false).0["tool_choice"].clone()
    };
    assert_eq!(choice(json!("auto")), json!({"type": "auto"}));
    assert_eq!(choice(json!("none")), json!({"type": "none"}));
    assert_eq!(
        choice(json!({"type": "function", "function": {"name": "get_weather"}})),
        json!({"type": "tool", "name": "get_weather"})
    );
    assert_eq!(choice(Value::Null), Value::Null);
}

#[test]
fn json_modes_force_a_tool() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]});
    let (b, tool) = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}),
        None,
        false,
    );
    assert_eq!(tool.as_deref(), Some("answer"));
    assert_eq!(b["max_tokens"], 4096);
    assert_eq!(b["tools"][0]["input_schema"], schema);
    assert_eq!(b["tool_choice"], json!({"type": "tool", "name": "answer"}));
    let (b, tool) = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_object"}}),
        None,
        false,
    );
    assert_eq!(tool.as_deref(), Some("json_response"));
    assert_eq!(b["tools"][0]["input_schema"], json!({"type": "object"}));
}

#[test]
fn responses_map_back() {
    let msg: WireMessage = serde_json::from_value(json!({
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 10, "cache_creation_input_tokens": 5, "cache_read_input_tokens": 100, "output_tokens": 7}
    }))
    .unwrap();
    let r = to_response(msg, None);
    assert_eq!(r.model, "claude-haiku-4-5-20251001");
    let c = &r.choices[0];
    assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(c.message.content.as_deref(), Some("Let me check."));
    let call = &c.message.tool_calls.as_ref().unwrap()[0];
    assert_eq!((call.id.as_str(), call.function.arguments.as_str()), ("toolu_1", r#"{"city":"Paris"}"#));
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens, u.cached_tokens()), (115, 7, 122, 100));

    for (stop, want) in
        [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("refusal", "content_filter")]
    {
        assert_eq!(finish_reason(Some(stop), false), want);
    }
    let json_msg: WireMessage = serde_json::from_value(json!({"id": "m", "model": "x", "stop_reason": "tool_use",
        "content": [{"type": "tool_use", "id": "t", "name": "answer", "input": {"a": 1}}]}))
    .unwrap();
    let r = to_response(json_msg, Some("answer"));
    assert_eq!(r.choices[0].message.content.as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(r.choices[0].finish_reason.as_deref(), Some("stop"));
    assert!(r.choices[0].message.tool_calls.is_none());
}

#[test]
fn stream_events_translate() {
    let mut t = Translator::new("anthropic".into(), None, "claude-haiku-4-5");
    let events = [
        r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-haiku-4-5-20251001","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":11,"cache_read_input_tokens":4,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type": "ping"}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
        r#"{"type":"content_block_stop","index":0}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#,
        r#"{"type":"content_block_stop","index":1}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":6}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let chunks: Vec<ChatChunk> = events.iter().filter_map(|e| t.translate(e).unwrap()).collect();
    assert_eq!(chunks.len(), 7, "{chunks:#?}");
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert_eq!(chunks[0].id, "msg_1");
    assert_eq!(chunks[1].choices[0].delta.content.as_deref(), Some("Hi"));
    let header = &chunks[2].choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!((header.index, header.id.as_deref()), (0, Some("toolu_1")));
    assert_eq!(chunks[5].choices[0].finish_reason.as_deref(), Some("tool_calls"));
    let usage = chunks[6].usage.as_ref().unwrap();
    assert!(chunks[6].choices.is_empty());
    assert_eq!((usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens()), (15, 6, 4));
    assert!(t.finished);

    let mut t = Translator::new("anthropic".into(), None, "m");
    let err =
        t.translate(r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#).unwrap_err();
    assert!(matches!(err, Error::Provider { status: 529, .. }) && err.is_transient(), "{err:?}");
}

#[test]
fn tool_results_keep_images_and_documents() {
    let (b, _) = body_for(
        json!({"model": "m", "messages": [
            {"role": "user", "content": "Screenshot?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [
                {"type": "text", "text": "here"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0x"}}]}]}),
        None,
        false,
    );
    assert_eq!(
        b["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "c1", "content": [
            {"type": "text", "text": "here"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"}}
        ]})
    );
}
