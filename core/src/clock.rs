//! The wall clock, read in one place: timestamps in usage records and responses, cache
//! expiry, spool file names. Durations and deadlines use `Instant` instead, which never
//! jumps when the system clock is set.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the system clock is set before it).
pub fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Seconds since the Unix epoch, as OpenAI's `created` fields carry it.
pub fn unix_secs() -> u64 {
    unix_ms() / 1000
}
