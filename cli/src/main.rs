//! `kestrel`: route requests offline, evaluate the router, project savings, run the demo,
//! render usage reports, serve the router over HTTP and manage its keys.

mod cache_eval;
mod demo;
mod eval;
mod report;
mod route;
mod savings;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use kestrel_router::catalog::Catalog;
use kestrel_router::router::{ProviderSet, Router, RoutingPolicy};

#[derive(Parser)]
#[command(name = "kestrel", version, about = "Embeddable LLM router: the cheapest capable model for every request.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the routing decision for a prompt, or for OpenAI requests as JSON lines.
    Route(route::RouteArgs),
    /// Score the router on a labelled set: confusion matrix and the three goal figures.
    Eval(eval::EvalArgs),
    /// Score the cache on labelled request pairs: hit rate and false-hit rate.
    CacheEval(cache_eval::CacheEvalArgs),
    /// Send a few real calls through the full client (to the bundled mock when no keys are set).
    Demo(demo::DemoArgs),
    /// Route a workload of OpenAI requests and project the savings.
    Savings(savings::SavingsArgs),
    /// List the model catalog with prices and capabilities.
    Models(RouterArgs),
    /// Render a usage ledger (JSONL or CSV export) as one self-contained HTML report.
    Report(report::ReportArgs),
    /// Serve the router as an OpenAI-compatible HTTP API, with Kestrel keys, a usage store
    /// and a dashboard.
    Serve(serve::ServeArgs),
    /// Create, list and revoke Kestrel keys (through a server's admin API, or a store file).
    Keys(serve::KeysArgs),
}

/// Options every offline command shares.
#[derive(Args, Clone)]
pub struct RouterArgs {
    /// Only these providers count as available (comma-separated), e.g. `openai,groq`.
    /// Offline commands make no calls, so by default every catalog provider is available.
    #[arg(long, value_delimiter = ',')]
    providers: Vec<String>,
    /// A TOML file adding or overriding providers and models (same format as the catalog).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Below this confidence (0..1) a request stays one tier higher; default 0.5.
    #[arg(long)]
    min_confidence: Option<f32>,
}

impl RouterArgs {
    fn router(&self) -> kestrel_router::Result<(Router, ProviderSet)> {
        let mut catalog = (*Catalog::builtin()).clone();
        if let Some(path) = &self.config {
            catalog.merge_file(path)?;
        }
        let available = if self.providers.is_empty() {
            ProviderSet::ALL
        } else {
            ProviderSet::from_names(&catalog, &self.providers, "--providers")?
        };
        let mut policy = RoutingPolicy::default();
        if let Some(c) = self.min_confidence {
            policy.min_confidence = c;
        }
        Ok((Router::new(Arc::new(catalog)).with_policy(policy), available))
    }
}

fn main() -> ExitCode {
    // Piped into `head` and the like, exit quietly when the reader goes away, as Unix
    // tools do, instead of panicking on the first failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Route(a) => route::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Eval(a) => eval::run(a),
        Command::CacheEval(a) => cache_eval::run(a),
        Command::Savings(a) => savings::run(a),
        Command::Models(a) => models(a),
        Command::Report(a) => report::run(a),
        Command::Serve(a) => serve::serve(a),
        Command::Keys(a) => serve::keys(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kestrel: {e}");
            ExitCode::from(2)
        }
    }
}

fn models(args: RouterArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, available) = args.router()?;
    let c = router.catalog();
    println!("prices as of {} (USD per million tokens)\n", c.prices_as_of());
    println!("{:<46} {:<10} {:<9} {:>8} {:>8} {:>9}  caps", "model", "provider", "tier", "input", "output", "context");
    let mut ids: Vec<usize> = (0..c.models().len()).filter(|&m| available.contains(c.provider_of(m))).collect();
    ids.sort_by(|&a, &b| {
        c.model(a).tier.cmp(&c.model(b).tier).then(c.model(a).input_per_mtok.total_cmp(&c.model(b).input_per_mtok))
    });
    for m in ids {
        let s = c.model(m);
        let caps: Vec<&str> =
            [(s.tools, "tools"), (s.vision, "vision"), (s.json_mode, "json"), (s.json_schema, "schema")]
                .iter()
                .filter_map(|&(on, name)| on.then_some(name))
                .collect();
        println!(
            "{:<46} {:<10} {:<9} {:>8.4} {:>8.4} {:>9}  {}",
            s.id,
            s.provider,
            s.tier.as_str(),
            s.input_per_mtok,
            s.output_per_mtok,
            s.context_window,
            caps.join(",")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads JSON lines from a file or, with `-` or no file, from stdin.
pub fn open_input(path: Option<&PathBuf>) -> std::io::Result<Box<dyn std::io::BufRead>> {
    use std::io::BufReader;
    match path {
        Some(p) if p.as_os_str() != "-" => Ok(Box::new(BufReader::new(
            std::fs::File::open(p).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
        ))),
        _ => Ok(Box::new(BufReader::new(std::io::stdin().lock()))),
    }
}
