//! The stores the server tests run on: SQLite (a file in a temp dir) and Postgres (a
//! fresh database per test on the server `KESTREL_TEST_POSTGRES_URL` names; scripts/test.sh
//! starts a throwaway cluster on loopback and exports it). Without that URL the Postgres
//! runs fail under CI=true; elsewhere they say on stderr that they did not run.

#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use kestrel_server::{PostgresStore, ServerConfig, SqliteStore, Store};

/// Where a test's server keeps keys and usage.
#[derive(Clone, Debug)]
pub enum Backend {
    Sqlite,
    /// The URL of a database made for this test alone.
    Postgres(String),
}

/// The Postgres server to make test databases on, or `None` (only outside CI, loudly).
pub fn postgres_server(test: &str) -> Option<String> {
    match std::env::var("KESTREL_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "KESTREL_TEST_POSTGRES_URL is not set: CI runs every server test on Postgres too (scripts/test.sh starts one)"
            );
            // Straight to stderr (not eprintln!, which the harness captures): a test that
            // did not run says so.
            let _ = writeln!(std::io::stderr(), "NOT RUN on Postgres: {test} (set KESTREL_TEST_POSTGRES_URL)");
            None
        }
    }
}

/// A new empty database on `server` (same user and host), as a URL.
pub async fn fresh_database(server: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "kestrel_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        kestrel_server::now_ms() % 1_000_000
    );
    let (client, conn) =
        tokio_postgres::connect(server, tokio_postgres::NoTls).await.expect("connect to the test Postgres");
    let task = tokio::spawn(conn);
    client.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create a test database");
    drop(client);
    let _ = task.await;
    let (base, _db) = server.rsplit_once('/').expect("a Postgres URL ends in /DATABASE");
    format!("{base}/{name}")
}

impl Backend {
    /// The Postgres backend for `test` (a fresh database), or `None` outside CI without one.
    pub async fn postgres(test: &str) -> Option<Backend> {
        Some(Backend::Postgres(fresh_database(&postgres_server(test)?).await))
    }

    /// Points `cfg` at this backend (SQLite: the file `cfg` already names).
    pub fn configure(&self, cfg: &mut ServerConfig) {
        if let Backend::Postgres(url) = self {
            cfg.database_url = Some(url.clone());
        }
    }

    /// Opens the store on its own (for reading what the server wrote).
    pub async fn open(&self, sqlite_file: &std::path::Path) -> Arc<dyn Store> {
        let (this, file) = (self.clone(), sqlite_file.to_path_buf());
        tokio::task::spawn_blocking(move || -> Arc<dyn Store> {
            match this {
                Backend::Sqlite => Arc::new(SqliteStore::open(&file).unwrap()),
                Backend::Postgres(url) => Arc::new(PostgresStore::connect(&url).unwrap()),
            }
        })
        .await
        .unwrap()
    }

    /// Everything the store holds, as text (to prove what is not in it).
    pub async fn dump(&self, dir: &std::path::Path) -> String {
        match self {
            Backend::Sqlite => {
                let mut blob = Vec::new();
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.file_name().unwrap().to_string_lossy().starts_with("kestrel.db") {
                        blob.extend(std::fs::read(&path).unwrap());
                    }
                }
                String::from_utf8_lossy(&blob).into_owned()
            }
            Backend::Postgres(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
                let task = tokio::spawn(conn);
                let mut out = String::new();
                let tables =
                    client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", &[]).await.unwrap();
                assert!(tables.len() >= 3, "the server's tables are there");
                for t in tables {
                    let table: String = t.get(0);
                    for row in client.query(&format!("SELECT t::text FROM {table} t"), &[]).await.unwrap() {
                        out.push_str(row.get::<_, &str>(0));
                        out.push('\n');
                    }
                }
                drop(client);
                let _ = task.await;
                out
            }
        }
    }
}

/// One `#[tokio::test]` per store for each scenario `async fn NAME(backend: Backend)`:
/// `sqlite::NAME` and `postgres::NAME`.
#[macro_export]
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(b) = super::common::Backend::postgres(stringify!($name)).await {
                        super::$name(b).await
                    }
                }
            )*
        }
    };
}
