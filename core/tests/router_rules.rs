//! The routing rules the product promises, as tests.

use std::sync::Arc;

use kestrel_router::catalog::Catalog;
use kestrel_router::router::{
    EveryProvider, Features, HeuristicScorer, ProviderSet, RequestPolicy, Router, RoutingPolicy, Scored, Scorer,
    DEFAULT_MAX_QUALITY_DROP,
};
use kestrel_router::types::{ChatRequest, Content, ContentPart, ImageUrl, Message, ResponseFormat, Tool};
use kestrel_router::{Decision, Tier};
use serde_json::json;

/// The day the catalog was checked: decisions are pinned to it so the tests do not
/// change as models reach their shutdown dates.
const TODAY: &str = "2026-12-04";

/// The heuristic's rules: the learned scorer (the default) is checked on the labelled sets.
fn router() -> Router {
    Router::new(Catalog::builtin()).with_today(TODAY).unwrap().with_scorer(HeuristicScorer)
}

fn route(model: &str, prompt: &str) -> Decision {
    router().route(&ChatRequest::new(model, vec![Message::user(prompt)]), &EveryProvider).unwrap()
}

fn tier(prompt: &str) -> Tier {
    route("gpt-4o", prompt).tier.unwrap()
}

#[test]
fn trivial_requests_go_to_economy() {
    for p in [
        "What is 2+2?",
        "Say hello",
        "Translate 'good morning' into Spanish",
        "Traduis « merci beaucoup » en anglais",
        "What's the capital of Peru?",
        "hi!",
    ] {
        assert_eq!(tier(p), Tier::Economy, "{p}");
    }
}

#[test]
fn moderate_analysis_goes_to_standard() {
    for p in [
        "Compare the pros and cons of renting versus buying a home for a young family.",
        "Summarize the main arguments of this paragraph: remote work improves focus for many people, \
         but it can weaken mentoring and make onboarding slower; companies are experimenting with hybrid \
         schedules to get the benefits of both.",
        "Explain how a refrigerator keeps food cold, for a curious twelve-year-old.",
        "Write a short, friendly email to my team announcing that Friday's meeting moves to 3pm.",
    ] {
        assert_eq!(tier(p), Tier::Standard, "{p}");
    }
}

#[test]
fn hard_requests_stay_premium() {
    for p in [
        "Design a multi-region architecture for a payments ledger with exactly-once processing; discuss \
         the trade-offs between consistency, latency and cost, and how you would handle a region failover.",
        "My Go service deadlocks under load. Here is the code:\n```go\nfunc (s *S) Get(k string) V {\n  \
         s.mu.RLock()\n  defer s.mu.RUnlock()\n  if v, ok := s.m[k]; !ok { s.mu.Lock(); s.m[k] = load(k); \
         s.mu.Unlock() }\n  return s.m[k]\n}\n```\nExplain step by step why and fix it.",
        "Prove that the square root of 2 is irrational.",
        "Our supplier contract has an uncapped indemnification clause and a limitation of liability that \
         excludes consequential damages. Which clause governs a data-breach claim under New York law?",
        "A 68-year-old patient on warfarin starts amiodarone. What dose adjustment and INR monitoring do \
         you recommend, and what are the bleeding risks?",
        "Build a DCF valuation for a SaaS company with 40% growth, 20% EBITDA margin and a WACC of 11%, \
         and explain which assumptions drive the terminal value.",
    ] {
        assert_eq!(tier(p), Tier::Premium, "{p}");
    }
}

#[test]
fn requested_model_is_a_ceiling() {
    let catalog = Catalog::builtin();
    let mini = catalog.resolve("gpt-4o-mini").unwrap();
    for p in ["Design a distributed consensus protocol and prove its safety.", "What is 2+2?"] {
        let d = route("gpt-4o-mini", p);
        assert!(d.tier.unwrap() <= Tier::Economy);
        for c in &d.plan {
            let m = catalog.model(c.model.unwrap());
            assert!(m.tier <= catalog.model(mini).tier, "{p}: {} is above gpt-4o-mini", m.id);
            assert!(c.expected_cost <= d.baseline_cost + 1e-12, "{p}: {} costs more", m.id);
            assert_ne!(m.id, "gpt-4o");
        }
        assert_eq!(d.plan.last().unwrap().model, Some(mini), "the requested model is the last resort");
    }
}

#[test]
fn tools_never_go_to_a_model_without_tools() {
    let catalog = Catalog::builtin();
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user("What's the weather in Paris?")]);
    req.tools = Some(vec![Tool::function(
        "get_weather",
        "Current weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    )]);
    let d = router().route(&req, &EveryProvider).unwrap();
    for c in &d.plan {
        assert!(catalog.model(c.model.unwrap()).tools);
    }
}

#[test]
fn images_and_json_schema_need_capable_models() {
    let catalog = Catalog::builtin();
    let mut msg = Message::user("");
    msg.content = Some(Content::Parts(vec![
        ContentPart::Text { text: "What colour is this?".into(), extra: Default::default() },
        ContentPart::ImageUrl {
            image_url: ImageUrl { url: "https://example.com/a.png".into(), detail: None, extra: Default::default() },
            extra: Default::default(),
        },
    ]));
    let mut req = ChatRequest::new("gpt-4o", vec![msg]);
    req.response_format = Some(ResponseFormat::JsonSchema {
        json_schema: serde_json::from_value(json!({"name": "colour", "schema": {"type": "object"}})).unwrap(),
    });
    let d = router().route(&req, &EveryProvider).unwrap();
    for c in &d.plan {
        let m = catalog.model(c.model.unwrap());
        assert!(m.vision && m.json_schema, "{} lacks vision or json_schema", m.id);
    }
}

#[test]
fn plan_is_cheapest_first_and_ends_with_the_requested_model() {
    let d = route("claude-sonnet-4-6", "Say hello");
    let catalog = Catalog::builtin();
    assert_eq!(d.plan.last().unwrap().model, catalog.resolve("claude-sonnet-4-6"));
    let routed: Vec<f64> = d.plan[..d.plan.len() - 1].iter().map(|c| c.expected_cost).collect();
    assert!(routed.windows(2).all(|w| w[0] <= w[1] * 1.2), "{routed:?}");
    assert!(d.expected_cost() < d.baseline_cost);
    assert!(!d.reasons.is_empty());
}

#[test]
fn unknown_models_of_known_providers_route_as_their_premium() {
    let catalog = Catalog::builtin();
    // A current-looking OpenAI name the catalog does not have: priced as OpenAI's flagship.
    let easy = route("gpt-7-preview-internal", "What is 2+2?");
    assert_eq!(easy.tier, Some(Tier::Economy));
    assert!(easy.reasons.iter().any(|r| r.to_string().contains("treated as openai's premium")), "{:?}", easy.reasons);
    let last = easy.plan.last().unwrap();
    assert_eq!((last.model, catalog.provider(last.provider).name.as_str()), (None, "openai"), "passed through last");
    assert!(easy.chosen().model.is_some() && easy.expected_cost() < easy.baseline_cost);
    assert_eq!(easy.summary(&catalog).plan.last().copied(), Some("gpt-7-preview-internal"));
    let hard = route("claude-opus-9", "Prove that the square root of 2 is irrational.");
    assert_eq!(hard.tier, Some(Tier::Premium));
    assert_eq!(catalog.provider(hard.plan.last().unwrap().provider).name, "anthropic");
    // No provider claims the name: passed through unrouted, as before.
    let d = route("my-own-finetune", "Design a distributed database.");
    assert_eq!(d.plan.len(), 1);
    assert_eq!(d.plan[0].model, None);
    assert_eq!(d.tier, None);
    assert_eq!(catalog.provider(d.plan[0].provider).name, "openai");
}

#[test]
fn current_flagships_are_routed() {
    let catalog = Catalog::builtin();
    for model in
        ["gpt-6.1-sol", "claude-opus-5-5", "gemini-4-argon", "grok-4.7", "mistral-large-4", "command-a-03-2025"]
    {
        let d = route(model, "What is 2+2?");
        assert_eq!(d.tier, Some(Tier::Economy), "{model}");
        assert_ne!(d.chosen().model, catalog.resolve(model), "{model}: routed to a cheaper model");
        assert!(d.expected_cost() < d.baseline_cost, "{model}");
    }
}

/// Every model a plan names is served on the decision's day; the clock is injected.
#[test]
fn models_past_their_shutdown_are_never_planned() {
    let catalog = Catalog::builtin();
    let prompts = [
        "What is 2+2?",
        "Compare the pros and cons of renting versus buying a home for a young family.",
        "Prove that the square root of 2 is irrational.",
    ];
    for day in ["2026-07-01", TODAY, "2027-01-14", "2027-06-01"] {
        let r = Router::new(Catalog::builtin()).with_today(day).unwrap();
        for (m, spec) in catalog.models().iter().enumerate() {
            for p in prompts {
                let Ok(d) = r.route(&ChatRequest::new(spec.id.clone(), vec![Message::user(p)]), &EveryProvider) else {
                    continue;
                };
                for c in &d.plan {
                    let planned = catalog.model(c.model.unwrap());
                    assert!(planned.servable(day), "{day}: {} planned for {} ({p})", planned.id, spec.id);
                }
                if !spec.servable(day) {
                    assert_ne!(d.plan.last().unwrap().model, Some(m), "{day}: retired {} as last resort", spec.id);
                    assert!(d.reasons.iter().any(|r| r.to_string().contains("was shut down")), "{}", spec.id);
                }
            }
        }
    }
    // Before Groq's shutdown its 8B model was the cheapest economy model; after it, never.
    let easy = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    let july = Router::new(Catalog::builtin()).with_today("2026-07-01").unwrap();
    assert_eq!(
        catalog.model(july.route(&easy, &EveryProvider).unwrap().chosen().model.unwrap()).id,
        "llama-3.1-8b-instant"
    );
    let now = router().route(&easy, &EveryProvider).unwrap();
    assert_eq!(catalog.model(now.chosen().model.unwrap()).id, CHEAPEST_ECONOMY);
}

/// The lifecycle warning is worked out once a day per model and shared, but never across
/// catalogs that disagree about that model: each router gives its own catalog's dates.
#[test]
fn lifecycle_warnings_follow_each_catalog() {
    let warning = |r: &Router| {
        let d = r.route(&ChatRequest::new("gpt-4o", vec![Message::user("hi")]), &EveryProvider).unwrap();
        d.reasons.iter().map(ToString::to_string).find(|r| r.contains("shuts down on")).unwrap_or_default()
    };
    let builtin = router();
    let mut patched = (*Catalog::builtin()).clone();
    patched.merge_toml("[[model]]\nid = \"gpt-4o\"\nshutdown = \"2026-12-20\"\n").unwrap();
    let patched = Router::new(Arc::new(patched)).with_today(TODAY).unwrap();
    for _ in 0..2 {
        assert!(warning(&builtin).contains("shuts down on 2027-01-14 (in 41 days)"), "{}", warning(&builtin));
        assert!(warning(&patched).contains("shuts down on 2026-12-20 (in 16 days)"), "{}", warning(&patched));
    }
}

/// The cheapest current economy model for a short request (what `gpt-4o` easy traffic gets).
const CHEAPEST_ECONOMY: &str = "ministral-3b-latest";

#[test]
fn a_retired_requested_model_hands_over_to_its_successor_with_a_warning() {
    let catalog = Catalog::builtin();
    let d = route("claude-sonnet-4-5", "Prove that the square root of 2 is irrational.");
    assert_eq!(d.plan.last().unwrap().model, catalog.resolve("claude-sonnet-4-6"));
    let text: Vec<String> = d.reasons.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|r| r.contains("was shut down by its provider on 2026-11-30")), "{text:?}");
    assert!(text.iter().any(|r| r.contains("claude-sonnet-4-6 stands in")), "{text:?}");
    // A model near its shutdown is still planned, with a warning.
    let d = route("gpt-4o", "Prove that the square root of 2 is irrational.");
    assert_eq!(d.plan.last().unwrap().model, catalog.resolve("gpt-4o"));
    assert!(d.reasons.iter().any(|r| r.to_string().contains("shuts down on 2027-01-14 (in 41 days)")));
    // On the shutdown day the provider's named replacement takes over.
    let r = Router::new(Catalog::builtin()).with_today("2027-01-14").unwrap();
    let d = r.route(&ChatRequest::new("gpt-4o", vec![Message::user("hi")]), &EveryProvider).unwrap();
    assert_eq!(d.plan.last().unwrap().model, catalog.resolve("gpt-5.4"));
}

#[test]
fn hard_requests_keep_a_substitute_of_comparable_quality() {
    let catalog = Catalog::builtin();
    let hard = "Prove that the square root of 2 is irrational.";
    let d = route("claude-sonnet-4-6", hard);
    assert_eq!(d.tier, Some(Tier::Premium));
    let requested = catalog.model(catalog.resolve("claude-sonnet-4-6").unwrap()).quality.unwrap();
    for c in &d.plan[..d.plan.len() - 1] {
        let m = catalog.model(c.model.unwrap());
        let q = m.quality.unwrap_or_else(|| panic!("{} has no score", m.id));
        assert!(q >= requested - DEFAULT_MAX_QUALITY_DROP, "{}: {q} vs {requested}", m.id);
    }
    assert_ne!(catalog.model(d.chosen().model.unwrap()).id, "mistral-large-latest");
    assert!(d.reasons.iter().any(|r| r.to_string().starts_with("quality rule:")), "{:?}", d.reasons);
    // The rule is a policy field: off, the cheapest premium model wins again.
    let off = router().with_policy(RoutingPolicy { max_quality_drop: None, ..Default::default() });
    let d = off.route(&ChatRequest::new("claude-sonnet-4-6", vec![Message::user(hard)]), &EveryProvider).unwrap();
    assert!(catalog.model(d.chosen().model.unwrap()).quality.is_none_or(|q| q < requested - DEFAULT_MAX_QUALITY_DROP));
    // Easy requests are not constrained by it.
    let d = route("claude-sonnet-4-6", "What is 2+2?");
    assert_eq!(catalog.model(d.chosen().model.unwrap()).id, CHEAPEST_ECONOMY);
}

#[test]
fn only_available_providers_are_candidates() {
    let catalog = Catalog::builtin();
    let available = ProviderSet::from_names(&catalog, &["openai".into()], "test").unwrap();
    let req = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    let d = router().route(&req, &available).unwrap();
    assert!(d.plan.iter().all(|c| catalog.provider(c.provider).name == "openai"));
    assert_eq!(catalog.model(d.chosen().model.unwrap()).tier, Tier::Economy);

    let none = ProviderSet::NONE;
    assert!(matches!(router().route(&req, &none), Err(kestrel_router::Error::NoEligibleModel(_))));
}

#[test]
fn operator_policy_floor_ceiling_and_providers() {
    let catalog = Catalog::builtin();
    let easy = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    let hard = ChatRequest::new("gpt-4o", vec![Message::user("Prove there are infinitely many primes.")]);

    let floor = router().with_policy(RoutingPolicy { floor: Tier::Standard, ..Default::default() });
    assert_eq!(floor.route(&easy, &EveryProvider).unwrap().tier, Some(Tier::Standard));

    let ceiling = router().with_policy(RoutingPolicy { ceiling: Tier::Standard, ..Default::default() });
    assert_eq!(ceiling.route(&hard, &EveryProvider).unwrap().tier, Some(Tier::Standard));

    let off = router().with_policy(RoutingPolicy { enabled: false, ..Default::default() });
    let d = off.route(&easy, &EveryProvider).unwrap();
    assert_eq!(d.plan.len(), 1);
    assert_eq!(d.chosen().model, catalog.resolve("gpt-4o"));

    let deny = router().with_policy(RoutingPolicy { deny_providers: vec!["groq".into()], ..Default::default() });
    let d = deny.route(&easy, &EveryProvider).unwrap();
    assert!(d.plan.iter().all(|c| catalog.provider(c.provider).name != "groq"));

    let allow = router().with_policy(RoutingPolicy {
        allow_providers: Some(vec!["openai".into(), "anthropic".into()]),
        ..Default::default()
    });
    let d = allow.route(&easy, &EveryProvider).unwrap();
    assert!(d.plan.iter().all(|c| ["openai", "anthropic"].contains(&catalog.provider(c.provider).name.as_str())));
}

#[test]
fn per_request_policy_overrides_the_client() {
    let catalog = Catalog::builtin();
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    req.kestrel = Some(RequestPolicy { routing: Some(false), ..Default::default() });
    let d = router().route(&req, &EveryProvider).unwrap();
    assert_eq!(d.chosen().model, catalog.resolve("gpt-4o"));

    req.kestrel = Some(RequestPolicy { floor: Some(Tier::Premium), ..Default::default() });
    assert_eq!(router().route(&req, &EveryProvider).unwrap().tier, Some(Tier::Premium));

    req.kestrel = Some(RequestPolicy { allow_providers: Some(vec!["nope".into()]), ..Default::default() });
    let err = router().route(&req, &EveryProvider).unwrap_err();
    assert!(err.to_string().contains("unknown provider `nope`"), "{err}");
}

#[test]
fn same_provider_is_preferred_when_costs_are_close() {
    // Two equally priced economy models: the requested model's provider wins the tie.
    let mut catalog = (*Catalog::builtin()).clone();
    let luna = catalog.model(catalog.resolve("gpt-6-luna").unwrap()).clone();
    let mut twin = luna.clone();
    twin.id = "twin-luna".into();
    twin.provider = "gemini".into();
    twin.aliases.clear();
    twin.input_per_mtok *= 0.95;
    twin.output_per_mtok *= 0.95;
    catalog.add_model(twin).unwrap();
    let available = ProviderSet::from_names(&catalog, &["openai".into(), "gemini".into()], "test").unwrap();
    let r = Router::new(Arc::new(catalog)).with_today(TODAY).unwrap();
    let req = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    let d = r.route(&req, &available).unwrap();
    assert_eq!(r.catalog().model(d.chosen().model.unwrap()).provider, "openai");
}

#[test]
fn context_length_is_respected() {
    let catalog = Catalog::builtin();
    let long = "word ".repeat(150_000 * 4 / 5); // ~150k tokens
    let req = ChatRequest::new("gpt-4.1", vec![Message::user(format!("Summarize: {long}"))]);
    let d = router().route(&req, &EveryProvider).unwrap();
    for c in &d.plan {
        assert!(catalog.model(c.model.unwrap()).context_window as u64 >= u64::from(d.input_tokens));
    }
}

/// The held-out evaluation set stays within the goals (a regression guard; the figures
/// are printed by `kestrel eval`).
#[test]
fn evaluation_set_meets_the_goals() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/eval.jsonl")).unwrap();
    let r = router();
    let mut m = [[0usize; 3]; 3];
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let label: Tier = serde_json::from_value(v["tier"].clone()).unwrap();
        let req = ChatRequest::from_value(v["request"].clone()).unwrap();
        let got = r.route(&req, &EveryProvider).unwrap().tier.unwrap();
        m[label as usize][got as usize] += 1;
    }
    let row = |t: usize| m[t].iter().sum::<usize>() as f64;
    let premium_kept = m[2][2] as f64 / row(2);
    let economy_found = m[0][0] as f64 / row(0);
    let exact = (m[0][0] + m[1][1] + m[2][2]) as f64 / (row(0) + row(1) + row(2));
    assert!(premium_kept >= 0.95, "premium kept {premium_kept:.3}");
    assert!(economy_found >= 0.85, "economy found {economy_found:.3}");
    assert!(exact >= 0.83, "exact {exact:.3}");
}

#[test]
fn hard_work_for_a_cheap_requested_model_stays_on_it() {
    let hard = "Design a multi-region architecture for a payments ledger with exactly-once processing; \
                discuss failure modes, consistency trade-offs and how you would prove correctness.";
    for requested in ["gpt-6-luna", "claude-haiku-5-5", "gemini-3.8-flash"] {
        let d = route(requested, hard);
        let c = Catalog::builtin();
        let plan: Vec<&str> = d.plan.iter().map(|s| c.model(s.model.unwrap()).id.as_str()).collect();
        assert_eq!(plan, [requested], "{requested}: {:?}", d.reasons);
        assert!(d.reasons.iter().any(|r| r.to_string().contains("stays on the requested model")), "{:?}", d.reasons);
    }
    // Easy work for the same cheap model still looks for a cheaper one.
    let easy = route("gemini-3.8-flash", "What is 2+2?");
    assert!(easy.plan.len() > 1, "{:?}", easy.reasons);
}

/// A scorer with a fixed verdict, to test what the router makes of one.
struct Fixed {
    tier: Tier,
    confidence: f32,
    hedged: bool,
}

impl Scorer for Fixed {
    fn score(&self, _: &Features) -> Scored {
        Scored {
            scores: kestrel_router::types::Scores {
                reasoning: 1,
                output_complexity: 1,
                domain_specificity: 1,
                instruction_nuance: 1,
                error_tolerance: 1,
            },
            tier: self.tier,
            confidence: self.confidence,
            hedged: self.hedged,
            reasons: vec![kestrel_router::router::Reason::Note("fixed")],
        }
    }
}

#[test]
fn low_confidence_moves_a_request_up_once() {
    let req = ChatRequest::new("gpt-4o", vec![Message::user("What is 2+2?")]);
    let decide = |tier, confidence, hedged| {
        let d = router().with_scorer(Fixed { tier, confidence, hedged }).route(&req, &EveryProvider).unwrap();
        let reasons = d.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        (d.tier.unwrap(), reasons)
    };
    // The scorer's likeliest tier, held with little confidence: one tier up.
    let (t, why) = decide(Tier::Economy, 0.3, false);
    assert_eq!(t, Tier::Standard, "{why}");
    assert!(why.contains("confidence 0.30 < 0.50: kept one tier higher"), "{why}");
    // Already chosen above its likeliest tier: the same confidence moves it no further.
    let (t, why) = decide(Tier::Economy, 0.3, true);
    assert_eq!(t, Tier::Economy, "{why}");
    assert!(why.contains("confidence rule not applied"), "{why}");
    // Confident enough: stays.
    assert_eq!(decide(Tier::Economy, 0.9, false).0, Tier::Economy);
}
