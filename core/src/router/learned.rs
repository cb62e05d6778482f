//! The learned scorer: a logistic regression over the request features and the
//! heuristic's own dimensions, with its weights and calibration from `calibration.rs`.

use super::analyze::{Features, Signal};
use std::sync::{Arc, LazyLock};

use super::calibration::{cheapest_safe, shipped, Folded, ModelFile, FEATURES};
use super::score::{assess, Assessment, Scored, Scorer};
use super::Reason;
use crate::types::Tier;

/// The learned scorer's input: request structure, keyword evidence and the heuristic's
/// own dimensions, so the model can learn where the hand-set rules go wrong rather than
/// rediscover what they get right.
pub fn feature_vector(f: &Features, a: &Assessment) -> [f32; FEATURES] {
    let mut x = [0f32; FEATURES];
    // Most signals are absent from any one request: skip their logarithm.
    let ln = |v: f32| if v > 0.0 { v.ln_1p() } else { 0.0 };
    for s in Signal::ALL {
        x[s as usize] = ln(f.hit(s));
        x[Signal::COUNT + s as usize] = ln(f.system_hit(s));
        x[2 * Signal::COUNT + s as usize] = ln(f.ask_hits[s as usize]);
    }
    let b = |v: bool| f32::from(u8::from(v));
    let tail = [
        ln(f.last_user_chars as f32),
        ln(f.total_bytes as f32),
        ln(f.system_bytes as f32),
        f32::from(f.user_turns.min(10)),
        f32::from(f.assistant_turns.min(10)),
        f32::from(f.tool_results.min(10)),
        f32::from(f.tools.min(10)),
        b(f.tool_forced),
        b(f.json_mode),
        b(f.images > 0),
        ln(f32::from(f.code_blocks)),
        b(f.code_in_last),
        f32::from(f.questions.min(5)),
        ln(f32::from(f.numbers)),
        ln(f32::from(f.jargon)),
        f32::from(f.steps.min(5)),
        ln(f32::from(f.list_items)),
        f.non_ascii,
        f.max_output.map_or(0.0, |m| ln(m as f32)),
        ln(f.words_asked.map_or(0.0, |w| w as f32)),
        f.code_density,
        f.math_density,
        b(f.follow_up && f.last_user_chars < 80),
        a.composite,
        a.reasoning / 4.0,
        a.output / 4.0,
        a.domain / 4.0,
        b(a.forced),
        ln(f.pasted_bytes as f32),
    ];
    x[3 * Signal::COUNT..].copy_from_slice(&tail);
    x
}

/// Logistic regression over the request features, with the heuristic's dimensions as
/// inputs; trained offline and shipped as data. Another model file (`kestrel eval --train`
/// on an operator's own labelled traffic) replaces the shipped one without a release.
#[derive(Debug, Clone)]
pub struct LearnedScorer {
    model: Arc<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    file: ModelFile,
    weights: Folded,
}

impl Default for LearnedScorer {
    fn default() -> Self {
        static SHIPPED: LazyLock<Arc<Loaded>> =
            LazyLock::new(|| Arc::new(Loaded { file: shipped().clone(), weights: Folded::of(&shipped().model) }));
        LearnedScorer { model: SHIPPED.clone() }
    }
}

impl LearnedScorer {
    /// The scorer with `file`'s weights and calibration.
    pub fn from_model(file: ModelFile) -> Self {
        let weights = Folded::of(&file.model);
        LearnedScorer { model: Arc::new(Loaded { file, weights }) }
    }

    /// The scorer with the model file at `path` (written by `kestrel eval --train`); a file
    /// for another feature set is a typed error, not a silent misroute.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> crate::Result<Self> {
        let path = path.as_ref();
        let src = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::Config(format!("learned model `{}`: {e}", path.display())))?;
        let file = ModelFile::parse(&src)
            .map_err(|e| crate::Error::Config(format!("learned model `{}`: {e}", path.display())))?;
        Ok(Self::from_model(file))
    }

    /// Class probabilities (uncalibrated) and the heuristic's assessment, for training
    /// and evaluation.
    pub fn probs(&self, f: &Features) -> ([f32; 3], Assessment) {
        let a = assess(f);
        (self.model.weights.probs(&feature_vector(f, &a)), a)
    }
}

impl Scorer for LearnedScorer {
    fn score(&self, f: &Features) -> Scored {
        let (p, a) = self.probs(f);
        let k = cheapest_safe(&p, self.model.file.under_costs());
        let tier = Tier::ALL[k];
        let confidence = self.model.file.learned.apply(tier, p[k]);
        let likeliest = (0..3).fold(0, |best, t| if p[t] > p[best] { t } else { best });
        let mut reasons = a.reasons;
        reasons[0] = Reason::Learned { probs: p, tier };
        Scored { scores: a.scores, tier, confidence, hedged: k > likeliest, reasons }
    }
}
