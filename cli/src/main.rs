//! `kestrel`: route requests offline, evaluate the router, project savings, run the demo,
//! render usage reports.

mod cache_eval;
mod catalog;
mod demo;
mod eval;
mod report;
mod route;
mod savings;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use kestrel_router::catalog::{Catalog, Lifecycle, ModelSpec};
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
    /// List the model catalog with prices, capabilities, quality and lifecycle status.
    Models(ModelsArgs),
    /// Keep the catalog current without a release: import LiteLLM's price list.
    #[command(subcommand)]
    Catalog(catalog::CatalogCommand),
    /// Render a usage ledger (JSONL or CSV export) as one self-contained HTML report.
    Report(report::ReportArgs),
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
    /// Decide as of this date (YYYY-MM-DD) instead of today: models past their shutdown
    /// on that day are never planned.
    #[arg(long)]
    today: Option<String>,
    /// The quality rule: a hard request's substitute scores at most this many points below
    /// the requested model (0-100 scale; default 5); `off` turns it off.
    #[arg(long)]
    max_quality_drop: Option<String>,
}

#[derive(Args, Clone)]
pub struct ModelsArgs {
    /// Print the catalog as Markdown tables, one per provider (the README's table).
    #[arg(long)]
    markdown: bool,
    /// Leave out models past their shutdown date.
    #[arg(long)]
    current: bool,
    #[command(flatten)]
    router: RouterArgs,
}

impl RouterArgs {
    /// The built-in catalog, the `KESTREL_CATALOG` files, then `--config`.
    fn router(&self) -> kestrel_router::Result<(Router, ProviderSet)> {
        let mut catalog = Catalog::from_env()?;
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
        match self.max_quality_drop.as_deref() {
            None => {}
            Some("off") => policy.max_quality_drop = None,
            Some(v) => {
                let drop: f32 = v.parse().ok().filter(|d: &f32| d.is_finite() && *d >= 0.0).ok_or_else(|| {
                    kestrel_router::Error::Config(format!("--max-quality-drop: `{v}` is not a number >= 0 or `off`"))
                })?;
                policy.max_quality_drop = Some(drop);
            }
        }
        let router = Router::new(Arc::new(catalog)).with_policy(policy);
        let router = match &self.today {
            Some(d) => router.with_today(d)?,
            None => router,
        };
        Ok((router, available))
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
        Command::Catalog(c) => catalog::run(c),
        Command::Report(a) => report::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kestrel: {e}");
            ExitCode::from(2)
        }
    }
}

fn models(args: ModelsArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, available) = args.router.router()?;
    let c = router.catalog();
    let today = kestrel_router::catalog::iso_from_days(router.today());
    let mut ids: Vec<usize> = (0..c.models().len())
        .filter(|&m| available.contains(c.provider_of(m)))
        .filter(|&m| !args.current || c.model(m).servable(&today))
        .collect();
    ids.sort_by(|&a, &b| {
        let (ma, mb) = (c.model(a), c.model(b));
        c.provider_of(a)
            .cmp(&c.provider_of(b))
            .then((ma.lifecycle(&today) == Lifecycle::Retired).cmp(&(mb.lifecycle(&today) == Lifecycle::Retired)))
            .then(mb.tier.cmp(&ma.tier))
            .then(mb.input_per_mtok.total_cmp(&ma.input_per_mtok))
    });
    if args.markdown {
        print!("{}", markdown(c, &ids, &today));
        return Ok(ExitCode::SUCCESS);
    }
    println!("prices as of {}, status as of {today} (USD per million tokens)\n", c.prices_as_of());
    println!(
        "{:<46} {:<9} {:<8} {:>7} {:>7} {:>7} {:>9} {:>5}  {:<22} caps",
        "model", "provider", "tier", "input", "cached", "output", "context", "qual", "status"
    );
    let mut warnings = Vec::new();
    for &m in &ids {
        let s = c.model(m);
        let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
        println!(
            "{:<46} {:<9} {:<8} {:>7.3} {:>7} {:>7.3} {:>9} {:>5}  {:<22} {}",
            s.id,
            s.provider,
            s.tier.as_str(),
            s.input_per_mtok,
            num(s.cached_input_per_mtok),
            s.output_per_mtok,
            s.context_window,
            s.quality.map_or("-".into(), |q| format!("{q:.1}")),
            status(s, &today),
            caps(s)
        );
        warnings.extend(s.lifecycle_warning(&today));
    }
    if !warnings.is_empty() {
        println!();
        for w in warnings {
            println!("warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn caps(s: &ModelSpec) -> String {
    [
        (s.tools, "tools"),
        (s.vision, "vision"),
        (s.json_mode, "json"),
        (s.json_schema, "schema"),
        (s.reasoning, "reasoning"),
    ]
    .iter()
    .filter_map(|&(on, name)| on.then_some(name))
    .collect::<Vec<_>>()
    .join(",")
}

fn status(s: &ModelSpec, today: &str) -> String {
    match (s.lifecycle(today), s.shutdown.as_deref()) {
        (Lifecycle::Active, _) => "active".into(),
        (Lifecycle::Deprecated, Some(d)) => format!("shuts down {d}"),
        (Lifecycle::Deprecated, None) => "deprecated".into(),
        (Lifecycle::Retired, d) => format!("retired {}", d.unwrap_or_default()),
    }
}

/// One Markdown table per provider: tier, prices, limits, quality and status.
fn markdown(c: &Catalog, ids: &[usize], today: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Prices in USD per million tokens (prices as of {}, status as of {today}); \"long\" = the price above the \
         long-context threshold; quality = whatmodel.sh score (0-100), - = not scored.\n",
        c.prices_as_of()
    );
    let mut last = None;
    for &m in ids {
        let s = c.model(m);
        if last != Some(c.provider_of(m)) {
            last = Some(c.provider_of(m));
            let n = ids.iter().filter(|&&i| c.provider_of(i) == c.provider_of(m) && c.model(i).servable(today)).count();
            let _ = writeln!(out, "\n#### {} ({n} current)\n", c.provider(c.provider_of(m)).name);
            let _ = writeln!(out, "| model | tier | input | cached | output | long (> tokens) | context | output max | quality | status |");
            let _ = writeln!(out, "|---|---|--:|--:|--:|---|--:|--:|--:|---|");
        }
        let num = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v}"));
        let long = match s.long_context_threshold {
            Some(t) => format!("{} / {} (> {}K)", num(s.long_input_per_mtok), num(s.long_output_per_mtok), t / 1000),
            None => "-".into(),
        };
        let mut st = status(s, today);
        if let Some(succ) = &s.successor {
            let _ = write!(st, " → {succ}");
        }
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {long} | {} | {} | {} | {st} |",
            s.id,
            s.tier.as_str(),
            s.input_per_mtok,
            num(s.cached_input_per_mtok),
            s.output_per_mtok,
            s.context_window,
            s.max_output,
            s.quality.map_or("-".into(), |q| format!("{q:.1}")),
        );
    }
    out
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
