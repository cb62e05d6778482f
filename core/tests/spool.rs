//! The usage spool is per destination: two applications on one host, under one OS user,
//! with the default spool location, never upload each other's records; and the spool is
//! private to its user.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use kestrel_mock::{MockServer, Script};
use kestrel_router::usage::{Reporter, ReporterConfig, UsageRecord};
use kestrel_router::Secret;

/// The child half of the two-application test: one run of an application that reports
/// records `first..=last` for its tenant, then exits (flushing: what the collector does not
/// take stays spooled). A no-op unless the parent test runs it.
#[test]
fn spool_app() {
    let var = |n: &str| std::env::var(n).ok();
    let (Some(url), Some(key), Some(tenant), Some(range)) =
        (var("SPOOL_APP_URL"), var("SPOOL_APP_KEY"), var("SPOOL_APP_TENANT"), var("SPOOL_APP_SEQS"))
    else {
        return;
    };
    let (first, last) = range.split_once('-').unwrap();
    let mut c = ReporterConfig::new(url, Some(Secret::new(key)));
    c.interval = Duration::from_secs(3600);
    c.max_backoff = Duration::from_millis(1); // a restarted app replays at once
    let reporter = Reporter::start(c).unwrap(); // the default spool location
    for seq in first.parse::<u64>().unwrap()..=last.parse().unwrap() {
        reporter.enqueue(UsageRecord {
            seq,
            tenant: Some(tenant.clone()),
            requested_model: "gpt-4o".into(),
            model: "gpt-4o-mini".into(),
            provider: "openai".into(),
            ..UsageRecord::default()
        });
    }
    reporter.flush();
}

/// Runs one application process with `XDG_STATE_HOME` at `state`.
fn run_app(state: &Path, collector: &MockServer, key: &str, tenant: &str, seqs: &str) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "spool_app", "--test-threads=1"])
        .env("XDG_STATE_HOME", state)
        .env_remove("KESTREL_REPORT_SPOOL_DIR")
        .env("SPOOL_APP_URL", format!("{}/v1/usage", collector.url()))
        .env("SPOOL_APP_KEY", key)
        .env("SPOOL_APP_TENANT", tenant)
        .env("SPOOL_APP_SEQS", seqs)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{tenant} run failed");
}

/// `(tenant, seq)` of every record a collector received, in arrival order.
fn received(collector: &MockServer) -> Vec<(String, u64)> {
    collector
        .usage_batches()
        .iter()
        .flat_map(|b| {
            b.records().iter().map(|r| (r["tenant"].as_str().unwrap().to_string(), r["seq"].as_u64().unwrap()))
        })
        .collect()
}

#[test]
fn an_application_replays_only_its_own_spooled_records() {
    let state = tempfile::tempdir().unwrap();
    let collector_a = MockServer::start_blocking(Script::new()).unwrap();
    let collector_b = MockServer::start_blocking(Script::new()).unwrap();

    // App A reports while its collector is down: its records wait in the spool.
    collector_a.fail_usage(503, None);
    run_app(state.path(), &collector_a, "rk-app-a", "app-a", "1-5");
    assert!(received(&collector_a).is_empty());

    // App B, another program with its own collector and key, starts next: its collector
    // gets B's records, and only them.
    run_app(state.path(), &collector_b, "rk-app-b", "app-b", "1-3");
    assert_eq!(received(&collector_b), [("app-b".to_string(), 1), ("app-b".into(), 2), ("app-b".into(), 3)]);

    // A runs again with its collector up: every record of A arrives, exactly once.
    collector_a.reset_usage();
    run_app(state.path(), &collector_a, "rk-app-a", "app-a", "6-7");
    let mut got = received(&collector_a);
    got.sort();
    assert_eq!(got, (1..=7).map(|s| ("app-a".to_string(), s)).collect::<Vec<_>>());
    assert!(received(&collector_b).iter().all(|(t, _)| t == "app-b"), "nothing of A reached B");
}

#[cfg(unix)]
#[test]
fn the_spool_is_private_to_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;

    let root = tempfile::tempdir().unwrap();
    let spool = root.path().join("spool");
    let collector = MockServer::start_blocking(Script::new()).unwrap();
    collector.fail_usage(503, None);
    let mut c = ReporterConfig::new(format!("{}/v1/usage", collector.url()), Some(Secret::new("rk-secret-key")));
    c.spool_dir = Some(spool.clone());
    let reporter = Reporter::start(c.clone()).unwrap();
    reporter.enqueue(UsageRecord { seq: 1, ..UsageRecord::default() });
    reporter.flush();
    let dest = reporter.spool_dir().to_path_buf();
    drop(reporter);
    assert_eq!(dest.parent(), Some(spool.as_path()));
    assert!(!dest.to_string_lossy().contains("rk-secret-key"), "the key is hashed, never in a path");
    assert_eq!((mode(&spool), mode(&dest)), (0o700, 0o700));
    let files: Vec<_> = std::fs::read_dir(&dest).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(!files.is_empty());
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains("rk-secret-key"), "the key is never spooled");
    }

    // A destination directory others can read, or a root others can write, is refused.
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o750)).unwrap();
    let err = Reporter::start(c.clone()).unwrap_err().to_string();
    assert!(err.contains("open to other users") && err.contains("chmod 700"), "{err}");
    std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = Reporter::start(c.clone()).unwrap_err().to_string();
    assert!(err.contains("open to other users"), "{err}");
    std::fs::set_permissions(&spool, std::fs::Permissions::from_mode(0o755)).unwrap();
    Reporter::start(c).expect("a root others may only list is fine: each destination's own directory is private");
}

#[test]
fn a_batch_for_another_destination_is_never_uploaded() {
    let root = tempfile::tempdir().unwrap();
    let collector = MockServer::start_blocking(Script::new()).unwrap();
    let config = |key: &str| {
        let mut c = ReporterConfig::new(format!("{}/v1/usage", collector.url()), Some(Secret::new(key)));
        c.spool_dir = Some(root.path().to_path_buf());
        c.interval = Duration::from_secs(3600);
        c
    };
    // A spools one record for key A.
    collector.fail_usage(503, None);
    let a = Reporter::start(config("rk-a")).unwrap();
    a.enqueue(UsageRecord { seq: 1, tenant: Some("a".into()), ..UsageRecord::default() });
    a.flush();
    let dir_a = a.spool_dir().to_path_buf();
    drop(a);
    // Someone copies A's batch into B's directory: B must not upload it.
    collector.reset_usage();
    let b = Reporter::start(config("rk-b")).unwrap();
    let dir_b = b.spool_dir().to_path_buf();
    drop(b);
    std::fs::create_dir_all(&dir_b).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&dir_b, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(&dir_a).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir_b.join(e.file_name())).unwrap();
    }
    let b = Reporter::start(config("rk-b")).unwrap();
    assert_eq!(b.stats().spooled, 0, "not counted as B's");
    b.flush();
    assert!(received(&collector).is_empty(), "{:?}", received(&collector));
    assert!(std::fs::read_dir(&dir_b).unwrap().count() > 0, "left in place");
}
