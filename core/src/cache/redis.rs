//! The shared backend: every process and host pointed at one Redis server sees the same
//! entries (exact and semantic).
//!
//! Layout under the deployment prefix, per tenant namespace (a digest, never the name):
//! - `{prefix}:{ns}:e:{key}`: the entry as JSON, expiring with its TTL;
//! - `{prefix}:{ns}:s:{block}`: a list of the newest candidates of a semantic block, each
//!   32 bytes of entry key followed by the vector as little-endian `f32`s.
//!
//! The connection is opened on first use; after a failed connect the backend answers
//! errors at once for a second instead of waiting on a dead server for every request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use super::embed::cosine;
use super::key::{hex, Digest};
use super::{Accept, Cache, Entry, Hit};
use crate::clock::unix_ms;
use crate::error::{Error, Result};

/// Candidates kept per semantic block: each lookup reads the whole list (a 384-float
/// vector is 1.5 KB), so fewer than in memory.
const PER_BLOCK: isize = 128;
/// How long a failed connect is remembered before the next attempt.
const RECONNECT_AFTER_MS: u64 = 1000;

/// A cache in Redis, shared by every client configured with the same URL and prefix.
pub struct RedisCache {
    client: redis::Client,
    prefix: String,
    conn: OnceCell<ConnectionManager>,
    /// Unix ms of the last failed connect.
    failed_at: AtomicU64,
}

impl std::fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password; the prefix is enough to tell caches apart.
        f.debug_struct("RedisCache").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

fn redis_error(e: redis::RedisError) -> Error {
    // RedisError's text never includes the URL or its password.
    Error::Connection { provider: "redis".into(), message: e.to_string() }
}

impl RedisCache {
    /// Checks the URL now; connects on first use.
    pub fn new(url: &str, prefix: &str) -> Result<Self> {
        let client =
            redis::Client::open(url).map_err(|e| Error::Config(format!("cache redis_url is not a Redis URL: {e}")))?;
        Ok(RedisCache { client, prefix: prefix.to_string(), conn: OnceCell::new(), failed_at: AtomicU64::new(0) })
    }

    async fn conn(&self) -> Result<ConnectionManager> {
        if let Some(c) = self.conn.get() {
            return Ok(c.clone());
        }
        if unix_ms().saturating_sub(self.failed_at.load(Ordering::Relaxed)) < RECONNECT_AFTER_MS {
            return Err(Error::Connection { provider: "redis".into(), message: "recently unreachable".into() });
        }
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1);
        let made = self
            .conn
            .get_or_try_init(|| async { self.client.get_connection_manager_with_config(cfg).await })
            .await
            .map_err(|e| {
                self.failed_at.store(unix_ms(), Ordering::Relaxed);
                redis_error(e)
            })?;
        Ok(made.clone())
    }

    fn entry_key(&self, ns: &Digest, key: &Digest) -> String {
        format!("{}:{}:e:{}", self.prefix, hex(ns), hex(key))
    }

    fn block_key(&self, ns: &Digest, block: &Digest) -> String {
        format!("{}:{}:s:{}", self.prefix, hex(ns), hex(block))
    }

    async fn fetch(&self, ns: &Digest, key: &Digest) -> Result<Option<Arc<Entry>>> {
        let mut c = self.conn().await?;
        let raw: Option<Vec<u8>> =
            redis::cmd("GET").arg(self.entry_key(ns, key)).query_async(&mut c).await.map_err(redis_error)?;
        let Some(raw) = raw else { return Ok(None) };
        let Ok(mut entry) = serde_json::from_slice::<Entry>(&raw) else { return Ok(None) };
        if entry.namespace != *ns || entry.expires_ms <= unix_ms() {
            return Ok(None);
        }
        entry.approx_bytes = raw.len();
        Ok(Some(Arc::new(entry)))
    }

    async fn search(
        &self,
        ns: &Digest,
        block: &Digest,
        vector: &[f32],
        threshold: f32,
        accept: &Accept<'_>,
    ) -> Result<Option<Hit>> {
        let mut c = self.conn().await?;
        let items: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(self.block_key(ns, block))
            .arg(0)
            .arg(PER_BLOCK - 1)
            .query_async(&mut c)
            .await
            .map_err(redis_error)?;
        let mut ranked: Vec<(f32, Digest)> = items
            .iter()
            .filter(|raw| raw.len() >= 32 && (raw.len() - 32) % 4 == 0)
            .map(|raw| {
                let key: Digest = raw[..32].try_into().expect("32 bytes");
                let v: Vec<f32> =
                    raw[32..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes"))).collect();
                (cosine(&v, vector), key)
            })
            .filter(|(s, _)| *s >= threshold)
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (similarity, key) in ranked.into_iter().take(4) {
            match self.fetch(ns, &key).await? {
                Some(entry) if accept(&entry) => return Ok(Some(Hit { entry, similarity })),
                _ => {}
            }
        }
        Ok(None)
    }

    async fn store(
        &self,
        key: Digest,
        entry: Arc<Entry>,
        semantic: Option<(Digest, Vec<f32>)>,
        ttl: Duration,
    ) -> Result<()> {
        let mut c = self.conn().await?;
        let body = serde_json::to_vec(&*entry).map_err(|e| Error::Config(format!("cache entry: {e}")))?;
        let ttl_ms = ttl.as_millis().max(1) as u64;
        let mut pipe = redis::pipe();
        pipe.cmd("SET").arg(self.entry_key(&entry.namespace, &key)).arg(body).arg("PX").arg(ttl_ms).ignore();
        if let Some((block, vector)) = semantic {
            let bk = self.block_key(&entry.namespace, &block);
            let mut item = key.to_vec();
            vector.iter().for_each(|x| item.extend_from_slice(&x.to_le_bytes()));
            pipe.cmd("LPUSH").arg(&bk).arg(item).ignore();
            pipe.cmd("LTRIM").arg(&bk).arg(0).arg(PER_BLOCK - 1).ignore();
            pipe.cmd("PEXPIRE").arg(&bk).arg(ttl_ms).ignore();
        }
        pipe.query_async::<()>(&mut c).await.map_err(redis_error)
    }

    async fn clear_all(&self) -> Result<()> {
        let mut c = self.conn().await?;
        let pattern = format!("{}:*", self.prefix);
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut c)
                .await
                .map_err(redis_error)?;
            if !keys.is_empty() {
                redis::cmd("UNLINK").arg(&keys).query_async::<()>(&mut c).await.map_err(redis_error)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

impl Cache for RedisCache {
    fn get<'a>(&'a self, ns: &'a Digest, key: &'a Digest) -> BoxFuture<'a, Result<Option<Arc<Entry>>>> {
        Box::pin(self.fetch(ns, key))
    }

    fn nearest<'a>(
        &'a self,
        ns: &'a Digest,
        block: &'a Digest,
        vector: &'a [f32],
        threshold: f32,
        accept: &'a Accept<'a>,
    ) -> BoxFuture<'a, Result<Option<Hit>>> {
        Box::pin(self.search(ns, block, vector, threshold, accept))
    }

    fn put<'a>(
        &'a self,
        key: Digest,
        entry: Arc<Entry>,
        semantic: Option<(Digest, Vec<f32>)>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.store(key, entry, semantic, ttl))
    }

    fn clear(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.clear_all())
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
