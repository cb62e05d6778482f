use super::*;
use crate::providers::offline_call;

fn body_for(req: Value, pass_unknown: bool) -> Result<Value> {
    let request = ChatRequest::from_value(req).unwrap();
    offline_call("cohere", &request, "command-r-plus-08-2024", Some(4000), pass_unknown, |call| {
        build(call, false).map(|b| serde_json::from_slice(&b).unwrap())
    })
}

#[test]
fn messages_and_sampling_translate() {
    let b = body_for(
        json!({"model": "command-r-plus", "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Metric."}]},
            {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO", "detail": "low"}}]},
            {"role": "assistant", "content": "A cat."}
        ], "temperature": 1.5, "top_p": 1.0, "stop": "END", "seed": 3, "n": 1, "user": "u",
           "frequency_penalty": -1.0, "presence_penalty": 0.5, "max_completion_tokens": 50, "k": 5}),
        true,
    )
    .unwrap();
    assert_eq!(b["messages"][0], json!({"role": "system", "content": "Be brief."}));
    assert_eq!(b["messages"][1], json!({"role": "system", "content": "Metric."}));
    assert_eq!(
        b["messages"][2]["content"][1],
        json!({"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO", "detail": "low"}})
    );
    assert_eq!(b["messages"][3], json!({"role": "assistant", "content": "A cat."}));
    assert_eq!((b["temperature"].as_f64(), b["p"].as_f64()), (Some(1.5), Some(0.99)));
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!((b["seed"].as_i64(), b["max_tokens"].as_u64()), (Some(3), Some(50)));
    assert_eq!((b["frequency_penalty"].as_f64(), b["presence_penalty"].as_f64()), (Some(0.0), Some(0.5)));
    assert_eq!(b["k"], 5);
    assert_eq!(b["stream"], false);
    for k in ["n", "user", "top_p", "stop", "max_completion_tokens"] {
        assert!(b.get(k).is_none(), "{k}");
    }
    let err = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}]}]}),
        false,
    )
    .unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { field, .. } if field == "messages[0].content[0]"), "{err}");
}

#[test]
fn tools_and_choices_translate() {
    let req = json!({"model": "m", "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "I will check.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"}
    ], "tools": [
        {"type": "function", "function": {"name": "get_weather", "description": "W", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "ping"}}]});
    let b = body_for(req.clone(), false).unwrap();
    assert_eq!(
        b["messages"][1],
        json!({"role": "assistant", "tool_plan": "I will check.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]})
    );
    assert_eq!(b["messages"][2], json!({"role": "tool", "tool_call_id": "c1", "content": "18C"}));
    assert_eq!(b["tools"][1]["function"]["parameters"], json!({"type": "object", "properties": {}}));
    assert!(b.get("tool_choice").is_none());
    let choice = |c: Value| {
        let mut r = req.clone();
        r["tool_choice"] = c;
        body_for(r, false).unwrap()
    };
    assert!(choice(json!("auto")).get("tool_choice").is_none());
    assert_eq!(choice(json!("none"))["tool_choice"], "NONE");
    assert_eq!(choice(json!("required"))["tool_choice"], "REQUIRED");
    let named = choice(json!({"type": "function", "function": {"name": "ping"}}));
    assert_eq!(named["tool_choice"], "REQUIRED");
    assert_eq!(named["tools"].as_array().unwrap().len(), 1);
    assert_eq!(named["tools"][0]["function"]["name"], "ping");
}

#[test]
fn response_formats_translate() {
    let schema = json!({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]});
    let b = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
            "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}}),
        false,
    )
    .unwrap();
    assert_eq!(b["response_format"], json!({"type": "json_object", "json_schema": schema}));
    let b = body_for(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}}),
        false,
    )
    .unwrap();
    assert_eq!(b["response_format"], json!({"type": "json_object"}));
}

#[test]
fn responses_map_back() {
    let r: WireResponse = serde_json::from_value(json!({
        "id": "r1", "finish_reason": "TOOL_CALL",
        "message": {"role": "assistant", "tool_plan": "Checking.", "tool_calls": [
            {"id": "get_weather_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 7}, "tokens": {"input_tokens": 50.0}}
    }))
    .unwrap();
    let r = to_response("cohere", "command-r", r).unwrap();
    let c = &r.choices[0];
    assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
    assert_eq!(c.message.content.as_deref(), Some("Checking."));
    assert_eq!(c.message.tool_calls.as_ref().unwrap()[0].id, "get_weather_1");
    let u = r.usage.unwrap();
    assert_eq!((u.prompt_tokens, u.completion_tokens, u.total_tokens), (50, 7, 57));

    for (reason, want) in [("COMPLETE", "stop"), ("STOP_SEQUENCE", "stop"), ("MAX_TOKENS", "length")] {
        assert_eq!(finish_reason("cohere", Some(reason), None).unwrap(), want);
    }
    let err = finish_reason("cohere", Some("ERROR"), Some("boom")).unwrap_err();
    assert!(matches!(&err, Error::Provider { status: 500, message, .. } if message.contains("boom")), "{err}");
    assert!(err.is_transient());
}

#[test]
fn stream_events_translate() {
    let mut t = Translator::new("cohere".into(), "command-r");
    let events = [
        r#"{"type":"message-start","id":"s1","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#,
        r#"{"type":"tool-plan-delta","delta":{"message":{"tool_plan":"I will"}}}"#,
        r#"{"type":"tool-call-start","index":0,"delta":{"message":{"tool_calls":{"id":"f_1","type":"function","function":{"name":"f","arguments":""}}}}}"#,
        r#"{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"{\"a\":"}}}}}"#,
        r#"{"type":"tool-call-delta","index":0,"delta":{"message":{"tool_calls":{"function":{"arguments":"1}"}}}}}"#,
        r#"{"type":"tool-call-end","index":0}"#,
        r#"{"type":"tool-call-start","index":1,"delta":{"message":{"tool_calls":{"id":"g_2","type":"function","function":{"name":"g","arguments":""}}}}}"#,
        r#"{"type":"tool-call-end","index":1}"#,
        r#"{"type":"message-end","delta":{"finish_reason":"TOOL_CALL","usage":{"billed_units":{"input_tokens":3,"output_tokens":4},"tokens":{"input_tokens":30,"output_tokens":4}}}}"#,
    ];
    let mut out = VecDeque::new();
    for e in events {
        t.on_event(e, &mut out).unwrap();
    }
    let chunks: Vec<ChatChunk> = out.into_iter().collect();
    assert_eq!(chunks.len(), 8, "{chunks:#?}");
    assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
    assert_eq!(chunks[0].choices[0].delta.content.as_deref(), Some("I will"));
    assert_eq!(chunks[0].id, "s1");
    let header = &chunks[1].choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!((header.index, header.id.as_deref()), (0, Some("f_1")));
    let second = &chunks[4].choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!((second.index, second.id.as_deref()), (1, Some("g_2")));
    let empty = &chunks[5].choices[0].delta.tool_calls.as_ref().unwrap()[0];
    assert_eq!(empty.function.as_ref().unwrap().arguments.as_deref(), Some("{}"));
    assert_eq!(chunks[6].choices[0].finish_reason.as_deref(), Some("tool_calls"));
    let u = chunks[7].usage.as_ref().unwrap();
    assert!(chunks[7].choices.is_empty());
    assert_eq!((u.prompt_tokens, u.completion_tokens), (30, 4));
    assert!(t.finished);

    let mut t = Translator::new("cohere".into(), "m");
    let err = t
        .on_event(r#"{"type":"message-end","delta":{"finish_reason":"ERROR","error":"x"}}"#, &mut VecDeque::new())
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
}

#[test]
fn tool_result_images_follow_the_tool_messages() {
    let b = body_for(
        json!({"model": "m", "messages": [
            {"role": "user", "content": "Screenshots?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "shot", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "shot", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]},
            {"role": "tool", "tool_call_id": "c2", "content": "none"}]}),
        false,
    )
    .unwrap();
    let msgs = b["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 5, "{msgs:?}");
    assert_eq!(msgs[2]["content"], "(attachments: see the next message)");
    assert_eq!(msgs[3], json!({"role": "tool", "tool_call_id": "c2", "content": "none"}));
    assert_eq!(
        msgs[4],
        json!({"role": "user", "content": [
            {"type": "text", "text": "The result of tool call c1 includes these attachments:"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]})
    );
}
