use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::Error;

use crate::RouterArgs;

#[derive(Args)]
pub struct RouteArgs {
    /// The prompt to route. Without it, OpenAI requests are read as JSON lines.
    prompt: Option<String>,
    /// The requested model (the ceiling) for a prompt given on the command line.
    #[arg(long, default_value = "gpt-4o")]
    model: String,
    /// A system prompt for a prompt given on the command line.
    #[arg(long)]
    system: Option<String>,
    /// JSON lines of OpenAI requests to route (`-` or absent: stdin).
    #[arg(long, short)]
    file: Option<PathBuf>,
    /// Print one JSON decision object per line instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    router: RouterArgs,
}

pub fn run(args: RouteArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, available) = args.router.router()?;
    let catalog = router.catalog().clone();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());

    if let Some(prompt) = &args.prompt {
        let mut messages = Vec::new();
        if let Some(s) = &args.system {
            messages.push(Message::system(s.clone()));
        }
        messages.push(Message::user(prompt.clone()));
        let req = ChatRequest::new(args.model.clone(), messages);
        let d = router.route(&req, &available)?;
        if args.json {
            serde_json::to_writer(&mut out, &d.summary(&catalog))?;
            writeln!(out)?;
        } else {
            print_decision(&mut out, &d.summary(&catalog))?;
        }
        return Ok(ExitCode::SUCCESS);
    }

    let input = crate::open_input(args.file.as_ref())?;
    let mut failures = 0usize;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let result = ChatRequest::from_json(&line).and_then(|req| router.route(&req, &available));
        match result {
            Ok(d) if args.json => {
                let mut v = serde_json::to_value(d.summary(&catalog))?;
                v.as_object_mut().map(|o| o.insert("line".into(), n.into()));
                serde_json::to_writer(&mut out, &v)?;
                writeln!(out)?;
            }
            Ok(d) => {
                writeln!(out, "── line {n}")?;
                print_decision(&mut out, &d.summary(&catalog))?;
            }
            Err(e) => {
                failures += 1;
                if args.json {
                    serde_json::to_writer(&mut out, &error_line(n, &e))?;
                    writeln!(out)?;
                } else {
                    writeln!(out, "── line {n}\nerror: {e}")?;
                }
            }
        }
    }
    out.flush()?;
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn error_line(line: usize, e: &Error) -> serde_json::Value {
    let (kind, field) = match e {
        Error::InvalidRequest { field, .. } => ("invalid_request", Some(field.as_str())),
        Error::NoEligibleModel(_) => ("no_eligible_model", None),
        _ => ("error", None),
    };
    serde_json::json!({"line": line, "error": {"type": kind, "field": field, "message": e.to_string()}})
}

fn print_decision(out: &mut impl Write, d: &kestrel_router::router::DecisionSummary) -> std::io::Result<()> {
    let tier = d.tier.map_or("-", |t| t.as_str());
    writeln!(out, "{} → {} ({}, tier {tier})", d.requested_model, d.model, d.provider)?;
    if let (Some(s), Some(c)) = (d.scores, d.confidence) {
        writeln!(
            out,
            "  scores: reasoning {} · output {} · domain {} · nuance {} · error tolerance {}   confidence {c:.2}",
            s.reasoning, s.output_complexity, s.domain_specificity, s.instruction_nuance, s.error_tolerance
        )?;
    }
    writeln!(
        out,
        "  cost: ${:.6} expected vs ${:.6} baseline (saves ${:.6}; ~{} in / {} out tokens)",
        d.estimated_cost_usd, d.baseline_cost_usd, d.saved_usd, d.input_tokens, d.expected_output_tokens
    )?;
    writeln!(out, "  plan: {}", d.plan.join(" → "))?;
    for r in &d.reasons {
        writeln!(out, "  · {r}")?;
    }
    Ok(())
}
