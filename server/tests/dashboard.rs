//! The dashboard page in headless Chromium, driven over the DevTools protocol
//! (`--remote-debugging-pipe`: JSON messages on fds 3 and 4, no WebSocket needed): load
//! the page, read the numbers, download the CSV, click "Revoke", see the key stop working.

#![cfg(unix)]

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kestrel_mock::{Behaviour, MockServer, Script};
use kestrel_server::{Server, ServerConfig};
use serde_json::{json, Value};

const ADMIN: &str = "admin-dashboard-test";

/// Headless Chromium, or `None` when it is not installed (outside CI only: in CI a
/// missing browser fails the test instead of skipping it).
fn chromium() -> Option<String> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|dir| std::path::Path::new(dir).join(name))
            .find(|p| p.is_file())
            .map(|p| p.to_string_lossy().into_owned())
    });
    if found.is_none() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI needs chromium for the dashboard test");
        eprintln!("chromium not installed: skipping the dashboard test");
    }
    found
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two new descriptors we then own.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// A Chromium with one page, spoken to over the DevTools pipe.
struct Browser {
    child: Child,
    to: File,
    from: mpsc::Receiver<Value>,
    next_id: u64,
    session: String,
    profile: tempfile::TempDir,
}

impl Browser {
    fn launch(binary: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let (cmd_r, cmd_w) = pipe();
        let (evt_r, evt_w) = pipe();
        let (a, b) = (cmd_r.as_raw_fd(), evt_w.as_raw_fd());
        let mut cmd = Command::new(binary);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-pipe",
            &format!("--user-data-dir={}", profile.path().display()),
            "about:blank",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let (a2, b2) = (libc::fcntl(a, libc::F_DUPFD, 10), libc::fcntl(b, libc::F_DUPFD, 10));
                if a2 < 0 || b2 < 0 || libc::dup2(a2, 3) < 0 || libc::dup2(b2, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop((cmd_r, evt_w));
        let (tx, rx) = mpsc::channel();
        let reader = File::from(evt_r);
        std::thread::spawn(move || {
            let mut r = BufReader::new(reader);
            loop {
                let mut buf = Vec::new();
                match r.read_until(0, &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        buf.pop();
                        if let Ok(v) = serde_json::from_slice::<Value>(&buf) {
                            if tx.send(v).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
        });
        let mut b = Browser { child, to: File::from(cmd_w), from: rx, next_id: 0, session: String::new(), profile };
        let target = b.call("Target.createTarget", json!({"url": "about:blank"}), false);
        let attached = b.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}), false);
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b
    }

    fn call(&mut self, method: &str, params: Value, in_page: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if in_page {
            msg["sessionId"] = json!(self.session);
        }
        let mut bytes = serde_json::to_vec(&msg).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self.from.recv_timeout(left).unwrap_or_else(|_| panic!("no answer to {method}"));
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates `expr` in the page (awaiting a promise) and returns its JSON value.
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
            true,
        );
        assert!(r.get("exceptionDetails").is_none(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is truthy in the page.
    fn wait_for(&mut self, expr: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.eval(expr);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {expr}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}), true);
        self.wait_for("document.readyState === 'complete' && !!document.getElementById('load')");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.profile;
    }
}

/// What the page showed and did.
struct Seen {
    figures: std::collections::HashMap<String, f64>,
    csv_rows: u64,
    revoked_shown: String,
    error_after_revoke: String,
}

fn drive(browser: &str, url: &str, key: &str, revoke_id: &str) -> Seen {
    let mut b = Browser::launch(browser);
    b.navigate(&format!("{url}/dashboard"));
    b.eval(&format!(
        "document.getElementById('key').value = {}; document.getElementById('load').click(); true",
        json!(key)
    ));
    b.wait_for("document.body.dataset.loaded || document.body.dataset.error");
    let figures: Value = b.eval(
        "Object.fromEntries([...document.querySelectorAll('[data-k]')].map(e => [e.dataset.k, Number(e.dataset.v)]))",
    );
    let figures = figures.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_f64().unwrap())).collect();
    b.eval("document.getElementById('csv').click(); true");
    let csv_rows = b.wait_for("document.body.dataset.csvRows").as_str().unwrap().parse().unwrap();

    b.eval(&format!(
        "document.getElementById('admin').value = {}; document.getElementById('load-keys').click(); true",
        json!(ADMIN)
    ));
    b.wait_for(&format!("document.querySelector('[data-revoke=\"{revoke_id}\"]')"));
    b.eval(&format!("document.querySelector('[data-revoke=\"{revoke_id}\"]').click(); true"));
    let revoked_shown = b
        .wait_for(&format!(
            "(document.querySelector('tr[data-key-id=\"{revoke_id}\"] [data-status]') || {{}}).dataset?.status === 'revoked' && 'revoked'"
        ))
        .as_str()
        .unwrap()
        .to_string();
    // The revoked key, typed into the page, is refused too.
    b.eval("delete document.body.dataset.error; true");
    b.eval(&format!(
        "document.getElementById('key').value = {}; document.getElementById('load').click(); true",
        json!(key)
    ));
    let error_after_revoke = b.wait_for("document.body.dataset.error").as_str().unwrap_or_default().to_string();
    Seen { figures, csv_rows, revoked_shown, error_after_revoke }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_page_shows_the_numbers_and_revokes_keys() {
    let Some(browser) = chromium() else { return };
    let mock =
        MockServer::start(Script::new().default_behaviour(Behaviour::reply("fine").usage(1200, 300))).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = ServerConfig::new(dir.path().join("kestrel.db"));
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.admin_token = Some(ADMIN.into());
    cfg.master_key = Some("44".repeat(32));
    cfg.base_urls = vec![("openai".into(), format!("{}/openai/v1", mock.url()))];
    let server = Server::start(cfg).await.unwrap();
    let url = server.url();
    let http = reqwest::Client::new();
    let create = |tenant: &str| {
        let req = http
            .post(format!("{url}/admin/keys"))
            .bearer_auth(ADMIN)
            .json(&json!({"tenant": tenant, "providers": {"openai": "sk-a"}}));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let key = create("dash").await;
    let key = key["key"].as_str().unwrap().to_string();
    let chat = |k: &str, q: &str| {
        http.post(format!("{url}/v1/chat/completions"))
            .bearer_auth(k)
            .json(&json!({"model": "gpt-4o", "messages": [{"role": "user", "content": q}]}))
            .send()
    };
    for q in ["What is 2+2?", "Name a colour.", "Write a haiku about rain.", "Explain TCP slow start in detail."] {
        assert_eq!(chat(&key, q).await.unwrap().status(), 200);
    }
    let expected: Value =
        http.get(format!("{url}/api/dashboard/savings")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let analytics: Value = http
        .get(format!("{url}/api/dashboard/analytics"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = http.get(format!("{url}/admin/keys?tenant=dash")).bearer_auth(ADMIN).send().await.unwrap();
    let id = id.json::<Value>().await.unwrap()["data"][0]["id"].as_str().unwrap().to_string();

    let (u, k, i) = (url.clone(), key.clone(), id.clone());
    let seen = tokio::task::spawn_blocking(move || drive(&browser, &u, &k, &i)).await.unwrap();

    for field in ["requests", "baseline_cost_usd", "actual_cost_usd", "saved_usd", "savings_pct"] {
        let want = expected[field].as_f64().unwrap();
        let got = seen.figures.get(field).copied().unwrap_or_else(|| panic!("{field} not shown"));
        assert!((got - want).abs() <= 1e-12 * want.abs().max(1.0), "{field}: page {got}, API {want}");
    }
    assert_eq!(seen.figures["requests"], 4.0);
    let routed: f64 = ["economy", "standard", "premium"].iter().map(|t| seen.figures[&format!("routing.{t}")]).sum();
    assert_eq!(routed, 4.0);
    for m in analytics["models"].as_array().unwrap() {
        let k = format!("model.{}.{}.requests", m["provider"].as_str().unwrap(), m["model"].as_str().unwrap());
        assert_eq!(seen.figures[&k], m["requests"].as_f64().unwrap(), "{k}");
    }
    assert_eq!(seen.figures["provider.openai.attempts"], 4.0);
    assert_eq!(seen.csv_rows, 4);
    assert_eq!(seen.revoked_shown, "revoked");
    assert!(seen.error_after_revoke.contains("revoked"), "{}", seen.error_after_revoke);
    // And the key stopped working for the API.
    assert_eq!(chat(&key, "hi").await.unwrap().status(), 401);
    server.shutdown().await;
}
