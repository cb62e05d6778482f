//! `kestrel serve` end to end: the server on loopback (port 0) in front of kestrel-mock,
//! driven over HTTP; every scenario runs once on SQLite and once on Postgres
//! (`sqlite::NAME`, `postgres::NAME`, see `common/mod.rs`).

mod common;

use std::io::Write;
use std::time::Duration;

use common::Backend;
use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_server::{Server, ServerConfig};
use serde_json::{json, Value};

const ADMIN: &str = "admin-test-token";

struct Env {
    mock: MockServer,
    server: Server,
    http: reqwest::Client,
    dir: tempfile::TempDir,
    backend: Backend,
}

impl Env {
    async fn start(backend: &Backend, script: Script) -> Env {
        Env::start_with(backend, script, |_| {}).await
    }

    async fn start_with(backend: &Backend, script: Script, tweak: impl FnOnce(&mut ServerConfig)) -> Env {
        let mock = MockServer::start(script).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = ServerConfig::new(dir.path().join("kestrel.db"));
        cfg.listen = "127.0.0.1:0".parse().unwrap();
        cfg.admin_token = Some(ADMIN.into());
        cfg.master_key = Some("11".repeat(32));
        cfg.base_urls = vec![("openai".into(), format!("{}/openai/v1", mock.url()))];
        cfg.max_retries = Some(0);
        backend.configure(&mut cfg);
        tweak(&mut cfg);
        let server = Server::start(cfg).await.unwrap();
        Env { mock, server, http: reqwest::Client::new(), dir, backend: backend.clone() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn create_key(&self, tenant: &str, openai_key: &str) -> Value {
        let resp = self
            .http
            .post(self.url("/admin/keys"))
            .bearer_auth(ADMIN)
            .json(&json!({"tenant": tenant, "name": "test", "providers": {"openai": openai_key}}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json().await.unwrap()
    }

    async fn chat(&self, key: &str, body: Value) -> reqwest::Response {
        self.http.post(self.url("/v1/chat/completions")).bearer_auth(key).json(&body).send().await.unwrap()
    }

    async fn get(&self, key: &str, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.url(path)).bearer_auth(key).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

fn ask(text: &str) -> Value {
    json!({"model": "gpt-4o", "messages": [{"role": "user", "content": text}]})
}

fn key_of(created: &Value) -> String {
    created["key"].as_str().unwrap().to_string()
}

async fn health_models_and_plain_completion(b: Backend) {
    let env = Env::start(&b, Script::new().require_key("sk-a")).await;
    let (status, body) = env.get("", "/health").await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    let created = env.create_key("acme", "sk-a").await;
    let key = key_of(&created);
    assert!(key.starts_with("ks-"));
    assert_eq!(created["tenant"], "acme");
    assert_eq!(created["providers"], json!(["openai"]));

    let (status, models) = env.get(&key, "/v1/models").await;
    assert_eq!(status, 200);
    assert_eq!(models["object"], "list");
    assert!(models["data"].as_array().unwrap().iter().any(|m| m["id"] == "gpt-4o"), "{models}");

    let resp = env.chat(&key, ask("What is 2+2?")).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert!(body["choices"][0]["message"]["content"].as_str().unwrap().contains("2+2"), "{body}");
    assert_eq!(body["kestrel"]["requested_model"], "gpt-4o");
    // The key's own provider credential reached the provider.
    let reqs = env.mock.requests();
    assert_eq!(reqs.last().unwrap().header("authorization"), Some("Bearer sk-a"));
    env.server.shutdown().await;
}

async fn streaming_is_sse_ending_with_done(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let mut body = ask("Tell me a story about a kestrel.");
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let resp = env.chat(&key, body).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(*events.last().unwrap(), "data: [DONE]");
    let mut content = String::new();
    let mut saw_usage = false;
    for e in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(e.strip_prefix("data: ").unwrap()).unwrap();
        assert_eq!(chunk["object"], "chat.completion.chunk");
        if let Some(c) = chunk["choices"].get(0).and_then(|c| c["delta"]["content"].as_str()) {
            content.push_str(c);
        }
        saw_usage |= chunk["usage"]["total_tokens"].as_u64().is_some();
    }
    assert!(content.contains("kestrel"), "{content}");
    assert!(saw_usage);
    // The stream's usage record reaches the store.
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 1);
    assert_eq!(s["scope"]["tenant"], "acme");
    // A malformed range is the caller's error, in OpenAI's error shape.
    let (status, e) = env.get(&key, "/api/dashboard/routing?from=yesterday").await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(e["error"]["message"].as_str().unwrap().contains("from"), "{e}");
}

async fn tools_and_json_mode_pass_through_the_core(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let mut body = ask("What's the weather in Paris?");
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]);
    let r: Value = env.chat(&key, body).await.json().await.unwrap();
    assert_eq!(r["choices"][0]["finish_reason"], "tool_calls", "{r}");
    assert_eq!(r["choices"][0]["message"]["tool_calls"][0]["function"]["name"], "get_weather");

    let mut body = ask("Give me a JSON object with a name.");
    body["response_format"] = json!({"type": "json_object"});
    let r: Value = env.chat(&key, body).await.json().await.unwrap();
    let content = r["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(serde_json::from_str::<Value>(content).is_ok(), "{content}");
}

async fn errors_use_openai_bodies_and_statuses(b: Backend) {
    let env = Env::start(
        &b,
        Script::new()
            .require_key("sk-a")
            .model("gpt-4o", Behaviour::error(429).error_message("slow down").retry_after(1.0)),
    )
    .await;
    let key = key_of(&env.create_key("acme", "sk-a").await);

    // No key, a wrong key.
    let r = env.http.post(env.url("/v1/chat/completions")).json(&ask("hi")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "invalid_api_key");
    for k in ["ks-nope", "sk-not-kestrel"] {
        let r = env.chat(k, ask("hi")).await;
        assert_eq!(r.status(), 401, "{k}");
    }

    // Malformed JSON, and a request the core refuses: 400 with the field as `param`.
    let r = env
        .http
        .post(env.url("/v1/chat/completions"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = env.chat(&key, json!({"model": "gpt-4o", "messages": []})).await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["type"], "invalid_request_error");
    assert!(b["error"].as_object().unwrap().contains_key("param"));
    assert!(b["error"].as_object().unwrap().contains_key("code"));

    // The provider's 429 (no substitute configured with routing off) keeps its status.
    let mut body = ask("hi");
    body["kestrel"] = json!({"routing": false});
    let r = env.chat(&key, body).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["type"], "rate_limit_error");

    // A provider credential the provider rejects: 401 authentication_error.
    let bad = key_of(&env.create_key("acme", "sk-wrong").await);
    let r = env.chat(&bad, ask("hi")).await;
    assert_eq!(r.status(), 401);

    // A model of a provider this key holds no credential for.
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}], "kestrel": {"routing": false}});
    let r = env.chat(&key, body).await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "provider_not_configured", "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("no credential for provider `anthropic`"), "{b}");

    // Unknown route; body over the limit.
    let (status, b) = env.get(&key, "/v1/nothing").await;
    assert_eq!(status, 404);
    assert!(b["error"]["message"].is_string());
    // Endpoints the core does not serve yet: a key first, then a 501 naming what is missing.
    let r =
        env.http.post(env.url("/v1/responses")).json(&json!({"model": "gpt-4o", "input": "hi"})).send().await.unwrap();
    assert_eq!(r.status(), 401);
    for path in ["/v1/embeddings", "/v1/audio/speech"] {
        let r = env
            .http
            .post(env.url(path))
            .bearer_auth(&key)
            .json(&json!({"model": "gpt-4o", "input": "hi"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 501, "{path}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["code"], "not_implemented", "{b}");
        let message = b["error"]["message"].as_str().unwrap();
        assert!(message.contains(path) && message.contains("not supported"), "{message}");
    }
    let (status, b) = env.get(&key, "/v1/responses/resp_1").await;
    assert_eq!(status, 501);
    assert!(b["error"]["message"].as_str().unwrap().contains("stored responses"), "{b}");
    let huge = "x".repeat(17 << 20);
    let r = env.chat(&key, ask(&huge)).await;
    assert_eq!(r.status(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "request_too_large");
}

async fn keys_admin_api_and_revocation_at_once(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    // The admin API wants the admin token.
    let r = env.http.get(env.url("/admin/keys")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let created = env.create_key("acme", "sk-provider-secret").await;
    let key = key_of(&created);
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(env.chat(&key, ask("hi")).await.status(), 200);

    let (status, list) = env.get(ADMIN, "/admin/keys?tenant=acme").await;
    assert_eq!(status, 200);
    let listed = &list["data"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["active"], true);
    let text = list.to_string();
    assert!(!text.contains(&key) && !text.contains("sk-provider-secret"), "{text}");
    assert!(listed.get("key").is_none());

    // A Kestrel key is not an admin token.
    let r = env.http.delete(env.url(&format!("/admin/keys/{id}"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = env.http.delete(env.url(&format!("/admin/keys/{id}"))).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["active"], false);
    // Immediately refused, for chat, models and dashboard alike.
    let r = env.chat(&key, ask("hi")).await;
    assert_eq!(r.status(), 401);
    let b: Value = r.json().await.unwrap();
    assert!(b["error"]["message"].as_str().unwrap().contains("revoked"));
    assert_eq!(env.get(&key, "/v1/models").await.0, 401);
    assert_eq!(env.get(&key, "/api/dashboard/savings").await.0, 401);
    let r = env.http.delete(env.url("/admin/keys/key_unknown")).bearer_auth(ADMIN).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // Bad key requests.
    for bad in
        [json!({"tenant": ""}), json!({"tenant": "a", "providers": {"nope": "x"}}), json!({"tenant": "a", "bogus": 1})]
    {
        let r = env.http.post(env.url("/admin/keys")).bearer_auth(ADMIN).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
}

async fn admin_api_is_off_without_a_token(b: Backend) {
    let env = Env::start_with(&b, Script::new(), |c| c.admin_token = None).await;
    let r = env.http.get(env.url("/admin/keys")).bearer_auth("anything").send().await.unwrap();
    assert_eq!(r.status(), 403);
}

async fn tenants_never_see_each_other(b: Backend) {
    let env = Env::start_with(
        &b,
        Script::new().require_key_for("/openai", "sk-a").default_behaviour(Behaviour::reply("ok").usage(100, 20)),
        |c| c.cache = true,
    )
    .await;
    let a = key_of(&env.create_key("tenant-a", "sk-a").await);
    let a2 = key_of(&env.create_key("tenant-a", "sk-a").await);
    let b = key_of(&env.create_key("tenant-b", "sk-a").await);
    for _ in 0..3 {
        assert_eq!(env.chat(&a, ask("What is the capital of France?")).await.status(), 200);
    }
    // The same question from tenant B is not answered from A's cache.
    let r: Value = env.chat(&b, ask("What is the capital of France?")).await.json().await.unwrap();
    assert_eq!(r["kestrel"]["cache_hit"], false, "{r}");
    // A body naming another tenant is still counted under the key's.
    let mut body = ask("hello");
    body["kestrel"] = json!({"tenant": "tenant-a"});
    assert_eq!(env.chat(&b, body).await.status(), 200);

    let (_, sa) = env.get(&a, "/api/dashboard/savings").await;
    let (_, sa2) = env.get(&a2, "/api/dashboard/savings").await;
    let (_, sb) = env.get(&b, "/api/dashboard/savings").await;
    assert_eq!(sa["requests"], 3, "{sa}");
    assert_eq!(sa["cache_hits"], 2, "{sa}");
    assert_eq!(sa2, sa, "keys of one tenant share its dashboard");
    assert_eq!(sb["requests"], 2, "{sb}");
    assert_eq!(sb["scope"]["tenant"], "tenant-b");
    let csv =
        env.http.get(env.url("/api/dashboard/export.csv")).bearer_auth(&b).send().await.unwrap().text().await.unwrap();
    assert!(!csv.contains("tenant-a"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    // The admin token sees a tenant it names, and must name one.
    let (_, s) = env.get(ADMIN, "/api/dashboard/savings?tenant=tenant-a").await;
    assert_eq!(s["requests"], 3);
    assert_eq!(env.get(ADMIN, "/api/dashboard/savings").await.0, 400);
}

async fn dashboard_figures_and_time_ranges(b: Backend) {
    let env = Env::start(&b, Script::new().default_behaviour(Behaviour::reply("fine").usage(1000, 200))).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let before = kestrel_server::now_ms();
    for q in ["What is 2+2?", "Say hi.", "What colour is the sky?"] {
        assert_eq!(env.chat(&key, ask(q)).await.status(), 200);
    }
    let mut passthrough = ask("hi");
    passthrough["kestrel"] = json!({"routing": false});
    assert_eq!(env.chat(&key, passthrough).await.status(), 200);

    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 4);
    let (base, actual) = (s["baseline_cost_usd"].as_f64().unwrap(), s["actual_cost_usd"].as_f64().unwrap());
    assert!(base > actual && actual > 0.0, "{s}");
    assert!(s["savings_pct"].as_f64().unwrap() > 0.0);

    let (_, r) = env.get(&key, "/api/dashboard/routing").await;
    let routed: u64 = ["economy", "standard", "premium"].iter().map(|t| r[t].as_u64().unwrap()).sum();
    assert_eq!((routed, r["passthrough"].as_u64().unwrap()), (3, 1), "{r}");

    let (_, a) = env.get(&key, "/api/dashboard/analytics").await;
    let models = a["models"].as_array().unwrap();
    assert!(models.iter().any(|m| m["model"] == "gpt-4o" && m["requests"] == 1), "{a}");
    let tokens: u64 = models.iter().map(|m| m["prompt_tokens"].as_u64().unwrap()).sum();
    assert_eq!(tokens, 4000);

    let (_, p) = env.get(&key, "/api/dashboard/providers").await;
    assert_eq!(p["providers"][0]["provider"], "openai", "{p}");
    assert_eq!(p["live"][0]["provider"], "openai", "{p}");

    let (_, t) = env.get(&key, "/api/dashboard/timeseries").await;
    let n: u64 = t["points"].as_array().unwrap().iter().map(|p| p["requests"].as_u64().unwrap()).sum();
    assert_eq!(n, 4);

    // Time ranges: nothing before the requests, everything from `before`.
    let (_, s) = env.get(&key, &format!("/api/dashboard/savings?to={before}")).await;
    assert_eq!(s["requests"], 0);
    let (_, s) =
        env.get(&key, &format!("/api/dashboard/savings?from={before}&to={}", kestrel_server::now_ms() + 1)).await;
    assert_eq!(s["requests"], 4);

    let resp = env.http.get(env.url("/api/dashboard/export.csv")).bearer_auth(&key).send().await.unwrap();
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    assert_eq!(csv.lines().count(), 5);
    assert!(csv.lines().next().unwrap().contains("requested_model"));
}

async fn no_prompt_or_secret_reaches_the_database(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let created = env.create_key("acme", "sk-provider-SECRET-42").await;
    let key = key_of(&created);
    let prompt = "zebra-umbrella-7731 is my secret phrase";
    assert_eq!(env.chat(&key, ask(prompt)).await.status(), 200);
    let mut stream = ask(prompt);
    stream["stream"] = json!(true);
    let _ = env.chat(&key, stream).await.text().await.unwrap();
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 2);
    env.server.shutdown().await;
    let hay = env.backend.dump(env.dir.path()).await;
    assert!(hay.contains(created["id"].as_str().unwrap()), "the key row is there");
    for needle in ["zebra-umbrella", "sk-provider-SECRET-42", key.as_str(), "Mock answer"] {
        assert!(!hay.contains(needle), "`{needle}` found in the database");
    }
    assert!(hay.contains("gpt-4o"), "the records are there");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn usage_upload_is_idempotent_and_scoped(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let other = key_of(&env.create_key("other", "sk-a").await);
    let rec = json!({"seq": 1, "timestamp_ms": 1_700_000_000_000u64, "tenant": "someone-else", "requested_model": "gpt-4o",
        "model": "gpt-4o-mini", "provider": "openai", "tier": "economy", "routing_class": "economy", "cache_hit": false,
        "stream": false, "prompt_tokens": 10, "completion_tokens": 5, "cached_tokens": 0, "cost_usd": 0.001,
        "baseline_cost_usd": 0.01, "latency_ms": 12.5, "attempts": [], "error": null});
    let batch = json!({"schema": "kestrel.usage.batch/v1", "batch_id": "b-1", "sent_at_ms": 1, "source": {"library": "kestrel", "version": "0.1.0"},
        "records": [rec, rec]});
    for round in 0..2 {
        let r = env
            .http
            .post(env.url("/api/usage"))
            .bearer_auth(&key)
            .header("content-encoding", "gzip")
            .header("content-type", "application/json")
            .header("idempotency-key", "b-1")
            .body(gzip(batch.to_string().as_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["duplicate"], round == 1, "{b}");
    }
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 2);
    assert!((s["saved_usd"].as_f64().unwrap() - 0.018).abs() < 1e-9);
    let (_, s) = env.get(&other, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 0);
    // The same batch id from another tenant is that tenant's own batch.
    let r = env.http.post(env.url("/api/usage")).bearer_auth(&other).json(&batch).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["accepted"], 2);
    // Wrong schema; no key.
    let mut bad = batch.clone();
    bad["schema"] = json!("v0");
    let r = env.http.post(env.url("/api/usage")).bearer_auth(&key).json(&bad).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = env.http.post(env.url("/api/usage")).json(&batch).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

async fn the_librarys_reporter_uploads_to_the_server(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let spool = tempfile::tempdir().unwrap();
    let mut rc = kestrel_router::usage::ReporterConfig::new(env.url("/api/usage"), Some(key.clone().into()));
    rc.interval = Duration::from_millis(50);
    rc.spool_dir = Some(spool.path().to_path_buf());
    let client = kestrel_router::Client::builder()
        .from_env(false)
        .api_key("openai", "sk-a")
        .base_url("openai", format!("{}/openai/v1", env.mock.url()))
        .report(Some(rc))
        .build()
        .unwrap();
    for i in 0..5 {
        let req =
            kestrel_router::ChatRequest::new("gpt-4o", vec![kestrel_router::Message::user(format!("question {i}"))]);
        client.chat(req).await.unwrap();
    }
    client.shutdown().await;
    let stats = client.usage().reporter_stats().unwrap();
    assert_eq!((stats.sent, stats.spooled, stats.dropped), (5, 0, 0), "{stats:?}");
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 5);
}

async fn graceful_shutdown_finishes_in_flight_requests_and_stores_their_usage(b: Backend) {
    let env = Env::start(&b, Script::new().default_behaviour(Behaviour::reply("slow").latency_ms(300))).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let db = env.dir.path().join("kestrel.db");
    let http = env.http.clone();
    let url = env.url("/v1/chat/completions");
    let inflight =
        tokio::spawn(
            async move { http.post(url).bearer_auth(key).json(&ask("slow one")).send().await.unwrap().status() },
        );
    tokio::time::sleep(Duration::from_millis(100)).await;
    env.server.shutdown().await;
    assert_eq!(inflight.await.unwrap(), 200);
    let store = env.backend.open(&db).await;
    let q = kestrel_server::store::UsageQuery { tenant: "acme".into(), ..Default::default() };
    let recs = tokio::task::spawn_blocking(move || store.usage(&q)).await.unwrap().unwrap();
    assert_eq!(recs.len(), 1);
}

async fn many_concurrent_requests_lose_no_usage(b: Backend) {
    let env = Env::start_with(&b, Script::new(), |c| c.concurrency = 16).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (http, url, key) = (env.http.clone(), env.url("/v1/chat/completions"), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut body = ask(&format!("request {i}"));
            if i % 2 == 0 {
                body["stream"] = json!(true);
            }
            let r = http.post(url).bearer_auth(key).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 200);
    assert_eq!(env.server.shared().pool.lost.load(std::sync::atomic::Ordering::Relaxed), 0);
}

/// A client that never finishes its headers loses its connection (it cannot hold one
/// open), and the server goes on serving others.
#[tokio::test]
async fn a_client_stalled_in_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env =
        Env::start_with(&Backend::Sqlite, Script::new(), |c| c.header_read_timeout = Duration::from_millis(300)).await;
    let mut tcp = tokio::net::TcpStream::connect(env.server.addr()).await.unwrap();
    tcp.write_all(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthor").await.unwrap();
    let mut rest = Vec::new();
    // Bounded only so a regression fails instead of hanging.
    let read = tokio::time::timeout(Duration::from_secs(30), tcp.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server kept a stalled connection open");
    let (status, _) = env.get("", "/health").await;
    assert_eq!(status, 200);
}

/// Shutdown waits for in-flight requests only up to the grace period, then closes them.
#[tokio::test]
async fn shutdown_closes_requests_that_outlive_the_grace_period() {
    let env = Env::start_with(
        &Backend::Sqlite,
        Script::new().default_behaviour(Behaviour::reply("late").latency_ms(600_000)),
        |c| c.shutdown_grace = Duration::from_millis(200),
    )
    .await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let (http, url) = (env.http.clone(), env.url("/v1/chat/completions"));
    let stuck = tokio::spawn(async move { http.post(url).bearer_auth(key).json(&ask("never answered")).send().await });
    while env.mock.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Bounded only so a regression fails instead of hanging for the mock's ten minutes.
    let done = tokio::time::timeout(Duration::from_secs(60), env.server.shutdown()).await;
    assert!(done.is_ok(), "shutdown waited past its grace period");
    assert!(stuck.await.unwrap().is_err(), "the stuck request's connection was closed");
}

async fn responses_api_plain_streamed_and_followed_up(b: Backend) {
    let env = Env::start(&b, Script::new()).await;
    let key = key_of(&env.create_key("acme", "sk-a").await);
    let post = |body: Value| env.http.post(env.url("/v1/responses")).bearer_auth(&key).json(&body).send();
    let r = post(json!({"model": "gpt-4o", "input": "What is 2+2?", "instructions": "Be brief."})).await.unwrap();
    assert_eq!(r.status(), 200);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["object"], "response");
    assert_eq!(first["status"], "completed");
    assert!(first["id"].as_str().unwrap().starts_with("resp_"));
    assert_eq!(first["output"][0]["type"], "message");
    assert!(first["output"][0]["content"][0]["text"].as_str().unwrap().contains("2+2"), "{first}");

    // The follow-up is expanded from the stored conversation, streamed as named events.
    let r = post(json!({"model": "gpt-4o", "input": "And 3+3?", "previous_response_id": first["id"], "stream": true}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let events: Vec<(&str, Value)> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| {
            let (name, data) = e.split_once('\n').unwrap();
            (name.strip_prefix("event: ").unwrap(), serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap())
        })
        .collect();
    assert_eq!(events.first().unwrap().0, "response.created");
    assert_eq!(events.last().unwrap().0, "response.completed");
    assert!(events.iter().all(|(name, data)| data["type"] == *name));
    let sent = env.mock.requests().last().unwrap().body.clone();
    // The earlier turn and its answer, then this input (instructions are not carried over, as at OpenAI).
    assert_eq!(sent["messages"].as_array().unwrap().len(), 3, "history expanded: {sent}");

    // An id another tenant created is unknown here.
    let other = key_of(&env.create_key("globex", "sk-a").await);
    let r = env
        .http
        .post(env.url("/v1/responses"))
        .bearer_auth(&other)
        .json(&json!({"model": "gpt-4o", "input": "hi", "previous_response_id": first["id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (_, s) = env.get(&key, "/api/dashboard/savings").await;
    assert_eq!(s["requests"], 2);
    env.server.shutdown().await;
}

on_every_store!(
    responses_api_plain_streamed_and_followed_up,
    health_models_and_plain_completion,
    streaming_is_sse_ending_with_done,
    tools_and_json_mode_pass_through_the_core,
    errors_use_openai_bodies_and_statuses,
    keys_admin_api_and_revocation_at_once,
    admin_api_is_off_without_a_token,
    tenants_never_see_each_other,
    dashboard_figures_and_time_ranges,
    no_prompt_or_secret_reaches_the_database,
    usage_upload_is_idempotent_and_scoped,
    the_librarys_reporter_uploads_to_the_server,
    graceful_shutdown_finishes_in_flight_requests_and_stores_their_usage,
    many_concurrent_requests_lose_no_usage,
);
