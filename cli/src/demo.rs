//! `kestrel demo`: a handful of real calls through the full client (plain, streaming,
//! tools, JSON mode, a cache hit) to the configured providers, or to the bundled mock provider on
//! loopback when no keys are set, then the savings and health tables.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use futures_util::StreamExt;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::cache::CacheConfig;
use kestrel_router::types::{ChatRequest, ChatResponse, KestrelMeta, Message, ResponseFormat, Tool};
use kestrel_router::Client;
use serde_json::json;

#[derive(Args)]
pub struct DemoArgs {
    /// Use the bundled mock provider even when provider keys are set.
    #[arg(long)]
    mock: bool,
    /// The model every request asks for (the ceiling routing stays under).
    #[arg(long, default_value = "gpt-4o")]
    model: String,
}

const FIRST_QUESTION: &str = "What is the capital of France?";

pub fn run(args: DemoArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(demo(args))
}

async fn demo(args: DemoArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let mut client = Client::builder().cache(CacheConfig::default()).build()?;
    let configured = client.health().iter().filter(|h| h.configured).count();
    let _mock = if args.mock || configured == 0 {
        // One scripted rate limit shows failover: the first choice answers 429, the
        // next candidate takes over, and the limited model sits out its Retry-After.
        let mock = MockServer::start(Script::new()).await?;
        let mut b = Client::builder().from_env(false).cache(CacheConfig::default());
        for (name, url) in mock.provider_base_urls() {
            b = b.api_key(name, "mock-key").base_url(name, url);
        }
        client = b.build()?;
        // The first choice for the first question (whichever model today's catalog picks).
        let first = client.route(&ChatRequest::new(args.model.as_str(), vec![Message::user(FIRST_QUESTION)]))?;
        let first = first.summary(client.catalog()).plan[0].to_string();
        mock.set_script(Script::new().model_queue(first, [Behaviour::error(429).retry_after(30.0), Behaviour::new()]));
        println!(
            "No provider keys set (OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, COHERE_API_KEY, GROQ_API_KEY, ...): \
             running against the bundled mock provider at {}.\n\
             Answers are canned; routing, failover, costs and savings are computed for real.\n",
            mock.url()
        );
        Some(mock)
    } else {
        let names: Vec<String> = client.health().into_iter().filter(|h| h.configured).map(|h| h.provider).collect();
        println!("Calling the configured providers: {}\n", names.join(", "));
        None
    };
    let model = args.model.as_str();

    section("1. A simple question");
    let r = client.chat(ChatRequest::new(model, vec![Message::user(FIRST_QUESTION)])).await?;
    show(&r);

    section("2. A hard one");
    let r = client
        .chat(ChatRequest::new(
            model,
            vec![Message::user(
                "Design a multi-region architecture for a payments ledger with exactly-once processing, \
                 and explain the trade-offs between consistency and latency.",
            )],
        ))
        .await?;
    show(&r);

    section("3. Streaming");
    let mut req = ChatRequest::new(model, vec![Message::user("Write a short haiku about a kestrel hovering.")]);
    req.stream = Some(true);
    let mut stream = client.chat_stream(req).await?;
    let mut meta = None;
    print!("  ");
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if let Some(text) = chunk.choices.first().and_then(|c| c.delta.content.as_deref()) {
            print!("{text}");
            std::io::stdout().flush()?;
        }
        meta = chunk.kestrel.or(meta);
    }
    println!();
    if let Some(m) = meta {
        route_line(&m);
    }

    section("4. Tools");
    let weather = Tool::function(
        "get_weather",
        "Current weather for a city",
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
    );
    let mut messages = vec![Message::user("What's the weather in Lisbon right now?")];
    let mut req = ChatRequest::new(model, messages.clone());
    req.tools = Some(vec![weather.clone()]);
    let first = client.chat(req).await?;
    show(&first);
    if let Some(calls) = first.choices[0].message.tool_calls.clone() {
        let mut assistant = Message::assistant("");
        assistant.content = None;
        assistant.tool_calls = Some(calls.clone());
        messages.push(assistant);
        for c in &calls {
            messages.push(Message::tool(c.id.clone(), r#"{"city": "Lisbon", "temp_c": 21, "sky": "clear"}"#));
        }
        let mut req = ChatRequest::new(model, messages);
        req.tools = Some(vec![weather]);
        show(&client.chat(req).await?);
    }

    section("5. JSON mode");
    let mut req = ChatRequest::new(
        model,
        vec![Message::user("Extract the name and city as JSON: 'Ana Souza moved to Porto last spring.'")],
    );
    req.response_format = Some(ResponseFormat::JsonObject);
    show(&client.chat(req).await?);

    section("6. The cache (Stage 0): the first question again, reworded, then a different one");
    for text in ["what's the capital of france??", "What is the capital of Spain?"] {
        println!("  {text}");
        show(&client.chat(ChatRequest::new(model, vec![Message::user(text)])).await?);
    }

    section("Savings");
    let s = client.usage().savings(None);
    println!(
        "  {} requests · baseline ${:.6} · actual ${:.6} · saved ${:.6} ({:.1} %)",
        s.requests, s.baseline_cost_usd, s.actual_cost_usd, s.saved_usd, s.savings_pct
    );
    let r = client.usage().routing(None);
    println!(
        "  routing: economy {} · standard {} · premium {} · cache {} · as requested {}",
        r.economy, r.standard, r.premium, r.cache, r.passthrough
    );
    println!(
        "\n  {:<44} {:<9} {:>8} {:>10} {:>10} {:>12}",
        "model", "provider", "requests", "in tok", "out tok", "cost $"
    );
    for m in client.usage().analytics(None) {
        println!(
            "  {:<44} {:<9} {:>8} {:>10} {:>10} {:>12.6}",
            m.model, m.provider, m.requests, m.prompt_tokens, m.completion_tokens, m.cost_usd
        );
    }
    println!("\n  {:<10} {:>8} {:>9} {:>9} {:>10}  circuit", "provider", "attempts", "errors", "failover", "p50 ms");
    let health = client.health();
    for p in client.usage().providers(None) {
        let state = health.iter().find(|h| h.provider == p.provider).map_or("-", |h| match h.state {
            kestrel_router::health::CircuitState::Closed => "closed",
            kestrel_router::health::CircuitState::Open => "open",
            kestrel_router::health::CircuitState::HalfOpen => "half-open",
        });
        let errors: u64 = p.errors.values().sum();
        println!(
            "  {:<10} {:>8} {:>9} {:>9} {:>10.1}  {state}",
            p.provider, p.attempts, errors, p.failovers, p.latency_p50_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn section(title: &str) {
    println!("── {title}");
}

fn show(r: &ChatResponse) {
    let msg = &r.choices[0].message;
    if let Some(text) = msg.content.as_deref() {
        let short: String = text.chars().take(160).collect();
        println!("  {}{}", short.replace('\n', " "), if text.chars().count() > 160 { "…" } else { "" });
    }
    for c in msg.tool_calls.iter().flatten() {
        println!("  tool call: {}({})", c.function.name, c.function.arguments);
    }
    if let Some(m) = &r.kestrel {
        route_line(m);
    }
}

fn route_line(m: &KestrelMeta) {
    if m.cache_hit {
        println!(
            "  → answered from the cache ({} match) · $0 vs ${:.6} · saved ${:.6} · {:.2} ms\n",
            m.cache_layer.as_deref().unwrap_or("exact"),
            m.baseline_cost_usd,
            m.saved_usd,
            m.latency_ms
        );
        return;
    }
    let tier = m.tier.map_or("as requested", |t| t.as_str());
    println!(
        "  → {} routed to {} ({}, {tier}) · ${:.6} vs ${:.6} · saved ${:.6} · {} attempt{} · {:.0} ms\n",
        m.requested_model,
        m.model,
        m.provider,
        m.cost_usd,
        m.baseline_cost_usd,
        m.saved_usd,
        m.attempts,
        if m.attempts == 1 { "" } else { "s" },
        m.latency_ms
    );
}
