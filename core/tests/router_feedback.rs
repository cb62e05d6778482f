//! Outcome feedback: bad outcomes raise a category, good ones bring it back, within bounds.

use std::sync::Arc;

use kestrel_router::catalog::Catalog;
use kestrel_router::router::{
    fingerprint, AutoSignal, Category, EveryProvider, Feedback, Outcome, Reason, Router, FLUSH_EVERY,
};
use kestrel_router::types::ChatResponse;
use kestrel_router::types::{ChatRequest, Message, RequestPolicy};
use kestrel_router::Tier;
use serde_json::json;

const TODAY: &str = "2026-12-04";

fn router(fb: &Arc<Feedback>) -> Router {
    Router::new(Catalog::builtin()).with_today(TODAY).unwrap().with_feedback(fb.clone())
}

fn request(prompt: &str, tenant: Option<&str>) -> ChatRequest {
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user(prompt)]);
    if let Some(t) = tenant {
        req.kestrel = Some(RequestPolicy { tenant: Some(t.to_string()), ..RequestPolicy::default() });
    }
    req
}

const LOOKUP: &str = "What's the capital of Peru?";

#[test]
fn bad_outcomes_raise_a_category_and_good_ones_bring_it_back() {
    let fb = Arc::new(Feedback::new());
    let r = router(&fb);
    let req = request(LOOKUP, Some("acme"));
    let d = r.route(&req, &EveryProvider).unwrap();
    assert_eq!(d.tier, Some(Tier::Economy));
    let category = d.category.expect("routed requests carry their category");
    assert_eq!(category, Category::Lookup);

    // A run of failures at economy.
    for i in 0..6 {
        let id = format!("bad-{i}");
        fb.remember(&id, Some("acme"), category, Tier::Economy);
        assert!(fb.record(&id, Outcome::Bad));
    }
    let d = r.route(&req, &EveryProvider).unwrap();
    assert_eq!(d.tier, Some(Tier::Standard), "raised one tier, no more");
    assert!(d.reasons.iter().any(|x| matches!(x, Reason::Outcomes { raised_to: Tier::Standard, .. })));
    assert!(d.reasons.iter().any(|x| x.to_string().contains("lookup answers")), "{:?}", d.reasons);

    // Another tenant and another category are untouched.
    assert_eq!(r.route(&request(LOOKUP, Some("globex")), &EveryProvider).unwrap().tier, Some(Tier::Economy));
    assert!(fb.raised(Some("acme"), Category::Code).is_none());

    // Good answers in the raised category bring it back.
    for i in 0..20 {
        let id = format!("good-{i}");
        fb.remember(&id, Some("acme"), category, Tier::Standard);
        assert!(fb.record(&id, Outcome::Good));
    }
    assert_eq!(r.route(&req, &EveryProvider).unwrap().tier, Some(Tier::Economy));
}

#[test]
fn one_bad_outcome_moves_nothing_and_scores_count_in_between() {
    let fb = Feedback::new();
    fb.record_category(None, Category::Writing, Outcome::Bad);
    assert!(fb.raised(None, Category::Writing).is_none(), "a single failure is not a trend");
    for _ in 0..10 {
        fb.record_category(None, Category::Writing, Outcome::Score(0.9));
    }
    let s = fb.state(None, Category::Writing).unwrap();
    assert!(!s.raised && s.failure_rate < 0.3, "{s:?}");
    for _ in 0..10 {
        fb.record_category(None, Category::Writing, Outcome::Score(0.1));
    }
    assert!(fb.raised(None, Category::Writing).is_some());
}

#[test]
fn unknown_and_premium_requests_are_not_counted() {
    let fb = Feedback::new();
    assert!(!fb.record("never-seen", Outcome::Bad));
    fb.remember("p1", None, Category::Math, Tier::Premium);
    assert!(!fb.record("p1", Outcome::Bad), "nothing above premium to raise to");
    assert!(fb.state(None, Category::Math).is_none());
}

#[test]
fn routing_without_feedback_ignores_outcomes() {
    let r = Router::new(Catalog::builtin()).with_today(TODAY).unwrap();
    assert!(r.feedback().is_none());
    assert_eq!(r.route(&request(LOOKUP, None), &EveryProvider).unwrap().tier, Some(Tier::Economy));
}

#[test]
fn what_was_learned_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedback.json");
    let fb = Arc::new(Feedback::new().with_state_file(&path).unwrap());
    for i in 0..6 {
        let id = format!("bad-{i}");
        fb.remember(&id, Some("acme"), Category::Lookup, Tier::Economy);
        assert!(fb.record(&id, Outcome::Bad));
    }
    assert!(fb.raised(Some("acme"), Category::Lookup).is_some());
    assert!(!dir.path().join("feedback.json.tmp").exists(), "written through a renamed temporary file");

    // A new memory on the same file routes as the old one did.
    let again = Arc::new(Feedback::new().with_state_file(&path).unwrap());
    let before = fb.state(Some("acme"), Category::Lookup).unwrap();
    assert_eq!(again.state(Some("acme"), Category::Lookup), Some(before));
    let d = router(&again).route(&request(LOOKUP, Some("acme")), &EveryProvider).unwrap();
    assert_eq!(d.tier, Some(Tier::Standard));

    // Good outcomes after the restart bring it back, and that is saved too.
    for i in 0..20 {
        let id = format!("good-{i}");
        again.remember(&id, Some("acme"), Category::Lookup, Tier::Standard);
        assert!(again.record(&id, Outcome::Good));
    }
    let third = Feedback::new().with_state_file(&path).unwrap();
    assert!(third.raised(Some("acme"), Category::Lookup).is_none());
    assert!(third.state(Some("acme"), Category::Lookup).is_some());
}

#[test]
fn requests_awaiting_an_outcome_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feedback.json");
    let fb = Feedback::new().with_state_file(&path).unwrap();
    fb.remember("req-1", Some("acme"), Category::Lookup, Tier::Economy);
    fb.remember("req-2", Some("acme"), Category::Lookup, Tier::Economy);
    // No outcome yet: the writer thread saves them within FLUSH_EVERY.
    let written = || std::fs::read_to_string(&path).unwrap_or_default();
    let deadline = std::time::Instant::now() + FLUSH_EVERY * 10;
    while !(written().contains("req-1") && written().contains("req-2")) {
        assert!(std::time::Instant::now() < deadline, "pending requests never written: {}", written());
        std::thread::sleep(FLUSH_EVERY / 10);
    }
    drop(fb);

    // After a restart, feedback on those requests still counts, once.
    let again = Feedback::new().with_state_file(&path).unwrap();
    assert!(again.record("req-1", Outcome::Bad));
    assert!(!again.record("req-1", Outcome::Bad), "counted once");
    assert!(again.state(Some("acme"), Category::Lookup).is_some_and(|s| s.evidence > 0.0));
    // The outcome wrote the file at once: req-1 is gone from it, req-2 still waits.
    let third = Feedback::new().with_state_file(&path).unwrap();
    assert!(!third.record("req-1", Outcome::Good));
    assert!(third.record("req-2", Outcome::Good));
}

#[test]
fn a_malformed_state_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "not json").unwrap();
    let err = Feedback::new().with_state_file(&path).unwrap_err().to_string();
    assert!(err.contains("state.json"), "{err}");
    // A missing file is a fresh start.
    assert!(Feedback::new().with_state_file(dir.path().join("absent.json")).is_ok());
}

fn answer(content: &str, finish: &str, tool_args: Option<&str>) -> ChatResponse {
    let mut msg = json!({"role": "assistant", "content": content});
    if let Some(a) = tool_args {
        msg["tool_calls"] = json!([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": a}}]);
    }
    serde_json::from_value(json!({
        "id": "r", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": msg, "finish_reason": finish}]
    }))
    .unwrap()
}

#[test]
fn automatic_signals_are_read_from_answers() {
    assert_eq!(AutoSignal::in_response(false, &answer("fine", "stop", None)), None);
    assert_eq!(AutoSignal::in_response(false, &answer("cut sho", "length", None)), Some(AutoSignal::Length));
    assert_eq!(AutoSignal::in_response(true, &answer("{\"a\": 1}", "stop", None)), None);
    assert_eq!(AutoSignal::in_response(true, &answer("{\"a\": ", "stop", None)), Some(AutoSignal::InvalidJson));
    assert_eq!(AutoSignal::in_response(false, &answer("{\"a\": ", "stop", None)), None, "not asked for JSON");
    assert_eq!(AutoSignal::in_response(false, &answer("", "tool_calls", Some("{\"city\": \"Lima\"}"))), None);
    assert_eq!(
        AutoSignal::in_response(false, &answer("", "tool_calls", Some("{city: Lima"))),
        Some(AutoSignal::InvalidToolArguments)
    );
}

#[test]
fn automatic_signals_count_only_when_switched_on_and_are_named_in_reasons() {
    let off = Feedback::new();
    off.remember("r0", None, Category::Code, Tier::Standard);
    assert!(!off.signal("r0", AutoSignal::Length), "off by default");

    let fb = Arc::new(Feedback::new().with_automatic(true));
    let req = request(LOOKUP, Some("acme"));
    let fp = fingerprint(&req);
    // The same request sent again and again: each repeat marks the previous answer bad.
    for i in 0..6 {
        fb.remember_request(&format!("try-{i}"), Some("acme"), Category::Lookup, Tier::Economy, Some(fp));
    }
    let s = fb.state(Some("acme"), Category::Lookup).unwrap();
    assert_eq!(s.last_signal, Some(AutoSignal::Retry));
    assert!(s.raised, "{s:?}");
    // Different requests are not retries of each other.
    let other = fingerprint(&request("What's the capital of Chile?", Some("acme")));
    assert_ne!(fp, other);

    for i in 0..6 {
        let id = format!("json-{i}");
        fb.remember(&id, Some("globex"), Category::Lookup, Tier::Economy);
        assert!(fb.signal(&id, AutoSignal::InvalidJson));
    }
    let d = router(&fb).route(&request(LOOKUP, Some("globex")), &EveryProvider);
    let reasons: Vec<String> = d.unwrap().reasons.iter().map(ToString::to_string).collect();
    assert!(reasons.iter().any(|r| r.contains("JSON-mode answer that does not parse")), "{reasons:?}");
}

/// Streamed answers are checked once whole, like complete ones: a run of economy answers
/// cut at the token limit raises the category; streams dropped before they finish say
/// nothing about the answer and count for nothing.
#[tokio::test]
async fn streamed_answers_give_automatic_signals_when_they_complete() {
    use futures_util::StreamExt;
    use kestrel_mock::{Behaviour, MockServer, Script};

    let cut = Behaviour::reply("Lima is the capital of").finish_reason("length");
    let mock = MockServer::start(Script::new().default_behaviour(cut)).await.unwrap();
    let client = kestrel_router::Client::builder()
        .from_env(false)
        .api_key("groq", "gsk-test-groq")
        .base_url("groq", format!("{}/groq", mock.url()))
        .feedback(true)
        .feedback_automatic(true)
        .build()
        .unwrap();
    let ask = |n: usize| request(&format!("{LOOKUP} ({n})"), Some("acme"));
    let tier = |c: &kestrel_router::Client| c.route(&request(LOOKUP, Some("acme"))).unwrap().tier;
    assert_eq!(tier(&client), Some(Tier::Economy));

    // Dropped after the first chunk: not an outcome.
    for i in 0..6 {
        let mut s = client.chat_stream(ask(i)).await.unwrap();
        s.next().await.unwrap().unwrap();
    }
    assert_eq!(tier(&client), Some(Tier::Economy));

    let mut last = String::new();
    for i in 0..6 {
        let mut s = client.chat_stream(ask(100 + i)).await.unwrap();
        while let Some(chunk) = s.next().await {
            last = chunk.unwrap().id;
        }
    }
    let d = client.route(&request(LOOKUP, Some("acme"))).unwrap();
    assert_eq!(d.tier, Some(Tier::Standard), "{:?}", d.reasons);
    let reasons: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
    assert!(reasons.iter().any(|r| r.contains("cut at the token limit")), "{reasons:?}");
    // The signal used up the answer's pending outcome; a stream's id is remembered at start.
    assert!(!client.feedback(&last, Outcome::Good));
    let mut s = client.chat_stream(ask(200)).await.unwrap();
    let id = s.next().await.unwrap().unwrap().id;
    assert!(client.feedback(&id, Outcome::Good));
}
