//! Embedders: text to a unit vector whose dot products rank cached questions.
//!
//! The built-in [`HashingEmbedder`] needs no model and no network: hashed word unigrams,
//! word bigrams (which carry word order, so "Celsius to Fahrenheit" and "Fahrenheit to
//! Celsius" differ) and character trigrams (which forgive small spelling differences).
//! [`HttpEmbedder`] asks a provider's OpenAI-compatible `/embeddings` endpoint instead.
//! Either way the guard in [`super::text`] decides what may be shared; the embedder only
//! ranks and thresholds what the guard allows.

use futures_util::future::BoxFuture;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Turns text into a vector. Vectors of one embedder are compared with each other only,
/// so implementations need not agree; they must be deterministic across processes when
/// the cache is shared (Redis).
pub trait Embedder: Send + Sync {
    /// A name that changes when the vectors do; entries embedded under another name are
    /// never compared with this embedder's vectors.
    fn id(&self) -> &str;
    /// The vector for `text`, L2-normalized.
    fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<Vec<f32>>>;
    /// Whether similarity tells a rewording from another question (a sentence model), so
    /// the guard may let wording change and keep only the anchors ([`super::anchor`]).
    /// `false` (the hashing embedder): the canonical tokens must be equal.
    fn reads_meaning(&self) -> bool {
        false
    }
}

/// Offline embedder over hashed n-grams (see the module docs).
#[derive(Debug, Clone)]
pub struct HashingEmbedder {
    dims: usize,
    id: String,
}

impl Default for HashingEmbedder {
    fn default() -> Self {
        HashingEmbedder::new(256)
    }
}

impl HashingEmbedder {
    pub fn new(dims: usize) -> Self {
        let dims = dims.max(16);
        HashingEmbedder { dims, id: format!("hashing-v1-{dims}") }
    }

    /// The vector, computed synchronously (the trait method wraps this).
    pub fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dims];
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut add = |feature: &[&[u8]], weight: f32| {
            let mut h = blake3::Hasher::new();
            for part in feature {
                h.update(part);
                h.update(&[0]);
            }
            let bytes = h.finalize();
            let x = u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"));
            let slot = (x % self.dims as u64) as usize;
            let sign = if x >> 63 == 0 { 1.0 } else { -1.0 };
            v[slot] += sign * weight;
        };
        for w in &words {
            add(&[b"w", w.as_bytes()], 1.0);
            let padded: Vec<char> = format!("<{w}>").chars().collect();
            let n = padded.len().saturating_sub(2).max(1) as f32;
            for tri in padded.windows(3) {
                let s: String = tri.iter().collect();
                add(&[b"c", s.as_bytes()], 0.5 / n.sqrt());
            }
        }
        for pair in words.windows(2) {
            add(&[b"b", pair[0].as_bytes(), pair[1].as_bytes()], 1.0);
        }
        normalize(&mut v);
        v
    }
}

impl Embedder for HashingEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<Vec<f32>>> {
        Box::pin(std::future::ready(Ok(self.vector(text))))
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Cosine similarity of two unit vectors (0 when their lengths differ).
///
/// Summed in eight lanes so the compiler can use SIMD (a plain `sum()` of floats must keep
/// its order and cannot): a lookup scans up to a thousand 384-float candidates.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    let mut lanes = [0f32; 8];
    for (x, y) in ca.zip(cb) {
        for ((lane, p), q) in lanes.iter_mut().zip(x).zip(y) {
            *lane += p * q;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Longest wait for an embeddings endpoint; slower is a semantic miss.
pub const EMBED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// An embeddings endpoint speaking OpenAI's `POST {base_url}/embeddings` (OpenAI, Mistral,
/// Together, Gemini's OpenAI-compatible endpoint, most self-hosted servers).
pub struct HttpEmbedder {
    http: reqwest::Client,
    url: String,
    model: String,
    key: Option<Secret>,
    id: String,
}

impl std::fmt::Debug for HttpEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpEmbedder").field("url", &self.url).field("model", &self.model).finish_non_exhaustive()
    }
}

impl HttpEmbedder {
    /// `base_url` as the provider's SDK takes it (e.g. `https://api.openai.com/v1`); `http`
    /// is usually the client's own pool. Each call is bounded by [`EMBED_TIMEOUT`].
    pub fn new(http: reqwest::Client, base_url: &str, model: impl Into<String>, key: Option<Secret>) -> Self {
        let model = model.into();
        HttpEmbedder {
            http,
            url: format!("{}/embeddings", base_url.trim_end_matches('/')),
            id: format!("http-{model}"),
            model,
            key,
        }
    }
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
}

impl Embedder for HttpEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<Vec<f32>>> {
        Box::pin(async move {
            let mut req = self
                .http
                .post(&self.url)
                .timeout(EMBED_TIMEOUT)
                .json(&serde_json::json!({"model": self.model, "input": text}));
            if let Some(k) = &self.key {
                req = req.bearer_auth(k.expose());
            }
            let connection =
                |e: reqwest::Error| Error::Connection { provider: "embeddings".into(), message: e.to_string() };
            let resp = req.send().await.map_err(connection)?;
            let status = resp.status();
            if !status.is_success() {
                return Err(Error::Provider {
                    provider: "embeddings".into(),
                    status: status.as_u16(),
                    message: format!("the embeddings endpoint answered {status}"),
                    body: None,
                });
            }
            let body: EmbeddingsResponse = resp.json().await.map_err(connection)?;
            let mut v = body.data.into_iter().next().map(|d| d.embedding).unwrap_or_default();
            normalize(&mut v);
            Ok(v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_vector_and_order_matters() {
        let e = HashingEmbedder::default();
        let a = e.vector("convert celsius to fahrenheit");
        assert!((cosine(&a, &e.vector("convert celsius to fahrenheit")) - 1.0).abs() < 1e-5);
        let swapped = cosine(&a, &e.vector("convert fahrenheit to celsius"));
        assert!(swapped < 0.9, "{swapped}");
        assert!(swapped > 0.3, "{swapped}");
    }
}
