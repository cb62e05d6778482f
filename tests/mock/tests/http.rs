//! The mock over real HTTP, as a provider client would see it.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use serde_json::{json, Value};

const KEY: &str = "sk-test";

fn chat_url(server: &MockServer) -> String {
    format!("{}/v1/chat/completions", server.url())
}

fn user(text: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]})
}

async fn post(server: &MockServer, body: &Value) -> reqwest::Response {
    reqwest::Client::new().post(chat_url(server)).bearer_auth(KEY).json(body).send().await.expect("request")
}

/// Splits an SSE body into its `data:` payloads.
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").expect("data event").to_string())
        .collect()
}

#[tokio::test]
async fn default_answer_names_the_model_and_echoes() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let resp = post(&server, &user("What is 2+2?")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert!(resp.headers()["x-request-id"].to_str().unwrap().starts_with("req_mock_"));
    let body: Value = resp.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-mock-"));
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-4o-mini");
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["system_fingerprint"], "fp_kestrel_mock");
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(choice["message"]["role"], "assistant");
    let text = choice["message"]["content"].as_str().unwrap();
    assert_eq!(text, "Mock answer from gpt-4o-mini: you said \"What is 2+2?\".");
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], 3);
    assert_eq!(usage["completion_tokens"], text.len() / 4);
    assert_eq!(
        usage["total_tokens"].as_u64(),
        Some(usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap())
    );
}

#[tokio::test]
async fn tools_get_a_default_call_then_a_text_answer() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let tools = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
        "required": ["city", "unit"]
    }}}]);
    let mut req = user("Weather in Paris?");
    req["tools"] = tools.clone();
    let body: Value = post(&server, &req).await.json().await.unwrap();
    let choice = &body["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    assert_eq!(choice["message"]["content"], Value::Null);
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value = serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"city": "example", "unit": "celsius"}));

    let followup = json!({"model": "gpt-4o-mini", "tools": tools, "messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "content": "18C and sunny"}
    ]});
    let body: Value = post(&server, &followup).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("18C and sunny"), "{text}");
}

#[tokio::test]
async fn json_modes_answer_valid_json() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let mut req = user("Give me JSON");
    req["response_format"] = json!({"type": "json_object"});
    let body: Value = post(&server, &req).await.json().await.unwrap();
    let content: Value = serde_json::from_str(body["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert!(content.is_object());

    req["response_format"] = json!({"type": "json_schema", "json_schema": {"name": "person", "schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["name", "age", "tags"]
    }}});
    let body: Value = post(&server, &req).await.json().await.unwrap();
    let content: Value = serde_json::from_str(body["choices"][0]["message"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(content, json!({"name": "example", "age": 1, "tags": ["example"]}));
}

#[tokio::test]
async fn scripted_queue_rate_limits_then_succeeds() {
    let script =
        Script::new().model_queue("gpt-4o-mini", [Behaviour::error(429).retry_after(2.0), Behaviour::reply("finally")]);
    let server = MockServer::start(script).await.unwrap();
    let resp = post(&server, &user("hi")).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(resp.headers()["retry-after-ms"], "2000");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "requests");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    for _ in 0..2 {
        let resp = post(&server, &user("hi")).await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["choices"][0]["message"]["content"], "finally");
    }
    // Other models are unaffected by the queue.
    let mut other = user("hi");
    other["model"] = json!("gpt-4o");
    assert_eq!(post(&server, &other).await.status(), 200);
}

#[tokio::test]
async fn status_errors_have_openai_bodies() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let cases = [
        (400, "invalid_request_error", Value::Null),
        (401, "invalid_request_error", json!("invalid_api_key")),
        (403, "permission_error", json!("permission_denied")),
        (404, "invalid_request_error", json!("model_not_found")),
        (429, "requests", json!("rate_limit_exceeded")),
        (500, "server_error", Value::Null),
        (503, "server_error", json!("service_unavailable")),
    ];
    for (status, ty, code) in cases {
        server.set_script(Script::new().model("gpt-4o-mini", Behaviour::error(status)));
        let resp = post(&server, &user("hi")).await;
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: Value = resp.json().await.unwrap();
        let error = body["error"].as_object().unwrap();
        assert_eq!(error.len(), 4, "{body}");
        assert_eq!(error["type"], ty, "{status}");
        assert_eq!(error["code"], code, "{status}");
        assert_eq!(error["param"], Value::Null);
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    server.set_script(Script::new().model("gpt-4o-mini", Behaviour::error(404).error_message("no such model here")));
    let body: Value = post(&server, &user("hi")).await.json().await.unwrap();
    assert_eq!(body["error"]["message"], "no such model here");
}

#[tokio::test]
async fn malformed_json_is_not_json() {
    let script = Script::new().model("gpt-4o-mini", Behaviour::new().malformed_json());
    let server = MockServer::start(script).await.unwrap();
    let resp = post(&server, &user("hi")).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[tokio::test]
async fn stream_has_openai_shape_with_usage() {
    let script = Script::new().model("gpt-4o-mini", Behaviour::reply("The answer is four."));
    let server = MockServer::start(script).await.unwrap();
    let mut req = user("What is 2+2?");
    req["stream"] = json!(true);
    req["stream_options"] = json!({"include_usage": true});
    let resp = post(&server, &req).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let events = sse_data(&resp.text().await.unwrap());
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1].iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    assert!(chunks.len() >= 6);
    let id = &chunks[0]["id"];
    for c in &chunks {
        assert_eq!(c["object"], "chat.completion.chunk");
        assert_eq!(&c["id"], id);
        assert_eq!(c["model"], "gpt-4o-mini");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"], json!({"role": "assistant", "content": "", "refusal": null}));
    let (usage_chunk, rest) = chunks.split_last().unwrap();
    let (finish, content) = rest.split_last().unwrap();
    let text: String = content.iter().map(|c| c["choices"][0]["delta"]["content"].as_str().unwrap()).collect();
    assert_eq!(text, "The answer is four.");
    assert!(content.len() > 2, "several content chunks");
    assert!(rest.iter().all(|c| c["usage"].is_null() && c.get("usage").is_some()));
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"]["completion_tokens"], 19 / 4);
    assert_eq!(usage_chunk["usage"]["prompt_tokens"], 3);
}

#[tokio::test]
async fn stream_tool_calls_reassemble() {
    let script = Script::new().model(
        "gpt-4o-mini",
        Behaviour::tool_call("search", json!({"query": "rust async runtimes", "limit": 3}))
            .with_tool_call("open", json!({"url": "https://example.com"})),
    );
    let server = MockServer::start(script).await.unwrap();
    let mut req = user("find");
    req["stream"] = json!(true);
    let events = sse_data(&post(&server, &req).await.text().await.unwrap());
    let mut calls: Vec<(String, String, String)> = Vec::new();
    let mut finish = None;
    for e in events.iter().filter(|e| *e != "[DONE]") {
        let c: Value = serde_json::from_str(e).unwrap();
        assert!(c.get("usage").is_none());
        let choice = &c["choices"][0];
        if !choice["finish_reason"].is_null() {
            finish = Some(choice["finish_reason"].clone());
        }
        for tc in choice["delta"]["tool_calls"].as_array().into_iter().flatten() {
            let i = tc["index"].as_u64().unwrap() as usize;
            if let Some(id) = tc["id"].as_str() {
                assert_eq!(tc["type"], "function");
                assert_eq!(tc["function"]["arguments"], "");
                calls.push((id.into(), tc["function"]["name"].as_str().unwrap().into(), String::new()));
            } else {
                calls[i].2 += tc["function"]["arguments"].as_str().unwrap();
            }
        }
    }
    assert_eq!(finish, Some(json!("tool_calls")));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].1, "search");
    let args: Value = serde_json::from_str(&calls[0].2).unwrap();
    assert_eq!(args, json!({"query": "rust async runtimes", "limit": 3}));
    let args: Value = serde_json::from_str(&calls[1].2).unwrap();
    assert_eq!(args, json!({"url": "https://example.com"}));
}

#[tokio::test]
async fn cut_stream_is_an_error_for_the_client() {
    let script = Script::new().model("gpt-4o-mini", Behaviour::reply("one two three four five").cut_after_chunks(2));
    let server = MockServer::start(script).await.unwrap();
    let mut req = user("hi");
    req["stream"] = json!(true);
    let resp = post(&server, &req).await;
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut received = Vec::new();
    let mut error = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(bytes) => received.extend_from_slice(&bytes),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert!(error.is_some(), "the client must see the connection drop");
    let text = String::from_utf8(received).unwrap();
    let events = sse_data(&text);
    assert_eq!(events.len(), 3, "role + 2 content chunks: {text}");
    assert!(!text.contains("[DONE]") && !text.contains("finish_reason\":\"stop"));
}

#[tokio::test]
async fn cut_non_streaming_body_is_an_error() {
    let script = Script::new().model("gpt-4o-mini", Behaviour::new().cut_after_chunks(0));
    let server = MockServer::start(script).await.unwrap();
    let resp = post(&server, &user("hi")).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.is_err());
}

#[tokio::test]
async fn requests_are_recorded_with_path_headers_and_body() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let client = reqwest::Client::new();
    for (prefix, key) in [("/groq/openai/v1", "gsk-1"), ("/v1", "sk-2")] {
        let resp = client
            .post(format!("{}{prefix}/chat/completions", server.url()))
            .bearer_auth(key)
            .header("x-custom", "yes")
            .json(&user(prefix))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let recorded = server.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/groq/openai/v1/chat/completions");
    assert_eq!(recorded[0].header("Authorization"), Some("Bearer gsk-1"));
    assert_eq!(recorded[0].header("x-custom"), Some("yes"));
    assert_eq!(recorded[0].model(), Some("gpt-4o-mini"));
    assert_eq!(recorded[0].body["messages"][0]["content"], "/groq/openai/v1");
    assert_eq!(recorded[1].path, "/v1/chat/completions");

    // The same record over HTTP, for the Python and Node tests.
    let over_http: Value =
        client.get(format!("{}/_mock/requests", server.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(over_http, serde_json::to_value(&recorded).unwrap());
    assert_eq!(over_http[1]["headers"]["authorization"], "Bearer sk-2");

    let cleared = client.delete(format!("{}/_mock/requests", server.url())).send().await.unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(server.requests().is_empty());
    post(&server, &user("again")).await;
    assert_eq!(server.requests().len(), 1);
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn missing_or_wrong_key_is_401() {
    let server = MockServer::start(Script::new().require_key_for("/groq", "gsk-right")).await.unwrap();
    let client = reqwest::Client::new();
    let resp = client.post(chat_url(&server)).json(&user("hi")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(body["error"]["message"].as_str().unwrap().contains("didn't provide an API key"));

    let resp =
        client.post(chat_url(&server)).header("authorization", "Bearer ").json(&user("hi")).send().await.unwrap();
    assert_eq!(resp.status(), 401);

    let groq = format!("{}/groq/openai/v1/chat/completions", server.url());
    let resp = client.post(&groq).bearer_auth("gsk-wrong-key").json(&user("hi")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(!body["error"]["message"].as_str().unwrap().contains("gsk-wrong-key"));

    let resp = client.post(&groq).bearer_auth("gsk-right").json(&user("hi")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Unauthorised attempts are recorded too, so tests can see what key was sent.
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn models_are_listed() {
    let script = Script::new().model("gpt-4o", Behaviour::new()).model("llama-3.1-8b-instant", Behaviour::new());
    let server = MockServer::start(script).await.unwrap();
    let body: Value = reqwest::Client::new()
        .get(format!("{}/groq/openai/v1/models", server.url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["gpt-4o", "llama-3.1-8b-instant"]);
    assert_eq!(body["data"][0]["object"], "model");
}

#[tokio::test]
async fn script_can_be_replaced_over_http() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let client = reqwest::Client::new();
    let script_url = format!("{}/_mock/script", server.url());
    let resp =
        client.put(&script_url).json(&json!({"models": {"gpt-4o-mini": {"text": "from http"}}})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = post(&server, &user("hi")).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "from http");

    let resp =
        client.put(&script_url).json(&json!({"models": {"gpt-4o-mini": {"txet": "typo"}}})).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let health: Value =
        client.get(format!("{}/_mock/health", server.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
}

#[tokio::test]
async fn latency_delays_the_headers() {
    let script = Script::new().model("gpt-4o-mini", Behaviour::new().latency_ms(2_000));
    let server = MockServer::start(script).await.unwrap();
    let err = reqwest::Client::new()
        .post(chat_url(&server))
        .bearer_auth(KEY)
        .timeout(Duration::from_millis(200))
        .json(&user("hi"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn invalid_requests_get_400() {
    let server = MockServer::start(Script::new()).await.unwrap();
    let resp = post(&server, &json!({"model": "m"})).await;
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["param"], "messages");
    let resp = post(&server, &json!({"messages": []})).await;
    assert_eq!(resp.status(), 400);
}

#[test]
fn dropping_the_server_closes_the_port() {
    let server = MockServer::start_blocking(Script::new()).unwrap();
    let addr = server.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

/// Models their providers shut down answer with each provider's real 404 body, unless a
/// script names them.
#[tokio::test]
async fn retired_models_get_each_providers_404() {
    let server = MockServer::start(Script::new().require_key(KEY)).await.unwrap();
    let http = reqwest::Client::new();
    let root = server.url();

    let groq = http
        .post(format!("{root}/groq/openai/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(groq.status(), 404);
    let body: Value = groq.json().await.unwrap();
    assert_eq!(body["error"]["code"], "model_not_found");
    assert!(body["error"]["message"].as_str().unwrap().contains("llama-3.1-8b-instant"));

    let anthropic = http
        .post(format!("{root}/anthropic/v1/messages"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(anthropic.status(), 404);
    let body: Value = anthropic.json().await.unwrap();
    assert_eq!((body["type"].as_str(), body["error"]["type"].as_str()), (Some("error"), Some("not_found_error")));

    let gemini = http
        .post(format!("{root}/gemini/v1beta/models/gemini-2.5-pro:generateContent"))
        .header("x-goog-api-key", KEY)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(gemini.status(), 404);
    let body: Value = gemini.json().await.unwrap();
    assert_eq!((body["error"]["code"].as_u64(), body["error"]["status"].as_str()), (Some(404), Some("NOT_FOUND")));

    let cohere = http
        .post(format!("{root}/cohere/v2/chat"))
        .bearer_auth(KEY)
        .json(&json!({"model": "command-r", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(cohere.status(), 404);
    let body: Value = cohere.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("model 'command-r' not found"), "{body}");

    // A current model answers; a script can still make a retired one answer.
    let ok = post(&server, &json!({"model": "gpt-6-luna", "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!(ok.status(), 200);
    server.set_script(Script::new().require_key(KEY).model("gpt-4.1-nano", Behaviour::reply("still here")));
    let scripted =
        post(&server, &json!({"model": "gpt-4.1-nano", "messages": [{"role": "user", "content": "hi"}]})).await;
    assert_eq!(scripted.status(), 200);
    assert!(kestrel_mock::is_retired("models/gemini-2.5-flash") && !kestrel_mock::is_retired("gemini-3.8-flash"));
}

/// A 404 `model_not_found` in each provider's own error body, as its official SDK parses it
/// (the body a router needs to tell "this model is gone" from other failures).
#[tokio::test]
async fn model_not_found_in_each_providers_body() {
    let server = MockServer::start(Script::new().model("gone", Behaviour::error(404))).await.unwrap();
    let http = reqwest::Client::new();
    let root = server.url();
    let messages = json!([{"role": "user", "content": "hi"}]);

    let openai = http
        .post(format!("{root}/openai/v1/chat/completions"))
        .bearer_auth(KEY)
        .json(&json!({"model": "gone", "messages": messages}))
        .send()
        .await
        .unwrap();
    assert_eq!(openai.status(), 404);
    let body: Value = openai.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {
            "message": "The model `gone` does not exist or you do not have access to it.",
            "type": "invalid_request_error", "param": null, "code": "model_not_found"
        }})
    );

    let anthropic = http
        .post(format!("{root}/anthropic/v1/messages"))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": "gone", "max_tokens": 16, "messages": messages}))
        .send()
        .await
        .unwrap();
    assert_eq!(anthropic.status(), 404);
    let body: Value = anthropic.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"], json!({"type": "not_found_error", "message": "model: gone"}));

    let gemini = http
        .post(format!("{root}/gemini/v1beta/models/gone:generateContent"))
        .header("x-goog-api-key", KEY)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(gemini.status(), 404);
    let body: Value = gemini.json().await.unwrap();
    assert_eq!(body["error"]["code"], 404);
    assert_eq!(body["error"]["status"], "NOT_FOUND");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("models/gone is not found for API version v1beta"), "{message}");
    assert!(message.ends_with("Call ListModels to see the list of available models and their supported methods."));

    let cohere = http
        .post(format!("{root}/cohere/v2/chat"))
        .bearer_auth(KEY)
        .json(&json!({"model": "gone", "messages": messages}))
        .send()
        .await
        .unwrap();
    assert_eq!(cohere.status(), 404);
    let body: Value = cohere.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "model 'gone' not found, make sure the correct model ID was used and that you have access to the model."})
    );
}

/// `PUT /_mock/models/MODEL` sets one model (names with slashes too) without touching the
/// rest of the script; a cycle fails every other request; `DELETE` restores the default.
#[tokio::test]
async fn one_model_is_scripted_over_http() {
    let server = MockServer::start(Script::new().model("gpt-4o-mini", Behaviour::reply("kept"))).await.unwrap();
    let http = reqwest::Client::new();
    let model = "openai/gpt-oss-20b"; // a name with a slash
    let control = format!("{}/_mock/models/{model}", server.url());
    let put = http.put(&control).json(&json!({"cycle": [{"status": 503}, {"text": "up"}]})).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let resp = post(&server, &json!({"model": model, "messages": [{"role": "user", "content": "x"}]})).await;
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [503, 200, 503, 200]);
    let kept: Value = post(&server, &user("x")).await.json().await.unwrap();
    assert_eq!(kept["choices"][0]["message"]["content"], "kept");

    let bad = http.put(&control).json(&json!({"stauts": 503})).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("stauts"));

    assert_eq!(http.delete(&control).send().await.unwrap().status(), 200);
    let resp = post(&server, &json!({"model": model, "messages": [{"role": "user", "content": "x"}]})).await;
    assert_eq!(resp.status(), 200);
    let script: Value = http.get(format!("{}/_mock/script", server.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(script, json!({"models": {"gpt-4o-mini": {"text": "kept"}}}));
}
