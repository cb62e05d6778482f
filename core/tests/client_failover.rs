//! The client against the loopback mock provider, over real HTTP: routing, failover,
//! errors, streaming, keys, health and usage records.

use std::time::Duration;

use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::health::{BreakerConfig, CircuitState};
use kestrel_router::router::RequestPolicy;
use kestrel_router::types::{ChatRequest, Message, StreamOptions, Tool};
use kestrel_router::usage::ErrorKind;
use kestrel_router::{Client, Error, Tier};
use serde_json::json;

/// The mock, and a client whose OpenAI and Groq endpoints point at it (no environment).
async fn setup(script: Script) -> (MockServer, Client) {
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, |b| b);
    (mock, client)
}

fn client_for(
    mock: &MockServer,
    tweak: impl FnOnce(kestrel_router::ClientBuilder) -> kestrel_router::ClientBuilder,
) -> Client {
    let b = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("groq", "gsk-test-groq")
        .base_url("groq", format!("{}/groq", mock.url()))
        .timeout(Duration::from_millis(800))
        .max_retries(0);
    tweak(b).build().unwrap()
}

fn easy() -> ChatRequest {
    ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")])
}

fn paths(mock: &MockServer) -> Vec<String> {
    mock.requests().into_iter().map(|r| format!("{} {}", r.path, r.model().unwrap_or(""))).collect()
}

#[tokio::test]
async fn routes_to_the_cheapest_model_and_reports_savings() {
    let (mock, client) = setup(Script::new()).await;
    let resp = client.chat(easy()).await.unwrap();
    let meta = resp.kestrel.as_ref().unwrap();
    assert_eq!(meta.requested_model, "gpt-4o");
    assert_eq!(meta.model, "openai/gpt-oss-20b");
    assert_eq!(meta.provider, "groq");
    assert_eq!(meta.tier, Some(Tier::Economy));
    assert_eq!(meta.attempts, 1);
    assert!(meta.cost_usd > 0.0 && meta.cost_usd < meta.baseline_cost_usd, "{meta:?}");
    assert!((meta.saved_usd - (meta.baseline_cost_usd - meta.cost_usd)).abs() < 1e-12);
    assert!(resp.choices[0].message.content.as_deref().unwrap().contains("openai/gpt-oss-20b"));
    assert_eq!(paths(&mock), ["/groq/openai/v1/chat/completions openai/gpt-oss-20b"]);
    let req = &mock.requests()[0];
    assert_eq!(req.header("authorization"), Some("Bearer gsk-test-groq"));
    assert!(req.body.get("kestrel").is_none(), "routing options never reach a provider");

    let s = client.usage().savings(None);
    assert_eq!(s.requests, 1);
    assert!(s.saved_usd > 0.0 && s.savings_pct > 90.0, "{s:?}");
    let rec = &client.usage().records(None, 10)[0];
    assert_eq!((rec.model.as_str(), rec.provider.as_str()), ("openai/gpt-oss-20b", "groq"));
    assert!(rec.prompt_tokens > 0 && rec.completion_tokens > 0);
}

#[tokio::test]
async fn rate_limit_fails_over_and_honours_retry_after() {
    let script = Script::new()
        .model_queue("openai/gpt-oss-20b", [Behaviour::error(429).retry_after(1.0), Behaviour::reply("back")]);
    let (mock, client) = setup(script).await;
    let resp = client.chat(easy()).await.unwrap();
    let meta = resp.kestrel.unwrap();
    assert_eq!(meta.provider, "openai", "failed over to the next candidate");
    assert_eq!(meta.attempts, 2);

    // Groq asked for a second: the next request does not even try it.
    mock.clear_requests();
    client.chat(easy()).await.unwrap();
    assert!(paths(&mock).iter().all(|p| p.starts_with("/openai/")), "{:?}", paths(&mock));
    // One 429 cools down that model; it is back-pressure, not an outage of the provider.
    let groq = client.health().into_iter().find(|h| h.provider == "groq").unwrap();
    assert_eq!((groq.state, groq.consecutive_failures), (CircuitState::Closed, 0));

    // After the wait it is probed again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    mock.clear_requests();
    client.chat(easy()).await.unwrap();
    assert!(paths(&mock)[0].starts_with("/groq/"), "{:?}", paths(&mock));

    let rec = client.usage().records(None, 10).into_iter().next().unwrap();
    assert_eq!(rec.attempts[0].error, Some(ErrorKind::RateLimited));
    assert_eq!(client.usage().providers(None).iter().find(|p| p.provider == "groq").unwrap().failovers, 1);
}

#[tokio::test]
async fn server_errors_timeouts_malformed_bodies_and_dead_hosts_fail_over() {
    for bad in [
        Behaviour::error(500),
        Behaviour::error(503),
        Behaviour::new().latency_ms(2000),
        Behaviour::new().malformed_json(),
    ] {
        let (mock, client) = setup(Script::new().model("openai/gpt-oss-20b", bad.clone())).await;
        let resp = client.chat(easy()).await.unwrap_or_else(|e| panic!("{bad:?}: {e}"));
        let meta = resp.kestrel.unwrap();
        assert_eq!((meta.provider.as_str(), meta.attempts), ("openai", 2), "{bad:?}");
        assert_eq!(mock.requests().len(), 2);
    }
    // Nothing listens on the Groq endpoint: a connection error.
    let mock = MockServer::start(Script::new()).await.unwrap();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = client_for(&mock, |b| b.base_url("groq", format!("http://{dead}")));
    let meta = client.chat(easy()).await.unwrap().kestrel.unwrap();
    assert_eq!(meta.provider, "openai");
    let rec = client.usage().records(None, 1).pop().unwrap();
    assert_eq!(rec.attempts[0].error, Some(ErrorKind::Connection));
}

#[tokio::test]
async fn substitute_errors_move_on_and_the_requested_models_own_errors_are_raised() {
    for (status, check) in [
        (400, (|e: &Error| matches!(e, Error::BadRequest { status: 400, .. })) as fn(&Error) -> bool),
        (401, |e| matches!(e, Error::Authentication { .. })),
        (403, |e| matches!(e, Error::PermissionDenied { .. })),
        (404, |e| matches!(e, Error::NotFound { .. })),
    ] {
        // A substitute's refusal is not the caller's: the requested model answers.
        let script = Script::new().model("openai/gpt-oss-20b", Behaviour::error(status).error_message("nope"));
        let (mock, client) = setup(script).await;
        let meta = client.chat(easy()).await.unwrap_or_else(|e| panic!("{status}: {e}")).kestrel.unwrap();
        assert_eq!((meta.model.as_str(), meta.attempts), ("gpt-4o", 2), "{status}");
        assert_eq!(mock.requests().len(), 2);

        // The requested model's own refusal is raised as the SDK would, without retries.
        let script = Script::new().default_behaviour(Behaviour::error(status).error_message("nope"));
        let (mock, client) = setup(script).await;
        let kestrel_router::Failure { error: err, attempts, .. } =
            client.try_chat(easy(), Default::default()).await.unwrap_err();
        assert!(check(&err), "{status}: {err:?}");
        assert!(err.to_string().contains("nope"), "{err}");
        assert_eq!(mock.requests().len(), 2, "{status}: one substitute, the requested model once");
        let tried: Vec<(&str, Option<u16>)> = attempts.iter().map(|a| (a.model.as_str(), a.status)).collect();
        assert_eq!(tried, [("openai/gpt-oss-20b", Some(status)), ("gpt-4o", Some(status))]);
        assert_eq!(err.status(), Some(status));
        let rec = client.usage().records(None, 1).pop().unwrap();
        assert!(rec.error.is_some());
        assert_eq!(rec.attempts.len(), 2);
        assert_eq!(client.usage().savings(None).errors, 1);
    }
}

#[tokio::test]
async fn a_retired_substitute_is_not_tried_again() {
    let (mock, client) = setup(Script::new().model("openai/gpt-oss-20b", Behaviour::error(404))).await;
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().model, "gpt-4o");
    let groq = client.health().into_iter().find(|h| h.provider == "groq").unwrap();
    assert_eq!(groq.retired_models, ["openai/gpt-oss-20b"]);
    assert_eq!(groq.state, CircuitState::Closed, "one model is gone, not the provider");
    mock.clear_requests();
    client.chat(easy()).await.unwrap();
    assert!(paths(&mock).iter().all(|p| !p.ends_with("openai/gpt-oss-20b")), "{:?}", paths(&mock));
    assert!(!client.route(&easy()).unwrap().summary(client.catalog()).plan.contains(&"openai/gpt-oss-20b"));
}

#[tokio::test]
async fn a_404_about_the_url_does_not_retire_the_model() {
    // A bare `Not Found` (a wrong path or proxy) says nothing about the model: the model
    // stays routable, and the failure counts against the endpoint like an outage.
    let bare = Behaviour::error(404).error_message("Not Found").error_code("");
    let script = Script::new().model_queue("openai/gpt-oss-20b", [bare, Behaviour::reply("back")]);
    let (mock, client) = setup(script).await;
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().model, "gpt-4o");
    let groq = client.health().into_iter().find(|h| h.provider == "groq").unwrap();
    assert!(groq.retired_models.is_empty(), "{groq:?}");
    assert_eq!(groq.consecutive_failures, 1);
    mock.clear_requests();
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().model, "openai/gpt-oss-20b");
    assert_eq!(paths(&mock), ["/groq/openai/v1/chat/completions openai/gpt-oss-20b"]);
}

#[tokio::test]
async fn every_candidate_rate_limited_is_a_typed_error_with_the_wait() {
    let (mock, client) = setup(Script::new().default_behaviour(Behaviour::error(429).retry_after(7.0))).await;
    match client.chat(easy()).await.unwrap_err() {
        Error::RateLimited { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(7))),
        e => panic!("{e:?}"),
    }
    assert_eq!(mock.requests().len(), 2, "one substitute, then the requested model (max_retries 0)");
}

#[tokio::test]
async fn retries_wait_for_retry_after_then_succeed() {
    let twice = || [Behaviour::error(429).retry_after(0.2), Behaviour::reply("second try")];
    let script = Script::new().model_queue("openai/gpt-oss-20b", twice()).model_queue("openai/gpt-oss-120b", twice());
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, |b| {
        b.max_retries(1)
            .policy(kestrel_router::RoutingPolicy { allow_providers: Some(vec!["groq".into()]), ..Default::default() })
    });
    let req = ChatRequest::new("openai/gpt-oss-120b", vec![Message::user("What is 2+2?")]);
    let resp = client.chat(req).await.unwrap();
    let meta = resp.kestrel.unwrap();
    // The substitute was tried once; the requested model was retried after its Retry-After.
    assert_eq!((meta.model.as_str(), meta.attempts), ("openai/gpt-oss-120b", 3));
    assert_eq!(resp.choices[0].message.content.as_deref(), Some("second try"));
}

#[tokio::test]
async fn invalid_requests_fail_before_any_network_call() {
    let (mock, client) = setup(Script::new()).await;
    let mut req = easy();
    req.messages.push(Message { tool_call_id: None, ..Message::tool("x", "result") });
    let err = client.chat(req).await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { field, .. } if field == "messages[1].tool_call_id"), "{err:?}");
    assert!(mock.requests().is_empty());
    assert_eq!(client.usage().records(None, 1)[0].error, Some(ErrorKind::InvalidRequest));
}

#[tokio::test]
async fn streams_carry_metadata_on_the_last_chunk() {
    let (mock, client) =
        setup(Script::new().model("openai/gpt-oss-20b", Behaviour::reply("two plus two is four"))).await;
    let mut req = easy();
    req.stream = Some(true);
    let chunks: Vec<_> = client.chat_stream(req.clone()).await.unwrap().collect().await;
    let chunks: Vec<_> = chunks.into_iter().map(Result::unwrap).collect();
    let text: String = chunks.iter().filter_map(|c| c.choices.first()?.delta.content.clone()).collect();
    assert_eq!(text, "two plus two is four");
    assert!(chunks.iter().all(|c| c.usage.is_none()), "no usage chunk unless asked");
    let last = chunks.last().unwrap();
    assert_eq!(last.choices[0].finish_reason.as_deref(), Some("stop"));
    let meta = last.kestrel.as_ref().unwrap();
    assert_eq!(meta.model, "openai/gpt-oss-20b");
    assert!(chunks[..chunks.len() - 1].iter().all(|c| c.kestrel.is_none()));
    // Kestrel always asks upstream for usage, to count it.
    assert_eq!(mock.requests()[0].body["stream_options"]["include_usage"], true);
    let rec = client.usage().records(None, 1).pop().unwrap();
    assert!(rec.stream && rec.completion_tokens > 0 && rec.error.is_none());

    req.stream_options = Some(StreamOptions { include_usage: Some(true), ..Default::default() });
    let chunks: Vec<_> = client.chat_stream(req).await.unwrap().map(Result::unwrap).collect().await;
    let last = chunks.last().unwrap();
    assert!(last.choices.is_empty() && last.usage.is_some() && last.kestrel.is_some());
}

#[tokio::test]
async fn streams_fail_over_only_before_the_first_chunk() {
    let script = Script::new().model("openai/gpt-oss-20b", Behaviour::error(502));
    let (_mock, client) = setup(script).await;
    let chunks: Vec<_> = client.chat_stream(easy()).await.unwrap().map(Result::unwrap).collect().await;
    assert_eq!(chunks.last().unwrap().kestrel.as_ref().unwrap().provider, "openai");

    // Cut after two chunks: the caller keeps what arrived and gets a typed error; nothing
    // is sent twice.
    let script =
        Script::new().model("openai/gpt-oss-20b", Behaviour::reply("one two three four five six").cut_after_chunks(2));
    let (mock, client) = setup(script).await;
    let items: Vec<_> = client.chat_stream(easy()).await.unwrap().collect().await;
    let (ok, err): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    assert!(!ok.is_empty());
    assert_eq!(err.len(), 1);
    let e = err.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(e, Error::StreamInterrupted { .. }), "{e:?}");
    assert!(e.to_string().contains("interrupted"), "{e}");
    assert_eq!(mock.requests().len(), 1, "never a duplicated answer");
    assert_eq!(client.usage().records(None, 1)[0].error, Some(ErrorKind::StreamInterrupted));
}

#[tokio::test]
async fn a_stream_cut_before_any_content_still_fails_over() {
    // The substitute sends its role chunk and breaks: the caller has seen nothing yet, so
    // the requested model answers instead of the caller getting `StreamInterrupted`.
    let script = Script::new().model("openai/gpt-oss-20b", Behaviour::reply("lost").cut_after_chunks(0));
    let (mock, client) = setup(script).await;
    let chunks: Vec<_> = client.chat_stream(easy()).await.unwrap().map(Result::unwrap).collect().await;
    let meta = chunks.last().unwrap().kestrel.clone().unwrap();
    assert_eq!((meta.provider.as_str(), meta.attempts), ("openai", 2));
    assert_eq!(chunks.iter().filter(|c| c.choices.first().is_some_and(|c| c.delta.role.is_some())).count(), 1);
    assert!(chunks.iter().all(|c| c.model == chunks[0].model), "every chunk from the one answer shown");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn dropping_a_stream_early_still_records_usage() {
    let (_mock, client) =
        setup(Script::new().model("openai/gpt-oss-20b", Behaviour::reply("a b c d e f g").chunk_delay_ms(20))).await;
    let mut stream = client.chat_stream(easy()).await.unwrap();
    stream.next().await.unwrap().unwrap();
    drop(stream);
    assert_eq!(client.usage().savings(None).requests, 1);
}

#[tokio::test]
async fn tools_go_to_tool_capable_models_and_calls_come_back() {
    let (mock, client) = setup(Script::new()).await;
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user("What's the weather in Paris?")]);
    req.tools = Some(vec![Tool::function(
        "get_weather",
        "Current weather",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )]);
    let resp = client.chat(req).await.unwrap();
    let call = &resp.choices[0].message.tool_calls.as_ref().unwrap()[0];
    assert_eq!(call.function.name, "get_weather");
    let args: serde_json::Value = serde_json::from_str(&call.function.arguments).unwrap();
    assert!(args["city"].is_string());
    assert_eq!(resp.choices[0].finish_reason.as_deref(), Some("tool_calls"));
    let model = client.catalog().resolve(&resp.kestrel.unwrap().model).unwrap();
    assert!(client.catalog().model(model).tools);
    assert!(mock.requests()[0].body["tools"].is_array());
}

#[tokio::test]
async fn keys_rotate_and_removed_providers_stop_being_candidates() {
    let script = Script::new().require_key_for("/groq", "gsk-new");
    let (mock, client) = setup(script).await;
    // The old Groq key is refused: the call ends on the requested model, and the key is
    // not tried again until it is replaced.
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().provider, "openai");
    assert!(client.health().iter().find(|h| h.provider == "groq").unwrap().key_rejected);
    mock.clear_requests();
    client.chat(easy()).await.unwrap();
    assert!(paths(&mock).iter().all(|p| p.starts_with("/openai/")), "{:?}", paths(&mock));
    client.set_api_key("groq", "gsk-new").unwrap();
    assert!(!client.health().iter().find(|h| h.provider == "groq").unwrap().key_rejected);
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().provider, "groq");
    client.remove_api_key("groq").unwrap();
    mock.clear_requests();
    assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().provider, "openai");
    assert!(paths(&mock).iter().all(|p| p.starts_with("/openai/")));
    assert!(!client.health().iter().find(|h| h.provider == "groq").unwrap().configured);
    assert!(client.available_models().iter().all(|m| m.provider != "groq"));
}

#[tokio::test]
async fn circuit_opens_after_repeated_failures_and_closes_after_a_probe() {
    let script = Script::new().model_queue(
        "openai/gpt-oss-20b",
        [Behaviour::error(500), Behaviour::error(500), Behaviour::reply("recovered")],
    );
    let mock = MockServer::start(script).await.unwrap();
    let client = client_for(&mock, |b| {
        b.breaker(BreakerConfig { failure_threshold: 2, cooldown: Duration::from_millis(300), ..Default::default() })
    });
    for _ in 0..2 {
        assert_eq!(client.chat(easy()).await.unwrap().kestrel.unwrap().provider, "openai");
    }
    assert_eq!(client.health().iter().find(|h| h.provider == "groq").unwrap().state, CircuitState::Open);
    mock.clear_requests();
    client.chat(easy()).await.unwrap();
    assert!(paths(&mock).iter().all(|p| p.starts_with("/openai/")), "open circuit: skipped");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let resp = client.chat(easy()).await.unwrap();
    assert_eq!(resp.kestrel.unwrap().provider, "groq", "the probe");
    assert_eq!(client.health().iter().find(|h| h.provider == "groq").unwrap().state, CircuitState::Closed);
}

#[tokio::test]
async fn the_requested_model_is_a_ceiling_and_policy_applies_per_request() {
    let (mock, client) = setup(Script::new()).await;
    let hard = ChatRequest::new("gpt-4o-mini", vec![Message::user("Prove that there are infinitely many primes.")]);
    let meta = client.chat(hard).await.unwrap().kestrel.unwrap();
    assert_ne!(meta.model, "gpt-4o");
    assert!(meta.cost_usd <= meta.baseline_cost_usd);

    let mut req = easy();
    req.kestrel = Some(RequestPolicy { routing: Some(false), tenant: Some("acme".into()), ..Default::default() });
    mock.clear_requests();
    let meta = client.chat(req).await.unwrap().kestrel.unwrap();
    assert_eq!((meta.model.as_str(), meta.saved_usd), ("gpt-4o", 0.0));
    assert_eq!(paths(&mock), ["/openai/v1/chat/completions gpt-4o"]);
    assert_eq!(client.usage().savings(Some("acme")).requests, 1);
    assert_eq!(client.usage().tenants(), ["acme"]);
}

#[tokio::test]
async fn unknown_fields_reach_only_the_provider_the_caller_addressed() {
    let (mock, client) = setup(Script::new()).await;
    let body =
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "What is 2+2?"}], "x_vendor_flag": true});
    client.chat(ChatRequest::from_value(body.clone()).unwrap()).await.unwrap();
    assert!(mock.requests()[0].body.get("x_vendor_flag").is_none(), "routed to groq: not forwarded");
    let mut req = ChatRequest::from_value(body).unwrap();
    req.kestrel = Some(RequestPolicy { routing: Some(false), ..Default::default() });
    mock.clear_requests();
    client.chat(req).await.unwrap();
    assert_eq!(mock.requests()[0].body["x_vendor_flag"], true);
}

#[tokio::test]
async fn keys_never_appear_in_debug_output_errors_or_records() {
    let script = Script::new().require_key_for("/groq", "something-else").require_key_for("/openai", "other");
    let (_mock, client) = setup(script).await;
    let err = client.chat(easy()).await.unwrap_err();
    let csv = {
        let mut v = Vec::new();
        client.usage().write_csv(&mut v, None).unwrap();
        String::from_utf8(v).unwrap()
    };
    let records = serde_json::to_string(&client.usage().records(None, 10)).unwrap();
    for text in [format!("{client:?}"), format!("{err:?}"), err.to_string(), csv, records] {
        assert!(!text.contains("gsk-test-groq") && !text.contains("sk-test-openai"), "{text}");
        assert!(!text.contains("What is 2+2"), "no prompt in {text}");
    }
}

#[tokio::test]
async fn no_key_anywhere_names_the_variable_to_set() {
    let client = Client::builder().from_env(false).build().unwrap();
    let err = client.chat(easy()).await.unwrap_err();
    assert!(matches!(&err, Error::Config(m) if m.contains("OPENAI_API_KEY") && m.contains("api_key")), "{err}");
    assert_eq!(client.usage().records(None, 1)[0].error, Some(ErrorKind::InvalidRequest));
}

#[tokio::test]
async fn passthrough_calls_are_recorded_priced_and_classified() {
    let (_mock, client) = setup(Script::new()).await;
    let ok = client.record_passthrough(kestrel_router::PassthroughCall {
        endpoint: "completions".into(),
        model: Some("gpt-4o".into()),
        input_tokens: 1000,
        output_tokens: 100,
        status: Some(200),
        ..Default::default()
    });
    assert_eq!(ok.endpoint.as_deref(), Some("completions"));
    assert_eq!(ok.routing_class(), "endpoint");
    assert!(ok.cost_usd > 0.0 && ok.saved_usd() == 0.0, "{ok:?}");
    assert_eq!(ok.error, None);
    let failed = client.record_passthrough(kestrel_router::PassthroughCall {
        endpoint: "images.generations".into(),
        status: Some(429),
        ..Default::default()
    });
    assert_eq!(failed.error, Some(ErrorKind::RateLimited));
    assert_eq!(failed.attempts[0].status, Some(429));
    let records = client.usage().records(None, 10);
    assert_eq!(records.iter().filter(|r| r.endpoint.is_some()).count(), 2);
}

#[tokio::test]
async fn organization_and_project_reach_openai_only() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let client = client_for(&mock, |b| b.organization("org-kestrel").project("proj_kestrel"));
    client.chat(easy()).await.unwrap(); // routed to Groq
    let mut direct = easy();
    direct.kestrel = Some(RequestPolicy { routing: Some(false), ..Default::default() });
    client.chat(direct).await.unwrap(); // OpenAI
    let reqs = mock.requests();
    let groq = reqs.iter().find(|r| r.path.starts_with("/groq")).unwrap();
    let openai = reqs.iter().find(|r| r.path.starts_with("/openai")).unwrap();
    assert_eq!(openai.header("openai-organization"), Some("org-kestrel"));
    assert_eq!(openai.header("openai-project"), Some("proj_kestrel"));
    assert_eq!(groq.header("openai-organization"), None);
    assert_eq!(groq.header("openai-project"), None);
}
