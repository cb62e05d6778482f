//! The server's persistent state behind one trait: Kestrel keys (hash, tenant, policy,
//! sealed provider credentials) and usage records (the library's `UsageRecord`, as JSON;
//! never a prompt). SQLite is the default and needs no setup; Postgres
//! (`postgres_store.rs`, for many server processes) implements [`Store`] the same way.
//!
//! Calls are blocking: the server runs them on tokio's blocking pool.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use kestrel_router::types::RequestPolicy;
use kestrel_router::usage::UsageRecord;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("usage store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("usage store: postgres: {0}")]
    Postgres(String),
    #[error("usage store: bad stored data: {0}")]
    Data(#[from] serde_json::Error),
    #[error("usage store: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One Kestrel key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRow {
    /// Public id (`key_...`): safe to show and log; keys are revoked by it.
    pub id: String,
    pub tenant: String,
    pub name: Option<String>,
    /// SHA-256 of the key, hex.
    pub hash: String,
    /// The first characters of the key, to recognise it in a list (`ks-AbCd`).
    pub prefix: String,
    /// The tenant's routing policy for requests made with this key.
    pub policy: RequestPolicy,
    /// Names of the providers the sealed credentials cover (not the credentials).
    pub providers: Vec<String>,
    /// AES-256-GCM sealed JSON `{provider: key}` (see `crypto.rs`).
    pub sealed_credentials: String,
    pub created_ms: u64,
    pub revoked_ms: Option<u64>,
}

/// Which records a dashboard query covers: one tenant, optionally a time range (unix ms,
/// `from` inclusive, `to` exclusive).
#[derive(Debug, Clone, Default)]
pub struct UsageQuery {
    pub tenant: String,
    pub from_ms: Option<u64>,
    pub to_ms: Option<u64>,
}

/// Where a usage record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A request this server routed.
    Server,
    /// An upload from an in-process client's reporter (`POST /api/usage`).
    Report,
}

impl Source {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Server => "server",
            Source::Report => "report",
        }
    }
}

/// A usage record with the tenant and key it is counted under.
#[derive(Debug, Clone)]
pub struct StoredUsage {
    pub tenant: String,
    pub key_id: Option<String>,
    pub record: UsageRecord,
}

/// Persistent state. Implementations must be safe to call from many threads.
pub trait Store: Send + Sync + 'static {
    fn insert_key(&self, row: &KeyRow) -> StoreResult<()>;
    fn key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyRow>>;
    fn key_by_id(&self, id: &str) -> StoreResult<Option<KeyRow>>;
    /// Every key (of `tenant`, when given), oldest first, revoked ones included.
    fn list_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<KeyRow>>;
    /// Marks a key revoked (keeps the first revocation time); the row after, or `None`
    /// for an unknown id.
    fn revoke_key(&self, id: &str, at_ms: u64) -> StoreResult<Option<KeyRow>>;
    /// Appends records of requests this server routed.
    fn insert_usage(&self, rows: &[StoredUsage]) -> StoreResult<()>;
    /// Appends an uploaded batch unless `(tenant, batch_id)` was seen: `false` for a
    /// duplicate (nothing written). Atomic: all of the batch or none of it.
    fn insert_batch(&self, batch_id: &str, rows: &[StoredUsage]) -> StoreResult<bool>;
    /// The tenant's records in the range, in time order.
    fn usage(&self, q: &UsageQuery) -> StoreResult<Vec<UsageRecord>>;
}

/// The default store: one SQLite file (WAL mode), one connection behind a mutex.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS keys (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    name TEXT,
    hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    policy TEXT NOT NULL,
    providers TEXT NOT NULL,
    sealed_credentials TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);
CREATE INDEX IF NOT EXISTS keys_tenant ON keys (tenant);
CREATE TABLE IF NOT EXISTS usage (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    key_id TEXT,
    source TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS usage_tenant_ts ON usage (tenant, ts_ms);
CREATE TABLE IF NOT EXISTS batches (
    tenant TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    received_ms INTEGER NOT NULL,
    records INTEGER NOT NULL,
    PRIMARY KEY (tenant, batch_id)
);
";

impl SqliteStore {
    /// Opens (creating if needed) the database file and its tables.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Other(format!("{}: {e}", dir.display())))?;
        }
        let fresh = !path.exists();
        let conn = Connection::open(path)?;
        #[cfg(unix)]
        if fresh {
            // Key hashes and sealed credentials: readable by the server's user only.
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

const KEY_COLUMNS: &str =
    "id, tenant, name, hash, prefix, policy, providers, sealed_credentials, created_ms, revoked_ms";

fn key_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(KeyRow, String, String)> {
    Ok((
        KeyRow {
            id: r.get(0)?,
            tenant: r.get(1)?,
            name: r.get(2)?,
            hash: r.get(3)?,
            prefix: r.get(4)?,
            policy: RequestPolicy::default(),
            providers: Vec::new(),
            sealed_credentials: r.get(7)?,
            created_ms: r.get::<_, i64>(8)? as u64,
            revoked_ms: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
        },
        r.get(5)?,
        r.get(6)?,
    ))
}

fn finish_key((mut row, policy, providers): (KeyRow, String, String)) -> StoreResult<KeyRow> {
    row.policy = serde_json::from_str(&policy)?;
    row.providers = serde_json::from_str(&providers)?;
    Ok(row)
}

fn insert_rows(tx: &rusqlite::Transaction<'_>, rows: &[StoredUsage], source: Source) -> StoreResult<()> {
    let mut stmt =
        tx.prepare_cached("INSERT INTO usage (tenant, key_id, source, ts_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for r in rows {
        let json = serde_json::to_string(&r.record)?;
        stmt.execute(params![r.tenant, r.key_id, source.as_str(), r.record.timestamp_ms as i64, json])?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn insert_key(&self, row: &KeyRow) -> StoreResult<()> {
        self.lock().execute(
            &format!("INSERT INTO keys ({KEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                row.id,
                row.tenant,
                row.name,
                row.hash,
                row.prefix,
                serde_json::to_string(&row.policy)?,
                serde_json::to_string(&row.providers)?,
                row.sealed_credentials,
                row.created_ms as i64,
                row.revoked_ms.map(|v| v as i64),
            ],
        )?;
        Ok(())
    }

    fn key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE hash = ?1"))?;
        stmt.query_row([hash], key_from_row).optional()?.map(finish_key).transpose()
    }

    fn key_by_id(&self, id: &str) -> StoreResult<Option<KeyRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM keys WHERE id = ?1"))?;
        stmt.query_row([id], key_from_row).optional()?.map(finish_key).transpose()
    }

    fn list_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<KeyRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM keys WHERE ?1 IS NULL OR tenant = ?1 ORDER BY created_ms, id"
        ))?;
        let rows = stmt.query_map([tenant], key_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(finish_key).collect()
    }

    fn revoke_key(&self, id: &str, at_ms: u64) -> StoreResult<Option<KeyRow>> {
        self.lock().execute(
            "UPDATE keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms IS NULL",
            params![id, at_ms as i64],
        )?;
        self.key_by_id(id)
    }

    fn insert_usage(&self, rows: &[StoredUsage]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        insert_rows(&tx, rows, Source::Server)?;
        tx.commit()?;
        Ok(())
    }

    fn insert_batch(&self, batch_id: &str, rows: &[StoredUsage]) -> StoreResult<bool> {
        let Some(tenant) = rows.first().map(|r| r.tenant.clone()) else {
            return Ok(true);
        };
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO batches (tenant, batch_id, received_ms, records) VALUES (?1, ?2, ?3, ?4)",
            params![tenant, batch_id, crate::now_ms() as i64, rows.len() as i64],
        )? == 1;
        if fresh {
            insert_rows(&tx, rows, Source::Report)?;
        }
        tx.commit()?;
        Ok(fresh)
    }

    fn usage(&self, q: &UsageQuery) -> StoreResult<Vec<UsageRecord>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT record FROM usage WHERE tenant = ?1 AND ts_ms >= ?2 AND ts_ms < ?3 ORDER BY ts_ms, id",
        )?;
        let from = q.from_ms.map_or(i64::MIN, |v| v.min(i64::MAX as u64) as i64);
        let to = q.to_ms.map_or(i64::MAX, |v| v.min(i64::MAX as u64) as i64);
        let texts = stmt
            .query_map(params![q.tenant, from, to], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        drop(conn);
        texts.iter().map(|t| serde_json::from_str(t).map_err(StoreError::from)).collect()
    }
}
