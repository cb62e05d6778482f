//! `kestrel serve`: the Kestrel core behind an OpenAI-compatible HTTP API.
//!
//! Point any OpenAI client at it (`base_url = http://HOST:PORT/v1`, `api_key = ks-...`)
//! and every request is routed by the same core as the library, with the Kestrel key's
//! tenant, routing policy and provider credentials. Usage lands in a store (SQLite by
//! default) that a dashboard API and page read, scoped per tenant; in-process clients can
//! upload their usage to the same store (`POST /api/usage`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let mut cfg = kestrel_server::ServerConfig::new("kestrel.db");
//! cfg.admin_token = Some("admin-secret".into());
//! let server = kestrel_server::Server::start(cfg).await?;
//! println!("listening on {}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Routes: `api.rs` (OpenAI API), `admin.rs` (keys), `dashboard.rs` (figures, CSV and the
//! usage upload), `page.rs` (the dashboard page). State: `store.rs` (the [`Store`] trait
//! and SQLite), `pool.rs` (per-key clients, authentication, moving usage to the store),
//! `keys.rs` and `crypto.rs` (keys and sealed credentials).

pub mod admin;
pub mod api;
pub mod crypto;
pub mod dashboard;
pub mod error;
pub mod keys;
pub mod page;
pub mod pool;
pub mod postgres_store;
pub mod remote;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{any, delete, get, post};
use axum::Router;
use kestrel_router::catalog::Catalog;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crypto::MasterKey;
pub use error::ApiError;
pub use postgres_store::PostgresStore;
pub use store::{SqliteStore, Store};

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Everything `kestrel serve` can be configured with. Its `Debug` shows whether a secret
/// (master key, admin token, a URL that may hold a password) is set, never the secret.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where to listen (default `127.0.0.1:8080`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// The SQLite file (created if missing).
    pub db_path: PathBuf,
    /// A Postgres URL (`postgres://user@host/db`, `DATABASE_URL`): used instead of the
    /// SQLite file when set (then the master key must be given).
    pub database_url: Option<String>,
    /// The master key as text (hex or base64 of 32 bytes), e.g. from `KESTREL_MASTER_KEY`.
    pub master_key: Option<String>,
    /// A file holding the master key; without either, `<db>.key` is used, created on the
    /// first start.
    pub master_key_file: Option<PathBuf>,
    /// The admin API's bearer token (`KESTREL_ADMIN_TOKEN`); `None` turns it off.
    pub admin_token: Option<String>,
    /// Provider base URLs for every key's client (`openai` → `https://...`).
    pub base_urls: Vec<(String, String)>,
    /// Catalog files merged over the built-in catalog.
    pub catalog_files: Vec<PathBuf>,
    /// Largest request body (default 16 MiB: images travel as base64).
    pub body_limit: usize,
    /// Requests handled at once; more wait their turn (default 1024).
    pub concurrency: usize,
    /// Longest a request may take before the server answers 504 (default 10 min; a stream
    /// only needs to start within it).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers before its connection is
    /// closed (default 30 s): a slow or stuck client cannot hold a connection.
    pub header_read_timeout: Duration,
    /// On shutdown, how long in-flight requests (streams included) may run on before
    /// their connections are closed (default 30 s).
    pub shutdown_grace: Duration,
    /// The core's per-attempt silence limit (default: the core's, 60 s).
    pub provider_timeout: Option<Duration>,
    /// The core's retries of the requested model (default: the core's, 2).
    pub max_retries: Option<u32>,
    /// Stage 0 (the core's answer cache, per tenant) on: in memory per key, or shared
    /// through Redis with `redis_url`.
    pub cache: bool,
    /// Share the cache through this Redis server (`KESTREL_REDIS_URL`), so replicas behind
    /// a load balancer answer each other's repeats; implies `cache`. Entries stay in the
    /// tenant's namespace.
    pub redis_url: Option<String>,
    /// How often usage moves from the clients to the store (default 250 ms).
    pub drain_interval: Duration,
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("db_path", &self.db_path)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("master_key", &self.master_key.as_ref().map(|_| "<set>"))
            .field("master_key_file", &self.master_key_file)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<set>"))
            .field("base_urls", &self.base_urls)
            .field("body_limit", &self.body_limit)
            .field("concurrency", &self.concurrency)
            .field("request_timeout", &self.request_timeout)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("cache", &self.cache)
            .field("redis_url", &self.redis_url.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    pub fn new(db_path: impl Into<PathBuf>) -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db_path: db_path.into(),
            database_url: None,
            master_key: None,
            master_key_file: None,
            admin_token: None,
            base_urls: Vec::new(),
            catalog_files: Vec::new(),
            body_limit: 16 << 20,
            concurrency: 1024,
            request_timeout: Duration::from_secs(600),
            header_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            provider_timeout: None,
            max_retries: None,
            cache: false,
            redis_url: None,
            drain_interval: Duration::from_millis(250),
        }
    }

    /// Fills what the environment says and the config does not: `KESTREL_ADMIN_TOKEN`,
    /// `KESTREL_MASTER_KEY`, `KESTREL_MASTER_KEY_FILE`, `DATABASE_URL`,
    /// `KESTREL_REDIS_URL`, and each provider's base URL
    /// variable (`OPENAI_BASE_URL`, ...). Provider keys are never read from the
    /// environment: they belong to Kestrel keys.
    pub fn with_env(mut self) -> Self {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.trim().is_empty());
        self.admin_token = self.admin_token.or_else(|| var("KESTREL_ADMIN_TOKEN"));
        self.database_url = self.database_url.or_else(|| var("DATABASE_URL"));
        self.redis_url = self.redis_url.or_else(|| var("KESTREL_REDIS_URL"));
        self.master_key = self.master_key.or_else(|| var("KESTREL_MASTER_KEY"));
        self.master_key_file = self.master_key_file.or_else(|| var("KESTREL_MASTER_KEY_FILE").map(PathBuf::from));
        for p in Catalog::builtin().providers() {
            if self.base_urls.iter().any(|(n, _)| *n == p.name) {
                continue;
            }
            if let Some(url) = p.base_url_env.iter().find_map(|v| var(v)) {
                self.base_urls.push((p.name.clone(), url));
            }
        }
        self
    }

    /// The master key this config names (creating `<db>.key` if it names none).
    pub fn load_master_key(&self) -> Result<MasterKey, ServerError> {
        if let Some(text) = &self.master_key {
            return Ok(MasterKey::parse(text)?);
        }
        if let Some(path) = &self.master_key_file {
            return Ok(MasterKey::from_file(path)?);
        }
        if self.database_url.is_some() {
            return Err(ServerError::Config(
                "with DATABASE_URL, set KESTREL_MASTER_KEY or KESTREL_MASTER_KEY_FILE (every server process needs the same key)".into(),
            ));
        }
        let mut path = self.db_path.clone().into_os_string();
        path.push(".key");
        let path = PathBuf::from(path);
        if !path.exists() {
            tracing::warn!(
                "no KESTREL_MASTER_KEY: provider credentials are sealed with a new key in {} (keep it apart from the database in production)",
                path.display()
            );
        }
        Ok(MasterKey::load_or_create(&path)?)
    }

    fn catalog(&self) -> Result<Catalog, ServerError> {
        let mut c = (*Catalog::builtin()).clone();
        for f in &self.catalog_files {
            c.merge_file(f).map_err(|e| ServerError::Config(e.to_string()))?;
        }
        for (p, _) in &self.base_urls {
            if c.provider_id(p).is_none() {
                return Err(ServerError::Config(format!("unknown provider `{p}` in base URLs")));
            }
        }
        Ok(c)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// State every handler shares.
pub struct Shared {
    pub config: ServerConfig,
    pub store: Arc<dyn Store>,
    pub master: MasterKey,
    pub catalog: Arc<Catalog>,
    pub pool: pool::Pool,
    /// One drain at a time, so records reach the store in order.
    pub drain_lock: tokio::sync::Mutex<()>,
}

impl Shared {
    /// Opens the store (Postgres with `database_url`, else SQLite) and the master key
    /// named by `config`. Blocking: call it outside the async runtime's threads.
    pub fn open(config: ServerConfig) -> Result<Arc<Shared>, ServerError> {
        let store: Arc<dyn Store> = match &config.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Arc::new(PostgresStore::connect(url)?)
            }
            Some(_) => return Err(ServerError::Config("DATABASE_URL must be a postgres:// URL".into())),
            None => Arc::new(SqliteStore::open(&config.db_path)?),
        };
        Shared::with_store(config, store)
    }

    pub fn with_store(config: ServerConfig, store: Arc<dyn Store>) -> Result<Arc<Shared>, ServerError> {
        let master = config.load_master_key()?;
        let catalog = Arc::new(config.catalog()?);
        Ok(Arc::new(Shared {
            config,
            store,
            master,
            catalog,
            pool: pool::Pool::default(),
            drain_lock: tokio::sync::Mutex::new(()),
        }))
    }
}

/// The app: every route, with the body limit, the concurrency limit and the timeout.
pub fn router(shared: Arc<Shared>) -> Router {
    let cfg = &shared.config;
    let openai = Router::new()
        .route("/v1/chat/completions", post(api::chat_completions))
        .route("/chat/completions", post(api::chat_completions))
        .route("/v1/models", get(api::models))
        .route("/models", get(api::models))
        .route("/v1/responses", post(api::responses))
        .route("/responses", post(api::responses))
        .route("/v1/responses/{*rest}", any(api::not_yet))
        .route("/v1/embeddings", any(api::not_yet))
        .route("/v1/completions", any(api::not_yet))
        .route("/v1/moderations", any(api::not_yet))
        .route("/v1/images/{*rest}", any(api::not_yet))
        .route("/v1/audio/{*rest}", any(api::not_yet))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(cfg.concurrency.max(1)));
    Router::new()
        .merge(openai)
        .route("/health", get(api::health))
        .route("/admin/keys", post(admin::create).get(admin::list))
        .route("/admin/keys/{id}", delete(admin::revoke))
        .route("/api/usage", post(dashboard::ingest))
        .route("/api/dashboard/savings", get(dashboard::savings))
        .route("/api/dashboard/routing", get(dashboard::routing))
        .route("/api/dashboard/analytics", get(dashboard::analytics))
        .route("/api/dashboard/providers", get(dashboard::providers))
        .route("/api/dashboard/timeseries", get(dashboard::timeseries))
        .route("/api/dashboard/export.csv", get(dashboard::export_csv))
        .route("/", get(page::index))
        .route("/dashboard", get(page::index))
        .fallback(api::fallback)
        .layer(DefaultBodyLimit::max(cfg.body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, cfg.request_timeout))
        .with_state(shared)
}

/// Accepts HTTP/1.1 connections until `stopped`, then shuts down gracefully: stops
/// accepting, lets in-flight requests finish for up to `shutdown_grace`, closes the rest.
/// (hyper directly rather than `axum::serve`, for the header-read timeout, which needs a
/// timer that `axum::serve` does not set.)
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    mut stopped: oneshot::Receiver<()>,
    header_read_timeout: Duration,
    shutdown_grace: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(header_read_timeout);
    // Every connection's task, so the ones still open after the grace period are ended.
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on accepting.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        conns.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(open = conns.len(), "shutdown grace period over: closing the connections still open");
    }
    conns.abort_all();
    while conns.join_next().await.is_some() {}
}

/// A running server. [`Server::shutdown`] stops it gracefully (in-flight requests finish)
/// and stores every usage record.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    drainer: JoinHandle<()>,
}

impl Server {
    pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
        let shared = tokio::task::spawn_blocking(move || Shared::open(config))
            .await
            .map_err(|e| ServerError::Config(format!("store setup panicked: {e}")))??;
        Server::start_with(shared).await
    }

    pub async fn start_with(shared: Arc<Shared>) -> Result<Server, ServerError> {
        let addr = shared.config.listen;
        let listener =
            tokio::net::TcpListener::bind(addr).await.map_err(|source| ServerError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind { addr, source })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(shared.clone());
        let cfg = &shared.config;
        let task = tokio::spawn(serve(listener, app, stopped, cfg.header_read_timeout, cfg.shutdown_grace));
        let drainer = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(shared.config.drain_interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    let _ = dashboard::drain(&shared).await;
                }
            })
        };
        tracing::info!(%addr, "kestrel serve listening");
        Ok(Server { addr, shared, stop: Some(stop), task: Some(task), drainer })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (the OpenAI base URL is this plus `/v1`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stops accepting, lets in-flight requests finish, then stores all usage.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.drainer.abort();
        if let Err(e) = dashboard::drain(&self.shared).await {
            tracing::error!("final usage drain failed: {}", e.message);
        }
    }

    /// Runs until SIGINT or SIGTERM, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {},
            _ = term => {},
        }
        tracing::info!("shutting down: finishing in-flight requests");
        self.shutdown().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.drainer.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_never_shows_a_secret() {
        let mut cfg = ServerConfig::new("k.db");
        cfg.master_key = Some("ab".repeat(32));
        cfg.admin_token = Some("admin-token-secret".into());
        cfg.database_url = Some("postgres://u:db-password@h/db".into());
        cfg.redis_url = Some("redis://:redis-password@h/".into());
        let text = format!("{cfg:?}");
        for secret in ["abab", "admin-token-secret", "db-password", "redis-password"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("admin_token: Some(\"<set>\")"), "{text}");
    }
}
