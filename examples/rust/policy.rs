//! Routing policy: a client-wide policy (tier floor and ceiling, a denied provider),
//! per-request overrides in `req.kestrel`, and `client.route(&req)` to see a decision
//! without calling anyone (a dry run).
//!
//! `cargo run -p kestrel-examples --example policy`
//!
//! With no provider keys set (OPENAI_API_KEY, GROQ_API_KEY, ...) it runs against the bundled
//! mock provider.

mod common;

use kestrel_router::router::RequestPolicy;
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::{Client, RoutingPolicy, Tier};

const EASY: &str = "What is 2+2?";
const HARD: &str = "Design a multi-region active-active architecture for a payments ledger and explain the trade-offs.";

/// Dry-runs `req` and prints where it would go and the failover plan.
fn show(client: &Client, label: &str, req: &ChatRequest) {
    match client.route(req) {
        Ok(decision) => {
            let s = decision.summary(client.catalog());
            let tier = s.tier.map_or("none".to_string(), |t| t.to_string());
            println!("{label:<34} → {} ({}, tier {tier})   plan: {}", s.model, s.provider, s.plan.join(" → "));
        }
        Err(e) => println!("{label:<34} → error: {e}"),
    }
}

fn request(prompt: &str, policy: Option<RequestPolicy>) -> ChatRequest {
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user(prompt)]);
    req.kestrel = policy;
    req
}

#[tokio::main]
async fn main() -> common::Result<()> {
    // The operator's rules for every request from this client: at most Standard (even when a
    // request needs Premium), never Groq. The floor stays Economy.
    let policy = RoutingPolicy {
        floor: Tier::Economy,
        ceiling: Tier::Standard,
        deny_providers: vec!["groq".into()],
        ..RoutingPolicy::default()
    };
    let (client, _mock) = common::client_with(|b| b.policy(policy)).await?;

    println!("client policy: floor economy, ceiling standard, deny groq");
    show(&client, "easy", &request(EASY, None));
    show(&client, "hard (capped at standard)", &request(HARD, None));

    // Per-request overrides replace the client's policy field by field, for one request.
    println!("\nper-request overrides (req.kestrel):");
    let floor = RequestPolicy { floor: Some(Tier::Standard), ..Default::default() };
    show(&client, "easy, floor standard", &request(EASY, Some(floor)));
    let ceiling = RequestPolicy { ceiling: Some(Tier::Premium), ..Default::default() };
    show(&client, "hard, ceiling premium", &request(HARD, Some(ceiling)));
    let allow = RequestPolicy { allow_providers: Some(vec!["openai".into()]), ..Default::default() };
    show(&client, "easy, allow openai only", &request(EASY, Some(allow)));
    let deny = RequestPolicy { deny_providers: Some(vec!["groq".into(), "mistral".into()]), ..Default::default() };
    show(&client, "easy, deny groq and mistral", &request(EASY, Some(deny)));
    let off = RequestPolicy { routing: Some(false), ..Default::default() };
    show(&client, "easy, routing off", &request(EASY, Some(off)));

    // A contradictory policy is a typed error before any network call.
    let bad = RequestPolicy { floor: Some(Tier::Premium), ceiling: Some(Tier::Economy), ..Default::default() };
    show(&client, "floor premium, ceiling economy", &request(EASY, Some(bad)));

    // The same overrides apply to real calls.
    let resp =
        client.chat(request(EASY, Some(RequestPolicy { floor: Some(Tier::Standard), ..Default::default() }))).await?;
    if let Some(m) = &resp.kestrel {
        let tier = m.tier.map_or("none".to_string(), |t| t.to_string());
        println!("\nchat with floor standard: answered by {} ({}, tier {tier})", m.model, m.provider);
    }
    println!("answer: {}", resp.choices[0].message.content.as_deref().unwrap_or_default());
    Ok(())
}
