//! A bounded ring of the most recent records, for `records()` and CSV export.
//!
//! Record `seq` lives in slot `seq % capacity`, each slot behind its own lock, so writers
//! on different threads never wait on each other and old records fall out as new ones
//! arrive, with no global lock and no growth.

use std::sync::{Mutex, MutexGuard};

use super::record::UsageRecord;

type Slot = Mutex<Option<Box<UsageRecord>>>;

pub(crate) struct Recent {
    slots: Box<[Slot]>,
}

fn lock(slot: &Slot) -> MutexGuard<'_, Option<Box<UsageRecord>>> {
    // A panic elsewhere while holding a slot cannot leave it half-written; keep going.
    slot.lock().unwrap_or_else(|e| e.into_inner())
}

impl Recent {
    pub(crate) fn new(capacity: usize) -> Self {
        Recent { slots: (0..capacity).map(|_| Mutex::new(None)).collect() }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Stores `rec` (whose `seq` is set), evicting the record `capacity` places older.
    pub(crate) fn push(&self, rec: UsageRecord) {
        if self.slots.is_empty() {
            return;
        }
        let mut slot = lock(&self.slots[(rec.seq % self.slots.len() as u64) as usize]);
        // A writer that stalled must not overwrite a newer record that already took the slot.
        if slot.as_ref().is_none_or(|old| old.seq < rec.seq) {
            *slot = Some(Box::new(rec));
        }
    }

    /// The last `limit` records (of `tenant`, when given), oldest first in seq order.
    pub(crate) fn collect(&self, tenant: Option<&str>, limit: usize) -> Vec<UsageRecord> {
        // Pass 1: find which slots qualify without cloning anything.
        let mut hits: Vec<(u64, usize)> = Vec::new();
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(rec) = lock(slot).as_ref() {
                if tenant.is_none() || rec.tenant.as_deref() == tenant {
                    hits.push((rec.seq, i));
                }
            }
        }
        hits.sort_unstable();
        let skip = hits.len().saturating_sub(limit);
        // Pass 2: clone the chosen ones; a slot overwritten in between is skipped.
        hits[skip..]
            .iter()
            .filter_map(|&(seq, i)| lock(&self.slots[i]).as_ref().filter(|r| r.seq == seq).map(|r| (**r).clone()))
            .collect()
    }
}
