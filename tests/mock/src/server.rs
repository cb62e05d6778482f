//! The HTTP server: routing, auth, the script cursor, the request record, and its lifecycle.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures_util::StreamExt;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::answer::{self, Answer};
use crate::anthropic;
use crate::collector::{Collector, Failure, ReceivedBatch};
// Declared here (not in lib.rs) so the Cohere route stays within this file's registration.
#[path = "cohere.rs"]
mod cohere;
// Declared here (not in lib.rs) so the Gemini route stays within this file's registration.
#[path = "gemini.rs"]
mod gemini;
#[path = "listing.rs"]
mod listing;
// Declared here (not in lib.rs) so the Azure route stays within this file's registration.
#[path = "azure.rs"]
mod azure;
// OpenAI's own Responses API, for what Kestrel passes through unrouted.
#[path = "responses.rs"]
mod responses;
// The rest of OpenAI's platform API (files, audio, images, batches, ...), passed through.
#[path = "platform.rs"]
mod platform;
#[path = "stored.rs"]
mod stored;
use crate::script::{Behaviour, Script, Steps};
use crate::wire::{self, Meta};

/// Pause before aborting a response, so hyper flushes what was already sent and the client
/// really receives the partial body before the connection drops.
const CUT_FLUSH_DELAY: Duration = Duration::from_millis(20);
/// Cursor key of the script's `default` queue (model names are never empty).
const DEFAULT_CURSOR: &str = "";

/// One request the mock received, kept so tests can assert what a client actually sent
/// (which provider path, which key, which model, which body).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path as sent, e.g. `/groq/openai/v1/chat/completions`.
    pub path: String,
    /// The query string, if any (e.g. Azure's `api-version=...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Headers by lower-case name; repeated headers are joined with `", "`.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON; a body that is not JSON is kept as a string, an empty one as null.
    pub body: Value,
    /// When it arrived: milliseconds since the server started (monotonic), so tests can
    /// measure the pauses between a client's attempts (backoff, `Retry-After`).
    #[serde(default)]
    pub at_ms: u64,
}

impl RecordedRequest {
    /// A header value by (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The `model` field of the body.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }
}

/// State shared by all connections and by the [`MockServer`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    started: std::time::Instant,
    seq: AtomicU64,
    collector: Collector,
}

#[derive(Debug)]
struct Inner {
    script: Script,
    /// How many requests each model's queue (or the default queue) has served.
    cursors: HashMap<String, usize>,
    requests: Vec<RecordedRequest>,
    /// Prompt prefixes marked for caching on the Anthropic route (seen once: later reads hit).
    cached_prefixes: HashSet<u64>,
}

impl Shared {
    pub(crate) fn new(script: Script) -> Self {
        Shared {
            inner: Mutex::new(Inner {
                script,
                cursors: HashMap::new(),
                requests: Vec::new(),
                cached_prefixes: HashSet::new(),
            }),
            started: std::time::Instant::now(),
            seq: AtomicU64::new(0),
            collector: Collector::default(),
        }
    }

    /// The lock, even if a panicking test thread poisoned it: the data stays consistent
    /// because every critical section is a single assignment or push.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_script(&self, script: Script) {
        let mut inner = self.lock();
        inner.script = script;
        inner.cursors.clear();
    }

    /// Sets (`Some`) or removes (`None`) one model's entry, leaving the rest of the script
    /// alone, and restarts that model's queue.
    fn set_model(&self, model: &str, steps: Option<Steps>) {
        let mut inner = self.lock();
        match steps {
            Some(steps) => inner.script.models.insert(model.to_string(), steps),
            None => inner.script.models.remove(model),
        };
        inner.cursors.remove(model);
    }

    /// Takes the next behaviour for `model` from its queue (or the default queue).
    pub(crate) fn next_behaviour(&self, model: &str) -> Behaviour {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let (key, steps) = match inner.script.models.get(model) {
            Some(steps) => (model, steps),
            // A model its provider has shut down answers with that provider's 404.
            None if is_retired(model) => return Behaviour::error(404),
            None => match &inner.script.default {
                Some(steps) => (DEFAULT_CURSOR, steps),
                None => return Behaviour::default(),
            },
        };
        let cursor = inner.cursors.entry(key.to_string()).or_insert(0);
        let behaviour = steps.nth(*cursor);
        *cursor += 1;
        behaviour
    }

    /// For a model listing at `path`: the key that path requires and the models it
    /// lists (the script's `listed` entry for the longest matching prefix, else the
    /// scripted models).
    pub(crate) fn listing(&self, path: &str) -> (Option<String>, Vec<String>) {
        let inner = self.lock();
        let required = required_key(&inner.script, path).map(str::to_string);
        let listed =
            inner.script.listed.iter().filter(|(p, _)| path.starts_with(p.as_str())).max_by_key(|(p, _)| p.len());
        let ids = match listed {
            Some((_, ids)) => ids.clone(),
            None => inner.script.models.keys().cloned().collect(),
        };
        (required, ids)
    }

    /// Records a cached prompt prefix; `true` if it was already cached (a cache read).
    pub(crate) fn remember_prefix(&self, key: u64) -> bool {
        !self.lock().cached_prefixes.insert(key)
    }
}

/// Model ids their providers had shut down by 2026-12-03 (Kestrel's catalog has the dates).
/// Unless a script names them, requests for these get the provider's real 404 body:
/// OpenAI-compatible `model_not_found`, Anthropic `not_found_error`, Gemini `NOT_FOUND`,
/// Cohere's "model ... not found".
pub const RETIRED_MODELS: &[&str] = &[
    "gpt-4.1-nano",
    "gpt-4.1-nano-2025-04-14",
    "o4-mini",
    "o4-mini-2025-04-16",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "llama-3.1-8b-instant",
    "llama-3.3-70b-versatile",
    "grok-3",
    "grok-3-latest",
    "grok-3-beta",
    "grok-3-mini",
    "grok-3-mini-latest",
    "grok-3-mini-beta",
    "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
    "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
    "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
    "meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "command-r-plus",
    "command-r",
];

/// Whether `model` (as sent on the wire, `models/` prefix allowed) is in [`RETIRED_MODELS`].
pub fn is_retired(model: &str) -> bool {
    let bare = model.strip_prefix("models/").unwrap_or(model);
    RETIRED_MODELS.iter().any(|m| m.eq_ignore_ascii_case(bare))
}

/// The providers the mock stands in for, each with its own path prefix (so the recorded
/// path tells which one was called) and its base URL below the mock's root in the form
/// that provider's SDK takes it; Kestrel's catalog appends the chat path (Groq's
/// `/openai/v1/chat/completions`, Anthropic's `/v1/messages`, Gemini's
/// `/v1beta/models/{model}:generateContent`, Cohere's `/v2/chat`, ...).
pub const MOCKED_PROVIDERS: [(&str, &str); 8] = [
    ("openai", "/openai/v1"),
    ("anthropic", "/anthropic"),
    ("gemini", "/gemini"),
    ("cohere", "/cohere"),
    ("groq", "/groq"),
    ("xai", "/xai/v1"),
    ("mistral", "/mistral"),
    ("together", "/together/v1"),
];

/// A mock provider running on its own thread, bound to `127.0.0.1` on a free port.
///
/// It runs on a dedicated thread with its own runtime so that it keeps answering whatever
/// the test's runtime is doing (current-thread runtimes, blocking clients). Dropping the
/// handle stops the server and closes every open connection.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl MockServer {
    /// Starts a server with `script` on `127.0.0.1:0`; it is accepting when this returns.
    pub async fn start(script: Script) -> io::Result<MockServer> {
        Self::start_blocking(script)
    }

    /// [`MockServer::start`] for code that is not async.
    pub fn start_blocking(script: Script) -> io::Result<MockServer> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)?
        };
        let shared = Arc::new(Shared::new(script));
        let (shutdown, stop) = oneshot::channel::<()>();
        let served = Arc::clone(&shared);
        let thread = std::thread::Builder::new().name(format!("kestrel-mock-{}", addr.port())).spawn(move || {
            runtime.block_on(run(listener, served, async {
                let _ = stop.await;
            }));
        })?;
        Ok(MockServer { addr, shared, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `(provider, base URL)` for each provider in [`MOCKED_PROVIDERS`], at this server.
    pub fn provider_base_urls(&self) -> Vec<(&'static str, String)> {
        let root = self.url();
        MOCKED_PROVIDERS.iter().map(|(name, prefix)| (*name, format!("{root}{prefix}"))).collect()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every provider request received so far (not the `/_mock` control calls), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Usage batches the `/v1/usage` collector accepted, in arrival order.
    pub fn usage_batches(&self) -> Vec<ReceivedBatch> {
        self.shared.collector.batches()
    }

    /// Makes the collector answer `status` to the next `times` uploads (`None`: until
    /// [`MockServer::reset_usage`]).
    pub fn fail_usage(&self, status: u16, times: Option<u32>) {
        self.shared.collector.fail(Some(Failure { status, times }));
    }

    /// Uploads the collector refused so far.
    pub fn usage_refused(&self) -> u64 {
        self.shared.collector.refused()
    }

    /// Forgets received usage batches and stops failing.
    pub fn reset_usage(&self) {
        self.shared.collector.reset();
    }

    /// Replaces the script and restarts every queue from its first behaviour.
    pub fn set_script(&self, script: Script) {
        self.shared.set_script(script);
    }

    /// Sets one model's behaviour (one, a queue or a cycle) and restarts its queue, leaving
    /// the rest of the script as it is.
    pub fn set_model(&self, model: &str, steps: impl Into<Steps>) {
        self.shared.set_model(model, Some(steps.into()));
    }

    /// Removes one model's entry: it gets the script's `default` again.
    pub fn remove_model(&self, model: &str) {
        self.shared.set_model(model, None);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Serves `script` on `listener` until the future is dropped; used by the `kestrel-mock`
/// binary, and by anyone who wants the mock on a runtime and listener of their own.
pub async fn serve(listener: TcpListener, script: Script) -> io::Result<()> {
    run(listener, Arc::new(Shared::new(script)), std::future::pending::<()>()).await;
    Ok(())
}

/// The accept loop. Connections live in a `JoinSet` so that stopping the loop aborts them
/// all, including streams and long `latency_ms` waits still in progress.
async fn run(listener: TcpListener, shared: Arc<Shared>, shutdown: impl Future<Output = ()>) {
    let app = router(shared);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(app.clone());
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_mock/health", get(health))
        .route("/_mock/requests", get(list_requests).delete(clear_requests))
        .route("/_mock/script", get(get_script).put(put_script))
        .route("/_mock/models/{*model}", put(put_model).delete(delete_model))
        .route("/v1/usage", post(receive_usage))
        .route("/_mock/usage", get(list_usage).delete(reset_usage))
        .route("/_mock/usage/fail", put(fail_usage))
        .fallback(provider)
        .with_state(shared)
}

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn list_requests(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.lock().requests.clone())
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let mut inner = shared.lock();
    let cleared = inner.requests.len();
    inner.requests.clear();
    Json(json!({ "cleared": cleared }))
}

async fn receive_usage(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    shared.collector.receive(&headers, &body)
}

async fn list_usage(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let batches = shared.collector.batches();
    let records: usize = batches.iter().map(|b| b.records().len()).sum();
    Json(json!({"batches": batches, "records": records, "refused": shared.collector.refused()}))
}

async fn reset_usage(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.collector.reset();
    Json(json!({"ok": true}))
}

async fn fail_usage(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Failure>(&body) {
        Ok(f) => {
            shared.collector.fail(Some(f));
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": format!("invalid failure: {e}")}))).into_response(),
    }
}

async fn get_script(State(shared): State<Arc<Shared>>) -> Json<Script> {
    Json(shared.lock().script.clone())
}

async fn put_script(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Script>(&body) {
        Ok(script) => {
            shared.set_script(script);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": format!("invalid script: {e}")}))).into_response(),
    }
}

/// `PUT /_mock/models/MODEL`: one model's behaviour, queue or cycle (the JSON of one
/// `models` entry), without touching the rest of the script; restarts that model's queue.
async fn put_model(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(model): axum::extract::Path<String>,
    body: Bytes,
) -> Response {
    match serde_json::from_slice::<Steps>(&body) {
        Ok(steps) => {
            shared.set_model(&model, Some(steps));
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": format!("invalid behaviour for {model}: {e}")})))
            .into_response(),
    }
}

/// `DELETE /_mock/models/MODEL`: back to the script's `default` for that model.
async fn delete_model(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(model): axum::extract::Path<String>,
) -> Json<Value> {
    shared.set_model(&model, None);
    Json(json!({"ok": true}))
}

/// Everything that is not a control route: the OpenAI-compatible API (and Anthropic's
/// Messages API, `…/v1/messages`) under any prefix.
async fn provider(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let body_json = parse_body(&body);
    let at_ms = shared.started.elapsed().as_millis() as u64;
    shared.lock().requests.push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().map(str::to_string),
        headers: header_map(&headers),
        body: body_json.clone(),
        at_ms,
    });
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed) + 1;
    if method == Method::GET && path.ends_with("/models") {
        return listing::respond(&shared, &path, uri.query(), &headers, seq);
    }
    if method == Method::GET && !path.contains("/v1beta/") {
        if let Some((prefix, id)) = path.split_once("/models/") {
            return listing::retrieve(&shared, prefix, id, &headers, seq);
        }
    }
    if method == Method::POST && gemini::is_route(&path) {
        let required = required_key(&shared.lock().script, &path).map(str::to_string);
        return gemini::generate(&shared, &path, uri.query(), &headers, required.as_deref(), &body_json, seq).await;
    }

    if method == Method::POST && azure::is_route(&path) {
        let required = required_key(&shared.lock().script, &path).map(str::to_string);
        return azure::handle(&shared, &path, uri.query(), &headers, required.as_deref(), &body_json, seq).await;
    }

    if responses::is_route(&path) && !path.contains("/v1beta/") {
        let required = required_key(&shared.lock().script, &path).map(str::to_string);
        if let Err(body) = check_key(&headers, required.as_deref()) {
            return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
        }
        return responses::handle(method.as_str(), &path, &body_json, seq);
    }

    if !path.contains("/v1beta/") {
        if let Some(answer) = platform::handle(method.as_str(), &path, uri.query(), &body, &body_json, seq) {
            let required = required_key(&shared.lock().script, &path).map(str::to_string);
            if let Err(body) = check_key(&headers, required.as_deref()) {
                return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
            }
            return answer;
        }
    }

    let is_chat = method == Method::POST && path.ends_with("/chat/completions");
    let is_messages = method == Method::POST && path.ends_with("/v1/messages");
    let is_cohere = method == Method::POST && path.ends_with("/v2/chat");
    let is_embeddings = method == Method::POST && path.ends_with("/embeddings");
    if !is_chat && !is_messages && !is_cohere && !is_embeddings {
        let body = wire::error_with(&format!("Invalid URL ({method} {path})"), "invalid_request_error", None, None);
        return respond_json(StatusCode::NOT_FOUND, &body, seq);
    }

    let required = {
        let inner = shared.lock();
        required_key(&inner.script, &path).map(str::to_string)
    };
    if is_messages {
        return anthropic::messages(&shared, &headers, required.as_deref(), &body_json, seq).await;
    }
    if is_cohere {
        return cohere::chat(&shared, &headers, required.as_deref(), &body_json, seq).await;
    }
    if let Err(body) = check_key(&headers, required.as_deref()) {
        return respond_json(StatusCode::UNAUTHORIZED, &body, seq);
    }

    if is_embeddings {
        return match crate::embeddings::respond(&body_json) {
            Ok(body) => respond_json(StatusCode::OK, &body, seq),
            Err(message) => respond_json(
                StatusCode::BAD_REQUEST,
                &wire::error_with(&message, "invalid_request_error", None, None),
                seq,
            ),
        };
    }
    chat(&shared, &body_json, path.starts_with("/mistral/"), seq, None).await
}

/// `usage_unasked`: the provider streams usage on its finishing chunk without
/// `stream_options` (Mistral). `served`: the model answers name, when it is not the
/// request's (an Azure deployment's model).
async fn chat(shared: &Shared, request: &Value, usage_unasked: bool, seq: u64, served: Option<&str>) -> Response {
    if !request.is_object() {
        let body = wire::error_with(
            "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            "invalid_request_error",
            None,
            None,
        );
        return respond_json(StatusCode::BAD_REQUEST, &body, seq);
    }
    let Some(model) = request.get("model").and_then(Value::as_str) else {
        let body = wire::error_with("you must provide a model parameter", "invalid_request_error", None, None);
        return respond_json(StatusCode::BAD_REQUEST, &body, seq);
    };
    if !request.get("messages").is_some_and(Value::is_array) {
        let body = wire::error_with(
            "Missing required parameter: 'messages'.",
            "invalid_request_error",
            Some("messages"),
            Some("missing_required_parameter"),
        );
        return respond_json(StatusCode::BAD_REQUEST, &body, seq);
    }
    if request["messages"].as_array().is_some_and(Vec::is_empty) {
        let body = wire::error_with(
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            "invalid_request_error",
            Some("messages"),
            Some("empty_array"),
        );
        return respond_json(StatusCode::BAD_REQUEST, &body, seq);
    }

    let behaviour = shared.next_behaviour(model);
    if let Some(ms) = behaviour.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    let status = behaviour.status.and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    if !status.is_success() {
        let body = wire::error(
            status.as_u16(),
            model,
            behaviour.error_message.as_deref(),
            behaviour.error_type.as_deref(),
            behaviour.error_code.as_deref(),
        );
        let mut response = respond_json(status, &body, seq);
        add_retry_after(&mut response, &behaviour);
        return response;
    }

    let answer = answer::build(request, model, &behaviour, seq);
    let meta =
        Meta { id: format!("chatcmpl-mock-{seq}"), created: unix_time(), model: served.unwrap_or(model).to_string() };
    let streaming = request.get("stream").and_then(Value::as_bool) == Some(true);
    let mut response = if streaming {
        let include_usage = request.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true);
        stream_response(&meta, &answer, &behaviour, include_usage, usage_unasked, status, seq)
    } else {
        completion_response(&meta, &answer, &behaviour, status, seq)
    };
    add_retry_after(&mut response, &behaviour);
    response
}

fn completion_response(meta: &Meta, answer: &Answer, behaviour: &Behaviour, status: StatusCode, seq: u64) -> Response {
    let text = if behaviour.malformed_json {
        malformed(meta, "chat.completion")
    } else {
        wire::completion(meta, answer).to_string()
    };
    let body = match behaviour.cut_after_chunks {
        Some(_) => {
            let half = text.len() / 2;
            let cut = (0..=half).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            cut_body(vec![Bytes::from(text[..cut].to_string())], Duration::ZERO)
        }
        None => Body::from(text),
    };
    with_headers(status, "application/json", body, seq)
}

fn stream_response(
    meta: &Meta,
    answer: &Answer,
    behaviour: &Behaviour,
    include_usage: bool,
    usage_unasked: bool,
    status: StatusCode,
    seq: u64,
) -> Response {
    let mut events = wire::stream_events(meta, answer, include_usage);
    if usage_unasked && !include_usage && events.len() >= 2 {
        let finish = events.len() - 2;
        events[finish] = wire::finish_with_usage(meta, answer);
    }
    if behaviour.malformed_json {
        // Keep the role chunk, then an event whose data is broken JSON, then `[DONE]`.
        let broken = format!("data: {}\n\n", malformed(meta, "chat.completion.chunk"));
        events.truncate(1);
        events.push(wire::Event { data: broken, content: true });
        events.push(wire::Event { data: "data: [DONE]\n\n".into(), content: false });
    }
    let delay = Duration::from_millis(behaviour.chunk_delay_ms.unwrap_or(0));
    let body = match behaviour.cut_after_chunks {
        Some(n) => {
            // Cut just before the (n+1)-th content event, or before the finish chunk.
            let finish = events.len().saturating_sub(if include_usage { 3 } else { 2 });
            let cut =
                events.iter().enumerate().filter(|(_, e)| e.content).nth(n).map_or(finish, |(i, _)| i.min(finish));
            let sent = events[..cut].iter().map(|e| Bytes::from(e.data.clone()));
            cut_body(sent.collect(), delay)
        }
        None => {
            // The role chunk goes out with the first token (as OpenAI flushes them):
            // `chunk_delay_ms` is the time between tokens.
            let mut data: Vec<String> = events.into_iter().map(|e| e.data).collect();
            if data.len() > 1 {
                let role = data.remove(0);
                data[0].insert_str(0, &role);
            }
            delayed_body(data.into_iter().map(Bytes::from).collect(), delay, None)
        }
    };
    with_headers(status, "text/event-stream; charset=utf-8", body, seq)
}

/// A JSON prefix that stops mid-string: what a truncated upstream body looks like.
fn malformed(meta: &Meta, object: &str) -> String {
    format!(
        r#"{{"id": "{}", "object": "{object}", "created": {}, "model": "{}", "choices": [{{"index": 0, "delta": {{"content": "Mock"#,
        meta.id, meta.created, meta.model
    )
}

/// A body that sends `chunks` and then fails, so hyper drops the connection without the
/// terminating chunk and the client sees an incomplete body rather than a clean end.
pub(crate) fn cut_body(chunks: Vec<Bytes>, delay: Duration) -> Body {
    let error = io::Error::new(io::ErrorKind::ConnectionAborted, "kestrel-mock: connection cut by script");
    delayed_body(chunks, delay, Some(error))
}

pub(crate) fn delayed_body(chunks: Vec<Bytes>, delay: Duration, error: Option<io::Error>) -> Body {
    let items = chunks.into_iter().map(Ok).chain(error.map(Err)).enumerate();
    let stream = futures_util::stream::iter(items).then(move |(i, item)| async move {
        let pause = match &item {
            Err(_) => delay.max(CUT_FLUSH_DELAY),
            Ok(_) if i > 0 => delay,
            Ok(_) => Duration::ZERO,
        };
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        item
    });
    Body::from_stream(stream)
}

pub(crate) fn respond_json(status: StatusCode, body: &Value, seq: u64) -> Response {
    with_headers(status, "application/json", Body::from(body.to_string()), seq)
}

/// Adds the headers OpenAI sends on every response; `x-request-id` is what SDKs surface in
/// errors and logs.
fn with_headers(status: StatusCode, content_type: &'static str, body: Body, seq: u64) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let fixed = [
        ("openai-version", "2020-10-01"),
        ("openai-organization", "org-kestrel-mock"),
        ("openai-processing-ms", "1"),
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-limit-tokens", "10000000"),
        ("x-ratelimit-remaining-tokens", "9999000"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(id) = HeaderValue::from_str(&format!("req_mock_{seq}")) {
        headers.insert("x-request-id", id);
    }
    if content_type.starts_with("text/event-stream") {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// `Retry-After` in whole seconds when possible, plus `retry-after-ms`, which the official
/// SDKs read first.
fn add_retry_after(response: &mut Response, behaviour: &Behaviour) {
    let Some(secs) = behaviour.retry_after.filter(|s| s.is_finite() && *s >= 0.0) else {
        return;
    };
    let seconds = if secs.fract() == 0.0 { format!("{}", secs as u64) } else { format!("{secs}") };
    let millis = format!("{}", (secs * 1000.0).round() as u64);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&seconds) {
        headers.insert(header::RETRY_AFTER, v);
    }
    if let Ok(v) = HeaderValue::from_str(&millis) {
        headers.insert("retry-after-ms", v);
    }
}

fn required_key<'a>(script: &'a Script, path: &str) -> Option<&'a str> {
    script
        .require_keys
        .iter()
        .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, key)| key.as_str())
        .or(script.require_key.as_deref())
}

/// The bearer key (or Azure-style `api-key`) if it is present, non-empty and, when a key is
/// required, equal to it; otherwise OpenAI's 401 body.
pub(crate) fn check_key(headers: &HeaderMap, required: Option<&str>) -> Result<(), Value> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|k| !k.is_empty());
    let key = bearer
        .or_else(|| headers.get("api-key").and_then(|v| v.to_str().ok()).map(str::trim).filter(|k| !k.is_empty()));
    match (key, required) {
        (None, _) => Err(wire::error_with(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            None,
            None,
        )),
        (Some(key), Some(required)) if key != required => Err(wire::error_with(
            &format!(
                "Incorrect API key provided: {}. You can find your API key at https://platform.openai.com/account/api-keys.",
                mask(key)
            ),
            "invalid_request_error",
            None,
            Some("invalid_api_key"),
        )),
        _ => Ok(()),
    }
}

/// Masks a key the way OpenAI does in error messages: a few leading and trailing characters.
fn mask(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

fn parse_body(body: &Bytes) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

pub(crate) fn unix_time() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_key_wins() {
        let script =
            Script::new().require_key("global").require_key_for("/groq", "g").require_key_for("/groq/openai", "go");
        assert_eq!(required_key(&script, "/v1/chat/completions"), Some("global"));
        assert_eq!(required_key(&script, "/groq/v1/models"), Some("g"));
        assert_eq!(required_key(&script, "/groq/openai/v1/chat/completions"), Some("go"));
    }

    #[test]
    fn keys_are_checked() {
        let mut headers = HeaderMap::new();
        assert!(check_key(&headers, None).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert!(check_key(&headers, None).is_err());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer sk-a"));
        assert!(check_key(&headers, None).is_ok());
        assert!(check_key(&headers, Some("sk-a")).is_ok());
        let err = check_key(&headers, Some("sk-b")).unwrap_err();
        assert_eq!(err["error"]["code"], "invalid_api_key");
        assert_eq!(mask("sk-proj-abcdefgh"), "sk-*********efgh");
    }

    #[test]
    fn queues_advance_per_model_and_reset_with_the_script() {
        let shared = Shared::new(Script::new().model_queue("m", [Behaviour::error(429), Behaviour::reply("ok")]));
        assert_eq!(shared.next_behaviour("m").status, Some(429));
        assert_eq!(shared.next_behaviour("other"), Behaviour::default());
        assert_eq!(shared.next_behaviour("m").text.as_deref(), Some("ok"));
        assert_eq!(shared.next_behaviour("m").text.as_deref(), Some("ok"));
        shared.set_script(Script::new().model_queue("m", [Behaviour::error(500), Behaviour::reply("ok")]));
        assert_eq!(shared.next_behaviour("m").status, Some(500));
    }

    #[test]
    fn one_model_is_set_without_touching_the_others() {
        let shared = Shared::new(
            Script::new()
                .model_queue("a", [Behaviour::error(429), Behaviour::reply("a ok")])
                .model("b", Behaviour::reply("b")),
        );
        assert_eq!(shared.next_behaviour("a").status, Some(429));
        shared.set_model("b", Some(Steps::cycle([Behaviour::error(503), Behaviour::new()])));
        // "a" keeps its place in its queue; "b" starts its new cycle from the top.
        assert_eq!(shared.next_behaviour("a").text.as_deref(), Some("a ok"));
        let b: Vec<_> = (0..4).map(|_| shared.next_behaviour("b").status).collect();
        assert_eq!(b, [Some(503), None, Some(503), None]);
        shared.set_model("b", None);
        assert_eq!(shared.next_behaviour("b"), Behaviour::default());
        assert_eq!(shared.lock().script.models.len(), 1);
    }
}
