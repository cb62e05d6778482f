//! CSV export of usage records: one row per request, attempts flattened, for spreadsheets;
//! and the same row read back (the report command takes an export as input).

use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::record::{Attempt, ErrorKind, UsageRecord};

/// Column names, in row order (the fields of [`CsvRow`]). Written even when there are no
/// records, so an empty export still opens as a table.
pub(crate) const CSV_HEADER: [&str; 22] = [
    "seq",
    "timestamp_ms",
    "tenant",
    "requested_model",
    "model",
    "provider",
    "tier",
    "routing_class",
    "cache_hit",
    "cache",
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
    "endpoint",
];

/// A usage record as one CSV row: every field of [`UsageRecord`] in a flat, spreadsheet
/// form (enums as their names, `None` as an empty cell), plus the derived `routing_class`
/// and `saved_usd`. `attempts` is the count and `attempt_errors` the failed ones; per-attempt
/// models and latencies do not fit a row.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct CsvRow {
    seq: u64,
    timestamp_ms: u64,
    tenant: String,
    requested_model: String,
    model: String,
    provider: String,
    tier: String,
    routing_class: String,
    cache_hit: bool,
    /// Absent from exports made before the column existed.
    #[serde(default)]
    cache: String,
    stream: bool,
    prompt_tokens: u64,
    completion_tokens: u64,
    cached_tokens: u64,
    cost_usd: f64,
    baseline_cost_usd: f64,
    saved_usd: f64,
    latency_ms: f64,
    attempts: usize,
    /// Failed attempts in order, `provider:error[:status]` joined by `;`, e.g.
    /// `groq:rate_limited:429;openai:timeout`.
    attempt_errors: String,
    error: String,
    /// Absent from exports made before the column existed.
    #[serde(default)]
    endpoint: String,
}

/// An enum's serialized name, or an empty cell.
fn name<T: Serialize>(v: Option<T>) -> String {
    match v.map(|v| serde_json::to_value(v)) {
        Some(Ok(serde_json::Value::String(s))) => s,
        _ => String::new(),
    }
}

/// The enum a cell names, if any.
fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
    if s.is_empty() {
        return None;
    }
    serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
}

impl CsvRow {
    fn of(r: &UsageRecord) -> Self {
        let attempt_errors = r
            .attempts
            .iter()
            .filter_map(|a| {
                a.error.map(|e| match a.status {
                    Some(s) => format!("{}:{}:{s}", a.provider, e.as_str()),
                    None => format!("{}:{}", a.provider, e.as_str()),
                })
            })
            .collect::<Vec<_>>()
            .join(";");
        CsvRow {
            seq: r.seq,
            timestamp_ms: r.timestamp_ms,
            tenant: r.tenant.clone().unwrap_or_default(),
            requested_model: r.requested_model.clone(),
            model: r.model.clone(),
            provider: r.provider.clone(),
            tier: name(r.tier),
            routing_class: r.routing_class().to_string(),
            cache_hit: r.cache_hit,
            cache: name(r.cache),
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
            error: name(r.error),
            endpoint: r.endpoint.clone().unwrap_or_default(),
        }
    }

    /// The record back. A row keeps per-attempt errors but not per-attempt latency: each
    /// failed attempt is restored with its provider and error, the final one with the
    /// request's latency.
    pub(crate) fn into_record(self) -> UsageRecord {
        let mut attempts: Vec<Attempt> = self
            .attempt_errors
            .split(';')
            .filter_map(|pe| pe.split_once(':'))
            .map(|(p, rest)| {
                let (e, status) = rest.split_once(':').map_or((rest, None), |(e, s)| (e, s.parse().ok()));
                Attempt { provider: p.to_string(), model: String::new(), latency_ms: 0.0, error: parse(e), status }
            })
            .collect();
        if self.attempts > attempts.len() {
            attempts.push(Attempt {
                provider: self.provider.clone(),
                model: self.model.clone(),
                latency_ms: self.latency_ms,
                error: parse::<ErrorKind>(&self.error),
                status: None,
            });
        }
        UsageRecord {
            seq: self.seq,
            timestamp_ms: self.timestamp_ms,
            tenant: Some(self.tenant).filter(|t| !t.is_empty()),
            requested_model: self.requested_model,
            model: self.model,
            provider: self.provider,
            tier: parse(&self.tier),
            cache_hit: self.cache_hit,
            cache: parse(&self.cache),
            stream: self.stream,
            prompt_tokens: self.prompt_tokens,
            completion_tokens: self.completion_tokens,
            cached_tokens: self.cached_tokens,
            cost_usd: self.cost_usd,
            baseline_cost_usd: self.baseline_cost_usd,
            latency_ms: self.latency_ms,
            attempts,
            error: parse(&self.error),
            endpoint: Some(self.endpoint).filter(|e| !e.is_empty()),
        }
    }
}

/// Writes the header and one row per record.
pub(crate) fn write_csv<W: Write>(w: W, records: &[UsageRecord]) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    out.write_record(CSV_HEADER)?;
    for r in records {
        out.serialize(CsvRow::of(r))?;
    }
    out.flush()
}

/// Reads the rows of an export.
pub(crate) fn read_csv<R: io::Read>(r: R) -> io::Result<Vec<UsageRecord>> {
    csv::Reader::from_reader(r)
        .deserialize::<CsvRow>()
        .map(|row| {
            row.map(CsvRow::into_record).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("CSV: {e}")))
        })
        .collect()
}
