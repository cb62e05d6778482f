//! The usage report: one self-contained HTML file (inline SVG and CSS, the CSV embedded as
//! a `data:` link; no script, no CDN, no network) with the views the hosted dashboard has:
//! savings over time, the routing distribution, per-model analytics, provider health,
//! per-tenant totals and the CSV download.
//!
//! Everything is computed from the records, so the report works the same from a live
//! ledger, its JSONL file or a CSV export. Routing classes and tiers are shown as found
//! (`economy`, `standard`, `premium`, `cache`, `passthrough`, or any added later). Each
//! figure carries `data-k`/`data-v` attributes with its exact value, so tests (and
//! scrapers) can check what the page shows against the ledger.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;

use super::record::{ErrorKind, UsageRecord};
use super::{export, Ledger, LedgerConfig};

/// Reads usage records from the ledger's JSONL file or from a CSV export (detected by
/// its header row). A CSV keeps per-attempt errors but not per-attempt latency: each
/// failed attempt is restored with its provider and error, the final one with the
/// request's latency.
pub fn read_records(path: &Path) -> io::Result<Vec<UsageRecord>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    if first.starts_with("seq,") {
        let rest = std::fs::File::open(path)?;
        return export::read_csv(rest);
    }
    let mut out = Vec::new();
    let mut parse = |line: &str, n: usize| -> io::Result<()> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let rec = serde_json::from_str(line)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("line {n}: not a usage record: {e}")))?;
        out.push(rec);
        Ok(())
    };
    parse(&first, 1)?;
    for (i, line) in reader.lines().enumerate() {
        parse(&line?, i + 2)?;
    }
    Ok(out)
}

/// Writes the report for `records` to `path` (created or truncated).
pub fn write_report(records: &[UsageRecord], path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, render_html(records)?)
}

/// HTML-escapes text for element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn usd(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("${v:.2}")
    } else {
        format!("${v:.4}")
    }
}

fn date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

/// A figure with its exact value for machines: `<span data-k=key data-v=raw>shown</span>`.
fn fig(key: &str, raw: impl std::fmt::Display, shown: &str) -> String {
    format!(r#"<span data-k="{}" data-v="{}">{}</span>"#, esc(key), raw, esc(shown))
}

#[derive(Default, Clone, Copy)]
struct Totals {
    requests: u64,
    errors: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    cost: f64,
    baseline: f64,
}

impl Totals {
    fn add(&mut self, r: &UsageRecord) {
        self.requests += 1;
        self.errors += u64::from(r.error.is_some());
        self.prompt_tokens += r.prompt_tokens;
        self.completion_tokens += r.completion_tokens;
        self.cost += r.cost_usd;
        self.baseline += r.baseline_cost_usd;
    }
}

const STEPS_MS: [u64; 9] =
    [60_000, 300_000, 900_000, 3_600_000, 21_600_000, 86_400_000, 604_800_000, 2_592_000_000, 31_536_000_000];

/// Renders the report. Fails only if the CSV cannot be built (it cannot, in practice).
pub fn render_html(records: &[UsageRecord]) -> io::Result<String> {
    let mut total = Totals::default();
    let mut classes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut tenants: BTreeMap<&str, Totals> = BTreeMap::new();
    let (mut t0, mut t1) = (u64::MAX, 0u64);
    // Aggregates for models and providers (latency percentiles) come from a scratch ledger,
    // so the report and `client.usage` compute them the same way.
    let scratch = Ledger::new(LedgerConfig { recent_capacity: 0, jsonl_path: None });
    let mut cache_hits = 0;
    for r in records {
        total.add(r);
        cache_hits += u64::from(r.cache_hit);
        // As in the ledger: the routing mix describes answers; failed requests count in
        // errors and provider health.
        if r.error.is_none() || r.error == Some(ErrorKind::StreamInterrupted) {
            *classes.entry(r.routing_class()).or_default() += 1;
        }
        tenants.entry(r.tenant.as_deref().unwrap_or("")).or_default().add(r);
        t0 = t0.min(r.timestamp_ms);
        t1 = t1.max(r.timestamp_ms);
        scratch.record(r.clone());
    }
    if records.is_empty() {
        (t0, t1) = (0, 0);
    }
    let saved = total.baseline - total.cost;
    let pct = if total.baseline > 0.0 { saved / total.baseline * 100.0 } else { 0.0 };

    let mut h = String::with_capacity(64 * 1024 + records.len() * 300);
    h.push_str(concat!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Kestrel usage report</title><style>",
        include_str!("report.css"),
        "</style></head><body>\n"
    ));
    let _ = writeln!(
        h,
        "<header><h1>Kestrel usage report</h1><p class=\"muted\">{} records, {} to {}</p></header>",
        records.len(),
        esc(&date(t0)),
        esc(&date(t1))
    );

    // Summary cards.
    h.push_str("<section class=\"cards\">");
    let cards = [
        ("Requests", fig("requests", total.requests, &total.requests.to_string())),
        ("Actual cost", fig("actual_cost_usd", total.cost, &usd(total.cost))),
        ("Baseline cost", fig("baseline_cost_usd", total.baseline, &usd(total.baseline))),
        ("Saved", fig("saved_usd", saved, &usd(saved))),
        ("Savings", fig("savings_pct", pct, &format!("{pct:.1}%"))),
        ("Cache hits", fig("cache_hits", cache_hits, &cache_hits.to_string())),
        ("Errors", fig("errors", total.errors, &total.errors.to_string())),
    ];
    for (label, value) in cards {
        let _ =
            write!(h, "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\">{value}</div></div>");
    }
    h.push_str("</section>\n");

    savings_over_time(&mut h, records, t0, t1);
    routing(&mut h, &classes, classes.values().sum());
    models(&mut h, &scratch);
    providers(&mut h, &scratch);

    h.push_str("<section><h2>Tenants</h2><table><thead><tr><th>Tenant</th><th>Requests</th><th>Errors</th><th>Tokens</th><th>Actual</th><th>Baseline</th><th>Saved</th></tr></thead><tbody>");
    for (t, s) in &tenants {
        let name = if t.is_empty() { "(none)" } else { t };
        let k = format!("tenant.{name}");
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(name),
            fig(&format!("{k}.requests"), s.requests, &s.requests.to_string()),
            s.errors,
            s.prompt_tokens + s.completion_tokens,
            fig(&format!("{k}.cost_usd"), s.cost, &usd(s.cost)),
            usd(s.baseline),
            usd(s.baseline - s.cost)
        );
    }
    h.push_str("</tbody></table></section>\n");

    let mut csv = Vec::with_capacity(records.len() * 200);
    export::write_csv(&mut csv, records)?;
    let _ = writeln!(
        h,
        "<section><h2>Export</h2><p><a id=\"csv\" class=\"button\" download=\"kestrel-usage.csv\" href=\"data:text/csv;base64,{}\">Download CSV</a> <span class=\"muted\">{} rows, {} KB</span></p></section>",
        base64::engine::general_purpose::STANDARD.encode(&csv),
        records.len(),
        csv.len().div_ceil(1024)
    );
    let _ = write!(
        h,
        "<footer class=\"muted\">Generated by kestrel {} at {}.</footer>\n</body></html>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&date(crate::clock::unix_ms()))
    );
    Ok(h)
}

/// Cumulative baseline vs actual cost as two SVG lines, plus the per-period table.
fn savings_over_time(h: &mut String, records: &[UsageRecord], t0: u64, t1: u64) {
    let span = t1.saturating_sub(t0).max(1);
    let step = STEPS_MS.iter().copied().find(|s| span / s < 48).unwrap_or(STEPS_MS[STEPS_MS.len() - 1]);
    let start = t0 - t0 % step;
    let buckets = ((t1 - start) / step + 1) as usize;
    let mut per: Vec<Totals> = vec![Totals::default(); if records.is_empty() { 0 } else { buckets }];
    for r in records {
        per[((r.timestamp_ms - start) / step) as usize].add(r);
    }
    h.push_str("<section><h2>Savings over time</h2>");
    let (w, ht, pad) = (960.0, 260.0, 48.0);
    let mut cum = Vec::with_capacity(per.len());
    let (mut b, mut a) = (0.0, 0.0);
    for p in &per {
        b += p.baseline;
        a += p.cost;
        cum.push((b, a));
    }
    let max = cum.last().map_or(0.0, |&(b, a): &(f64, f64)| b.max(a)).max(1e-9);
    let n = cum.len().max(2) as f64 - 1.0;
    let x = |i: usize| pad + (w - 2.0 * pad) * i as f64 / n;
    let y = |v: f64| ht - pad + -(ht - 2.0 * pad) * v / max;
    let line = |pick: fn(&(f64, f64)) -> f64| {
        let mut d = String::new();
        for (i, c) in cum.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(pick(c)));
        }
        d
    };
    let _ = write!(
        h,
        concat!(
            "<svg class=\"chart\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"Cumulative baseline and actual cost\">",
            "<line x1=\"{p}\" y1=\"{yb}\" x2=\"{xr}\" y2=\"{yb}\" class=\"axis\"/>",
            "<line x1=\"{p}\" y1=\"{p}\" x2=\"{p}\" y2=\"{yb}\" class=\"axis\"/>",
            "<text x=\"{p}\" y=\"{ty}\" class=\"tick\">{d0}</text>",
            "<text x=\"{xr}\" y=\"{ty}\" class=\"tick end\">{d1}</text>",
            "<text x=\"4\" y=\"{p}\" class=\"tick\">{mx}</text>",
            "<path d=\"{bl}\" class=\"baseline\"/><path d=\"{al}\" class=\"actual\"/>",
            "<rect x=\"{lx}\" y=\"14\" width=\"12\" height=\"4\" class=\"baseline-key\"/><text x=\"{lt}\" y=\"20\" class=\"tick\">baseline (requested models)</text>",
            "<rect x=\"{lx}\" y=\"30\" width=\"12\" height=\"4\" class=\"actual-key\"/><text x=\"{lt}\" y=\"36\" class=\"tick\">actual (routed)</text>",
            "</svg>"
        ),
        w = w,
        ht = ht,
        p = pad,
        yb = ht - pad,
        xr = w - pad,
        ty = ht - pad + 18.0,
        d0 = esc(&date(start)),
        d1 = esc(&date(start + step * per.len() as u64)),
        mx = esc(&usd(max)),
        bl = line(|c| c.0),
        al = line(|c| c.1),
        lx = pad + 10.0,
        lt = pad + 28.0,
    );
    let _ = write!(h, "<details><summary>Per {} ({} periods)</summary><table><thead><tr><th>From</th><th>Requests</th><th>Actual</th><th>Baseline</th><th>Saved</th></tr></thead><tbody>", step_name(step), per.len());
    for (i, p) in per.iter().enumerate().filter(|(_, p)| p.requests > 0) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&date(start + step * i as u64)),
            p.requests,
            usd(p.cost),
            usd(p.baseline),
            usd(p.baseline - p.cost)
        );
    }
    h.push_str("</tbody></table></details></section>\n");
}

fn step_name(step: u64) -> &'static str {
    match step {
        60_000 => "minute",
        300_000 => "5 minutes",
        900_000 => "15 minutes",
        3_600_000 => "hour",
        21_600_000 => "6 hours",
        86_400_000 => "day",
        604_800_000 => "week",
        2_592_000_000 => "30 days",
        _ => "year",
    }
}

/// The routing distribution as one stacked SVG bar and a table, classes as found.
fn routing(h: &mut String, classes: &BTreeMap<&str, u64>, total: u64) {
    const ORDER: [&str; 5] = ["economy", "standard", "premium", "cache", "passthrough"];
    let mut ordered: Vec<(&str, u64)> = ORDER.iter().filter_map(|c| classes.get(c).map(|n| (*c, *n))).collect();
    ordered.extend(classes.iter().filter(|(c, _)| !ORDER.contains(c)).map(|(c, n)| (*c, *n)));
    h.push_str("<section><h2>Routing distribution</h2><svg class=\"bar\" viewBox=\"0 0 960 36\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Requests per routing class\">");
    let mut x = 0.0;
    let colour = |c: &str, i: usize| ORDER.iter().position(|o| *o == c).unwrap_or(ORDER.len() + i % 3);
    for (i, (c, n)) in ordered.iter().enumerate() {
        let wdt = if total == 0 { 0.0 } else { 960.0 * *n as f64 / total as f64 };
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{wdt:.1}\" height=\"36\" class=\"c{}\"><title>{}: {}</title></rect>",
            colour(c, i),
            esc(c),
            n
        );
        x += wdt;
    }
    h.push_str("</svg><table><thead><tr><th>Class</th><th>Answered requests</th><th>Share</th></tr></thead><tbody>");
    for (i, (c, n)) in ordered.iter().enumerate() {
        let share = if total == 0 { 0.0 } else { *n as f64 / total as f64 * 100.0 };
        let _ = write!(
            h,
            "<tr><td><i class=\"sw c{}\"></i>{}</td><td>{}</td><td>{share:.1}%</td></tr>",
            colour(c, i),
            esc(c),
            fig(&format!("routing.{c}"), n, &n.to_string())
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn models(h: &mut String, ledger: &Ledger) {
    h.push_str("<section><h2>Models</h2><table><thead><tr><th>Model</th><th>Provider</th><th>Requests</th><th>Prompt tokens</th><th>Completion tokens</th><th>Cost</th><th>Baseline</th></tr></thead><tbody>");
    for m in ledger.analytics(None) {
        let k = format!("model.{}.{}", m.provider, m.model);
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.model),
            esc(&m.provider),
            fig(&format!("{k}.requests"), m.requests, &m.requests.to_string()),
            fig(&format!("{k}.prompt_tokens"), m.prompt_tokens, &m.prompt_tokens.to_string()),
            fig(&format!("{k}.completion_tokens"), m.completion_tokens, &m.completion_tokens.to_string()),
            fig(&format!("{k}.cost_usd"), m.cost_usd, &usd(m.cost_usd)),
            usd(m.baseline_cost_usd)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn providers(h: &mut String, ledger: &Ledger) {
    h.push_str("<section><h2>Provider health</h2><table><thead><tr><th>Provider</th><th>Calls</th><th>OK</th><th>Errors</th><th>Failovers</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead><tbody>");
    for p in ledger.providers(None) {
        let k = format!("provider.{}", p.provider);
        let errors: u64 = p.errors.values().sum();
        let detail = p.errors.iter().map(|(e, n)| format!("{e}: {n}")).collect::<Vec<_>>().join(", ");
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.provider),
            fig(&format!("{k}.attempts"), p.attempts, &p.attempts.to_string()),
            p.successes,
            esc(&detail),
            fig(&format!("{k}.errors"), errors, &errors.to_string()),
            if detail.is_empty() { String::new() } else { format!(" <span class=\"muted\">({})</span>", esc(&detail)) },
            fig(&format!("{k}.failovers"), p.failovers, &p.failovers.to_string()),
            fig(&format!("{k}.p50"), p.latency_p50_ms, &format!("{:.0}", p.latency_p50_ms)),
            format_args!("{:.0}", p.latency_p95_ms),
            format_args!("{:.0}", p.latency_p99_ms),
        );
    }
    h.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Tier;
    use crate::usage::Attempt;

    fn rec(seq: u64, tenant: Option<&str>, tier: Option<Tier>, error: Option<ErrorKind>) -> UsageRecord {
        UsageRecord {
            seq,
            timestamp_ms: 1_760_000_000_000 + seq * 90_000,
            tenant: tenant.map(str::to_string),
            requested_model: "gpt-4o".into(),
            model: "gpt-4o-mini".into(),
            provider: "openai".into(),
            tier,
            prompt_tokens: 10 * seq,
            completion_tokens: seq,
            cost_usd: 0.001 * seq as f64,
            baseline_cost_usd: 0.01 * seq as f64,
            latency_ms: 100.0,
            attempts: vec![
                Attempt {
                    provider: "groq".into(),
                    model: "llama".into(),
                    latency_ms: 5.0,
                    error: Some(ErrorKind::RateLimited),
                    status: Some(429),
                },
                Attempt {
                    provider: "openai".into(),
                    model: "gpt-4o-mini".into(),
                    latency_ms: 95.0,
                    error,
                    status: None,
                },
            ],
            error,
            ..UsageRecord::default()
        }
    }

    #[test]
    fn empty_ledger_renders() {
        let html = render_html(&[]).unwrap();
        assert!(html.contains(r#"data-k="requests" data-v="0""#));
        assert!(html.ends_with("</html>\n"));
    }

    #[test]
    fn names_are_escaped() {
        let html = render_html(&[rec(1, Some("<script>alert('x')</script>"), Some(Tier::Economy), None)]).unwrap();
        assert!(!html.contains("<script>"), "no script reaches the page");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }

    #[test]
    fn a_csv_export_reads_back_to_the_same_figures() {
        let records: Vec<UsageRecord> = (1..=20)
            .map(|i| {
                let tier = [Some(Tier::Economy), Some(Tier::Premium), None][i as usize % 3];
                let error = (i % 7 == 0).then_some(ErrorKind::Timeout);
                rec(i, (i % 2 == 0).then_some("acme"), tier, error)
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let (jsonl, csv) = (dir.path().join("u.jsonl"), dir.path().join("u.csv"));
        let mut lines = String::new();
        for r in &records {
            lines.push_str(&serde_json::to_string(r).unwrap());
            lines.push('\n');
        }
        std::fs::write(&jsonl, lines).unwrap();
        let mut out = Vec::new();
        export::write_csv(&mut out, &records).unwrap();
        std::fs::write(&csv, out).unwrap();
        // serde_json's default float parsing may be 1 ulp off; everything else is exact.
        let from_jsonl = read_records(&jsonl).unwrap();
        assert_eq!(from_jsonl.len(), records.len());
        for (a, b) in records.iter().zip(&from_jsonl) {
            assert!((a.cost_usd - b.cost_usd).abs() <= 1e-15 && a.attempts == b.attempts && a.tenant == b.tenant);
        }
        let back = read_records(&csv).unwrap();
        assert_eq!(back.len(), 20);
        for (a, b) in records.iter().zip(&back) {
            assert_eq!(
                (a.seq, a.tenant.as_deref(), a.tier, a.error, a.prompt_tokens),
                (b.seq, b.tenant.as_deref(), b.tier, b.error, b.prompt_tokens)
            );
            assert_eq!(a.attempts.len(), b.attempts.len());
            assert_eq!(
                a.attempts.iter().map(|t| (&t.provider, t.error)).collect::<Vec<_>>(),
                b.attempts.iter().map(|t| (&t.provider, t.error)).collect::<Vec<_>>()
            );
        }
        // Everything outside the percentiles renders identically from either source.
        let strip = |h: String| h.split("Provider health").next().unwrap().to_string();
        assert_eq!(strip(render_html(&records).unwrap()), strip(render_html(&back).unwrap()));
        let bad = dir.path().join("bad.jsonl");
        std::fs::write(&bad, "{\"seq\": 1}\nnot json\n").unwrap();
        assert!(read_records(&bad).unwrap_err().to_string().contains("line 1"));
    }
}
