//! The usage reporter's figures: hot-path cost per request (enqueue, and the whole
//! `Ledger::record` with and without a reporter), upload throughput to the loopback
//! collector, and spool replay rate.
//!
//! `cargo bench -p kestrel-bench --bench reporter`

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kestrel_mock::{MockServer, Script};
use kestrel_router::usage::{Attempt, Ledger, LedgerConfig, Reporter, ReporterConfig, UsageRecord};
use kestrel_router::Tier;

fn record(seq: u64) -> UsageRecord {
    UsageRecord {
        seq,
        timestamp_ms: kestrel_router::clock::unix_ms(),
        tenant: Some("acme".into()),
        requested_model: "gpt-4o".into(),
        model: "gpt-4o-mini".into(),
        provider: "openai".into(),
        tier: Some(Tier::Economy),
        prompt_tokens: 812,
        completion_tokens: 161,
        cost_usd: 0.000_218,
        baseline_cost_usd: 0.003_64,
        latency_ms: 412.0,
        attempts: vec![Attempt {
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            latency_ms: 411.0,
            error: None,
            status: None,
        }],
        ..UsageRecord::default()
    }
}

fn config(mock: &MockServer, spool: &std::path::Path) -> ReporterConfig {
    let mut c = ReporterConfig::new(format!("{}/v1/usage", mock.url()), None);
    c.spool_dir = Some(spool.to_path_buf());
    c.queue_capacity = 100_000;
    c.batch_size = 500;
    c
}

/// Enqueue cost: timed in chunks of 1,000 with a flush (untimed) between, so the queue
/// never fills and the number is the hot path, not the overflow path.
fn hot_path(c: &mut Criterion) {
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let spool = tempfile::tempdir().unwrap();
    let reporter = Reporter::start(config(&mock, spool.path())).unwrap();
    let mut g = c.benchmark_group("reporter");
    g.bench_function("enqueue", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1_000);
                let recs: Vec<UsageRecord> = (0..n).map(record).collect();
                let t = Instant::now();
                for r in recs {
                    reporter.enqueue(r);
                }
                total += t.elapsed();
                reporter.flush();
                left -= n;
            }
            total
        })
    });
    for (name, with) in [("ledger_record_without_reporter", false), ("ledger_record_with_reporter", true)] {
        let reporter = with.then(|| Reporter::start(config(&mock, spool.path())).unwrap());
        let ledger = Ledger::with_reporter(LedgerConfig::default(), reporter);
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let n = left.min(1_000);
                    let recs: Vec<UsageRecord> = (0..n).map(record).collect();
                    let t = Instant::now();
                    for r in recs {
                        ledger.record(r);
                    }
                    total += t.elapsed();
                    ledger.flush();
                    left -= n;
                }
                total
            })
        });
    }
    g.finish();
}

/// Records per second from enqueue to the collector's 2xx (gzip JSON, batches of 500),
/// and from a spool of 20,000 records to the collector once it answers again.
fn throughput(c: &mut Criterion) {
    const N: u64 = 20_000;
    let mock = MockServer::start_blocking(Script::new()).unwrap();
    let mut g = c.benchmark_group("reporter");
    g.sample_size(10).throughput(Throughput::Elements(N));
    let spool = tempfile::tempdir().unwrap();
    let reporter = Reporter::start(config(&mock, spool.path())).unwrap();
    g.bench_function("upload_20k", |b| {
        b.iter_batched(
            || {
                mock.reset_usage();
                (0..N).map(record).collect::<Vec<_>>()
            },
            |recs| {
                for r in recs {
                    reporter.enqueue(r);
                }
                reporter.flush();
            },
            BatchSize::PerIteration,
        )
    });
    drop(reporter);
    g.bench_function("spool_replay_20k", |b| {
        b.iter_batched(
            || {
                // Spool N records while the collector fails, then let it answer again.
                mock.reset_usage();
                mock.fail_usage(503, None);
                let dir = tempfile::tempdir().unwrap();
                let reporter = Reporter::start(config(&mock, dir.path())).unwrap();
                for r in (0..N).map(record) {
                    reporter.enqueue(r);
                }
                reporter.flush();
                assert_eq!(reporter.stats().spooled, N);
                mock.reset_usage();
                (dir, reporter)
            },
            |(dir, reporter)| {
                reporter.flush(); // replays the spool
                (dir, reporter)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, hot_path, throughput);
criterion_main!(benches);
