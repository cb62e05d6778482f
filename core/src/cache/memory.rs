//! The in-process backend: a sharded LRU bounded by entries and bytes, with TTL, and the
//! semantic index as small per-block candidate lists (see [`super::key::semantic_block`]).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::future::BoxFuture;
use lru::LruCache;

use super::embed::cosine;
use super::key::Digest;
use super::{Accept, Cache, Entry, Hit};
use crate::clock::unix_ms;
use crate::error::Result;

const SHARDS: usize = 16;
/// Newest entries kept per semantic block. With the hashing embedder a block holds
/// rewordings of one question; with a model, every question with the same anchors (and
/// context), so it is larger: this bounds a lookup's scan (512 dot products of 384 floats, about 120 µs).
const PER_BLOCK: usize = 512;

struct Stored {
    entry: Arc<Entry>,
    bytes: usize,
    block: Option<Digest>,
}

struct Shard {
    lru: LruCache<Digest, Stored>,
    bytes: usize,
}

/// Semantic block → its candidates.
type Blocks = HashMap<Digest, Vec<Candidate>>;

struct Candidate {
    key: Digest,
    vector: Arc<[f32]>,
}

/// Bounded in-memory cache; share one per process (clients built with the same
/// [`super::CacheConfig`] each get their own).
pub struct MemoryCache {
    shards: Box<[Mutex<Shard>]>,
    blocks: Box<[Mutex<Blocks>]>,
    max_bytes_per_shard: usize,
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache").field("entries", &self.len()).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn shard_of(d: &Digest) -> usize {
    d[0] as usize % SHARDS
}

impl MemoryCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        let per = NonZeroUsize::new(max_entries.div_ceil(SHARDS).max(1)).expect("at least one");
        MemoryCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard { lru: LruCache::new(per), bytes: 0 })).collect(),
            blocks: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            max_bytes_per_shard: (max_bytes / SHARDS).max(1),
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).lru.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held now (answers as JSON, vectors and bookkeeping), as counted for `max_bytes`.
    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| lock(s).bytes).sum()
    }

    fn lookup(&self, key: &Digest, ns: &Digest) -> Option<Arc<Entry>> {
        let mut shard = lock(&self.shards[shard_of(key)]);
        let stored = shard.lru.get(key)?;
        if stored.entry.expires_ms <= unix_ms() || stored.entry.namespace != *ns {
            if let Some(gone) = shard.lru.pop(key) {
                shard.bytes -= gone.bytes;
            }
            return None;
        }
        Some(stored.entry.clone())
    }

    fn forget(&self, evicted: Vec<(Digest, Digest)>) {
        for (key, block) in evicted {
            let mut blocks = lock(&self.blocks[shard_of(&block)]);
            if let Some(list) = blocks.get_mut(&block) {
                list.retain(|c| c.key != key);
                if list.is_empty() {
                    blocks.remove(&block);
                }
            }
        }
    }

    fn insert(&self, key: Digest, entry: Arc<Entry>, semantic: Option<(Digest, Vec<f32>)>) {
        let vector_bytes = semantic.as_ref().map_or(0, |(_, v)| v.len() * 4 + 64);
        let bytes = entry.approx_bytes + vector_bytes + 160;
        let block = semantic.as_ref().map(|(b, _)| *b);
        let mut evicted = Vec::new();
        {
            let mut shard = lock(&self.shards[shard_of(&key)]);
            if let Some((k, old)) = shard.lru.push(key, Stored { entry, bytes, block }) {
                shard.bytes -= old.bytes;
                if let Some(b) = old.block.filter(|_| k != key) {
                    evicted.push((k, b));
                }
            }
            shard.bytes += bytes;
            while shard.bytes > self.max_bytes_per_shard && shard.lru.len() > 1 {
                let Some((k, old)) = shard.lru.pop_lru() else { break };
                shard.bytes -= old.bytes;
                if let Some(b) = old.block {
                    evicted.push((k, b));
                }
            }
        }
        self.forget(evicted);
        if let Some((block, vector)) = semantic {
            let mut blocks = lock(&self.blocks[shard_of(&block)]);
            let list = blocks.entry(block).or_default();
            list.retain(|c| c.key != key);
            if list.len() >= PER_BLOCK {
                list.remove(0);
            }
            list.push(Candidate { key, vector: vector.into() });
        }
    }

    fn nearest_now(
        &self,
        ns: &Digest,
        block: &Digest,
        vector: &[f32],
        threshold: f32,
        accept: &Accept<'_>,
    ) -> Option<Hit> {
        let mut ranked: Vec<(f32, Digest)> = {
            let blocks = lock(&self.blocks[shard_of(block)]);
            blocks
                .get(block)?
                .iter()
                .map(|c| (cosine(&c.vector, vector), c.key))
                .filter(|(s, _)| *s >= threshold)
                .collect()
        };
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut stale = Vec::new();
        let mut found = None;
        for (similarity, key) in ranked {
            match self.lookup(&key, ns) {
                Some(entry) if accept(&entry) => {
                    found = Some(Hit { entry, similarity });
                    break;
                }
                Some(_) => {}
                None => stale.push((key, *block)),
            }
        }
        self.forget(stale);
        found
    }
}

impl Cache for MemoryCache {
    fn get<'a>(&'a self, ns: &'a Digest, key: &'a Digest) -> BoxFuture<'a, Result<Option<Arc<Entry>>>> {
        Box::pin(std::future::ready(Ok(self.lookup(key, ns))))
    }

    fn nearest<'a>(
        &'a self,
        ns: &'a Digest,
        block: &'a Digest,
        vector: &'a [f32],
        threshold: f32,
        accept: &'a Accept<'a>,
    ) -> BoxFuture<'a, Result<Option<Hit>>> {
        Box::pin(std::future::ready(Ok(self.nearest_now(ns, block, vector, threshold, accept))))
    }

    fn put<'a>(
        &'a self,
        key: Digest,
        entry: Arc<Entry>,
        semantic: Option<(Digest, Vec<f32>)>,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<()>> {
        self.insert(key, entry, semantic);
        Box::pin(std::future::ready(Ok(())))
    }

    fn clear(&self) -> BoxFuture<'_, Result<()>> {
        for s in self.shards.iter() {
            let mut s = lock(s);
            s.lru.clear();
            s.bytes = 0;
        }
        for b in self.blocks.iter() {
            lock(b).clear();
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}
