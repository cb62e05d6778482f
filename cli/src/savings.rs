use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kestrel_router::types::ChatRequest;
use kestrel_router::Tier;

use crate::RouterArgs;

#[derive(Args)]
pub struct SavingsArgs {
    /// JSON lines of OpenAI requests (`-`: stdin).
    file: PathBuf,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    router: RouterArgs,
}

#[derive(Default, serde::Serialize)]
struct ModelRow {
    provider: String,
    tier: Option<Tier>,
    requests: usize,
    cost_usd: f64,
    baseline_usd: f64,
}

pub fn run(args: SavingsArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, available) = args.router.router()?;
    let catalog = router.catalog().clone();
    let input = crate::open_input(Some(&args.file))?;
    let (mut requests, mut errors, mut passthrough) = (0usize, 0usize, 0usize);
    let mut tiers = [0usize; 3];
    let mut models: BTreeMap<String, ModelRow> = BTreeMap::new();
    let (mut baseline, mut actual) = (0.0f64, 0.0f64);
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let d = match ChatRequest::from_json(&line).and_then(|r| router.route(&r, &available)) {
            Ok(d) => d,
            Err(e) => {
                errors += 1;
                eprintln!("line {}: {e}", i + 1);
                continue;
            }
        };
        requests += 1;
        match d.tier {
            Some(t) => tiers[t as usize] += 1,
            None => passthrough += 1,
        }
        let s = d.summary(&catalog);
        let row = models.entry(s.model.to_string()).or_default();
        row.provider = s.provider.to_string();
        row.tier = d.chosen().model.map(|m| catalog.model(m).tier);
        row.requests += 1;
        row.cost_usd += s.estimated_cost_usd;
        row.baseline_usd += s.baseline_cost_usd;
        baseline += s.baseline_cost_usd;
        actual += s.estimated_cost_usd;
    }
    let saved = baseline - actual;
    let pct = if baseline > 0.0 { 100.0 * saved / baseline } else { 0.0 };
    if args.json {
        let report = serde_json::json!({
            "requests": requests, "errors": errors, "passthrough": passthrough,
            "tiers": {"economy": tiers[0], "standard": tiers[1], "premium": tiers[2]},
            "models": models,
            "baseline_cost_usd": baseline, "routed_cost_usd": actual, "saved_usd": saved, "saved_pct": pct,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "routed {requests} requests from {} (prices as of {}; token counts estimated)",
        args.file.display(),
        catalog.prices_as_of()
    );
    if errors > 0 {
        println!("{errors} lines skipped as invalid (see stderr)");
    }
    println!("\ntier distribution");
    for t in Tier::ALL {
        let n = tiers[t as usize];
        let share = if requests > 0 { 100.0 * n as f64 / requests as f64 } else { 0.0 };
        println!("  {:<9} {:>5}  {:>5.1} %  {}", t.as_str(), n, share, "█".repeat((share / 2.0).round() as usize));
    }
    if passthrough > 0 {
        println!("  {:<9} {:>5}  (unknown model or routing off)", "as-is", passthrough);
    }
    println!(
        "\n{:<46} {:<10} {:<9} {:>8} {:>12} {:>12}",
        "routed to", "provider", "tier", "requests", "cost $", "baseline $"
    );
    let mut rows: Vec<_> = models.iter().collect();
    rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.requests));
    for (name, r) in rows {
        println!(
            "{:<46} {:<10} {:<9} {:>8} {:>12.4} {:>12.4}",
            name,
            r.provider,
            r.tier.map_or("-", |t| t.as_str()),
            r.requests,
            r.cost_usd,
            r.baseline_usd
        );
    }
    println!("\nbaseline (always the requested model): ${baseline:.4}");
    println!("routed:                                ${actual:.4}");
    println!("projected savings:                     ${saved:.4} ({pct:.1} %)");
    Ok(ExitCode::SUCCESS)
}
