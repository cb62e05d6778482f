//! The usage reporter against the mock's loopback collector (`/v1/usage`): batches in
//! order, a collector that goes down and comes back, SIGKILL with a spool, 10,000 requests
//! at 200 concurrency, and planted secrets that must appear nowhere.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kestrel_mock::{MockServer, Script};
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::usage::{Attempt, LedgerConfig, Reporter, ReporterConfig, UsageRecord, BATCH_SCHEMA};
use kestrel_router::{Client, Secret, Tier};
use serde_json::Value;

fn record(seq: u64, tenant: &str) -> UsageRecord {
    UsageRecord {
        seq,
        timestamp_ms: 1_760_000_000_000 + seq * 1000,
        tenant: Some(tenant.to_string()),
        requested_model: "gpt-4o".into(),
        model: "gpt-4o-mini".into(),
        provider: "openai".into(),
        tier: Some(Tier::Economy),
        prompt_tokens: 100 + seq,
        completion_tokens: 20,
        cost_usd: 0.0001,
        baseline_cost_usd: 0.001,
        latency_ms: 12.5,
        attempts: vec![Attempt {
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            latency_ms: 12.0,
            error: None,
            status: None,
        }],
        ..UsageRecord::default()
    }
}

fn config(mock: &MockServer, spool: &Path, batch_size: usize) -> ReporterConfig {
    let mut c = ReporterConfig::new(format!("{}/v1/usage", mock.url()), Some(Secret::new("rk-test")));
    c.batch_size = batch_size;
    c.interval = Duration::from_secs(3600); // only size and flush send, so batches are predictable
    c.spool_dir = Some(spool.to_path_buf());
    c.max_backoff = Duration::from_secs(3600); // replays happen on flush in these tests
    c
}

/// Every file under `dir`, at any depth (each destination has a directory of its own).
fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(files_in(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

/// Every record seq the collector received, in arrival order.
fn received_seqs(mock: &MockServer) -> Vec<u64> {
    mock.usage_batches().iter().flat_map(|b| b.records().iter().map(|r| r["seq"].as_u64().unwrap())).collect()
}

#[test]
fn batches_arrive_complete_and_in_order() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let reporter = Reporter::start(config(&mock, spool.path(), 10)).unwrap();
    for seq in 1..=95 {
        reporter.enqueue(record(seq, "acme"));
    }
    reporter.flush();
    let batches = mock.usage_batches();
    assert_eq!(batches.len(), 10, "nine full batches and the flushed rest");
    assert!(batches[..9].iter().all(|b| b.records().len() == 10));
    assert_eq!(received_seqs(&mock), (1..=95).collect::<Vec<_>>());
    let ids: HashSet<&str> = batches.iter().map(|b| b.body["batch_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 10, "every batch has its own id");
    let b = &batches[0];
    assert_eq!(b.body["schema"], BATCH_SCHEMA);
    assert_eq!(b.authorization.as_deref(), Some("Bearer rk-test"));
    let r = &b.records()[0];
    assert_eq!(r["tenant"], "acme");
    assert_eq!(r["routing_class"], "economy");
    assert_eq!(r["prompt_tokens"], 101);
    assert_eq!(r["attempts"][0]["provider"], "openai");
    let s = reporter.stats();
    assert_eq!((s.sent, s.pending, s.spooled, s.dropped), (95, 0, 0, 0));
    assert_eq!(s.last_error, None);
    assert_eq!(std::fs::read_dir(spool.path()).unwrap().count(), 0, "nothing touched the disk");
}

#[test]
fn hashes_the_tenant_when_asked() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut c = config(&mock, spool.path(), 10);
    c.hash_tenant = true;
    let reporter = Reporter::start(c).unwrap();
    reporter.enqueue(record(1, "acme-secret-customer"));
    reporter.flush();
    let b = &mock.usage_batches()[0];
    assert!(!b.raw.contains("acme-secret-customer"));
    assert_eq!(b.records()[0]["tenant_hash"], kestrel_router::usage::tenant_hash("acme-secret-customer"));
    assert!(b.records()[0].get("tenant").is_none());
}

#[test]
fn collector_down_then_back_delivers_every_record_exactly_once_in_order() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let reporter = Reporter::start(config(&mock, spool.path(), 8)).unwrap();
    for seq in 1..=20 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    assert_eq!(received_seqs(&mock), (1..=20).collect::<Vec<_>>());

    mock.fail_usage(503, None);
    for seq in 21..=70 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    let s = reporter.stats();
    assert_eq!((s.sent, s.pending, s.spooled, s.dropped), (20, 0, 50, 0), "{s:?}");
    assert_eq!(s.last_error.as_deref(), Some("HTTP 503"));
    assert!(!files_in(spool.path()).is_empty(), "spooled to disk");
    // Still down, more traffic: it queues behind the spool.
    for seq in 71..=90 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    assert_eq!(reporter.stats().spooled, 70);

    // Back, but rate limiting once more: the replay stops at the first failure, keeps order.
    mock.reset_usage();
    mock.fail_usage(429, Some(1));
    reporter.flush();
    assert_eq!(reporter.stats().spooled, 70);
    assert_eq!(reporter.stats().last_error.as_deref(), Some("HTTP 429"));
    reporter.flush();
    for seq in 91..=100 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    let s = reporter.stats();
    assert_eq!((s.sent, s.pending, s.spooled, s.dropped), (100, 0, 0, 0), "{s:?}");
    assert_eq!(received_seqs(&mock), (21..=100).collect::<Vec<_>>(), "each once, in order");
    assert_eq!(files_in(spool.path()).len(), 0, "delivered batches are deleted");
}

#[test]
fn a_full_queue_spills_to_disk_and_loses_nothing() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    mock.fail_usage(503, None);
    let spool = tempfile::tempdir().unwrap();
    let mut c = config(&mock, spool.path(), 50);
    c.queue_capacity = 4;
    let reporter = Reporter::start(c).unwrap();
    for seq in 1..=2_000 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    assert_eq!(reporter.stats().spooled, 2_000, "{:?}", reporter.stats());
    mock.reset_usage();
    reporter.flush();
    let s = reporter.stats();
    assert_eq!((s.sent, s.spooled, s.dropped), (2_000, 0, 0), "{s:?}");
    let mut seqs = received_seqs(&mock);
    assert_eq!(seqs.len(), 2_000);
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 2_000, "each exactly once");
}

#[test]
fn an_unwritable_spool_counts_dropped_records() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    mock.fail_usage(500, None);
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let reporter = Reporter::start(config(&mock, &blocker.join("spool"), 10)).unwrap();
    for seq in 1..=5 {
        reporter.enqueue(record(seq, "a"));
    }
    reporter.flush();
    let s = reporter.stats();
    assert_eq!((s.sent, s.spooled, s.dropped), (0, 0, 5), "{s:?}");
}

/// The child half of the SIGKILL test: spools records while the collector fails, says
/// so, and waits to be killed. A no-op unless the parent test runs it.
#[test]
fn sigkill_child() {
    let (Ok(url), Ok(spool)) = (std::env::var("KESTREL_TEST_COLLECTOR"), std::env::var("KESTREL_TEST_SPOOL")) else {
        return;
    };
    // The same collector and key as the parent's: the same application, restarted.
    let mut c = ReporterConfig::new(url, Some(Secret::new("rk-test")));
    c.batch_size = 7;
    c.interval = Duration::from_secs(3600);
    c.spool_dir = Some(spool.into());
    let reporter = Reporter::start(c).unwrap();
    for seq in 1..=40 {
        reporter.enqueue(record(seq, "killed"));
    }
    reporter.flush();
    let s = reporter.stats();
    println!("SPOOLED {}", s.spooled);
    std::io::stdout().flush().unwrap();
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn records_spooled_before_a_sigkill_are_delivered_by_the_next_process() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    mock.fail_usage(503, None);
    let spool = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "sigkill_child", "--nocapture", "--test-threads=1"])
        .env("KESTREL_TEST_COLLECTOR", format!("{}/v1/usage", mock.url()))
        .env("KESTREL_TEST_SPOOL", spool.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let spooled = loop {
        let line = lines.next().expect("the child reports before exiting").unwrap();
        // The harness prints `test sigkill_child ... ` on the same line.
        if let Some((_, n)) = line.split_once("SPOOLED ") {
            break n.trim().parse::<u64>().unwrap();
        }
    };
    assert_eq!(spooled, 40);
    child.kill().unwrap(); // SIGKILL: no destructor, no flush
    child.wait().unwrap();
    assert!(mock.usage_batches().is_empty());

    mock.reset_usage();
    let reporter = Reporter::start(config(&mock, spool.path(), 100)).unwrap();
    assert_eq!(reporter.stats().spooled, 40, "the new process sees what the old one left");
    reporter.flush();
    assert_eq!(received_seqs(&mock), (1..=40).collect::<Vec<_>>());
    assert_eq!(reporter.stats().spooled, 0);
}

/// Every request routed through a real client reaches the collector, exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_at_200_concurrency_lose_none() {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut rc = config(&mock, spool.path(), 500);
    rc.interval = Duration::from_millis(200);
    rc.queue_capacity = 1_000;
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("groq", "gsk-test")
        .base_url("groq", format!("{}/groq", mock.url()))
        .ledger(LedgerConfig { recent_capacity: 0, jsonl_path: None })
        .report(Some(rc))
        .build()
        .unwrap();
    let sem = Arc::new(tokio::sync::Semaphore::new(200));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10_000 {
        let (client, sem) = (client.clone(), sem.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire().await.unwrap();
            let req = ChatRequest::new("gpt-4o", vec![Message::user(format!("What is {i}+2?"))]);
            client.chat(req).await.map(|_| ())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    client.shutdown().await;
    let s = client.usage().reporter_stats().unwrap();
    assert_eq!((s.sent, s.pending, s.spooled, s.dropped), (10_000, 0, 0, 0), "{s:?}");
    let mut seqs = received_seqs(&mock);
    assert_eq!(seqs.len(), 10_000);
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=10_000).collect::<Vec<_>>(), "every request exactly once");
}

/// Captures log output so the planted-secret test can search it.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_keys_and_prompts_appear_in_no_upload_spool_report_csv_or_log() {
    const PROVIDER_KEY: &str = "sk-PLANTED-provider-key-7f3a9c";
    const GROQ_KEY: &str = "gsk-PLANTED-groq-key-51be02";
    const REPORT_KEY: &str = "rk-PLANTED-report-key-c0ffee";
    const PROMPT: &str = "PLANTED-PROMPT-the-eagle-lands-at-midnight";
    const SYSTEM: &str = "PLANTED-SYSTEM-you-are-agent-zebra";
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // Global, so the reporter's own thread logs into it too (no other test here sets one).
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let mock = MockServer::start(Script::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let mut rc = config(&mock, &spool, 3);
    rc.key = Some(Secret::new(REPORT_KEY));
    let jsonl = dir.path().join("usage.jsonl");
    let client = Client::builder()
        .from_env(false)
        .api_key("openai", PROVIDER_KEY)
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .api_key("groq", GROQ_KEY)
        .base_url("groq", format!("{}/groq", mock.url()))
        .ledger(LedgerConfig { recent_capacity: 100, jsonl_path: Some(jsonl.clone()) })
        .report(Some(rc))
        .build()
        .unwrap();
    let ask =
        |n: usize| ChatRequest::new("gpt-4o", vec![Message::system(SYSTEM), Message::user(format!("{PROMPT} #{n}"))]);
    mock.fail_usage(503, None);
    for n in 0..7 {
        client.chat(ask(n)).await.unwrap();
    }
    client.shutdown().await;
    let mut spooled = String::new();
    for path in files_in(&spool) {
        spooled.push_str(&std::fs::read_to_string(path).unwrap());
    }
    assert!(spooled.contains("gpt-4o"), "the spool holds the records");
    mock.reset_usage();
    for n in 7..10 {
        client.chat(ask(n)).await.unwrap();
    }
    client.shutdown().await;
    let s = client.usage().reporter_stats().unwrap();
    assert_eq!((s.sent, s.spooled), (10, 0), "{s:?}");
    let uploads: String = mock.usage_batches().iter().map(|b| b.raw.clone()).collect();
    assert!(uploads.contains("openai/gpt-oss-20b") || uploads.contains("gpt-4o"));
    // Providers did see the prompt (so the test would notice if it leaked).
    assert!(mock.requests().iter().any(|r| r.body.to_string().contains(PROMPT)));

    let report = dir.path().join("report.html");
    assert_eq!(client.usage().report(&report).unwrap(), 10);
    let html = std::fs::read_to_string(&report).unwrap();
    let mut csv = Vec::new();
    client.usage().write_csv(&mut csv, None).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    // The CSV embedded in the report, decoded.
    let embedded = html.split("base64,").nth(1).and_then(|s| s.split('"').next()).unwrap();
    use base64::Engine as _;
    let embedded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(embedded).unwrap()).unwrap();
    assert!(embedded.lines().count() == 11, "the report embeds every row");
    let debug = format!("{client:?} {:?}", client.usage());
    let log = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("spooling"), "the collector outage was logged: {log}");
    let places = [
        ("upload", uploads),
        ("spool", spooled),
        ("report", html),
        ("csv", csv),
        ("embedded csv", embedded),
        ("jsonl", std::fs::read_to_string(&jsonl).unwrap()),
        ("log", log),
        ("debug", debug),
    ];
    for (what, text) in &places {
        for secret in [PROVIDER_KEY, GROQ_KEY, REPORT_KEY, PROMPT, SYSTEM, "eagle", "zebra", "PLANTED"] {
            assert!(!text.contains(secret), "{secret} leaked into the {what}");
        }
    }
    let batch: Value = serde_json::from_str(&mock.usage_batches()[0].raw).unwrap();
    assert!(batch["records"][0].get("messages").is_none());
}

/// Waits (up to a generous limit, so a slow machine cannot fail it) until `done` holds.
fn eventually(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "never happened: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sends_on_the_interval_and_replays_after_the_backoff_without_a_flush() {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let mut c = config(&mock, spool.path(), 1_000);
    c.interval = Duration::from_millis(50);
    c.max_backoff = Duration::from_millis(200);
    let reporter = Reporter::start(c).unwrap();
    for seq in 1..=3 {
        reporter.enqueue(record(seq, "a"));
    }
    eventually("a partial batch is sent when the interval passes", || reporter.stats().sent == 3);
    mock.fail_usage(503, Some(3));
    for seq in 4..=6 {
        reporter.enqueue(record(seq, "a"));
    }
    eventually("the failed batch is spooled", || reporter.stats().spooled == 3);
    eventually("the spool is replayed once the collector answers", || reporter.stats().sent == 6);
    assert_eq!(received_seqs(&mock), (1..=6).collect::<Vec<_>>());
    assert_eq!(mock.usage_refused(), 3, "it retried, with backoff, until the collector took it");
    assert_eq!(reporter.stats().spooled, 0);
}
