//! A streamed chat completion: print each chunk's text as it arrives, then the routing
//! metadata that Kestrel attaches to the last chunk.
//!
//! `cargo run -p kestrel-examples --example streaming`
//!
//! With no provider keys set (OPENAI_API_KEY, GROQ_API_KEY, ...) it runs against the bundled
//! mock provider.

mod common;

use std::io::Write;

use futures_util::StreamExt;
use kestrel_router::types::{ChatRequest, Message};

#[tokio::main]
async fn main() -> common::Result<()> {
    let (client, _mock) = common::client().await?;

    let req = ChatRequest::new("gpt-4o", vec![Message::user("Write a haiku about a kestrel hovering over a field.")]);
    // Failover happens only before the first chunk; after that the stream is one provider's.
    let mut stream = client.chat_stream(req).await?;

    let mut stdout = std::io::stdout();
    let mut chunks = 0;
    let mut meta = None;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?; // an interrupted stream ends with an error after its chunks
        chunks += 1;
        for choice in &chunk.choices {
            if let Some(text) = &choice.delta.content {
                write!(stdout, "{text}")?;
                stdout.flush()?;
            }
        }
        if chunk.kestrel.is_some() {
            meta = chunk.kestrel;
        }
    }
    println!();

    let meta = meta.ok_or("the stream ended without Kestrel metadata")?;
    println!(
        "{chunks} chunks · {} → {} ({}, tier {}) · ${:.6} vs ${:.6} baseline · {:.1} ms",
        meta.requested_model,
        meta.model,
        meta.provider,
        meta.tier.map_or("none".to_string(), |t| t.to_string()),
        meta.cost_usd,
        meta.baseline_cost_usd,
        meta.latency_ms
    );
    Ok(())
}
