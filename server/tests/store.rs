//! The [`Store`] trait itself, and two server processes' worth of servers sharing one
//! store; each on SQLite and on Postgres (see `common/mod.rs`).

mod common;

use std::sync::Arc;

use common::Backend;
use kestrel_mock::{MockServer, Script};
use kestrel_server::store::{StoredUsage, UsageQuery};
use kestrel_server::{Server, ServerConfig, Store};
use serde_json::{json, Value};

fn record(ts: u64, model: &str) -> kestrel_router::usage::UsageRecord {
    kestrel_router::usage::UsageRecord {
        timestamp_ms: ts,
        requested_model: "gpt-4o".into(),
        model: model.into(),
        provider: "openai".into(),
        prompt_tokens: 10,
        completion_tokens: 5,
        cost_usd: 0.001,
        baseline_cost_usd: 0.01,
        ..Default::default()
    }
}

fn checks(store: Arc<dyn Store>) {
    let store = &*store;
    // Keys: insert, find by hash and id, list per tenant, revoke once.
    let master = kestrel_server::MasterKey::parse(&"66".repeat(32)).unwrap();
    let catalog = kestrel_router::Catalog::builtin();
    let new = |t: &str| kestrel_server::keys::NewKey {
        tenant: t.into(),
        providers: [("openai".to_string(), "sk-store-secret".to_string())].into(),
        ..Default::default()
    };
    let a = kestrel_server::keys::create(store, &master, &catalog, new("a")).unwrap();
    let b = kestrel_server::keys::create(store, &master, &catalog, new("b")).unwrap();
    let row = store.key_by_hash(&kestrel_server::crypto::hash_secret(&a.key)).unwrap().unwrap();
    assert_eq!((row.id.as_str(), row.tenant.as_str()), (a.info.id.as_str(), "a"));
    assert_ne!(row.hash, a.key, "only the hash is stored");
    assert!(!row.sealed_credentials.contains("sk-store-secret"), "credentials are sealed");
    assert_eq!(kestrel_server::keys::credentials(&master, &row).unwrap()["openai"], "sk-store-secret");
    assert_eq!(store.key_by_id(&b.info.id).unwrap().unwrap().tenant, "b");
    assert!(store.key_by_hash("00").unwrap().is_none());
    assert_eq!(store.list_keys(Some("b")).unwrap().len(), 1);
    assert_eq!(store.list_keys(None).unwrap().len(), 2);
    let revoked = store.revoke_key(&b.info.id, 42).unwrap().unwrap();
    assert_eq!(revoked.revoked_ms, Some(42));
    assert_eq!(store.revoke_key(&b.info.id, 99).unwrap().unwrap().revoked_ms, Some(42), "the first time stays");
    assert!(store.revoke_key("key_none", 1).unwrap().is_none());
    assert_eq!(store.key_by_id(&a.info.id).unwrap().unwrap().revoked_ms, None);

    // Usage: per tenant, time ranges, batches idempotent per tenant and all-or-nothing.
    let rows = |t: &str, recs: Vec<kestrel_router::usage::UsageRecord>| -> Vec<StoredUsage> {
        recs.into_iter().map(|record| StoredUsage { tenant: t.into(), key_id: None, record }).collect()
    };
    store.insert_usage(&rows("a", vec![record(1000, "m1"), record(2000, "m2")])).unwrap();
    store.insert_usage(&rows("b", vec![record(1500, "m3")])).unwrap();
    store.insert_usage(&[]).unwrap();
    assert!(store.insert_batch("batch-1", &rows("a", vec![record(3000, "m4")])).unwrap());
    assert!(!store.insert_batch("batch-1", &rows("a", vec![record(3000, "m4")])).unwrap());
    assert!(store.insert_batch("batch-1", &rows("b", vec![record(3000, "m5")])).unwrap());
    let q = |t: &str, from: Option<u64>, to: Option<u64>| {
        store.usage(&UsageQuery { tenant: t.into(), from_ms: from, to_ms: to }).unwrap()
    };
    let all_a = q("a", None, None);
    assert_eq!(all_a.iter().map(|r| r.model.as_str()).collect::<Vec<_>>(), ["m1", "m2", "m4"]);
    assert_eq!(all_a[0], record(1000, "m1"), "a record comes back unchanged");
    assert_eq!(q("a", Some(1500), Some(3000)).len(), 1, "from inclusive, to exclusive");
    assert_eq!(q("a", Some(2000), None).len(), 2);
    assert_eq!(q("b", None, None).len(), 2);
    assert!(q("c", None, None).is_empty());
}

async fn the_store_trait(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let store = b.open(&dir.path().join("kestrel.db")).await;
    tokio::task::spawn_blocking(move || checks(store)).await.unwrap();
}

async fn two_servers_share_keys_and_usage(b: Backend) {
    let mock = MockServer::start(Script::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut cfg = ServerConfig::new(dir.path().join("kestrel.db"));
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.admin_token = Some("shared-admin".into());
        cfg.master_key = Some("77".repeat(32));
        cfg.base_urls = vec![("openai".into(), format!("{}/openai/v1", mock.url()))];
        b.configure(&mut cfg);
        cfg
    };
    let one = Server::start(config()).await.unwrap();
    let two = Server::start(config()).await.unwrap();
    let http = reqwest::Client::new();
    let created: Value = http
        .post(format!("{}/admin/keys", one.url()))
        .bearer_auth("shared-admin")
        .json(&json!({"tenant": "shared", "providers": {"openai": "sk-a"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = created["key"].as_str().unwrap();
    let chat = |url: String| {
        http.post(format!("{url}/v1/chat/completions"))
            .bearer_auth(key)
            .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    // A key made on one server works on the other; usage from both lands in one place.
    assert_eq!(chat(one.url()).await.unwrap().status(), 200);
    assert_eq!(chat(two.url()).await.unwrap().status(), 200);
    assert_eq!(chat(two.url()).await.unwrap().status(), 200);
    // Reading the dashboard drains that server's records; each server stores its own.
    for s in [&one, &two] {
        let r = http.get(format!("{}/api/dashboard/savings", s.url())).bearer_auth(key).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let s: Value = http
        .get(format!("{}/api/dashboard/savings", one.url()))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(s["requests"], 3, "{s}");
    // Revoked through one, refused by both at once.
    let id = created["id"].as_str().unwrap();
    let r = http.delete(format!("{}/admin/keys/{id}", one.url())).bearer_auth("shared-admin").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(chat(one.url()).await.unwrap().status(), 401);
    assert_eq!(chat(two.url()).await.unwrap().status(), 401);
    one.shutdown().await;
    two.shutdown().await;
    // Postgres: no SQLite file was made.
    assert_eq!(dir.path().join("kestrel.db").exists(), matches!(b, Backend::Sqlite));
}

on_every_store!(the_store_trait, two_servers_share_keys_and_usage);

struct Redis(std::process::Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Replicas share answers through Redis (`KESTREL_REDIS_URL`), each tenant in its own
/// namespace. redis-server on loopback, started here (scripts/test.sh installs it).
#[tokio::test]
async fn two_servers_share_the_cache_through_redis() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let redis = Redis(
        std::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is needed: `apt-get install redis-server` (scripts/test.sh does)"),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "redis-server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mock = MockServer::start(Script::new()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = || {
        let mut cfg = ServerConfig::new(dir.path().join("kestrel.db"));
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.admin_token = Some("redis-admin".into());
        cfg.master_key = Some("88".repeat(32));
        cfg.base_urls = vec![("openai".into(), format!("{}/openai/v1", mock.url()))];
        cfg.redis_url = Some(format!("redis://127.0.0.1:{port}/"));
        cfg
    };
    let (one, two) = (Server::start(config()).await.unwrap(), Server::start(config()).await.unwrap());
    let http = reqwest::Client::new();
    let key = |tenant: &'static str| {
        let http = http.clone();
        let url = one.url();
        async move {
            let created: Value = http
                .post(format!("{url}/admin/keys"))
                .bearer_auth("redis-admin")
                .json(&json!({"tenant": tenant, "providers": {"openai": "sk-a"}}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            created["key"].as_str().unwrap().to_string()
        }
    };
    let (acme, globex) = (key("acme").await, key("globex").await);
    let hit = |server: &Server, key: &str, text: &str| {
        let req = http
            .post(format!("{}/v1/chat/completions", server.url()))
            .bearer_auth(key)
            .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}));
        async move {
            let r: Value = req.send().await.unwrap().json().await.unwrap();
            r["kestrel"]["cache_hit"].as_bool().unwrap_or_else(|| panic!("{r}"))
        }
    };
    // Each server's client for the key opens its Redis connection first.
    hit(&one, &acme, "warm up").await;
    hit(&two, &acme, "warm up").await;
    assert!(!hit(&one, &acme, "What is the capital of France?").await);
    assert!(hit(&two, &acme, "What is the capital of France?").await, "answered from the other replica's entry");
    assert!(!hit(&two, &globex, "What is the capital of France?").await, "another tenant's entry is not used");
    one.shutdown().await;
    two.shutdown().await;
    drop(redis);
}
