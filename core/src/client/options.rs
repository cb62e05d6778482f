//! Per-call settings, and the one rule for durations given as seconds.

use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Per-call settings, as the SDKs accept them on one request (or in `with_options`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOptions {
    /// A total time limit per attempt, in seconds.
    pub timeout: Option<f64>,
    /// Retry passes over the failover plan, instead of the client's.
    pub max_retries: Option<u32>,
}

impl CallOptions {
    pub(crate) fn timeout(&self) -> Result<Option<Duration>> {
        self.timeout.map(|t| seconds(t, "timeout")).transpose()
    }
}

pub(crate) fn seconds(value: f64, field: &str) -> Result<Duration> {
    if value.is_finite() && value > 0.0 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Error::Config(format!("{field} must be a positive number of seconds, got {value}")))
    }
}
