//! Per-call settings, and the one rule for durations given as seconds.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::error::{Error, Result};

/// Per-call settings, as the SDKs accept them on one request (or in `with_options`).
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// A total time limit per attempt, in seconds.
    pub timeout: Option<f64>,
    /// Retry passes over the failover plan, instead of the client's.
    pub max_retries: Option<u32>,
    /// Headers for this call's provider requests, over the client's: how a binding hands
    /// over a credential that changes per request (an Azure AD token provider's token)
    /// without the core calling back into the host language.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Query parameters for this call (the SDKs' `extra_query` / `query`, with the client's
    /// `default_query`): sent only to the provider the caller addressed, like unknown body
    /// fields, since another provider's API gives them no meaning.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("query", &self.query.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl CallOptions {
    pub(crate) fn timeout(&self) -> Result<Option<Duration>> {
        self.timeout.map(|t| seconds(t, "timeout")).transpose()
    }

    /// The headers as a map; every value is marked sensitive, since credentials are what
    /// they are for and reqwest then keeps them out of its debug output.
    pub(crate) fn header_map(&self) -> Result<HeaderMap> {
        let mut map = HeaderMap::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| Error::Config(format!("invalid header name `{name}`")))?;
            let mut v = HeaderValue::from_str(value)
                .map_err(|_| Error::Config(format!("invalid value for header `{name}`")))?;
            v.set_sensitive(true);
            map.insert(n, v);
        }
        Ok(map)
    }
}

pub(crate) fn seconds(value: f64, field: &str) -> Result<Duration> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::Config(format!("{field} must be a positive number of seconds, got {value}")))
    }
}
