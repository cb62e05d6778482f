//! One chat completion through the router: print the answer, then where Kestrel sent the
//! request, why, and what it cost against the requested model.
//!
//! `cargo run -p kestrel-examples --example chat`
//!
//! With no provider keys set (OPENAI_API_KEY, GROQ_API_KEY, ...) it runs against the bundled
//! mock provider.

mod common;

use kestrel_router::types::{ChatRequest, Message};

#[tokio::main]
async fn main() -> common::Result<()> {
    let (client, _mock) = common::client().await?;

    // The requested model is a ceiling: Kestrel answers with the cheapest model that can.
    let req = ChatRequest::new(
        "gpt-4o",
        vec![Message::system("You are a concise assistant."), Message::user("What is the capital of France?")],
    );
    let resp = client.chat(req).await?;

    let answer = resp.choices[0].message.content.as_deref().unwrap_or_default();
    println!("answer: {answer}");

    let Some(meta) = &resp.kestrel else { return Ok(()) };
    let tier = meta.tier.map_or("none (passthrough)".to_string(), |t| t.to_string());
    println!("routed: {} → {} ({}, tier {tier})", meta.requested_model, meta.model, meta.provider);
    if let (Some(s), Some(c)) = (meta.scores, meta.confidence) {
        println!(
            "scores: reasoning {} · output {} · domain {} · nuance {} · error tolerance {}   confidence {c:.2}",
            s.reasoning, s.output_complexity, s.domain_specificity, s.instruction_nuance, s.error_tolerance
        );
    }
    println!("cost:   ${:.6} vs ${:.6} baseline (saved ${:.6})", meta.cost_usd, meta.baseline_cost_usd, meta.saved_usd);
    println!("calls:  {} attempt(s), {:.1} ms", meta.attempts, meta.latency_ms);
    for reason in &meta.reasons {
        println!("  · {reason}");
    }
    Ok(())
}
