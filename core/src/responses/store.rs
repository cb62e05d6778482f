//! The conversations behind `previous_response_id`: each stored response's expanded
//! conversation (input items and output items), kept in memory, least recently used
//! first out, per client and tenant. Expanding locally lets a follow-up go to whichever
//! provider the router picks.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use super::types::InputItem;

/// Conversations kept when the builder does not say otherwise.
pub const DEFAULT_CAPACITY: usize = 1024;

/// (tenant, response id).
type Key = (Option<String>, String);

/// Bounded store of conversations, keyed by tenant and response id.
pub(crate) struct ConversationStore {
    map: Mutex<LruCache<Key, Arc<[InputItem]>>>,
}

impl ConversationStore {
    pub(crate) fn new(capacity: usize) -> Self {
        let cap = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        ConversationStore { map: Mutex::new(LruCache::new(cap)) }
    }

    pub(crate) fn get(&self, tenant: Option<&str>, id: &str) -> Option<Arc<[InputItem]>> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&(tenant.map(str::to_owned), id.to_owned())).cloned()
    }

    pub(crate) fn put(&self, tenant: Option<String>, id: String, items: Vec<InputItem>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.put((tenant, id), items.into());
    }
}
