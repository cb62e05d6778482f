use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::*;
use crate::types::Tier;

fn attempt(provider: &str, model: &str, latency_ms: f64, error: Option<ErrorKind>) -> Attempt {
    Attempt { provider: provider.into(), model: model.into(), latency_ms, error, status: None }
}

/// A successful routed request answered by `model` on `provider` in one attempt.
fn routed(tenant: Option<&str>, tier: Tier, provider: &str, model: &str, cost: f64, baseline: f64) -> UsageRecord {
    UsageRecord {
        timestamp_ms: crate::clock::unix_ms(),
        tenant: tenant.map(Into::into),
        requested_model: "gpt-4o".into(),
        model: model.into(),
        provider: provider.into(),
        tier: Some(tier),
        prompt_tokens: 100,
        completion_tokens: 20,
        cost_usd: cost,
        baseline_cost_usd: baseline,
        latency_ms: 120.0,
        attempts: vec![attempt(provider, model, 120.0, None)],
        ..Default::default()
    }
}

fn cache_hit(tenant: Option<&str>, baseline: f64) -> UsageRecord {
    UsageRecord {
        tenant: tenant.map(Into::into),
        requested_model: "gpt-4o".into(),
        model: "gpt-4o-mini".into(),
        provider: "cache".into(),
        cache_hit: true,
        baseline_cost_usd: baseline,
        latency_ms: 0.5,
        ..Default::default()
    }
}

/// A unique scratch directory under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "kestrel-usage-{name}-{}-{}-{}",
        std::process::id(),
        crate::clock::unix_ms(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn mixed(ledger: &Ledger) {
    // Economy, routed to a cheap model.
    ledger.record(routed(None, Tier::Economy, "openai", "gpt-4o-mini", 0.25, 2.0));
    ledger.record(routed(None, Tier::Economy, "openai", "gpt-4o-mini", 0.25, 2.0));
    // Standard.
    ledger.record(routed(None, Tier::Standard, "anthropic", "claude-haiku", 0.5, 2.0));
    // Cache hit.
    ledger.record(cache_hit(None, 2.0));
    // Failover: groq rate limited, then openai answered.
    let mut r = routed(None, Tier::Economy, "openai", "gpt-4o-mini", 0.25, 2.0);
    r.attempts.insert(0, attempt("groq", "llama-3.1-8b", 30.0, Some(ErrorKind::RateLimited)));
    ledger.record(r);
    // Error: timeout on groq, then connection error on openai; request failed.
    let mut r = routed(None, Tier::Premium, "openai", "gpt-4o", 0.0, 0.0);
    r.attempts = vec![
        attempt("groq", "llama-3.3-70b", 5000.0, Some(ErrorKind::Timeout)),
        attempt("openai", "gpt-4o", 10.0, Some(ErrorKind::Connection)),
    ];
    r.error = Some(ErrorKind::Connection);
    r.completion_tokens = 0;
    ledger.record(r);
    // Passthrough (not routed).
    let mut r = routed(None, Tier::Premium, "openai", "gpt-4o", 2.0, 2.0);
    r.tier = None;
    ledger.record(r);
}

#[test]
fn aggregates_after_a_mix_of_records() {
    let ledger = Ledger::default();
    mixed(&ledger);

    let s = ledger.savings(None);
    assert_eq!((s.requests, s.errors, s.cache_hits), (7, 1, 1));
    assert!(close(s.baseline_cost_usd, 12.0), "{s:?}");
    assert!(close(s.actual_cost_usd, 3.25), "{s:?}");
    assert!(close(s.saved_usd, 8.75), "{s:?}");
    assert!(close(s.savings_pct, 8.75 / 12.0 * 100.0), "{s:?}");

    // The failed request counts as an error, not as routed traffic.
    let r = ledger.routing(None);
    assert_eq!(r, Routing { economy: 3, standard: 1, premium: 0, cache: 1, passthrough: 1 });
    assert_eq!(r.total(), 6);
    let shares = r.shares();
    assert!(close(shares.economy, 3.0 / 6.0));
    let sum = shares.economy + shares.standard + shares.premium + shares.cache + shares.passthrough;
    assert!(close(sum, 1.0));
    assert_eq!(Routing::default().shares(), RoutingShares::default());

    let models = ledger.analytics(None);
    assert_eq!(models[0].model, "gpt-4o-mini");
    assert_eq!(models[0].provider, "openai");
    assert_eq!(models[0].requests, 3);
    assert_eq!(models[0].prompt_tokens, 300);
    assert!(close(models[0].cost_usd, 0.75));
    assert!(models.windows(2).all(|w| w[0].requests >= w[1].requests));
    assert_eq!(models.iter().map(|m| m.requests).sum::<u64>(), 6);

    let providers = ledger.providers(None);
    let p = |name: &str| providers.iter().find(|p| p.provider == name).unwrap().clone();
    let openai = p("openai");
    assert_eq!((openai.attempts, openai.successes, openai.failovers), (5, 4, 0));
    assert_eq!(openai.errors, [(ErrorKind::Connection, 1)].into());
    let groq = p("groq");
    assert_eq!((groq.attempts, groq.successes, groq.failovers), (2, 0, 2));
    assert_eq!(groq.errors, [(ErrorKind::RateLimited, 1), (ErrorKind::Timeout, 1)].into());
    assert_eq!(groq.latency_p50_ms, 0.0, "no successful calls, no latency");
    assert_eq!(providers[0].provider, "openai", "most attempts first");
    assert!(providers.iter().all(|p| p.provider != "cache"), "a cache hit makes no provider call");

    let records = ledger.records(None, 100);
    assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
    assert_eq!(ledger.recorded(), 7);
}

#[test]
fn record_helpers() {
    let mut r = routed(None, Tier::Standard, "openai", "gpt-4o-mini", 1.5, 1.0);
    assert!(close(r.saved_usd(), -0.5), "raw difference, not clamped");
    assert_eq!(r.routing_class(), "standard");
    r.tier = None;
    assert_eq!(r.routing_class(), "passthrough");
    r.cache_hit = true;
    r.tier = Some(Tier::Premium);
    assert_eq!(r.routing_class(), "cache");

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["tier"], "premium");
    assert_eq!(serde_json::to_value(ErrorKind::NoEligibleModel).unwrap(), "no_eligible_model");
    for k in ErrorKind::ALL {
        assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        assert_eq!(ErrorKind::ALL[k.index()], k);
    }
    let back: UsageRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, r);

    let e =
        crate::Error::RateLimited { provider: "groq".into(), message: "slow".into(), retry_after: None, body: None };
    assert_eq!(ErrorKind::from(&e), ErrorKind::RateLimited);
}

#[test]
fn tenants_are_separate() {
    let ledger = Ledger::default();
    ledger.record(routed(Some("acme"), Tier::Economy, "openai", "gpt-4o-mini", 0.25, 1.0));
    ledger.record(routed(Some("acme"), Tier::Economy, "openai", "gpt-4o-mini", 0.25, 1.0));
    ledger.record(routed(Some("globex"), Tier::Premium, "anthropic", "claude-sonnet", 1.0, 1.0));
    ledger.record(cache_hit(Some("globex"), 1.0));
    ledger.record(routed(None, Tier::Standard, "openai", "gpt-4.1", 0.5, 1.0));

    assert_eq!(ledger.tenants(), ["acme", "globex"]);
    assert_eq!(ledger.savings(Some("acme")).requests, 2);
    assert!(close(ledger.savings(Some("acme")).saved_usd, 1.5));
    assert_eq!(ledger.savings(Some("globex")).cache_hits, 1);
    assert_eq!(ledger.savings(None).requests, 5);
    assert_eq!(ledger.savings(Some("nobody")), Savings::default());

    assert_eq!(ledger.routing(Some("acme")), Routing { economy: 2, ..Default::default() });
    assert_eq!(ledger.routing(Some("globex")), Routing { premium: 1, cache: 1, ..Default::default() });
    assert_eq!(ledger.analytics(Some("acme")).len(), 1);
    assert_eq!(ledger.providers(Some("globex")).iter().map(|p| p.provider.as_str()).collect::<Vec<_>>(), ["anthropic"]);

    let acme = ledger.records(Some("acme"), 10);
    assert_eq!(acme.len(), 2);
    assert!(acme.iter().all(|r| r.tenant.as_deref() == Some("acme")));
    assert_eq!(ledger.records(Some("globex"), 1)[0].seq, 4, "limit keeps the most recent");
}

#[test]
fn ring_keeps_only_the_most_recent() {
    let ledger = Ledger::new(LedgerConfig { recent_capacity: 5, jsonl_path: None });
    for _ in 0..12 {
        ledger.record(routed(None, Tier::Economy, "openai", "gpt-4o-mini", 0.1, 1.0));
    }
    let seqs: Vec<u64> = ledger.records(None, usize::MAX).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [8, 9, 10, 11, 12]);
    assert_eq!(ledger.records(None, 2).iter().map(|r| r.seq).collect::<Vec<_>>(), [11, 12]);
    assert_eq!(ledger.savings(None).requests, 12, "aggregates keep counting past the ring");

    let none = Ledger::new(LedgerConfig { recent_capacity: 0, jsonl_path: None });
    none.record(cache_hit(None, 1.0));
    assert!(none.records(None, 10).is_empty());
    assert_eq!(none.savings(None).requests, 1);
}

#[test]
fn concurrent_recording_is_exact() {
    const THREADS: u64 = 8;
    const PER: u64 = 5_000;
    let dir = scratch("concurrent");
    let path = dir.join("usage.jsonl");
    let ledger = Arc::new(Ledger::new(LedgerConfig { recent_capacity: 1_000, jsonl_path: Some(path.clone()) }));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let ledger = ledger.clone();
            std::thread::spawn(move || {
                let tenant = format!("t{}", t % 2);
                for i in 0..PER {
                    let mut r = routed(Some(&tenant), Tier::ALL[(i % 3) as usize], "openai", "m", 0.25, 1.0);
                    if i % 10 == 0 {
                        r.attempts.insert(0, attempt("groq", "m", 1.0, Some(ErrorKind::RateLimited)));
                    }
                    ledger.record(r);
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().unwrap());

    let total = THREADS * PER;
    let s = ledger.savings(None);
    assert_eq!(s.requests, total);
    assert_eq!(s.actual_cost_usd, total as f64 * 0.25, "quarters add up exactly");
    assert_eq!(s.baseline_cost_usd, total as f64);
    assert_eq!(ledger.routing(None).total(), total);
    assert_eq!(ledger.savings(Some("t0")).requests, total / 2);
    let groq = ledger.providers(None).into_iter().find(|p| p.provider == "groq").unwrap();
    assert_eq!(groq.failovers, total / 10);
    assert_eq!(ledger.analytics(None)[0].prompt_tokens, total * 100);

    let recent = ledger.records(None, usize::MAX);
    assert_eq!(recent.len(), 1_000);
    assert_eq!(recent.last().unwrap().seq, total);
    assert!(recent.windows(2).all(|w| w[0].seq + 1 == w[1].seq));

    ledger.flush();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut seqs: Vec<u64> =
        text.lines().map(|l| serde_json::from_str::<UsageRecord>(l).unwrap().seq).collect::<Vec<_>>();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "every record exactly once");
    assert_eq!(ledger.sink_errors(), 0);
    drop(ledger);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jsonl_sink_writes_every_record_and_flushes() {
    let dir = scratch("jsonl");
    let path = dir.join("nested/usage.jsonl");
    let ledger = Ledger::new(LedgerConfig { recent_capacity: 0, jsonl_path: Some(path.clone()) });
    mixed(&ledger);
    ledger.flush();
    let lines: Vec<UsageRecord> =
        std::fs::read_to_string(&path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 7);
    assert_eq!(lines[3].routing_class(), "cache");
    assert_eq!(lines[5].error, Some(ErrorKind::Connection));

    // Dropping the ledger writes whatever is still queued.
    for _ in 0..100 {
        ledger.record(cache_hit(None, 1.0));
    }
    drop(ledger);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 107);

    // A second ledger on the same file appends.
    let again = Ledger::new(LedgerConfig { recent_capacity: 0, jsonl_path: Some(path.clone()) });
    again.record(cache_hit(None, 1.0));
    again.flush();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 108);
    drop(again);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sink_errors_are_counted_not_fatal() {
    let dir = scratch("sinkerr");
    let blocker = dir.join("file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let ledger = Ledger::new(LedgerConfig { recent_capacity: 10, jsonl_path: Some(blocker.join("usage.jsonl")) });
    assert!(ledger.sink_errors() >= 1, "open failure counted");
    ledger.record(cache_hit(None, 1.0));
    ledger.flush();
    assert!(ledger.sink_errors() >= 2, "lost record counted");
    assert_eq!(ledger.savings(None).requests, 1, "recording still works");
    assert_eq!(ledger.records(None, 10).len(), 1);
    drop(ledger);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn csv_has_header_and_one_row_per_record() {
    let ledger = Ledger::default();
    let mut empty = Vec::new();
    ledger.write_csv(&mut empty, None).unwrap();
    assert_eq!(String::from_utf8(empty).unwrap().trim_end(), export::CSV_HEADER.join(","));

    mixed(&ledger);
    ledger.record(routed(Some("acme, inc"), Tier::Economy, "openai", "gpt-4o-mini", 0.1, 1.0));
    let mut out = Vec::new();
    ledger.write_csv(&mut out, None).unwrap();
    let mut reader = ::csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, export::CSV_HEADER);
    let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.len() == export::CSV_HEADER.len()));
    let col = |name: &str| export::CSV_HEADER.iter().position(|h| *h == name).unwrap();
    assert_eq!(&rows[4][col("attempts")], "2");
    assert_eq!(&rows[4][col("attempt_errors")], "groq:rate_limited");
    assert_eq!(&rows[5][col("attempt_errors")], "groq:timeout;openai:connection");
    assert_eq!(&rows[5][col("error")], "connection");
    assert_eq!(&rows[3][col("routing_class")], "cache");
    assert_eq!(&rows[7][col("tenant")], "acme, inc", "quoted, not split");

    let dir = scratch("csv");
    let path = dir.join("usage.csv");
    ledger.export_csv(&path, Some("acme, inc")).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn provider_percentiles_are_roughly_right() {
    let ledger = Ledger::default();
    for i in 1..=1000 {
        let mut r = routed(None, Tier::Economy, "openai", "gpt-4o-mini", 0.0, 0.0);
        r.attempts[0].latency_ms = i as f64; // 1..=1000 ms
        ledger.record(r);
    }
    let p = &ledger.providers(None)[0];
    for (got, want) in [(p.latency_p50_ms, 500.0), (p.latency_p95_ms, 950.0), (p.latency_p99_ms, 990.0)] {
        assert!((got - want).abs() / want < 0.03, "got {got}, want {want}: {p:?}");
    }
}

#[test]
fn a_record_carries_no_content_or_secrets() {
    let mut r = routed(Some("acme"), Tier::Economy, "openai", "gpt-4o-mini", 0.1, 1.0);
    r.error = Some(ErrorKind::Provider);
    r.attempts[0].error = Some(ErrorKind::Authentication);
    let json = serde_json::to_value(&r).unwrap();
    let mut keys = Vec::new();
    fn walk(v: &serde_json::Value, keys: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| {
                keys.push(k.to_ascii_lowercase());
                walk(v, keys);
            }),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, keys)),
            _ => {}
        }
    }
    walk(&json, &mut keys);
    assert!(keys.contains(&"prompt_tokens".to_string()), "walked the record: {keys:?}");
    for k in &keys {
        let k = k.as_str();
        for banned in ["prompt", "message", "content", "key", "header", "authorization", "secret", "token"] {
            let allowed = k.ends_with("_tokens"); // counts, not text
            assert!(allowed || !k.contains(banned), "record field `{k}` looks like content or a secret");
        }
    }
    for h in export::CSV_HEADER {
        assert!(h.ends_with("_tokens") || !["prompt", "message", "content", "key"].iter().any(|b| h.contains(b)));
    }
}

#[test]
fn ledger_is_send_and_sync() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<Ledger>();
    shared::<Arc<Ledger>>();
}

/// Every field of a usage record reaches the CSV export and the upload body, or is named
/// here with the reason it does not: a field added to `UsageRecord` fails this test until
/// both carry it (or exclude it on purpose).
#[test]
fn every_record_field_reaches_csv_and_upload() {
    let attempt = |provider: &str, error| Attempt {
        provider: provider.into(),
        model: "m".into(),
        latency_ms: 4.0,
        error,
        status: Some(429),
    };
    let full = UsageRecord {
        seq: 7,
        timestamp_ms: 1_700_000_000_000,
        tenant: Some("acme".into()),
        requested_model: "gpt-4o".into(),
        model: "gpt-4o-mini".into(),
        provider: "openai".into(),
        tier: Some(Tier::Standard),
        cache_hit: false,
        cache: Some(crate::types::CacheStatus::Miss),
        stream: true,
        prompt_tokens: 11,
        completion_tokens: 22,
        cached_tokens: 3,
        cost_usd: 0.5,
        baseline_cost_usd: 1.25,
        latency_ms: 9.5,
        attempts: vec![attempt("groq", Some(ErrorKind::RateLimited)), attempt("openai", Some(ErrorKind::Timeout))],
        error: Some(ErrorKind::Timeout),
        endpoint: Some("embeddings".into()),
    };
    let json = serde_json::to_value(&full).unwrap();
    let fields: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), 19, "a field was added: carry it to CSV and upload, then count it here");

    // CSV: a column per field (`attempts` as a count, its errors in `attempt_errors`).
    for f in &fields {
        assert!(export::CSV_HEADER.contains(&f.as_str()), "`{f}` is missing from the CSV export");
    }
    let mut csv = Vec::new();
    export::write_csv(&mut csv, std::slice::from_ref(&full)).unwrap();
    let back = export::read_csv(csv.as_slice()).unwrap().remove(0);
    // Excluded, because a row is flat: per-attempt models and latencies.
    let errors =
        |r: &UsageRecord| r.attempts.iter().map(|a| (a.provider.clone(), a.error, a.status)).collect::<Vec<_>>();
    assert_eq!(errors(&back), errors(&full));
    assert_eq!(UsageRecord { attempts: vec![], ..back }, UsageRecord { attempts: vec![], ..full.clone() });

    // Upload: the record flattened, plus `routing_class` (and `tenant_hash` when hashing).
    let upload = UploadRecord::from_record(&full, false);
    let body = serde_json::to_value(&upload).unwrap();
    for f in &fields {
        assert_eq!(body[f.as_str()], json[f.as_str()], "`{f}` differs in the upload");
    }
    assert_eq!(body["routing_class"], "endpoint");
    assert_eq!(serde_json::from_value::<UploadRecord>(body).unwrap(), upload);
    // Excluded when hashing, by design: the tenant's name.
    let hashed = serde_json::to_value(UploadRecord::from_record(&full, true)).unwrap();
    assert!(hashed.get("tenant").is_none());
    assert_eq!(hashed["tenant_hash"], crate::usage::tenant_hash("acme"));
}
