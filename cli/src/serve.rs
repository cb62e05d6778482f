//! `kestrel serve` and `kestrel keys`: thin front ends of the `kestrel-server` crate.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use kestrel_router::types::RequestPolicy;
use kestrel_server::keys::{self, KeyInfo, NewKey};
use kestrel_server::remote::AdminClient;
use kestrel_server::{Server, ServerConfig, SqliteStore};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the line printed at start names it).
    #[arg(long, default_value = "127.0.0.1:8080", env = "KESTREL_LISTEN")]
    listen: SocketAddr,
    /// The SQLite usage and key store (created if missing). `DATABASE_URL=postgres://...`
    /// in the environment selects Postgres instead (several replicas; then set
    /// `KESTREL_MASTER_KEY`), and `KESTREL_REDIS_URL=redis://...` shares the cache.
    #[arg(long, default_value = "kestrel.db", env = "KESTREL_DB")]
    db: PathBuf,
    /// A provider's base URL for every key, `PROVIDER=URL` (repeatable); each provider's
    /// usual variable (`OPENAI_BASE_URL`, ...) is read too.
    #[arg(long = "base-url", value_name = "PROVIDER=URL")]
    base_urls: Vec<String>,
    /// A TOML file adding or overriding providers and models (repeatable).
    #[arg(long)]
    config: Vec<PathBuf>,
    /// The file holding the master key (else `KESTREL_MASTER_KEY`, else `<db>.key`, created).
    #[arg(long)]
    master_key_file: Option<PathBuf>,
    /// Turn on Stage 0 (exact cache in memory, one per key).
    #[arg(long)]
    cache: bool,
    /// Requests handled at once; more wait their turn.
    #[arg(long, default_value_t = 1024)]
    concurrency: usize,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    body_limit: usize,
    /// Seconds a request may take before the server answers 504.
    #[arg(long, default_value_t = 600.0)]
    request_timeout: f64,
    /// Seconds a client may take to send a request's headers before its connection is closed.
    #[arg(long, default_value_t = 30.0)]
    header_timeout: f64,
    /// On SIGINT/SIGTERM, seconds in-flight requests may run on before their connections close.
    #[arg(long, default_value_t = 30.0)]
    shutdown_grace: f64,
    /// Seconds a provider may stay silent before the attempt counts as timed out.
    #[arg(long)]
    provider_timeout: Option<f64>,
    /// Retries of the requested model after a transient failure (the core's default: 2).
    #[arg(long)]
    max_retries: Option<u32>,
    /// Point every provider at the bundled mock provider (for trying it out).
    #[arg(long)]
    mock: bool,
}

fn seconds(v: f64, name: &str) -> Result<Duration> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(format!("{name} must be a positive number of seconds").into())
    }
}

fn pair(s: &str, what: &str) -> Result<(String, String)> {
    let (k, v) = s.split_once('=').ok_or_else(|| format!("{what} takes PROVIDER=VALUE, got `{s}`"))?;
    Ok((k.trim().to_ascii_lowercase(), v.trim().to_string()))
}

pub fn serve(args: ServeArgs) -> Result<ExitCode> {
    // Logs (key ids, never keys) to stderr; stdout keeps the one "listening" line.
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_target(false).try_init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let mut cfg = ServerConfig::new(&args.db);
        cfg.listen = args.listen;
        cfg.master_key_file = args.master_key_file;
        cfg.catalog_files = args.config;
        cfg.cache = args.cache;
        cfg.concurrency = args.concurrency;
        cfg.body_limit = args.body_limit;
        cfg.request_timeout = seconds(args.request_timeout, "--request-timeout")?;
        cfg.header_read_timeout = seconds(args.header_timeout, "--header-timeout")?;
        cfg.shutdown_grace = seconds(args.shutdown_grace, "--shutdown-grace")?;
        cfg.provider_timeout = args.provider_timeout.map(|t| seconds(t, "--provider-timeout")).transpose()?;
        cfg.max_retries = args.max_retries;
        for b in &args.base_urls {
            cfg.base_urls.push(pair(b, "--base-url")?);
        }
        let _mock = if args.mock {
            let mock = kestrel_mock::MockServer::start(kestrel_mock::Script::new()).await?;
            for (name, url) in mock.provider_base_urls() {
                cfg.base_urls.retain(|(n, _)| n != name);
                cfg.base_urls.push((name.to_string(), url));
            }
            eprintln!("kestrel serve: every provider points at the bundled mock at {}", mock.url());
            Some(mock)
        } else {
            None
        };
        let cfg = cfg.with_env();
        let admin = cfg.admin_token.is_some();
        let server = Server::start(cfg).await?;
        println!("kestrel serve listening on {}", server.url());
        eprintln!(
            "  OpenAI base URL: {}/v1   dashboard: {}/   admin API: {}",
            server.url(),
            server.url(),
            if admin { "on" } else { "off (set KESTREL_ADMIN_TOKEN)" }
        );
        std::io::stdout().flush()?;
        server.run_until_signal().await;
        eprintln!("kestrel serve: stopped");
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    command: KeysCommand,
    /// The server's admin API (with `KESTREL_ADMIN_TOKEN`).
    #[arg(long, global = true, env = "KESTREL_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Work on this SQLite store file directly instead of through a server (a running
    /// server refuses a key revoked here at once).
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key; it is printed once and never again.
    Create {
        /// The tenant the key's usage, cache and dashboard belong to.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: Option<String>,
        /// A provider credential, `PROVIDER=KEY` or `PROVIDER=env:VAR` (repeatable).
        #[arg(long = "provider-key", value_name = "PROVIDER=KEY")]
        provider_keys: Vec<String>,
        /// Routing policy as JSON, e.g. `{"ceiling": "standard", "deny_providers": ["groq"]}`.
        #[arg(long)]
        policy: Option<String>,
    },
    /// List keys (never the keys themselves).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key by id; it stops working at once.
    Revoke { id: String },
}

pub fn keys(args: KeysArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(keys_async(args))
}

enum Target {
    Remote(AdminClient),
    Local(SqliteStore, Box<ServerConfig>),
}

async fn keys_async(args: KeysArgs) -> Result<ExitCode> {
    let target = match &args.db {
        Some(db) => Target::Local(SqliteStore::open(db)?, Box::new(ServerConfig::new(db).with_env())),
        None => {
            let token = std::env::var("KESTREL_ADMIN_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or("set KESTREL_ADMIN_TOKEN (the server's admin token), or pass --db FILE")?;
            Target::Remote(AdminClient::new(&args.url, &token)?)
        }
    };
    match args.command {
        KeysCommand::Create { tenant, name, provider_keys, policy } => {
            let mut providers = BTreeMap::new();
            for p in &provider_keys {
                let (name, value) = pair(p, "--provider-key")?;
                let value = match value.strip_prefix("env:") {
                    Some(var) => std::env::var(var).map_err(|_| format!("--provider-key {name}: ${var} is not set"))?,
                    None => value,
                };
                providers.insert(name, value);
            }
            let policy: Option<RequestPolicy> =
                policy.map(|p| serde_json::from_str(&p)).transpose().map_err(|e| format!("--policy: {e}"))?;
            let new = NewKey { tenant, name, policy, providers };
            let created = match &target {
                Target::Remote(c) => c.create(&new).await?,
                Target::Local(store, cfg) => {
                    let master = cfg.load_master_key()?;
                    keys::create(store, &master, &kestrel_router::Catalog::builtin(), new)?
                }
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&created)?);
            } else {
                println!("{}", created.key);
                eprintln!(
                    "created {} for tenant {} (providers: {}); the key above is shown only once",
                    created.info.id,
                    created.info.tenant,
                    if created.info.providers.is_empty() { "none".into() } else { created.info.providers.join(", ") }
                );
            }
        }
        KeysCommand::List { tenant } => {
            let list = match &target {
                Target::Remote(c) => c.list(tenant.as_deref()).await?,
                Target::Local(store, _) => keys::list(store, tenant.as_deref())?,
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_keys(&list);
            }
        }
        KeysCommand::Revoke { id } => {
            let info = match &target {
                Target::Remote(c) => c.revoke(&id).await?,
                Target::Local(store, _) => {
                    keys::revoke(store, &id)?.map(|r| KeyInfo::from(&r)).ok_or_else(|| format!("no key `{id}`"))?
                }
            };
            if args.json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                println!("revoked {} (tenant {})", info.id, info.tenant);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_keys(list: &[KeyInfo]) {
    println!("{:<21} {:<20} {:<16} {:<8} {:<8} providers", "id", "tenant", "name", "prefix", "status");
    for k in list {
        println!(
            "{:<21} {:<20} {:<16} {:<8} {:<8} {}",
            k.id,
            k.tenant,
            k.name.as_deref().unwrap_or("-"),
            k.prefix,
            if k.active { "active" } else { "revoked" },
            k.providers.join(",")
        );
    }
}
