//! Per-key core clients, key authentication, and moving usage from the clients' ledgers
//! into the store.
//!
//! Each active Kestrel key gets its own core [`Client`] (built on first use from the key's
//! decrypted provider credentials, policy and tenant): so a tenant's cache, health and
//! ledger are never shared with another's, and a credential never leaves its key.
//!
//! **Usage.** The core's ledger keeps every record in a ring (`recent_capacity`); the
//! server drains each client's new records by `seq` (every `drain_interval`, before every
//! dashboard read and at shutdown) and writes them to the store in one transaction. A
//! record is only counted lost if the ring overwrote it before a drain (more than
//! `RING` records between two drains of one key), which is logged and counted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use kestrel_router::usage::{LedgerConfig, UsageRecord};
use kestrel_router::{CacheConfig, Client, RoutingPolicy};

use crate::error::ApiError;
use crate::keys;
use crate::store::{KeyRow, StoredUsage};
use crate::{crypto, Shared};

/// Records each client's ledger keeps in memory between drains.
pub const RING: usize = 16_384;

/// An active key with its client.
pub struct KeyClient {
    pub key_id: String,
    pub tenant: String,
    pub client: Client,
    /// The last `seq` moved to the store.
    drained: Mutex<u64>,
}

#[derive(Default)]
pub struct Pool {
    /// Key id → its client.
    clients: Mutex<HashMap<String, Arc<KeyClient>>>,
    /// Clients of revoked keys, drained until no request holds them.
    retired: Mutex<Vec<Arc<KeyClient>>>,
    /// Records the ring overwrote before they could be drained.
    pub lost: AtomicU64,
    /// Records moved to the store.
    pub stored: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The `Bearer` token of a request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

impl Pool {
    /// The active key a request's `Authorization: Bearer ks-...` names, with its client.
    pub async fn authenticate(
        &self,
        shared: &Arc<Shared>,
        headers: &axum::http::HeaderMap,
    ) -> Result<Arc<KeyClient>, ApiError> {
        let Some(token) = bearer(headers) else {
            return Err(ApiError::bad_key(
                "You didn't provide an API key. Send your Kestrel key as `Authorization: Bearer ks-...`.",
            ));
        };
        if !token.starts_with(crypto::KEY_PREFIX) {
            return Err(ApiError::bad_key("Incorrect API key provided: Kestrel keys start with `ks-`."));
        }
        let hash = crypto::hash_secret(token);
        let row = self.lookup(shared, hash).await?;
        if row.revoked_ms.is_some() {
            return Err(ApiError::bad_key(format!("The Kestrel key {} was revoked.", row.id)));
        }
        self.client_for(shared, &row)
    }

    /// The key's row, asked of the store on every request (one indexed read): so a key
    /// revoked by any process sharing the store (another replica, `kestrel keys revoke
    /// --db`) is refused at once.
    async fn lookup(&self, shared: &Arc<Shared>, hash: String) -> Result<KeyRow, ApiError> {
        let store = shared.store.clone();
        tokio::task::spawn_blocking(move || store.key_by_hash(&hash))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(|e| ApiError::internal(e.to_string()))?
            .ok_or_else(|| ApiError::bad_key("Incorrect API key provided."))
    }

    fn client_for(&self, shared: &Shared, row: &KeyRow) -> Result<Arc<KeyClient>, ApiError> {
        if let Some(c) = lock(&self.clients).get(&row.id) {
            return Ok(c.clone());
        }
        let client = build_client(shared, row)?;
        let kc =
            Arc::new(KeyClient { key_id: row.id.clone(), tenant: row.tenant.clone(), client, drained: Mutex::new(0) });
        Ok(lock(&self.clients).entry(row.id.clone()).or_insert(kc).clone())
    }

    /// Retires a revoked key's client (its usage is still drained; the store already
    /// refuses the key).
    pub fn revoked(&self, row: &KeyRow) {
        if let Some(c) = lock(&self.clients).remove(&row.id) {
            lock(&self.retired).push(c);
        }
    }

    /// The live clients of a tenant (for provider health).
    pub fn tenant_clients(&self, tenant: &str) -> Vec<Arc<KeyClient>> {
        lock(&self.clients).values().filter(|c| c.tenant == tenant).cloned().collect()
    }

    /// Takes every record not yet drained from every client (and retired one).
    pub fn collect(&self) -> Vec<StoredUsage> {
        let mut all: Vec<Arc<KeyClient>> = lock(&self.clients).values().cloned().collect();
        {
            let mut retired = lock(&self.retired);
            all.extend(retired.iter().cloned());
            // A retired client no request holds any more (ours above and the list's: 2)
            // is dropped once drained below; keep the rest.
            retired.retain(|c| Arc::strong_count(c) > 2);
        }
        let mut out = Vec::new();
        for kc in all {
            self.drain(&kc, &mut out);
        }
        out
    }

    fn drain(&self, kc: &KeyClient, out: &mut Vec<StoredUsage>) {
        let ledger = kc.client.usage();
        let mut last = lock(&kc.drained);
        let recorded = ledger.recorded();
        if recorded <= *last {
            return;
        }
        let want = (recorded - *last) as usize;
        let records = ledger.records(None, want.min(RING));
        for rec in records {
            if rec.seq <= *last {
                continue;
            }
            if rec.seq > *last + 1 {
                // A gap: the missing records are either still being written (stop here and
                // take them next time) or overwritten by newer ones (lost).
                let missing_from = *last + 1;
                if missing_from + (RING as u64) <= recorded {
                    let lost = rec.seq - missing_from;
                    self.lost.fetch_add(lost, Ordering::Relaxed);
                    tracing::error!(key = %kc.key_id, lost, "usage records overwritten before they were stored");
                } else {
                    break;
                }
            }
            *last = rec.seq;
            out.push(StoredUsage {
                tenant: kc.tenant.clone(),
                key_id: Some(kc.key_id.clone()),
                record: stamp(rec, &kc.tenant),
            });
        }
    }
}

/// The record as stored: counted under the key's tenant whatever the request said.
fn stamp(mut rec: UsageRecord, tenant: &str) -> UsageRecord {
    rec.tenant = Some(tenant.to_owned());
    rec
}

fn build_client(shared: &Shared, row: &KeyRow) -> Result<Client, ApiError> {
    let creds = keys::credentials(&shared.master, row).map_err(|e| {
        tracing::error!(key = %row.id, "cannot open stored credentials: {e}");
        ApiError::internal("this key's provider credentials cannot be read by the server")
    })?;
    let cfg = &shared.config;
    let p = &row.policy;
    let defaults = RoutingPolicy::default();
    let policy = RoutingPolicy {
        enabled: p.routing.unwrap_or(defaults.enabled),
        floor: p.floor.unwrap_or(defaults.floor),
        ceiling: p.ceiling.unwrap_or(defaults.ceiling),
        allow_providers: p.allow_providers.clone(),
        deny_providers: p.deny_providers.clone().unwrap_or_default(),
        min_confidence: p.min_confidence.unwrap_or(defaults.min_confidence),
        ..defaults
    };
    let mut b = Client::builder()
        .from_env(false)
        .catalog((*shared.catalog).clone())
        .tenant(row.tenant.clone())
        .policy(policy)
        .report(None)
        .ledger(LedgerConfig { recent_capacity: RING, jsonl_path: None });
    if let Some(t) = cfg.provider_timeout {
        b = b.timeout(t);
    }
    if let Some(n) = cfg.max_retries {
        b = b.max_retries(n);
    }
    if cfg.cache || cfg.redis_url.is_some() {
        b = b.cache(CacheConfig { redis_url: cfg.redis_url.clone(), ..CacheConfig::default() });
    }
    for (provider, url) in &cfg.base_urls {
        b = b.base_url(provider, url.clone());
    }
    for (provider, key) in creds {
        b = b.api_key(&provider, key);
    }
    b.build().map_err(|e| ApiError::internal(format!("cannot set up this key's client: {e}")))
}
