use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kestrel_router::types::ChatRequest;
use kestrel_router::Tier;
use serde::Deserialize;

use crate::RouterArgs;

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled JSON lines: {"id": ..., "tier": "economy|standard|premium", "request": {...}}.
    file: PathBuf,
    /// Also list every misrouted request with its reasons.
    #[arg(long)]
    errors: bool,
    #[command(flatten)]
    router: RouterArgs,
}

#[derive(Deserialize)]
struct Labelled {
    #[serde(default)]
    id: Option<String>,
    tier: Tier,
    request: serde_json::Value,
}

/// Goals from the router's specification: under-routing a hard request is the costly mistake.
const PREMIUM_KEPT_GOAL: f64 = 95.0;
const ECONOMY_FOUND_GOAL: f64 = 90.0;
const EXACT_GOAL: f64 = 85.0;

pub fn run(args: EvalArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, available) = args.router.router()?;
    let input = crate::open_input(Some(&args.file))?;
    let mut matrix = [[0usize; 3]; 3];
    let mut misses = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let item: Labelled =
            serde_json::from_str(&line).map_err(|e| format!("{}:{}: {e}", args.file.display(), i + 1))?;
        let id = item.id.unwrap_or_else(|| format!("line {}", i + 1));
        let req = ChatRequest::from_value(item.request).map_err(|e| format!("{id}: {e}"))?;
        let d = router.route(&req, &available).map_err(|e| format!("{id}: {e}"))?;
        // A request for an unknown model is passed through; count it at the requested tier.
        let got = d.tier.unwrap_or(Tier::Premium);
        matrix[item.tier as usize][got as usize] += 1;
        if got != item.tier && args.errors {
            misses.push(format!(
                "{id}: labelled {}, routed {} — {}",
                item.tier,
                got,
                d.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    let total: usize = matrix.iter().flatten().sum();
    if total == 0 {
        return Err("no labelled requests".into());
    }
    println!("confusion matrix (rows: label, columns: routed tier)\n");
    println!("{:<10} {:>9} {:>9} {:>9} {:>7}", "", "economy", "standard", "premium", "total");
    for t in Tier::ALL {
        let row = matrix[t as usize];
        println!("{:<10} {:>9} {:>9} {:>9} {:>7}", t.as_str(), row[0], row[1], row[2], row.iter().sum::<usize>());
    }
    let pct = |num: usize, den: usize| if den == 0 { 100.0 } else { 100.0 * num as f64 / den as f64 };
    let row_total = |t: Tier| matrix[t as usize].iter().sum::<usize>();
    let premium_kept = pct(matrix[2][2], row_total(Tier::Premium));
    let economy_found = pct(matrix[0][0], row_total(Tier::Economy));
    let exact = pct(matrix[0][0] + matrix[1][1] + matrix[2][2], total);
    let under: usize = matrix[1][0] + matrix[2][0] + matrix[2][1];
    println!();
    let mark = |v: f64, goal: f64| if v >= goal { "ok" } else { "BELOW GOAL" };
    println!(
        "premium kept at premium: {premium_kept:5.1} %  (goal ≥ {PREMIUM_KEPT_GOAL} %: {})",
        mark(premium_kept, PREMIUM_KEPT_GOAL)
    );
    println!(
        "economy found:           {economy_found:5.1} %  (goal ≥ {ECONOMY_FOUND_GOAL} %: {})",
        mark(economy_found, ECONOMY_FOUND_GOAL)
    );
    println!("exact tier:              {exact:5.1} %  (goal ≥ {EXACT_GOAL} %: {})", mark(exact, EXACT_GOAL));
    println!("under-routed (sent below its label): {under} of {total}");
    for m in &misses {
        println!("  {m}");
    }
    Ok(ExitCode::SUCCESS)
}
