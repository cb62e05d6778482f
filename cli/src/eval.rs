use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use kestrel_router::router::{
    assess, cheapest_safe, feature_vector, fit_platt, fit_softmax, shipped, Calibration, HeuristicScorer,
    LearnedScorer, ModelFile, Router, Scorer, UnderCosts, FEATURES,
};
use kestrel_router::types::ChatRequest;
use kestrel_router::Tier;
use serde::Deserialize;

use crate::RouterArgs;

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled JSON lines: {"id": ..., "tier": "economy|standard|premium", "request": {...}}.
    /// Several files are pooled.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also list every misrouted request with its reasons.
    #[arg(long)]
    errors: bool,
    /// The scorer to evaluate (default: the router's default).
    #[arg(long, value_enum)]
    scorer: Option<ScorerKind>,
    /// Fit the learned scorer and both calibrations on the files and write them here
    /// (core/src/router/learned.toml is the shipped copy) instead of evaluating.
    #[arg(long, value_name = "OUT")]
    train: Option<PathBuf>,
    /// Evaluate the learned scorer with this model file (from `--train`) instead of the
    /// shipped one: for sets held out of a training run, without rebuilding.
    #[arg(long, value_name = "FILE", conflicts_with = "train")]
    model: Option<PathBuf>,
    #[command(flatten)]
    router: RouterArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum ScorerKind {
    Heuristic,
    Learned,
}

impl ScorerKind {
    fn make(self) -> Box<dyn Scorer> {
        match self {
            ScorerKind::Heuristic => Box::new(HeuristicScorer),
            ScorerKind::Learned => Box::new(LearnedScorer::default()),
        }
    }
}

#[derive(Deserialize)]
struct Labelled {
    #[serde(default)]
    id: Option<String>,
    tier: Tier,
    request: serde_json::Value,
}

struct Item {
    id: String,
    tier: Tier,
    req: ChatRequest,
}

/// Goals from the router's specification: under-routing a hard request is the costly mistake.
const PREMIUM_KEPT_GOAL: f64 = 95.0;
const ECONOMY_FOUND_GOAL: f64 = 90.0;
const EXACT_GOAL: f64 = 85.0;
const ECE_GOAL: f64 = 0.05;

/// `min_confidence` values the cost-quality curve is drawn at.
const THRESHOLDS: [f32; 12] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

fn load(files: &[PathBuf]) -> Result<Vec<Item>, Box<dyn std::error::Error>> {
    let mut items = Vec::new();
    for file in files {
        let input = crate::open_input(Some(file))?;
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let item: Labelled =
                serde_json::from_str(&line).map_err(|e| format!("{}:{}: {e}", file.display(), i + 1))?;
            let id = item.id.unwrap_or_else(|| format!("{}:{}", file.display(), i + 1));
            let req = ChatRequest::from_value(item.request).map_err(|e| format!("{id}: {e}"))?;
            items.push(Item { id, tier: item.tier, req });
        }
    }
    if items.is_empty() {
        return Err("no labelled requests".into());
    }
    Ok(items)
}

pub fn run(args: EvalArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let items = load(&args.files)?;
    if let Some(out) = &args.train {
        return train(&args, &items, out);
    }
    let router = |min_confidence: Option<f32>| -> kestrel_router::Result<_> {
        let (router, available) = args.router.router()?;
        let mut policy = router.policy().clone();
        if let Some(c) = min_confidence {
            policy.min_confidence = c;
        }
        let router = router.with_policy(policy);
        let router = match (&args.model, args.scorer) {
            (Some(path), None | Some(ScorerKind::Learned)) => router.with_scorer(LearnedScorer::from_path(path)?),
            (Some(_), Some(ScorerKind::Heuristic)) => {
                return Err(kestrel_router::Error::Config("--model is for the learned scorer".into()))
            }
            (None, Some(k)) => router.with_boxed_scorer(k.make()),
            (None, None) => router,
        };
        Ok((router, available))
    };
    let (main, available) = router(None)?;
    let mut matrix = [[0usize; 3]; 3];
    let mut misses = Vec::new();
    for it in &items {
        let d = main.route(&it.req, &available).map_err(|e| format!("{}: {e}", it.id))?;
        // A request for an unknown model is passed through; count it at the requested tier.
        let got = d.tier.unwrap_or(Tier::Premium);
        matrix[it.tier as usize][got as usize] += 1;
        if got != it.tier && args.errors {
            misses.push(format!(
                "{}: labelled {}, routed {} (confidence {:.2}) — {}",
                it.id,
                it.tier,
                got,
                d.confidence.unwrap_or(f32::NAN),
                d.reasons.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ));
        }
    }
    let total = items.len();
    println!("confusion matrix (rows: label, columns: routed tier)\n");
    println!("{:<10} {:>9} {:>9} {:>9} {:>7}", "", "economy", "standard", "premium", "total");
    for t in Tier::ALL {
        let row = matrix[t as usize];
        println!("{:<10} {:>9} {:>9} {:>9} {:>7}", t.as_str(), row[0], row[1], row[2], row.iter().sum::<usize>());
    }
    let m = Metrics::of(&matrix);
    let under: usize = matrix[1][0] + matrix[2][0] + matrix[2][1];
    println!();
    let mark = |v: f64, goal: f64| if v >= goal { "ok" } else { "BELOW GOAL" };
    println!(
        "premium kept at premium: {:5.1} %  (goal ≥ {PREMIUM_KEPT_GOAL} %: {})",
        m.premium_kept,
        mark(m.premium_kept, PREMIUM_KEPT_GOAL)
    );
    println!(
        "economy found:           {:5.1} %  (goal ≥ {ECONOMY_FOUND_GOAL} %: {})",
        m.economy_found,
        mark(m.economy_found, ECONOMY_FOUND_GOAL)
    );
    println!("exact tier:              {:5.1} %  (goal ≥ {EXACT_GOAL} %: {})", m.exact, mark(m.exact, EXACT_GOAL));
    println!("under-routed (sent below its label): {under} of {total}");

    // Calibration of the scorer's own verdict: is a confidence of 0.8 right 8 times in 10?
    let verdicts: Vec<(f32, bool)> = items
        .iter()
        .map(|it| {
            let (_, s) = main.score(&it.req);
            (s.confidence, s.tier == it.tier)
        })
        .collect();
    let (ece, bins) = reliability(&verdicts);
    println!();
    println!(
        "expected calibration error (10 bins): {ece:.3}  (goal ≤ {ECE_GOAL}: {})",
        if ece <= ECE_GOAL { "ok" } else { "ABOVE GOAL" }
    );
    println!("{:<11} {:>6} {:>15} {:>9}", "confidence", "count", "mean confidence", "accuracy");
    for (i, b) in bins.iter().enumerate() {
        if b.count > 0 {
            println!(
                "{:<11} {:>6} {:>15.2} {:>9.2}",
                format!("{:.1}-{:.1}", i as f32 / 10.0, (i + 1) as f32 / 10.0),
                b.count,
                b.confidence / b.count as f64,
                b.right as f64 / b.count as f64
            );
        }
    }

    // What `min_confidence` buys: hard requests kept premium against money saved.
    println!();
    println!("cost-quality curve over min_confidence (savings: projected cost against the requested models)");
    println!(
        "{:<15} {:>13} {:>14} {:>11} {:>9}",
        "min_confidence", "premium kept", "economy found", "exact tier", "savings"
    );
    for t in THRESHOLDS {
        let (r, available) = router(Some(t))?;
        let mut matrix = [[0usize; 3]; 3];
        let (mut cost, mut baseline) = (0.0, 0.0);
        for it in &items {
            let d = r.route(&it.req, &available).map_err(|e| format!("{}: {e}", it.id))?;
            matrix[it.tier as usize][d.tier.unwrap_or(Tier::Premium) as usize] += 1;
            cost += d.expected_cost();
            baseline += d.baseline_cost;
        }
        let m = Metrics::of(&matrix);
        let saved = if baseline > 0.0 { 100.0 * (1.0 - cost / baseline) } else { 0.0 };
        println!(
            "{:<15} {:>11.1} % {:>12.1} % {:>9.1} % {:>7.1} %",
            format!("{t:.2}"),
            m.premium_kept,
            m.economy_found,
            m.exact,
            saved
        );
    }
    for m in &misses {
        println!("  {m}");
    }
    Ok(ExitCode::SUCCESS)
}

struct Metrics {
    premium_kept: f64,
    economy_found: f64,
    exact: f64,
}

impl Metrics {
    fn of(matrix: &[[usize; 3]; 3]) -> Metrics {
        let pct = |num: usize, den: usize| if den == 0 { 100.0 } else { 100.0 * num as f64 / den as f64 };
        let row = |t: usize| matrix[t].iter().sum::<usize>();
        let total: usize = matrix.iter().flatten().sum();
        Metrics {
            premium_kept: pct(matrix[2][2], row(2)),
            economy_found: pct(matrix[0][0], row(0)),
            exact: pct(matrix[0][0] + matrix[1][1] + matrix[2][2], total),
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Bin {
    count: usize,
    right: usize,
    confidence: f64,
}

/// Expected calibration error over ten equal-width confidence bins, and the bins.
fn reliability(verdicts: &[(f32, bool)]) -> (f64, [Bin; 10]) {
    let mut bins = [Bin::default(); 10];
    for &(c, right) in verdicts {
        let b = &mut bins[((c * 10.0) as usize).min(9)];
        b.count += 1;
        b.right += usize::from(right);
        b.confidence += f64::from(c);
    }
    let n = verdicts.len().max(1) as f64;
    let ece = bins.iter().filter(|b| b.count > 0).map(|b| (b.confidence - b.right as f64).abs() / n).sum::<f64>();
    (ece, bins)
}

/// Folds for the out-of-fold predictions the learned scorer's calibration is fitted on:
/// calibrating on the model's own training fit would make it overconfident.
const FOLDS: usize = 5;

/// L2 penalties tried; the one with the best out-of-fold log loss is kept.
const PENALTIES: [f64; 4] = [0.003, 0.01, 0.03, 0.1];

/// Under-routing costs tried, for premium and (never above it) for standard requests; of
/// the pairs whose out-of-fold decisions keep [`PREMIUM_TRAINING_TARGET`] of premium-labelled
/// requests at premium, the one with the most exact tiers is kept.
const UNDER_COSTS: [f32; 11] = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0];

/// The goal (95 %) with a margin. On the sets later authors wrote, premium kept landed
/// between 6 points below and 2 above the training figure out of fold (holdout6 to
/// holdout9), so a model fitted to exactly 95 % misses the goal on about half of them.
/// Since a standard request sent to economy is priced on its own, the margin costs
/// standard requests sent to premium, not economy ones.
const PREMIUM_TRAINING_TARGET: f64 = 97.5;

fn train(args: &EvalArgs, items: &[Item], out: &PathBuf) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (router, _) = args.router.router()?;
    let router: Router = router.with_scorer(HeuristicScorer);
    let mut xs: Vec<[f32; FEATURES]> = Vec::with_capacity(items.len());
    let mut ys = Vec::with_capacity(items.len());
    let mut heuristic = Vec::with_capacity(items.len());
    for it in items {
        let (f, _) = router.score(&it.req);
        let a = assess(&f);
        xs.push(feature_vector(&f, &a));
        ys.push(it.tier);
        heuristic.push((a.tier, a.raw));
    }
    // Out-of-fold probabilities for each penalty.
    let mut best: Option<(f64, f64, Vec<[f32; 3]>)> = None;
    for l2 in PENALTIES {
        let mut oof = vec![[0f32; 3]; items.len()];
        for fold in 0..FOLDS {
            let (tx, ty): (Vec<_>, Vec<_>) =
                xs.iter().zip(&ys).enumerate().filter(|(i, _)| i % FOLDS != fold).map(|(_, (x, y))| (*x, *y)).unzip();
            let model = fit_softmax(&tx, &ty, l2);
            for (i, x) in xs.iter().enumerate().filter(|(i, _)| i % FOLDS == fold) {
                oof[i] = model.probs(x);
            }
        }
        let loss = oof.iter().zip(&ys).map(|(p, y)| -f64::from(p[*y as usize].max(1e-6)).ln()).sum::<f64>()
            / items.len() as f64;
        let acc = oof.iter().zip(&ys).filter(|(p, y)| argmax(p) == **y as usize).count() as f64 / items.len() as f64;
        println!("l2 {l2:<6} out-of-fold log loss {loss:.3}, exact tier {:.1} %", 100.0 * acc);
        if best.as_ref().is_none_or(|b| loss < b.0) {
            best = Some((loss, l2, oof));
        }
    }
    let (_, l2, oof) = best.expect("penalties tried");
    let decide = |c: UnderCosts| -> Vec<usize> { oof.iter().map(|p| cheapest_safe(p, c)).collect() };
    // The premium price is set by the goal; the standard price by the exact tier it then
    // allows. When no price reaches the goal, the pair that keeps the most premium
    // requests premium.
    let mut chosen: Option<(UnderCosts, Metrics)> = None;
    let mut safest: Option<(UnderCosts, Metrics)> = None;
    for premium in UNDER_COSTS {
        for standard in UNDER_COSTS.into_iter().filter(|&c| c <= premium) {
            let costs = UnderCosts { premium, standard };
            let mut matrix = [[0usize; 3]; 3];
            for (k, y) in decide(costs).iter().zip(&ys) {
                matrix[*y as usize][*k] += 1;
            }
            let m = Metrics::of(&matrix);
            println!(
                "under-routing costs premium {premium}, standard {standard}: out-of-fold premium kept {:.1} %, economy found {:.1} %, exact tier {:.1} %",
                m.premium_kept, m.economy_found, m.exact
            );
            let better = chosen.as_ref().is_none_or(|(_, b)| (m.exact, m.premium_kept) > (b.exact, b.premium_kept));
            let safer = safest.as_ref().is_none_or(|(_, b)| (m.premium_kept, m.exact) > (b.premium_kept, b.exact));
            if m.premium_kept >= PREMIUM_TRAINING_TARGET && better {
                chosen = Some((costs, m));
            } else if safer {
                safest = Some((costs, m));
            }
        }
    }
    let costs = chosen.or(safest).map(|(c, _)| c).expect("costs tried");
    println!("chose under-routing costs premium {}, standard {}", costs.premium, costs.standard);
    let learned = calibrate(decide(costs).iter().zip(&oof).map(|(&k, p)| (Tier::ALL[k], p[k])), &ys);
    let heuristic_cal = calibrate(heuristic.iter().copied(), &ys);
    let file = ModelFile {
        trained_on: format!(
            "kestrel eval --train {} {} (l2 {l2}, under-routing costs premium {} standard {}, {} requests)",
            out.display(),
            args.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" "),
            costs.premium,
            costs.standard,
            items.len()
        ),
        heuristic: heuristic_cal,
        learned,
        under_cost: costs.premium,
        standard_under_cost: Some(costs.standard),
        model: fit_softmax(&xs, &ys, l2),
    };
    std::fs::write(out, file.to_toml())?;
    println!("wrote {} (previous heuristic calibration: {:?})", out.display(), shipped().heuristic);
    Ok(ExitCode::SUCCESS)
}

fn argmax(p: &[f32; 3]) -> usize {
    (0..3).fold(0, |best, k| if p[k] > p[best] { k } else { best })
}

/// Per-tier Platt maps from (chosen tier, raw confidence) to P(chosen tier is the label).
fn calibrate(verdicts: impl Iterator<Item = (Tier, f32)>, labels: &[Tier]) -> Calibration {
    let mut raw: [Vec<f32>; 3] = Default::default();
    let mut right: [Vec<bool>; 3] = Default::default();
    for ((tier, r), label) in verdicts.zip(labels) {
        raw[tier as usize].push(r);
        right[tier as usize].push(tier == *label);
    }
    Calibration {
        economy: fit_platt(&raw[0], &right[0]),
        standard: fit_platt(&raw[1], &right[1]),
        premium: fit_platt(&raw[2], &right[2]),
    }
}
