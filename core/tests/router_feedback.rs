//! Outcome feedback: bad outcomes raise a category, good ones bring it back, within bounds.

use std::sync::Arc;

use kestrel_router::catalog::Catalog;
use kestrel_router::router::{Category, EveryProvider, Feedback, Outcome, Reason, Router};
use kestrel_router::types::{ChatRequest, Message, RequestPolicy};
use kestrel_router::Tier;

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
