//! The usage ledger: make a few calls (plain, streamed, two tenants), then
//! read what they cost and saved, the routing mix, per-model and per-provider analytics,
//! provider health, and export every record as CSV.
//!
//! `cargo run -p kestrel-examples --example usage`
//!
//! With no provider keys set (OPENAI_API_KEY, GROQ_API_KEY, ...) it runs against the bundled
//! mock provider.

mod common;

use futures_util::StreamExt;
use kestrel_router::health::CircuitState;
use kestrel_router::router::RequestPolicy;
use kestrel_router::types::{ChatRequest, Message};

/// A request for `gpt-4o`, counted under `tenant` when one is given.
fn request(prompt: &str, tenant: Option<&str>) -> ChatRequest {
    let mut req = ChatRequest::new("gpt-4o", vec![Message::user(prompt)]);
    if let Some(t) = tenant {
        req.kestrel = Some(RequestPolicy { tenant: Some(t.to_string()), ..Default::default() });
    }
    req
}

#[tokio::main]
async fn main() -> common::Result<()> {
    let (client, _mock) = common::client().await?;

    let calls = [
        ("What is 2+2?", None),
        ("Translate 'good morning' into Spanish.", None),
        ("Summarize the plot of Hamlet in three sentences.", Some("acme")),
        ("Compare PostgreSQL and MySQL for a small analytics team.", Some("acme")),
        ("What is the boiling point of water at sea level?", Some("globex")),
        (
            "Design a multi-region active-active architecture for a payments ledger and explain the trade-offs.",
            Some("globex"),
        ),
    ];
    for (prompt, tenant) in calls {
        let resp = client.chat(request(prompt, tenant)).await?;
        if let Some(m) = &resp.kestrel {
            let tier = m.tier.map_or("none".to_string(), |t| t.to_string());
            println!("{:<8} {:<9} → {} ({tier})", tenant.unwrap_or("-"), "chat", m.model);
        }
    }

    // A streamed call is recorded when the stream ends (or is dropped).
    let mut stream = client.chat_stream(request("Write a limerick about routers.", Some("acme"))).await?;
    while let Some(chunk) = stream.next().await {
        if let Some(m) = chunk?.kestrel {
            let tier = m.tier.map_or("none".to_string(), |t| t.to_string());
            println!("{:<8} {:<9} → {} ({tier})", "acme", "stream", m.model);
        }
    }

    let usage = client.usage();

    let s = usage.savings(None);
    println!("\nsavings (all tenants)");
    println!(
        "  {} requests ({} failed, {} cache hits): ${:.6} spent vs ${:.6} baseline, saved ${:.6} ({:.1}%)",
        s.requests, s.errors, s.cache_hits, s.actual_cost_usd, s.baseline_cost_usd, s.saved_usd, s.savings_pct
    );
    for tenant in usage.tenants() {
        let t = usage.savings(Some(&tenant));
        println!("  tenant {tenant:<8} {} requests, saved ${:.6} ({:.1}%)", t.requests, t.saved_usd, t.savings_pct);
    }

    let r = usage.routing(None);
    let shares = r.shares();
    println!("\nrouting (requests per tier)");
    println!(
        "  economy {} ({:.0}%) · standard {} ({:.0}%) · premium {} ({:.0}%) · cache {} · passthrough {}",
        r.economy,
        shares.economy * 100.0,
        r.standard,
        shares.standard * 100.0,
        r.premium,
        shares.premium * 100.0,
        r.cache,
        r.passthrough
    );

    println!("\nanalytics (per answering model)");
    println!(
        "  {:<44} {:<9} {:>4} {:>7} {:>7} {:>10} {:>10}",
        "model", "provider", "reqs", "in", "out", "cost", "baseline"
    );
    for m in usage.analytics(None) {
        println!(
            "  {:<44} {:<9} {:>4} {:>7} {:>7} {:>10.6} {:>10.6}",
            m.model, m.provider, m.requests, m.prompt_tokens, m.completion_tokens, m.cost_usd, m.baseline_cost_usd
        );
    }

    println!("\nproviders (every attempt)");
    for p in usage.providers(None) {
        let errors: Vec<String> = p.errors.iter().map(|(kind, n)| format!("{kind}={n}")).collect();
        println!(
            "  {:<9} {} attempts, {} ok, errors [{}], {} failovers, p50 {:.1} ms, p95 {:.1} ms",
            p.provider,
            p.attempts,
            p.successes,
            errors.join(", "),
            p.failovers,
            p.latency_p50_ms,
            p.latency_p95_ms
        );
    }

    println!("\nhealth");
    for h in client.health() {
        let state = match (h.configured, h.state) {
            (false, _) => "not configured".to_string(),
            (true, CircuitState::Closed) => "healthy (circuit closed)".to_string(),
            (true, CircuitState::HalfOpen) => "recovering (next request probes it)".to_string(),
            (true, CircuitState::Open) => format!("failing, retry in {} ms", h.retry_in_ms.unwrap_or(0)),
        };
        println!("  {:<9} {state}", h.provider);
    }

    let path = std::env::temp_dir().join(format!("kestrel-usage-{}.csv", std::process::id()));
    usage.export_csv(&path, None)?;
    let csv = std::fs::read_to_string(&path)?;
    println!("\nexported {} records to {}", csv.lines().count().saturating_sub(1), path.display());
    for line in csv.lines().take(3) {
        println!("  {line}");
    }
    Ok(())
}
