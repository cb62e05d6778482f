//! Model discovery (opt-in): each configured provider's own model listing says which
//! catalog models its key may use, so routing plans only those. A key without access
//! to a model (a new account, a region, an unreleased tier) then never costs a failed
//! substitute attempt. Listed once per key and base URL; a new key is listed again.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::Mutex;

use super::Inner;
use crate::providers::Endpoint;

/// The longest a listing may take: discovery must never hold a request for long.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// Per provider, the endpoint (key and base URL) whose listing was last applied.
pub(super) struct Discovery {
    listed: Vec<Mutex<Option<Arc<Endpoint>>>>,
}

impl Discovery {
    pub(super) fn new(providers: usize) -> Self {
        Discovery { listed: (0..providers).map(|_| Mutex::new(None)).collect() }
    }

    /// Lists the models of every configured provider whose endpoint changed since its
    /// last listing (all of them on first use), concurrently. A failed listing is
    /// logged and leaves routing as it was: discovery only ever narrows the plan.
    pub(super) async fn refresh(&self, inner: &Inner) {
        join_all(inner.slots.iter().enumerate().filter(|(_, s)| s.configured()).map(|(p, _)| self.list(inner, p)))
            .await;
    }

    async fn list(&self, inner: &Inner, provider: usize) {
        let slot = &inner.slots[provider];
        let endpoint = slot.endpoint();
        let mut listed = self.listed[provider].lock().await;
        if listed.as_ref().is_some_and(|e| Arc::ptr_eq(e, &endpoint)) {
            return;
        }
        *listed = Some(endpoint.clone());
        let Some(implementation) = &slot.implementation else { return };
        let name = endpoint.provider.as_str();
        let ids = match implementation.list_models(&inner.http, &endpoint, LIST_TIMEOUT).await {
            Ok(Some(ids)) => ids,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(provider = name, error = %e, "model discovery failed; routing over the catalog as is");
                return;
            }
        };
        let catalog = &inner.catalog;
        let mut hidden = Vec::new();
        for m in (0..catalog.models().len()).filter(|&m| catalog.provider_of(m) == provider) {
            let wire = catalog.model(m).wire_id();
            let offered = ids.iter().any(|id| id.eq_ignore_ascii_case(wire));
            inner.health.set_unlisted(m, !offered);
            if !offered {
                hidden.push(catalog.model(m).id.as_str());
            }
        }
        tracing::info!(
            provider = name,
            listed = ids.len(),
            not_offered = ?hidden,
            "model discovery: catalog models this key is not offered are no longer planned"
        );
    }
}
