//! The Postgres store (`DATABASE_URL=postgres://...`): the same tables and behaviour as
//! SQLite, for several server processes sharing keys and usage behind a load balancer.
//! Records are kept as `jsonb`, so aggregates can later move into SQL.
//!
//! Connections come from a `deadpool-postgres` pool on the server's own tokio runtime. The
//! [`Store`] trait is blocking (SQLite is): each call runs its query on that runtime with
//! `Handle::block_on`, so it must be made from a blocking thread (`spawn_blocking`, as
//! the server does) or a thread outside the runtime, never from an async task.

use std::future::Future;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use kestrel_router::usage::UsageRecord;
use tokio::runtime::Handle;
use tokio_postgres::{NoTls, Row};

use crate::store::{KeyRow, Source, Store, StoreError, StoreResult, StoredUsage, UsageQuery};

/// A pool of connections to one Postgres database.
pub struct PostgresStore {
    pool: Pool,
    handle: Handle,
}

/// Connections one server process holds at most (requests wait their turn beyond it).
const POOL_SIZE: usize = 16;
/// How long a call waits for a free connection, or for a new one to open.
const POOL_TIMEOUT: Duration = Duration::from_secs(10);
/// Serialises schema creation between processes starting at once (`CREATE TABLE IF NOT
/// EXISTS` alone races in Postgres).
const SCHEMA_LOCK: i64 = 0x006b_6573_7472_656c; // "kestrel" in ASCII

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kestrel_keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    policy TEXT NOT NULL,
    providers TEXT NOT NULL,
    sealed_credentials TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE INDEX IF NOT EXISTS kestrel_keys_tenant ON kestrel_keys (tenant);
CREATE TABLE IF NOT EXISTS kestrel_usage (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    key_id TEXT,
    source TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    record JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS kestrel_usage_tenant_ts ON kestrel_usage (tenant, ts_ms);
CREATE TABLE IF NOT EXISTS kestrel_batches (
    tenant TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (tenant, batch_id)
);
";

/// A driver error as text: the server's message for database errors (tokio-postgres'
/// own Display says only "db error"). Never holds the URL or its password.
fn pg(e: tokio_postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) => StoreError::Postgres(format!("{}: {}", db.code().code(), db.message())),
        None => StoreError::Postgres(e.to_string()),
    }
}

fn pool_err(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => pg(e),
        PoolError::Timeout(_) => StoreError::Postgres("no database connection free or opened in time".into()),
        e => StoreError::Postgres(e.to_string()),
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`; without TLS: a
    /// loopback or private-network database) and creates the tables if missing.
    /// Blocking, like every call: make it from a blocking thread of the tokio runtime the
    /// store will use (or pass that runtime's handle to [`PostgresStore::connect_with`]).
    pub fn connect(url: &str) -> StoreResult<Self> {
        let handle = Handle::try_current()
            .map_err(|_| StoreError::Other("the Postgres store needs a tokio runtime (call it inside one)".into()))?;
        Self::connect_with(url, handle)
    }

    /// [`PostgresStore::connect`] with the runtime its connections live on.
    pub fn connect_with(url: &str, handle: Handle) -> StoreResult<Self> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| StoreError::Other(format!("DATABASE_URL is not a Postgres URL: {e}")))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Other(format!("postgres pool: {e}")))?;
        let store = PostgresStore { pool, handle };
        store.run(async {
            let mut client = store.pool.get().await.map_err(pool_err)?;
            let tx = client.transaction().await.map_err(pg)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK]).await.map_err(pg)?;
            tx.batch_execute(SCHEMA).await.map_err(pg)?;
            tx.commit().await.map_err(pg)
        })?;
        Ok(store)
    }

    /// Runs one call's queries on the pool's runtime, blocking this (non-async) thread.
    fn run<T>(&self, f: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.handle.block_on(f)
    }
}

const KEY_COLUMNS: &str =
    "id, tenant, name, hash, prefix, policy, providers, sealed_credentials, created_ms, revoked_ms";

fn key_from_row(r: &Row) -> StoreResult<KeyRow> {
    Ok(KeyRow {
        id: r.get(0),
        tenant: r.get(1),
        name: r.get(2),
        hash: r.get(3),
        prefix: r.get(4),
        policy: serde_json::from_str(r.get::<_, &str>(5))?,
        providers: serde_json::from_str(r.get::<_, &str>(6))?,
        sealed_credentials: r.get(7),
        created_ms: r.get::<_, i64>(8) as u64,
        revoked_ms: r.get::<_, Option<i64>>(9).map(|v| v as u64),
    })
}

async fn insert_rows(tx: &deadpool_postgres::Transaction<'_>, rows: &[StoredUsage], source: Source) -> StoreResult<()> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO kestrel_usage (tenant, key_id, source, ts_ms, record) VALUES ($1, $2, $3, $4, $5::text::jsonb)",
        )
        .await
        .map_err(pg)?;
    for r in rows {
        let json = serde_json::to_string(&r.record)?;
        tx.execute(&stmt, &[&r.tenant, &r.key_id, &source.as_str(), &(r.record.timestamp_ms as i64), &json])
            .await
            .map_err(pg)?;
    }
    Ok(())
}

impl PostgresStore {
    async fn key_where(&self, column: &str, value: &str) -> StoreResult<Option<KeyRow>> {
        let client = self.pool.get().await.map_err(pool_err)?;
        let stmt = client
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM kestrel_keys WHERE {column} = $1"))
            .await
            .map_err(pg)?;
        let row = client.query_opt(&stmt, &[&value]).await.map_err(pg)?;
        row.as_ref().map(key_from_row).transpose()
    }
}

impl Store for PostgresStore {
    fn insert_key(&self, row: &KeyRow) -> StoreResult<()> {
        self.run(async {
            let client = self.pool.get().await.map_err(pool_err)?;
            client
                .execute(
                    &format!(
                        "INSERT INTO kestrel_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                    ),
                    &[
                        &row.id,
                        &row.tenant,
                        &row.name,
                        &row.hash,
                        &row.prefix,
                        &serde_json::to_string(&row.policy)?,
                        &serde_json::to_string(&row.providers)?,
                        &row.sealed_credentials,
                        &(row.created_ms as i64),
                        &row.revoked_ms.map(|v| v as i64),
                    ],
                )
                .await
                .map_err(pg)?;
            Ok(())
        })
    }

    fn key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyRow>> {
        self.run(self.key_where("hash", hash))
    }

    fn key_by_id(&self, id: &str) -> StoreResult<Option<KeyRow>> {
        self.run(self.key_where("id", id))
    }

    fn list_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<KeyRow>> {
        self.run(async {
            let client = self.pool.get().await.map_err(pool_err)?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM kestrel_keys WHERE $1::text IS NULL OR tenant = $1 \
                         ORDER BY created_ms, id"
                    ),
                    &[&tenant],
                )
                .await
                .map_err(pg)?;
            rows.iter().map(key_from_row).collect()
        })
    }

    fn revoke_key(&self, id: &str, at_ms: u64) -> StoreResult<Option<KeyRow>> {
        self.run(async {
            let client = self.pool.get().await.map_err(pool_err)?;
            // COALESCE keeps the first revocation time, as SQLite's `IS NULL` guard does.
            let row = client
                .query_opt(
                    &format!(
                        "UPDATE kestrel_keys SET revoked_ms = COALESCE(revoked_ms, $2) WHERE id = $1 \
                         RETURNING {KEY_COLUMNS}"
                    ),
                    &[&id, &(at_ms as i64)],
                )
                .await
                .map_err(pg)?;
            row.as_ref().map(key_from_row).transpose()
        })
    }

    fn insert_usage(&self, rows: &[StoredUsage]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.run(async {
            let mut client = self.pool.get().await.map_err(pool_err)?;
            let tx = client.transaction().await.map_err(pg)?;
            insert_rows(&tx, rows, Source::Server).await?;
            tx.commit().await.map_err(pg)
        })
    }

    fn insert_batch(&self, batch_id: &str, rows: &[StoredUsage]) -> StoreResult<bool> {
        let Some(tenant) = rows.first().map(|r| r.tenant.clone()) else {
            return Ok(true);
        };
        self.run(async {
            let mut client = self.pool.get().await.map_err(pool_err)?;
            let tx = client.transaction().await.map_err(pg)?;
            let fresh = tx
                .execute(
                    "INSERT INTO kestrel_batches (tenant, batch_id, received_ms, records) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT DO NOTHING",
                    &[&tenant, &batch_id, &(crate::now_ms() as i64), &(rows.len() as i64)],
                )
                .await
                .map_err(pg)?
                == 1;
            if fresh {
                insert_rows(&tx, rows, Source::Report).await?;
            }
            tx.commit().await.map_err(pg)?;
            Ok(fresh)
        })
    }

    fn usage(&self, q: &UsageQuery) -> StoreResult<Vec<UsageRecord>> {
        let from = q.from_ms.map_or(i64::MIN, |v| v.min(i64::MAX as u64) as i64);
        let to = q.to_ms.map_or(i64::MAX, |v| v.min(i64::MAX as u64) as i64);
        self.run(async {
            let client = self.pool.get().await.map_err(pool_err)?;
            let stmt = client
                .prepare_cached(
                    "SELECT record::text FROM kestrel_usage WHERE tenant = $1 AND ts_ms >= $2 AND ts_ms < $3 \
                     ORDER BY ts_ms, id",
                )
                .await
                .map_err(pg)?;
            let rows = client.query(&stmt, &[&q.tenant, &from, &to]).await.map_err(pg)?;
            rows.iter().map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(StoreError::from)).collect()
        })
    }
}
