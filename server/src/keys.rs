//! Kestrel keys: create (the key is shown once), list, revoke. Used by the admin API and by
//! `kestrel keys --db` directly on the store.

use std::collections::BTreeMap;

use kestrel_router::catalog::Catalog;
use kestrel_router::types::RequestPolicy;
use serde::{Deserialize, Serialize};

use crate::crypto::{self, MasterKey};
use crate::store::{KeyRow, Store};

/// What creating a key takes (the admin API's request body).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Usage, cache and dashboard are scoped to this name.
    pub tenant: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Routing policy for this key's requests (`routing`, `floor`, `ceiling`,
    /// `allow_providers`, `deny_providers`, `min_confidence`).
    #[serde(default)]
    pub policy: Option<RequestPolicy>,
    /// Provider credentials, `{"openai": "sk-...", "groq": "gsk_..."}`: sealed at rest,
    /// never returned.
    #[serde(default)]
    pub providers: BTreeMap<String, String>,
}

/// A key as listed: everything but secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub id: String,
    pub tenant: String,
    pub name: Option<String>,
    pub prefix: String,
    pub providers: Vec<String>,
    pub policy: RequestPolicy,
    pub created_ms: u64,
    pub revoked_ms: Option<u64>,
    pub active: bool,
}

/// A key just created: the only time `key` is ever shown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedKey {
    pub key: String,
    #[serde(flatten)]
    pub info: KeyInfo,
}

impl From<&KeyRow> for KeyInfo {
    fn from(r: &KeyRow) -> Self {
        KeyInfo {
            id: r.id.clone(),
            tenant: r.tenant.clone(),
            name: r.name.clone(),
            prefix: r.prefix.clone(),
            providers: r.providers.clone(),
            policy: r.policy.clone(),
            created_ms: r.created_ms,
            revoked_ms: r.revoked_ms,
            active: r.revoked_ms.is_none(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Crypto(#[from] crypto::CryptoError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Tenant names: 1-128 of letters, digits and `.-_@:`.
pub fn valid_tenant(t: &str) -> bool {
    !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-@:".contains(&b))
}

/// Checks a new key's fields against the catalog (provider names, policy).
pub fn check(new: &NewKey, catalog: &Catalog) -> Result<(), KeyError> {
    if !valid_tenant(&new.tenant) {
        return Err(KeyError::Invalid("tenant must be 1-128 characters of letters, digits and . - _ @ :".into()));
    }
    if new.name.as_ref().is_some_and(|n| n.len() > 200) {
        return Err(KeyError::Invalid("name is longer than 200 characters".into()));
    }
    for (p, k) in &new.providers {
        if catalog.provider_id(p).is_none() {
            return Err(KeyError::Invalid(format!("unknown provider `{p}`")));
        }
        if k.trim().is_empty() {
            return Err(KeyError::Invalid(format!("empty key for provider `{p}`")));
        }
    }
    if let Some(policy) = &new.policy {
        if policy.tenant.is_some() || policy.cache.is_some() {
            return Err(KeyError::Invalid(
                "policy takes routing, floor, ceiling, allow_providers, deny_providers and min_confidence".into(),
            ));
        }
        for p in policy.allow_providers.iter().chain(policy.deny_providers.iter()).flatten() {
            if catalog.provider_id(p).is_none() {
                return Err(KeyError::Invalid(format!("unknown provider `{p}` in policy")));
            }
        }
        if let Some(c) = policy.min_confidence {
            if !(0.0..=1.0).contains(&c) {
                return Err(KeyError::Invalid("min_confidence must be between 0 and 1".into()));
            }
        }
    }
    Ok(())
}

/// Creates a key: checks it, seals the credentials, stores the hash.
pub fn create(store: &dyn Store, master: &MasterKey, catalog: &Catalog, new: NewKey) -> Result<CreatedKey, KeyError> {
    check(&new, catalog)?;
    let key = crypto::new_api_key()?;
    let id = crypto::new_key_id()?;
    let creds = serde_json::to_vec(&new.providers).map_err(|e| KeyError::Invalid(e.to_string()))?;
    let row = KeyRow {
        sealed_credentials: master.seal(&id, &creds)?,
        id,
        tenant: new.tenant,
        name: new.name,
        hash: crypto::hash_secret(&key),
        prefix: key[..7].to_string(),
        policy: new.policy.unwrap_or_default(),
        providers: new.providers.keys().cloned().collect(),
        created_ms: crate::now_ms(),
        revoked_ms: None,
    };
    store.insert_key(&row)?;
    Ok(CreatedKey { key, info: KeyInfo::from(&row) })
}

/// Opens a key's sealed provider credentials.
pub fn credentials(master: &MasterKey, row: &KeyRow) -> Result<BTreeMap<String, String>, KeyError> {
    let plain = master.open(&row.id, &row.sealed_credentials)?;
    serde_json::from_slice(&plain).map_err(|_| KeyError::Crypto(crypto::CryptoError::Open))
}

pub fn list(store: &dyn Store, tenant: Option<&str>) -> Result<Vec<KeyInfo>, KeyError> {
    Ok(store.list_keys(tenant)?.iter().map(KeyInfo::from).collect())
}

/// Revokes a key by id; `None` when there is no such key.
pub fn revoke(store: &dyn Store, id: &str) -> Result<Option<KeyRow>, KeyError> {
    Ok(store.revoke_key(id, crate::now_ms())?)
}
