//! The usage ledger: one [`UsageRecord`] per request, running aggregates (savings,
//! routing distribution, per-model and per-provider stats), a bounded ring of recent
//! records, CSV export and an optional JSONL file.
//!
//! Records hold counts, costs and model names only, never prompts, answers or keys.
//! [`Ledger::record`] is on the request path, so it takes no global lock: aggregates
//! live in per-thread shards merged on read, recent records in a ring of independently
//! locked slots, and file I/O happens on a background thread.
//!
//! With a [`Reporter`] the ledger also queues each record for upload to a collector
//! (`reporter.rs`, off by default), and [`Ledger::report`] renders the self-contained
//! HTML report (`report.rs`).

mod aggregate;
mod export;
mod histogram;
mod recent;
mod record;
mod report;
mod reporter;
mod sink;
mod spool;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use aggregate::{CacheStats, ModelStats, ProviderStats, Routing, RoutingShares, Savings};
pub use record::{Attempt, ErrorKind, UsageRecord};
pub use report::{read_records, render_html, write_report};
pub use reporter::{tenant_hash, Reporter, ReporterConfig, ReporterStats, UploadRecord, BATCH_SCHEMA};

use aggregate::Aggregate;
use recent::Recent;
use sink::JsonlSink;

/// How a [`Ledger`] keeps records beyond the aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerConfig {
    /// How many recent records to keep in memory for `records()` and CSV export; the
    /// oldest is dropped first. 0 keeps none.
    pub recent_capacity: usize,
    /// Append every record as one JSON line to this file (created with its directory if
    /// missing), for a durable log that outlives the process.
    pub jsonl_path: Option<PathBuf>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig { recent_capacity: 10_000, jsonl_path: None }
    }
}

/// Aggregates of one shard, per tenant (`None` = requests without a tenant).
#[derive(Default)]
struct Shard {
    tenants: HashMap<Option<String>, Aggregate>,
}

/// Counts every request and what it cost. Share it as `Arc<Ledger>`: `record` may be
/// called from any number of threads at once; reads merge a consistent-enough snapshot.
pub struct Ledger {
    next_seq: AtomicU64,
    shards: Box<[Mutex<Shard>]>,
    recent: Recent,
    sink: Option<JsonlSink>,
    reporter: Option<Arc<Reporter>>,
}

static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Spreads threads over shards round-robin, so a thread keeps hitting the same
    /// (uncontended, cache-warm) shard.
    static THREAD_HINT: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

impl Default for Ledger {
    fn default() -> Self {
        Ledger::new(LedgerConfig::default())
    }
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("recorded", &self.recorded())
            .field("shards", &self.shards.len())
            .field("recent_capacity", &self.recent.capacity())
            .field("jsonl_path", &self.sink.as_ref().map(|s| s.path()))
            .field("reporter", &self.reporter)
            .finish()
    }
}

impl Ledger {
    /// A ledger with `config`. With a JSONL path, starts the writer thread and opens the
    /// file; an open failure is logged and counted (see [`Ledger::sink_errors`]), not fatal.
    pub fn new(config: LedgerConfig) -> Self {
        Ledger::with_reporter(config, None)
    }

    /// [`Ledger::new`] that also hands every record to `reporter` for upload.
    pub fn with_reporter(config: LedgerConfig, reporter: Option<Reporter>) -> Self {
        let n = std::thread::available_parallelism().map_or(8, |n| n.get()).clamp(4, 64).next_power_of_two();
        Ledger {
            next_seq: AtomicU64::new(0),
            shards: (0..n).map(|_| Mutex::new(Shard::default())).collect(),
            recent: Recent::new(config.recent_capacity),
            sink: config.jsonl_path.map(JsonlSink::spawn),
            reporter: reporter.map(Arc::new),
        }
    }

    /// Counts one finished request. Assigns `rec.seq` (returned), updates the aggregates,
    /// keeps the record among the recent ones and queues it for the JSONL file. Never
    /// blocks on I/O and never fails.
    pub fn record(&self, mut rec: UsageRecord) -> u64 {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed) + 1;
        rec.seq = seq;
        let i = THREAD_HINT.with(|h| *h) % self.shards.len();
        {
            let mut shard = lock(&self.shards[i]);
            match shard.tenants.get_mut(&rec.tenant) {
                Some(agg) => agg.add(&rec),
                None => shard.tenants.entry(rec.tenant.clone()).or_default().add(&rec),
            }
        }
        if let Some(reporter) = &self.reporter {
            reporter.enqueue(rec.clone());
        }
        match (&self.sink, self.recent.capacity() > 0) {
            (Some(sink), true) => {
                sink.send(rec.clone());
                self.recent.push(rec);
            }
            (Some(sink), false) => sink.send(rec),
            (None, true) => self.recent.push(rec),
            (None, false) => {}
        }
        seq
    }

    /// How many records were ever recorded (the last assigned `seq`).
    pub fn recorded(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// Merges every shard's aggregates for `tenant` (`None` = all traffic).
    fn merged(&self, tenant: Option<&str>) -> Aggregate {
        let key = tenant.map(str::to_owned);
        let mut acc = Aggregate::default();
        for shard in self.shards.iter() {
            let shard = lock(shard);
            if tenant.is_none() {
                shard.tenants.values().for_each(|a| acc.merge(a));
            } else if let Some(a) = shard.tenants.get(&key) {
                acc.merge(a);
            }
        }
        acc
    }

    /// Requests, baseline vs actual cost and what routing saved, for `tenant` or overall.
    pub fn savings(&self, tenant: Option<&str>) -> Savings {
        self.merged(tenant).savings()
    }

    /// Requests per tier, cache and passthrough, for `tenant` or overall.
    pub fn routing(&self, tenant: Option<&str>) -> Routing {
        self.merged(tenant).routing()
    }

    /// Cache hits per layer, misses, bypasses and what hits saved, for `tenant` or overall.
    pub fn cache(&self, tenant: Option<&str>) -> CacheStats {
        self.merged(tenant).cache()
    }

    /// Per answering model (and provider): requests, tokens and cost, busiest first.
    pub fn analytics(&self, tenant: Option<&str>) -> Vec<ModelStats> {
        self.merged(tenant).models()
    }

    /// Per provider, from every attempt: successes, errors by kind, failovers and latency
    /// percentiles, most used first.
    pub fn providers(&self, tenant: Option<&str>) -> Vec<ProviderStats> {
        self.merged(tenant).providers()
    }

    /// Every named tenant seen so far, sorted.
    pub fn tenants(&self) -> Vec<String> {
        let mut all = BTreeSet::new();
        for shard in self.shards.iter() {
            all.extend(lock(shard).tenants.keys().flatten().cloned());
        }
        all.into_iter().collect()
    }

    /// The last `limit` recent records (of `tenant`, when given), in seq order, most
    /// recent last. Only records still in the ring (`recent_capacity`) are available.
    pub fn records(&self, tenant: Option<&str>, limit: usize) -> Vec<UsageRecord> {
        self.recent.collect(tenant, limit)
    }

    /// Writes the recent records (of `tenant`, when given) as CSV with a header row.
    pub fn write_csv<W: Write>(&self, w: W, tenant: Option<&str>) -> io::Result<()> {
        export::write_csv(w, &self.records(tenant, usize::MAX))
    }

    /// [`Ledger::write_csv`] to a file, created or truncated.
    pub fn export_csv(&self, path: impl AsRef<Path>, tenant: Option<&str>) -> io::Result<()> {
        let mut file = BufWriter::new(std::fs::File::create(path)?);
        self.write_csv(&mut file, tenant)?;
        file.flush()
    }

    /// Waits until every record recorded so far is written to the JSONL file and
    /// flushed, and handed to the collector or spooled to disk (see [`Reporter::flush`]).
    /// Returns at once with neither. Dropping the ledger also flushes.
    pub fn flush(&self) {
        if let Some(sink) = &self.sink {
            sink.flush();
        }
        if let Some(reporter) = &self.reporter {
            reporter.flush();
        }
    }

    /// [`Ledger::flush`] from async code, without blocking the runtime's threads: call it
    /// before the process exits so nothing waits in memory.
    pub async fn shutdown(self: &Arc<Self>) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.flush()).await;
    }

    /// The reporter, when usage reporting is on.
    pub fn reporter(&self) -> Option<&Arc<Reporter>> {
        self.reporter.as_ref()
    }

    /// The reporter's counters (sent, pending, spooled, dropped, last error), or `None`
    /// when reporting is off.
    pub fn reporter_stats(&self) -> Option<ReporterStats> {
        self.reporter.as_ref().map(|r| r.stats())
    }

    /// The records a report covers: the whole JSONL file when there is one (after a
    /// flush), else the recent records kept in memory.
    pub fn report_records(&self) -> io::Result<Vec<UsageRecord>> {
        match &self.sink {
            Some(sink) => {
                sink.flush();
                read_records(sink.path())
            }
            None => Ok(self.records(None, usize::MAX)),
        }
    }

    /// Writes the self-contained HTML usage report to `path`; returns how many records
    /// it covers.
    pub fn report(&self, path: impl AsRef<Path>) -> io::Result<usize> {
        let records = self.report_records()?;
        write_report(&records, path.as_ref())?;
        Ok(records.len())
    }

    /// JSONL sink failures so far (open, write or flush errors; each may lose a record).
    /// They are logged with `tracing::warn!` and otherwise ignored, so a full disk never
    /// fails a request.
    pub fn sink_errors(&self) -> u64 {
        self.sink.as_ref().map_or(0, JsonlSink::errors)
    }
}
