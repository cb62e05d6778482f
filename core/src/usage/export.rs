//! CSV export of usage records: one row per request, attempts flattened, for spreadsheets.

use std::io::{self, Write};

use serde::Serialize;

use super::record::UsageRecord;

/// Column names, in row order. Written even when there are no records, so an empty
/// export still opens as a table.
pub(crate) const CSV_HEADER: [&str; 20] = [
    "seq",
    "timestamp_ms",
    "tenant",
    "requested_model",
    "model",
    "provider",
    "tier",
    "routing_class",
    "cache_hit",
    "stream",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_usd",
    "baseline_cost_usd",
    "saved_usd",
    "latency_ms",
    "attempts",
    "attempt_errors",
    "error",
];

#[derive(Serialize)]
struct Row<'a> {
    seq: u64,
    timestamp_ms: u64,
    tenant: &'a str,
    requested_model: &'a str,
    model: &'a str,
    provider: &'a str,
    tier: &'a str,
    routing_class: &'a str,
    cache_hit: bool,
    stream: bool,
    prompt_tokens: u64,
    completion_tokens: u64,
    cached_tokens: u64,
    cost_usd: f64,
    baseline_cost_usd: f64,
    saved_usd: f64,
    latency_ms: f64,
    attempts: usize,
    /// Failed attempts in order, `provider:error` joined by `;`, e.g. `groq:rate_limited`.
    attempt_errors: String,
    error: &'a str,
}

impl<'a> Row<'a> {
    fn of(r: &'a UsageRecord) -> Self {
        let attempt_errors = r
            .attempts
            .iter()
            .filter_map(|a| a.error.map(|e| format!("{}:{}", a.provider, e.as_str())))
            .collect::<Vec<_>>()
            .join(";");
        Row {
            seq: r.seq,
            timestamp_ms: r.timestamp_ms,
            tenant: r.tenant.as_deref().unwrap_or(""),
            requested_model: &r.requested_model,
            model: &r.model,
            provider: &r.provider,
            tier: r.tier.map_or("", |t| t.as_str()),
            routing_class: r.routing_class(),
            cache_hit: r.cache_hit,
            stream: r.stream,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            cached_tokens: r.cached_tokens,
            cost_usd: r.cost_usd,
            baseline_cost_usd: r.baseline_cost_usd,
            saved_usd: r.saved_usd(),
            latency_ms: r.latency_ms,
            attempts: r.attempts.len(),
            attempt_errors,
            error: r.error.map_or("", |e| e.as_str()),
        }
    }
}

/// Writes the header and one row per record.
pub(crate) fn write_csv<W: Write>(w: W, records: &[UsageRecord]) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    out.write_record(CSV_HEADER)?;
    for r in records {
        out.serialize(Row::of(r))?;
    }
    out.flush()
}
