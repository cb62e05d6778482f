//! Routing decisions offline: no keys, no network.
//!
//! `cargo run -p kestrel-examples --example route`

use kestrel_router::router::{EveryProvider, RequestPolicy, Router, RoutingPolicy};
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::{Catalog, Tier};

fn main() -> kestrel_router::Result<()> {
    // An operator policy: never above Premium (the default), and never use Groq.
    let policy = RoutingPolicy { ceiling: Tier::Premium, deny_providers: vec!["groq".into()], ..Default::default() };
    let router = Router::new(Catalog::builtin()).with_policy(policy);

    for prompt in [
        "What is 2+2?",
        "Compare PostgreSQL and MySQL for a small analytics team.",
        "Design a multi-region active-active architecture for a payments ledger and explain the trade-offs.",
    ] {
        let req = ChatRequest::new("gpt-4o", vec![Message::user(prompt)]);
        let decision = router.route(&req, &EveryProvider)?;
        let summary = decision.summary(router.catalog());
        println!("{prompt}\n  → {} ({:?}), saves ${:.6}", summary.model, summary.tier, summary.saved_usd);
        for reason in &summary.reasons {
            println!("    · {reason}");
        }
    }

    // Per-request overrides travel in the request body as `"kestrel": {...}`.
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user("Say hello")]);
    req.kestrel = Some(RequestPolicy { routing: Some(false), ..Default::default() });
    let d = router.route(&req, &EveryProvider)?;
    println!("routing off for this request → {}", d.summary(router.catalog()).model);
    Ok(())
}
