//! The calibration of both scorers and the learned scorer's weights.
//!
//! Both are fitted offline (`kestrel eval --train`) from labelled requests and shipped as
//! data in `learned.toml`, so routing only does a few dozen multiply-adds on a stack
//! array: no allocation, no model file to find at run time. Nothing here depends on how a
//! request is scored, so the heuristic scorer can read its calibration from here too.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::analyze::Signal;
use crate::types::Tier;

/// Length of the learned scorer's input vector.
pub const FEATURES: usize = 3 * Signal::COUNT + 29;

/// Logistic map from a raw confidence to the probability that the chosen tier is right,
/// one per tier: how often a raw value comes true differs by tier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Platt {
    pub a: f32,
    pub b: f32,
}

impl Platt {
    pub fn apply(self, raw: f32) -> f32 {
        sigmoid(self.a * raw + self.b)
    }
}

/// Per-tier calibration of one scorer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub economy: Platt,
    pub standard: Platt,
    pub premium: Platt,
}

impl Calibration {
    pub fn apply(&self, tier: Tier, raw: f32) -> f32 {
        match tier {
            Tier::Economy => self.economy.apply(raw),
            Tier::Standard => self.standard.apply(raw),
            Tier::Premium => self.premium.apply(raw),
        }
    }
}

/// A multinomial logistic regression over [`feature_vector`](crate::router::feature_vector), standardized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Softmax {
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    /// One row of weights per tier, economy first.
    pub weights: Vec<Vec<f32>>,
    pub bias: Vec<f32>,
}

impl Softmax {
    /// Class probabilities, economy first.
    pub fn probs(&self, x: &[f32; FEATURES]) -> [f32; 3] {
        let mut scaled = [0f32; FEATURES];
        for (i, v) in scaled.iter_mut().enumerate() {
            *v = (x[i] - self.mean[i]) / self.scale[i];
        }
        let mut z = [0f32; 3];
        for (k, zk) in z.iter_mut().enumerate() {
            *zk = self.bias[k] + self.weights[k].iter().zip(&scaled).map(|(w, v)| w * v).sum::<f32>();
        }
        softmax(z)
    }
}

/// A [`Softmax`] with its standardization folded into the weights, in fixed arrays padded
/// to whole lanes: routing then does one vectorized multiply-add per weight, with no
/// division, no bounds check and no chain of dependent additions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Folded {
    weights: [[f32; PADDED]; 3],
    bias: [f32; 3],
}

const LANES: usize = 8;
const PADDED: usize = FEATURES.div_ceil(LANES) * LANES;

impl Folded {
    pub(crate) fn of(s: &Softmax) -> Folded {
        let mut f = Folded { weights: [[0.0; PADDED]; 3], bias: [0.0; 3] };
        for k in 0..3 {
            f.bias[k] = s.bias[k];
            for i in 0..FEATURES {
                f.weights[k][i] = s.weights[k][i] / s.scale[i];
                f.bias[k] -= f.weights[k][i] * s.mean[i];
            }
        }
        f
    }

    /// [`Softmax::probs`], up to rounding.
    pub(crate) fn probs(&self, x: &[f32; FEATURES]) -> [f32; 3] {
        let mut padded = [0.0; PADDED];
        padded[..FEATURES].copy_from_slice(x);
        let mut z = self.bias;
        for (zk, w) in z.iter_mut().zip(&self.weights) {
            let mut acc = [0f32; LANES];
            for (w, v) in w.chunks_exact(LANES).zip(padded.chunks_exact(LANES)) {
                for l in 0..LANES {
                    acc[l] += w[l] * v[l];
                }
            }
            *zk += acc.iter().sum::<f32>();
        }
        softmax(z)
    }
}

/// What `learned.toml` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Where the weights came from: the command and the labelled sets.
    pub trained_on: String,
    pub heuristic: Calibration,
    pub learned: Calibration,
    /// How much worse sending a premium request one tier below its need is than sending
    /// a request one tier above it: the learned scorer picks the tier with the least
    /// expected cost under these ratios.
    #[serde(default = "even")]
    pub under_cost: f32,
    /// The same for a standard request sent to economy; `under_cost` when absent (files
    /// written before the two were told apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_under_cost: Option<f32>,
    pub model: Softmax,
}

fn even() -> f32 {
    1.0
}

impl ModelFile {
    pub fn under_costs(&self) -> UnderCosts {
        UnderCosts { premium: self.under_cost, standard: self.standard_under_cost.unwrap_or(self.under_cost) }
    }
}

/// What one tier of under-routing costs against one tier of over-routing (1), by the
/// label of the request sent too low. They differ because a weaker answer to a premium
/// request is the costly mistake, while a standard request on an economy model is
/// usually answered well enough.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnderCosts {
    pub premium: f32,
    pub standard: f32,
}

impl UnderCosts {
    /// Both labels priced alike.
    pub fn uniform(cost: f32) -> UnderCosts {
        UnderCosts { premium: cost, standard: cost }
    }
}

/// The tier with the least expected cost under `costs`: plain argmax throws away what the
/// probabilities say about which mistake is likelier.
pub fn cheapest_safe(p: &[f32; 3], costs: UnderCosts) -> usize {
    let loss = |t: usize| -> f32 {
        (0..3)
            .map(|label| {
                let gap = label as f32 - t as f32;
                let under = if label == 2 { costs.premium } else { costs.standard };
                p[label] * if gap > 0.0 { under * gap } else { -gap }
            })
            .sum()
    };
    (0..3).fold(0, |best, t| if loss(t) < loss(best) { t } else { best })
}

impl ModelFile {
    pub fn parse(src: &str) -> Result<ModelFile, String> {
        let m: ModelFile = toml::from_str(src).map_err(|e| e.to_string())?;
        let s = &m.model;
        let ok = s.mean.len() == FEATURES
            && s.scale.len() == FEATURES
            && s.scale.iter().all(|v| *v > 0.0)
            && s.weights.len() == 3
            && s.weights.iter().all(|w| w.len() == FEATURES)
            && s.bias.len() == 3;
        if !ok {
            return Err(format!("model does not match this build's {FEATURES} features"));
        }
        Ok(m)
    }
}

impl ModelFile {
    /// The file as shipped, with a header saying how it was made.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a model serializes");
        format!("# Generated by `kestrel eval --train`; do not edit by hand.\n# Read by core/src/router/calibration.rs.\n\n{body}")
    }
}

static SHIPPED: LazyLock<ModelFile> =
    LazyLock::new(|| ModelFile::parse(include_str!("learned.toml")).expect("learned.toml matches the features"));

/// The calibration and model built into this crate.
pub fn shipped() -> &'static ModelFile {
    &SHIPPED
}

pub(crate) fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z[0].max(z[1]).max(z[2]);
    let e = z.map(|v| (v - m).exp());
    let s = e[0] + e[1] + e[2];
    e.map(|v| v / s)
}

// ---------------------------------------------------------------------------------------
// Offline fitting (the CLI's `eval --train`); never on the routing path.

/// Fits a multinomial logistic regression with L2 penalty `l2` by full-batch gradient
/// descent. Small data, a convex loss: plain descent converges and needs no crate.
pub fn fit_softmax(xs: &[[f32; FEATURES]], ys: &[Tier], l2: f64) -> Softmax {
    let n = xs.len().max(1) as f64;
    let mut mean = vec![0f64; FEATURES];
    let mut var = vec![0f64; FEATURES];
    for x in xs {
        for i in 0..FEATURES {
            mean[i] += f64::from(x[i]) / n;
        }
    }
    for x in xs {
        for i in 0..FEATURES {
            var[i] += (f64::from(x[i]) - mean[i]).powi(2) / n;
        }
    }
    let scale: Vec<f64> = var.iter().map(|v| v.sqrt().max(1e-3)).collect();
    let z: Vec<Vec<f64>> =
        xs.iter().map(|x| (0..FEATURES).map(|i| (f64::from(x[i]) - mean[i]) / scale[i]).collect()).collect();
    let mut w = vec![vec![0f64; FEATURES]; 3];
    let mut b = [0f64; 3];
    let lr = 0.5;
    let mut gw = vec![vec![0f64; FEATURES]; 3];
    for _ in 0..2000 {
        gw.iter_mut().for_each(|r| r.iter_mut().for_each(|v| *v = 0.0));
        let mut gb = [0f64; 3];
        for (x, y) in z.iter().zip(ys) {
            let mut logits = [0f64; 3];
            for (k, l) in logits.iter_mut().enumerate() {
                *l = b[k] + w[k].iter().zip(x).map(|(a, c)| a * c).sum::<f64>();
            }
            let m = logits[0].max(logits[1]).max(logits[2]);
            let e = logits.map(|l| (l - m).exp());
            let s: f64 = e.iter().sum();
            for k in 0..3 {
                let g = e[k] / s - f64::from(u8::from(*y as usize == k));
                gb[k] += g / n;
                for i in 0..FEATURES {
                    gw[k][i] += g * x[i] / n;
                }
            }
        }
        for k in 0..3 {
            b[k] -= lr * gb[k];
            for i in 0..FEATURES {
                w[k][i] -= lr * (gw[k][i] + l2 * w[k][i]);
            }
        }
    }
    Softmax {
        mean: mean.iter().map(|v| *v as f32).collect(),
        scale: scale.iter().map(|v| *v as f32).collect(),
        weights: w.iter().map(|r| r.iter().map(|v| *v as f32).collect()).collect(),
        bias: b.iter().map(|v| *v as f32).collect(),
    }
}

/// Fits `P(right) = sigmoid(a·raw + b)` by Newton's method, with Platt's target smoothing
/// so that a tier seen only right (or only wrong) in training still gets a finite map.
pub fn fit_platt(raw: &[f32], right: &[bool]) -> Platt {
    let pos = right.iter().filter(|r| **r).count() as f64;
    let neg = right.len() as f64 - pos;
    let hi = (pos + 1.0) / (pos + 2.0);
    let lo = 1.0 / (neg + 2.0);
    let (mut a, mut b) = (0f64, ((pos + 1.0) / (neg + 1.0)).ln());
    for _ in 0..100 {
        let (mut g0, mut g1, mut h00, mut h01, mut h11) = (0f64, 0f64, 1e-6, 0f64, 1e-6);
        for (x, r) in raw.iter().zip(right) {
            let x = f64::from(*x);
            let t = if *r { hi } else { lo };
            let p = 1.0 / (1.0 + (-(a * x + b)).exp());
            let d = p - t;
            let w = p * (1.0 - p);
            g0 += d * x;
            g1 += d;
            h00 += w * x * x;
            h01 += w * x;
            h11 += w;
        }
        let det = h00 * h11 - h01 * h01;
        if det.abs() < 1e-12 {
            break;
        }
        let da = (h11 * g0 - h01 * g1) / det;
        let db = (h00 * g1 - h01 * g0) / det;
        a -= da;
        b -= db;
        if da.abs() + db.abs() < 1e-9 {
            break;
        }
    }
    Platt { a: a as f32, b: b as f32 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_model_matches_the_features() {
        assert_eq!(shipped().model.weights[0].len(), FEATURES);
    }

    #[test]
    fn platt_fit_follows_the_data() {
        // Right nine times in ten at raw 1, one in ten at raw 0.
        let mut raw = Vec::new();
        let mut right = Vec::new();
        for i in 0..100 {
            raw.push(1.0);
            right.push(i % 10 != 0);
            raw.push(0.0);
            right.push(i % 10 == 0);
        }
        let p = fit_platt(&raw, &right);
        assert!((p.apply(1.0) - 0.9).abs() < 0.03, "{p:?}");
        assert!((p.apply(0.0) - 0.1).abs() < 0.03, "{p:?}");
    }

    #[test]
    fn softmax_fit_separates_separable_tiers() {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (k, t) in Tier::ALL.into_iter().enumerate() {
            for j in 0..10 {
                let mut x = [0f32; FEATURES];
                x[0] = k as f32 + 0.01 * j as f32;
                xs.push(x);
                ys.push(t);
            }
        }
        let m = fit_softmax(&xs, &ys, 0.001);
        for (x, y) in xs.iter().zip(&ys) {
            let p = m.probs(x);
            assert_eq!(cheapest_safe(&p, UnderCosts::uniform(1.0)), *y as usize, "{p:?}");
        }
    }

    #[test]
    fn costly_under_routing_moves_doubtful_requests_up() {
        let p = [0.1, 0.55, 0.35];
        assert_eq!(cheapest_safe(&p, UnderCosts::uniform(1.0)), 1);
        assert_eq!(cheapest_safe(&p, UnderCosts::uniform(3.0)), 2);
    }

    #[test]
    fn a_cheap_standard_under_route_lets_likely_economy_requests_stay_economy() {
        // Priced alike, the small chance of standard work keeps this request off economy.
        let p = [0.8, 0.17, 0.03];
        assert_eq!(cheapest_safe(&p, UnderCosts::uniform(6.0)), 1);
        assert_eq!(cheapest_safe(&p, UnderCosts { premium: 6.0, standard: 1.0 }), 0);
        // The premium price still moves a doubtful request all the way up.
        assert_eq!(cheapest_safe(&[0.5, 0.2, 0.3], UnderCosts { premium: 6.0, standard: 1.0 }), 2);
    }
}
