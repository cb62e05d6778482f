//! The dashboard API (savings, routing, per-model analytics, provider health, time series,
//! CSV export; every figure scoped to the caller's tenant and `?from=&to=` in unix ms) and
//! the usage upload endpoint the library's reporter feeds (`POST /api/usage`).
//!
//! Figures are computed by the core's own ledger over the stored records, so the server
//! and the library never disagree on what "savings" means.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kestrel_router::usage::{Ledger, LedgerConfig, UploadRecord, UsageRecord, BATCH_SCHEMA};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::store::{StoredUsage, UsageQuery};
use crate::{admin, api, Shared};

/// `?from=&to=` (unix ms; `to` exclusive), and `tenant=` for the admin token only.
#[derive(Debug, Default, Deserialize)]
pub struct Range {
    pub from: Option<u64>,
    pub to: Option<u64>,
    pub tenant: Option<String>,
    /// Time series bucket width in ms (default: the range in 24 buckets, at least 1 min).
    pub bucket_ms: Option<u64>,
}

/// The tenant a dashboard request may see: its Kestrel key's, or with the admin token the
/// one named in `?tenant=`.
async fn tenant_of(shared: &Arc<Shared>, headers: &HeaderMap, range: &Range) -> Result<String, ApiError> {
    if admin::is_admin(shared, headers) {
        return range
            .tenant
            .clone()
            .ok_or_else(|| ApiError::invalid("with the admin token, name the tenant: ?tenant=NAME").param("tenant"));
    }
    Ok(shared.pool.authenticate(shared, headers).await?.tenant.clone())
}

/// Moves every pending record from the clients to the store.
pub async fn drain(shared: &Arc<Shared>) -> Result<(), ApiError> {
    let _guard = shared.drain_lock.lock().await;
    let rows = shared.pool.collect();
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len() as u64;
    let store = shared.store.clone();
    let result = tokio::task::spawn_blocking(move || store.insert_usage(&rows).map(|_| ()))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    match result {
        Ok(()) => {
            shared.pool.stored.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
        Err(e) => {
            // Not silently: a failed write is logged with its count.
            tracing::error!(records = n, "usage store write failed: {e}");
            shared.pool.lost.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            Err(ApiError::internal(format!("usage store: {e}")))
        }
    }
}

/// What every dashboard view starts from: the caller's tenant, the range asked for, and
/// that tenant's stored records in it (pending records drained to the store first).
pub struct Scoped {
    tenant: String,
    range: Range,
    records: Vec<UsageRecord>,
}

impl FromRequestParts<Arc<Shared>> for Scoped {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        let Query(range) = Query::<Range>::from_request_parts(parts, shared)
            .await
            .map_err(|e| ApiError::invalid(format!("bad query: {}", e.body_text())))?;
        let tenant = tenant_of(shared, &parts.headers, &range).await?;
        drain(shared).await?;
        let q = UsageQuery { tenant: tenant.clone(), from_ms: range.from, to_ms: range.to };
        let store = shared.store.clone();
        let records = tokio::task::spawn_blocking(move || store.usage(&q))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Ok(Scoped { tenant, range, records })
    }
}

impl Scoped {
    /// The core's aggregates over the records, which move into it (kept in its ring too
    /// when `keep`, for CSV).
    fn ledger(&mut self, keep: bool) -> Ledger {
        let records = std::mem::take(&mut self.records);
        let capacity = if keep { records.len() } else { 0 };
        let ledger = Ledger::new(LedgerConfig { recent_capacity: capacity, jsonl_path: None });
        for r in records {
            ledger.record(r);
        }
        ledger
    }

    /// `body` with the `scope` every view answers with.
    fn answer(&self, mut body: Value) -> Response {
        body["scope"] = json!({"tenant": self.tenant, "from": self.range.from, "to": self.range.to});
        Json(body).into_response()
    }
}

pub async fn savings(mut scoped: Scoped) -> Result<Response, ApiError> {
    let savings = scoped.ledger(false).savings(None);
    Ok(scoped.answer(serde_json::to_value(savings).map_err(|e| ApiError::internal(e.to_string()))?))
}

pub async fn routing(mut scoped: Scoped) -> Result<Response, ApiError> {
    let l = scoped.ledger(false);
    let routing = l.routing(None);
    Ok(scoped.answer(json!({
        "economy": routing.economy, "standard": routing.standard, "premium": routing.premium,
        "cache": routing.cache, "passthrough": routing.passthrough,
        "cache_stats": l.cache(None),
    })))
}

pub async fn analytics(mut scoped: Scoped) -> Result<Response, ApiError> {
    let models = scoped.ledger(false).analytics(None);
    Ok(scoped.answer(json!({"models": models})))
}

/// Per provider: counts from the stored attempts, and the live circuit state of this
/// tenant's clients in this process.
pub async fn providers(State(s): State<Arc<Shared>>, mut scoped: Scoped) -> Result<Response, ApiError> {
    let mut live: Vec<Value> = Vec::new();
    for kc in s.pool.tenant_clients(&scoped.tenant) {
        for h in kc.client.health().into_iter().filter(|h| h.configured) {
            let mut v = serde_json::to_value(&h).unwrap_or(Value::Null);
            v["key_id"] = json!(kc.key_id);
            live.push(v);
        }
    }
    let providers = scoped.ledger(false).providers(None);
    Ok(scoped.answer(json!({"providers": providers, "live": live})))
}

/// Requests, cost, baseline and savings per time bucket, for the chart.
pub async fn timeseries(scoped: Scoped) -> Result<Response, ApiError> {
    let (range, recs) = (&scoped.range, &scoped.records);
    let first = range.from.or(recs.first().map(|r| r.timestamp_ms)).unwrap_or(0);
    let last = range.to.or(recs.last().map(|r| r.timestamp_ms + 1)).unwrap_or(first + 1);
    let width = range.bucket_ms.unwrap_or(((last.saturating_sub(first)) / 24).max(60_000)).max(1_000);
    let mut buckets: std::collections::BTreeMap<u64, (u64, f64, f64)> = Default::default();
    for r in recs {
        let start = first + (r.timestamp_ms.saturating_sub(first) / width) * width;
        let b = buckets.entry(start).or_default();
        b.0 += 1;
        b.1 += r.cost_usd;
        b.2 += r.baseline_cost_usd;
    }
    let points: Vec<Value> = buckets
        .into_iter()
        .map(|(t, (n, cost, base))| json!({"t": t, "requests": n, "actual_cost_usd": cost, "baseline_cost_usd": base, "saved_usd": base - cost}))
        .collect();
    Ok(scoped.answer(json!({"bucket_ms": width, "points": points})))
}

pub async fn export_csv(mut scoped: Scoped) -> Result<Response, ApiError> {
    let mut out = Vec::new();
    scoped.ledger(true).write_csv(&mut out, None).map_err(|e| ApiError::internal(e.to_string()))?;
    let disposition = format!(
        "attachment; filename=\"kestrel-usage-{}.csv\"",
        scoped.tenant.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        out,
    )
        .into_response())
}

/// Largest decompressed upload accepted (a gzip bomb stops here).
const MAX_BATCH_BYTES: u64 = 64 << 20;

#[derive(Deserialize)]
struct Batch {
    schema: String,
    batch_id: String,
    #[allow(dead_code)]
    sent_at_ms: u64,
    records: Vec<UploadRecord>,
}

/// `POST /api/usage`: one reporter batch (`docs/usage-batch.schema.json`), gzip or plain,
/// counted under the uploading key's tenant; idempotent by `batch_id`.
pub async fn ingest(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let kc = s.pool.authenticate(&s, &headers).await?;
    let body = api::read_body(&s, body).await?;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let json = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .take(MAX_BATCH_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| ApiError::invalid(format!("the body is not valid gzip: {e}")))?;
        if out.len() as u64 > MAX_BATCH_BYTES {
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request_error", "batch too large"));
        }
        out
    } else {
        body.to_vec()
    };
    let batch: Batch =
        serde_json::from_slice(&json).map_err(|e| ApiError::invalid(format!("not a usage batch: {e}")))?;
    if batch.schema != BATCH_SCHEMA {
        return Err(ApiError::invalid(format!("unsupported schema `{}`, expected `{BATCH_SCHEMA}`", batch.schema))
            .param("schema"));
    }
    if batch.batch_id.is_empty() || batch.batch_id.len() > 200 {
        return Err(ApiError::invalid("batch_id must be 1-200 characters").param("batch_id"));
    }
    if let Some(k) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        if k != batch.batch_id {
            return Err(ApiError::invalid("Idempotency-Key differs from batch_id").param("batch_id"));
        }
    }
    let n = batch.records.len();
    let rows: Vec<StoredUsage> = batch
        .records
        .into_iter()
        .map(|u| {
            let mut record = u.record;
            record.tenant = Some(kc.tenant.clone());
            StoredUsage { tenant: kc.tenant.clone(), key_id: Some(kc.key_id.clone()), record }
        })
        .collect();
    let store = s.store.clone();
    let id = batch.batch_id.clone();
    let fresh = tokio::task::spawn_blocking(move || store.insert_batch(&id, &rows))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(json!({"batch_id": batch.batch_id, "accepted": if fresh { n } else { 0 }, "duplicate": !fresh}))
        .into_response())
}
