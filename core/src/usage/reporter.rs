//! The reporter: uploads usage metrics to a collector the user names, in the background,
//! without losing records.
//!
//! **Hot path.** [`Reporter::enqueue`] is one `try_send` on a bounded lock-free channel
//! (crossbeam); it never blocks and never touches the network. Only when the channel is
//! full (the collector is slow and the worker is behind) does the caller's thread append
//! the record to the spool's overflow file itself, so memory stays bounded and nothing is
//! dropped.
//!
//! **Worker.** One thread per reporter with its own current-thread tokio runtime for the
//! HTTP calls. Not the caller's runtime: the bindings call in from plain threads, a Rust
//! caller may use a current-thread runtime, and `Drop`/`flush` must be able to wait for
//! the worker from anywhere (including inside a runtime) without deadlocking it. It sends
//! a batch when `batch_size` records are queued or `interval` has passed, as gzip JSON
//! (format: `docs/usage-batch.schema.json`), with `Authorization: Bearer <key>` and
//! `Idempotency-Key: <batch_id>`.
//!
//! **Failures.** A 429, 5xx, timeout or connection error (or any other non-2xx: nothing is
//! thrown away) moves the batch to the on-disk spool (`spool.rs`) and starts an exponential
//! backoff (0.5 s doubling to `max_backoff`, `Retry-After` honoured). While anything is
//! spooled, new batches are spooled behind it, so records reach the collector in order;
//! when the backoff ends the worker replays the spool oldest first. A later process with
//! the same spool directory replays what an earlier one left.
//!
//! **Upload body.** [`UploadRecord`] is the [`UsageRecord`] itself, flattened:
//! metrics only, never a prompt, an answer, a key or a header.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use serde::{Deserialize, Serialize};

use super::record::UsageRecord;
use super::spool::{check_private, destination, instance_id, Spool};
use crate::secret::Secret;

/// The `schema` value of every upload body; bumped when the format changes incompatibly.
pub const BATCH_SCHEMA: &str = "kestrel.usage.batch/v1";

/// Where and how to upload usage metrics. Off unless a URL is given (in code, in the JSON
/// config's `report` section, or in `KESTREL_REPORT_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterConfig {
    /// The collector endpoint, e.g. `https://metrics.example.com/v1/usage`.
    pub url: String,
    /// Sent as `Authorization: Bearer <key>`; never logged or shown.
    pub key: Option<Secret>,
    /// Records per upload (default 500).
    pub batch_size: usize,
    /// Longest a record waits before its batch is sent (default 5 s).
    pub interval: Duration,
    /// Records held in memory before callers spill to disk (default 10,000).
    pub queue_capacity: usize,
    /// Root of the on-disk spool (default `$XDG_STATE_HOME/kestrel/spool` or
    /// `~/.local/state/kestrel/spool`, else the temp dir). Records wait in a subdirectory
    /// per destination (a hash of `url` and `key`), so a new process for the same collector
    /// delivers what an old one could not, and never what was meant for another.
    pub spool_dir: Option<PathBuf>,
    /// Upload a keyed hash of the tenant instead of its name.
    pub hash_tenant: bool,
    /// Per-upload time limit (default 10 s).
    pub timeout: Duration,
    /// Longest wait between retries while the collector fails (default 60 s).
    pub max_backoff: Duration,
}

impl ReporterConfig {
    /// A config with the defaults above.
    pub fn new(url: impl Into<String>, key: Option<Secret>) -> Self {
        ReporterConfig {
            url: url.into(),
            key,
            batch_size: 500,
            interval: Duration::from_secs(5),
            queue_capacity: 10_000,
            spool_dir: None,
            hash_tenant: false,
            timeout: Duration::from_secs(10),
            max_backoff: Duration::from_secs(60),
        }
    }

    /// From `KESTREL_REPORT_URL` and `KESTREL_REPORT_KEY` (and `KESTREL_REPORT_SPOOL_DIR`),
    /// or `None` when no URL is set.
    pub fn from_env() -> Option<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut cfg = ReporterConfig::new(var("KESTREL_REPORT_URL")?, var("KESTREL_REPORT_KEY").map(Secret::new));
        cfg.spool_dir = var("KESTREL_REPORT_SPOOL_DIR").map(PathBuf::from);
        Some(cfg)
    }

    /// The spool root in effect (this destination's records go in a subdirectory of it).
    pub fn spool_dir(&self) -> PathBuf {
        if let Some(d) = &self.spool_dir {
            return d.clone();
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")));
        state.unwrap_or_else(std::env::temp_dir).join("kestrel").join("spool")
    }

    /// Checks the URL and sizes, so a typo fails when the client is built.
    pub fn validate(&self) -> crate::Result<()> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| crate::Error::Config(format!("report.url is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(crate::Error::Config("report.url must be http or https".into()));
        }
        if self.batch_size == 0 || self.queue_capacity == 0 {
            return Err(crate::Error::Config("report.batch_size and queue_capacity must be positive".into()));
        }
        if self.interval.is_zero() || self.timeout.is_zero() {
            return Err(crate::Error::Config("report.interval and timeout must be positive".into()));
        }
        Ok(())
    }
}

/// One record of an upload body: the usage record itself (so every field it gains reaches
/// the collector), with the tenant replaced by its hash when `hash_tenant` is on, and the
/// routing bucket so collectors need not re-derive it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UploadRecord {
    #[serde(flatten)]
    pub record: UsageRecord,
    /// `blake3` keyed hash of the tenant (hex, 32 chars), when `hash_tenant` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_hash: Option<String>,
    /// `economy` / `standard` / `premium` / `cache` / `passthrough`.
    pub routing_class: String,
}

/// Hashes a tenant name so the collector can group by tenant without learning names.
pub fn tenant_hash(tenant: &str) -> String {
    let mut h = blake3::Hasher::new_derive_key("kestrel usage report 2026 tenant v1");
    h.update(tenant.as_bytes());
    h.finalize().to_hex()[..32].to_string()
}

impl UploadRecord {
    /// Maps a ledger record to its upload form.
    pub fn from_record(r: &UsageRecord, hash_tenant: bool) -> Self {
        let mut record = r.clone();
        let tenant_hash = if hash_tenant { record.tenant.take().map(|t| self::tenant_hash(&t)) } else { None };
        UploadRecord { routing_class: r.routing_class().to_string(), record, tenant_hash }
    }
}

/// The reporter's counters, readable from every binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReporterStats {
    /// Records the collector accepted (2xx), ever.
    pub sent: u64,
    /// Records queued in memory, not yet sent or spooled.
    pub pending: u64,
    /// Records on disk waiting for the collector (including ones a previous process left).
    pub spooled: u64,
    /// Records lost because the spool could not be written (a disk failure; logged).
    pub dropped: u64,
    /// The last upload failure, e.g. `HTTP 503` or `connection error` (no URL, no body).
    pub last_error: Option<String>,
}

enum Msg {
    Record(Box<UsageRecord>),
    /// Send or spool everything queued before this, try the spool once, then ack.
    Flush(Sender<()>),
}

struct Shared {
    sent: AtomicU64,
    pending: AtomicU64,
    spooled: AtomicU64,
    dropped: AtomicU64,
    last_error: Mutex<Option<String>>,
    spool: Mutex<Spool>,
    hash_tenant: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn drop_records(&self, n: u64, err: &std::io::Error) {
        let before = self.dropped.fetch_add(n, Ordering::Relaxed);
        // Log at a falling rate so a dead disk does not flood the log.
        if (before + n).is_power_of_two() || before == 0 {
            tracing::warn!(dropped = before + n, "usage reporter: cannot write the spool, records lost: {err}");
        }
    }

    fn set_error(&self, e: Option<String>) {
        *lock(&self.last_error) = e;
    }
}

/// Batches spooled by versions that kept one spool for every destination: their collector
/// is unknown, so they are never uploaded; say so once.
fn warn_old_layout(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else { return };
    let old = entries.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().ends_with(".batch")).count();
    if old > 0 {
        tracing::warn!(
            dir = %root.display(),
            batches = old,
            "usage spool: batches from an older version name no collector and are not uploaded; move them into the subdirectory of the collector they were meant for"
        );
    }
}

/// Uploads usage records in the background; see the module docs. Dropping it flushes
/// (sends what the collector takes, spools the rest) and stops the worker.
pub struct Reporter {
    tx: Option<Sender<Msg>>,
    shared: Arc<Shared>,
    worker: Option<JoinHandle<()>>,
    spool_dir: PathBuf,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter").field("spool_dir", &self.spool_dir).field("stats", &self.stats()).finish()
    }
}

impl Reporter {
    /// Starts the worker thread. Spool problems are not fatal (they surface as `dropped`
    /// and a warning if they persist); an invalid config is.
    pub fn start(config: ReporterConfig) -> crate::Result<Reporter> {
        config.validate()?;
        let root = config.spool_dir();
        let dest = destination(&config.url, config.key.as_ref().map(Secret::expose));
        let spool_dir = root.join(&dest);
        check_private(&root, false).and_then(|()| check_private(&spool_dir, true)).map_err(crate::Error::Config)?;
        warn_old_layout(&root);
        let mut spool = Spool::new(spool_dir.clone(), dest, instance_id());
        let left = spool.recover().unwrap_or_else(|e| {
            tracing::warn!(dir = %spool_dir.display(), "usage reporter: cannot read the spool: {e}");
            0
        });
        let shared = Arc::new(Shared {
            sent: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            spooled: AtomicU64::new(left),
            dropped: AtomicU64::new(0),
            last_error: Mutex::new(None),
            spool: Mutex::new(spool),
            hash_tenant: config.hash_tenant,
        });
        let (tx, rx) = crossbeam_channel::bounded(config.queue_capacity);
        let worker = Worker::new(config, shared.clone())?;
        let handle = std::thread::Builder::new()
            .name("kestrel-usage-reporter".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| crate::Error::Config(format!("cannot start the usage reporter thread: {e}")))?;
        Ok(Reporter { tx: Some(tx), shared, worker: Some(handle), spool_dir })
    }

    /// Queues a record for upload. Never blocks on the network; when the in-memory queue
    /// is full the record is appended to the spool instead.
    pub fn enqueue(&self, rec: UsageRecord) {
        let Some(tx) = &self.tx else { return };
        self.shared.pending.fetch_add(1, Ordering::Relaxed);
        match tx.try_send(Msg::Record(Box::new(rec))) {
            Ok(()) => {}
            Err(TrySendError::Full(Msg::Record(rec)) | TrySendError::Disconnected(Msg::Record(rec))) => {
                self.shared.pending.fetch_sub(1, Ordering::Relaxed);
                self.overflow(&rec);
            }
            Err(_) => {
                self.shared.pending.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    fn overflow(&self, rec: &UsageRecord) {
        let mut line = serde_json::to_vec(&UploadRecord::from_record(rec, self.shared.hash_tenant))
            .expect("an upload record always serializes");
        line.push(b'\n');
        let mut spool = lock(&self.shared.spool);
        match spool.append_overflow(&line) {
            // Counted under the lock, so the worker's recount in `replay` sees it or not, whole.
            Ok(()) => {
                self.shared.spooled.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                drop(spool);
                self.shared.drop_records(1, &e);
            }
        }
    }

    /// The counters now.
    pub fn stats(&self) -> ReporterStats {
        ReporterStats {
            sent: self.shared.sent.load(Ordering::Relaxed),
            pending: self.shared.pending.load(Ordering::Relaxed),
            spooled: self.shared.spooled.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            last_error: lock(&self.shared.last_error).clone(),
        }
    }

    /// This destination's spool directory.
    pub fn spool_dir(&self) -> &std::path::Path {
        &self.spool_dir
    }

    /// Blocks until every record queued before the call is sent or spooled, after one
    /// attempt to deliver what is spooled (so a collector that came back gets it now).
    pub fn flush(&self) {
        let Some(tx) = &self.tx else { return };
        let (ack_tx, ack_rx) = crossbeam_channel::bounded(1);
        if tx.send(Msg::Flush(ack_tx)).is_ok() {
            let _ = ack_rx.recv();
        }
    }

    /// [`Reporter::flush`] without blocking the async runtime's worker threads.
    pub async fn flush_async(self: &Arc<Self>) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.flush()).await;
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        drop(self.tx.take()); // the worker sends or spools what is queued, then exits
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
    }
}

/// Exponential backoff between delivery attempts while the collector fails.
struct Backoff {
    until: Option<Instant>,
    delay: Duration,
    max: Duration,
}

const FIRST_BACKOFF: Duration = Duration::from_millis(500);

impl Backoff {
    fn active(&self) -> bool {
        self.until.is_some_and(|u| Instant::now() < u)
    }

    fn fail(&mut self, retry_after: Option<Duration>) {
        let wait = retry_after.unwrap_or(self.delay).min(self.max);
        self.until = Some(Instant::now() + wait);
        self.delay = (self.delay * 2).min(self.max);
    }

    fn reset(&mut self) {
        self.until = None;
        self.delay = FIRST_BACKOFF;
    }
}

/// Why an upload failed, without anything from the request or the URL.
struct UploadError {
    message: String,
    retry_after: Option<Duration>,
}

struct Worker {
    config: ReporterConfig,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    backoff: Backoff,
    instance: String,
    batches: u64,
}

impl Worker {
    fn new(config: ReporterConfig, shared: Arc<Shared>) -> crate::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::Error::Config(format!("cannot start the usage reporter runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!("kestrel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::Error::Config(format!("cannot build the reporter's HTTP client: {e}")))?;
        let backoff = Backoff { until: None, delay: FIRST_BACKOFF, max: config.max_backoff };
        Ok(Worker { config, shared, runtime, http, backoff, instance: instance_id(), batches: 0 })
    }

    fn run(mut self, rx: Receiver<Msg>) {
        let mut buf: Vec<UsageRecord> = Vec::with_capacity(self.config.batch_size);
        let mut deadline = Instant::now() + self.config.interval;
        self.replay(false);
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Msg::Record(r)) => {
                    buf.push(*r);
                    if buf.len() >= self.config.batch_size {
                        self.ship(&mut buf);
                    }
                }
                Ok(Msg::Flush(ack)) => {
                    let mut acks = vec![ack];
                    // Everything already queued counts as "before the flush".
                    self.drain(&rx, &mut buf, &mut acks, false);
                    self.ship(&mut buf);
                    self.replay(true);
                    for a in acks {
                        let _ = a.send(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.ship(&mut buf);
                    self.seal_overflow();
                    if !self.backoff.active() {
                        self.replay(false);
                    }
                    return;
                }
            }
            if lock(&self.shared.spool).overflow_records() > 0 {
                // Callers spilled: what is queued is older than the overflow, so it goes
                // to the spool first, then the overflow file becomes batches behind it.
                let mut acks = Vec::new();
                self.drain(&rx, &mut buf, &mut acks, true);
                self.spool_batch(&mut buf);
                self.seal_overflow();
                if !acks.is_empty() {
                    self.replay(true);
                }
                for a in acks {
                    let _ = a.send(());
                }
            }
            if Instant::now() >= deadline {
                self.ship(&mut buf);
                self.replay(false);
                deadline = Instant::now() + self.config.interval;
            }
        }
    }

    /// Moves what is queued now into `buf`, shipping (or spooling) full batches, and
    /// collects flush requests met on the way.
    fn drain(&mut self, rx: &Receiver<Msg>, buf: &mut Vec<UsageRecord>, acks: &mut Vec<Sender<()>>, spool: bool) {
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Msg::Record(r) => {
                    buf.push(*r);
                    if buf.len() >= self.config.batch_size {
                        if spool {
                            self.spool_batch(buf);
                        } else {
                            self.ship(buf);
                        }
                    }
                }
                Msg::Flush(a) => acks.push(a),
            }
        }
    }

    fn seal_overflow(&mut self) {
        let res = lock(&self.shared.spool).seal_overflow(self.config.batch_size);
        if let Err(e) = res {
            tracing::warn!("usage reporter: cannot seal the spool overflow file: {e}");
        }
    }

    fn encode(&self, buf: &[UsageRecord]) -> Vec<u8> {
        let mut lines = Vec::with_capacity(buf.len() * 400);
        for r in buf {
            serde_json::to_writer(&mut lines, &UploadRecord::from_record(r, self.config.hash_tenant))
                .expect("an upload record always serializes");
            lines.push(b'\n');
        }
        lines
    }

    /// Sends the buffered records now, or spools them when the collector is failing or
    /// older records wait in the spool.
    fn ship(&mut self, buf: &mut Vec<UsageRecord>) {
        if buf.is_empty() {
            return;
        }
        if self.shared.spooled.load(Ordering::Relaxed) > 0 || self.backoff.active() {
            return self.spool_batch(buf);
        }
        let n = buf.len() as u64;
        let lines = self.encode(buf);
        buf.clear();
        self.batches += 1;
        let id = format!("{}-{}", self.instance, self.batches);
        match self.upload(&id, &lines) {
            Ok(()) => {
                self.shared.sent.fetch_add(n, Ordering::Relaxed);
                self.shared.pending.fetch_sub(n, Ordering::Relaxed);
                self.backoff.reset();
            }
            Err(e) => {
                self.failed(e);
                self.spool_lines(&lines, n);
            }
        }
    }

    fn spool_batch(&mut self, buf: &mut Vec<UsageRecord>) {
        if buf.is_empty() {
            return;
        }
        let n = buf.len() as u64;
        let lines = self.encode(buf);
        buf.clear();
        self.spool_lines(&lines, n);
    }

    fn spool_lines(&mut self, lines: &[u8], n: u64) {
        let res = lock(&self.shared.spool).write_batch(lines);
        match res {
            Ok(()) => {
                self.shared.spooled.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => self.shared.drop_records(n, &e),
        }
        self.shared.pending.fetch_sub(n, Ordering::Relaxed);
    }

    fn failed(&mut self, e: UploadError) {
        if !self.backoff.active() && self.backoff.delay == FIRST_BACKOFF {
            tracing::warn!("usage reporter: collector unavailable ({}); spooling to disk", e.message);
        }
        self.backoff.fail(e.retry_after);
        self.shared.set_error(Some(e.message));
    }

    /// Delivers spooled batches oldest first until the spool is empty or an upload fails.
    /// Waits out the backoff unless `force`.
    fn replay(&mut self, force: bool) {
        if !force && self.backoff.active() {
            return;
        }
        if self.shared.spooled.load(Ordering::Relaxed) == 0 && !force {
            return;
        }
        self.seal_overflow();
        loop {
            let mut spool = lock(&self.shared.spool);
            let c = match spool.claim_oldest() {
                Ok(Some(c)) => c,
                Ok(None) => {
                    // Another process may have delivered what we counted at start; only
                    // what callers spilled since the seal above is still on disk.
                    self.shared.spooled.store(spool.overflow_records(), Ordering::Relaxed);
                    return;
                }
                Err(e) => {
                    tracing::warn!("usage reporter: cannot read the spool: {e}");
                    return;
                }
            };
            drop(spool);
            match self.upload(&c.id, &c.lines) {
                Ok(()) => {
                    let mut spool = lock(&self.shared.spool);
                    if let Err(e) = spool.done(&c) {
                        tracing::warn!("usage reporter: cannot remove a delivered spool batch: {e}");
                    }
                    drop(spool);
                    let _ = self
                        .shared
                        .spooled
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some(s.saturating_sub(c.records)));
                    self.shared.sent.fetch_add(c.records, Ordering::Relaxed);
                    self.backoff.reset();
                }
                Err(e) => {
                    if let Err(e) = lock(&self.shared.spool).unclaim(&c) {
                        tracing::warn!("usage reporter: cannot return a batch to the spool: {e}");
                    }
                    self.failed(e);
                    return;
                }
            }
        }
    }

    /// One POST of a batch (JSON lines → the versioned body, gzip).
    fn upload(&self, batch_id: &str, lines: &[u8]) -> Result<(), UploadError> {
        use std::io::Write;
        let mut json = Vec::with_capacity(lines.len() + 256);
        let header = serde_json::json!({
            "schema": BATCH_SCHEMA,
            "batch_id": batch_id,
            "sent_at_ms": crate::clock::unix_ms(),
            "source": {"library": "kestrel", "version": env!("CARGO_PKG_VERSION")},
        });
        let head = serde_json::to_vec(&header).expect("a JSON value serializes");
        json.extend_from_slice(&head[..head.len() - 1]); // without the closing brace
        json.extend_from_slice(b",\"records\":[");
        for (i, line) in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()).enumerate() {
            if i > 0 {
                json.push(b',');
            }
            json.extend_from_slice(line);
        }
        json.extend_from_slice(b"]}");
        let mut gz = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 6), flate2::Compression::fast());
        let body = gz
            .write_all(&json)
            .and_then(|()| gz.finish())
            .map_err(|e| UploadError { message: format!("gzip: {e}"), retry_after: None })?;
        let mut req = self
            .http
            .post(&self.config.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .header("idempotency-key", batch_id)
            .body(body);
        if let Some(key) = &self.config.key {
            let mut v = reqwest::header::HeaderValue::from_str(&format!("Bearer {}", key.expose())).map_err(|_| {
                UploadError { message: "the reporting key is not a valid header value".into(), retry_after: None }
            })?;
            v.set_sensitive(true);
            req = req.header(reqwest::header::AUTHORIZATION, v);
        }
        let res = self.runtime.block_on(async {
            let resp = req.send().await?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            let _ = resp.bytes().await; // let the connection be reused
            Ok::<_, reqwest::Error>((status, retry_after))
        });
        match res {
            Ok((status, _)) if status.is_success() => Ok(()),
            Ok((status, retry_after)) => Err(UploadError { message: format!("HTTP {}", status.as_u16()), retry_after }),
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connection error"
                } else {
                    "request error"
                };
                Err(UploadError { message: kind.to_string(), retry_after: None })
            }
        }
    }
}
