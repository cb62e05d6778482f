use super::analyze::{Features, Signal};
use super::calibration::shipped;
use super::Reason;
use crate::types::{Scores, Tier};

/// A scorer's verdict: scores, the tier they imply, and how sure it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub scores: Scores,
    pub tier: Tier,
    /// The probability that `tier` is the right tier, calibrated offline on labelled
    /// requests (`learned.toml`). The router keeps a request one tier up when this is
    /// below the policy's `min_confidence`.
    pub confidence: f32,
    /// The scorer already chose above its most likely tier to avoid under-routing, so
    /// `confidence` is low by construction; the router does not hedge a second time.
    pub hedged: bool,
    pub reasons: Vec<Reason>,
}

/// Turns request features into scores and a tier. The learned scorer
/// ([`super::LearnedScorer`]) is the default; the heuristic, or another model, can replace
/// it through [`super::Router::with_scorer`].
pub trait Scorer: Send + Sync {
    fn score(&self, features: &Features) -> Scored;
}

/// Keyword evidence and request structure, weighed by hand-set rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeuristicScorer;

/// Composite score (0..1) boundaries between tiers, and the band below a boundary in
/// which a downgrade is not yet confident.
const STANDARD_AT: f32 = 0.15;
const PREMIUM_AT: f32 = 0.40;
const DOUBT_BAND: f32 = 0.08;

/// Dimension weights in the composite: reasoning dominates because under-serving a hard
/// request is the costly mistake.
const WEIGHTS: [f32; 5] = [0.40, 0.15, 0.20, 0.10, 0.15];

/// The heuristic's full working: raw dimensions (0..4), composite, tier and the raw
/// confidence before calibration. The learned scorer takes it as input.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub reasoning: f32,
    pub output: f32,
    pub domain: f32,
    pub nuance: f32,
    pub tolerance: f32,
    pub composite: f32,
    pub tier: Tier,
    /// A hard rule put the request at premium below the composite's boundary.
    pub forced: bool,
    /// Uncalibrated confidence in `tier`: distance from the boundaries in doubt bands,
    /// or for economy the positive evidence that the request is simple.
    pub raw: f32,
    pub scores: Scores,
    /// The audit trail; the first entry is the verdict.
    pub reasons: Vec<Reason>,
}

impl Scorer for HeuristicScorer {
    fn score(&self, f: &Features) -> Scored {
        let a = assess(f);
        let confidence = shipped().heuristic.apply(a.tier, a.raw);
        Scored { scores: a.scores, tier: a.tier, confidence, hedged: false, reasons: a.reasons }
    }
}

/// Runs the hand-set rules on `f`.
pub fn assess(f: &Features) -> Assessment {
    let h = |s: Signal| f.hit(s);
    let sys = |s: Signal| f.system_hit(s);
    let mut reasons = Vec::with_capacity(12);

    let deep = h(Signal::ReasoningHigh) + 0.3 * sys(Signal::ReasoningHigh);
    let mid = h(Signal::ReasoningMid) + 0.2 * sys(Signal::ReasoningMid);
    let simple = h(Signal::Simple) + 0.5 * sys(Signal::Simple);
    let problem = h(Signal::Problem);
    let tech = h(Signal::Technical) + 0.2 * sys(Signal::Technical);
    let task = h(Signal::Task);
    let short = h(Signal::OutputShort) + 0.5 * sys(Signal::OutputShort);
    // Dense scripts (CJK) say more per character.
    let proof = h(Signal::Proof);
    let math = h(Signal::Math);
    let chars = (f.last_user_chars as f32 * (1.0 + 1.5 * f.non_ascii)) as usize;

    // Reasoning depth.
    let mut r = 0.8
        + 2.0 * deep.min(1.0)
        + 0.8 * (deep - 1.0).clamp(0.0, 2.0)
        + 0.5 * mid.min(3.0)
        + 0.25 * tech.min(3.0)
        + 0.7 * problem.min(2.0)
        + 0.9 * math.min(2.0)
        + 0.25 * f32::from(f.jargon.min(6));
    r += match f.numbers {
        n if n >= 12 => 0.8,
        n if n >= 6 => 0.4,
        _ => 0.0,
    };
    if f.total_bytes > 2000 && f.user_turns >= 2 {
        r += 0.4;
    }
    if f.steps >= 2 {
        r += 0.4;
    }
    if f.tools >= 3 && f.tool_results + f.assistant_turns >= 2 {
        r += 0.5;
    }
    if problem > 0.0 && (f.code_in_last || tech > 0.0) {
        r += 0.6;
        reasons.push(Reason::Note("diagnosing a technical problem"));
    }
    if f.code_in_last {
        r += 0.8;
        reasons.push(Reason::Note("code in the request"));
    } else if f.code_blocks > 0 {
        r += 0.4;
    }
    r += match chars {
        n if n > 2000 => 1.0,
        n if n > 800 => 0.6,
        n if n > 300 => 0.3,
        n if n < 40 => -0.7,
        n if n < 100 => -0.3,
        _ => 0.0,
    };
    if f.questions >= 3 {
        r += 0.4;
    }
    if f.user_turns >= 3 {
        r += 0.3;
    }
    if f.tools >= 4 {
        r += 0.6;
        reasons.push(Reason::ToolsOffered(f.tools));
    } else if f.tools >= 2 {
        r += 0.2;
    }
    r -= if deep + problem + math == 0.0 { 0.8 } else { 0.3 } * simple.min(2.0);
    r -= 0.3 * short.min(1.0);
    let r = r.clamp(0.0, 4.0);

    // Output complexity.
    let mut o = 0.5 + h(Signal::OutputLong).min(3.0) + 0.5 * task.min(2.0) + 0.2 * mid.min(3.0) + 0.3 * deep.min(3.0)
        - 1.2 * short.min(2.0);
    if f.code_in_last && task + mid > 0.0 {
        o += 0.4;
    }
    if f.json_schema {
        o += 0.3;
    }
    if simple > 0.0 && deep == 0.0 {
        o -= 0.5;
    }
    match f.max_output {
        Some(n) if n <= 64 => o -= 1.5,
        Some(n) if n <= 256 => o -= 0.7,
        Some(n) if n >= 4000 => o += 1.0,
        _ => {}
    }
    let o = o.clamp(0.0, 4.0);

    // Domain specificity.
    let dom = h(Signal::Domain);
    let d = (dom.min(3.0) + 0.3 * sys(Signal::Domain).min(2.0)).clamp(0.0, 4.0);

    // Instruction nuance.
    let mut n = 0.5 * (h(Signal::Nuance) + 0.4 * sys(Signal::Nuance)).min(6.0) + 0.1 * f32::from(f.list_items.min(10));
    if f.json_schema {
        n += 0.5;
    }
    if f.tool_forced {
        n += 0.3;
    }
    if f.system_bytes > 2000 {
        n += 0.5;
    }
    let n = n.clamp(0.0, 4.0);

    // Error tolerance (high = mistakes are costly).
    let e = ((h(Signal::Stakes) + 0.25 * sys(Signal::Stakes)).min(3.0) + 0.4 * dom.min(3.0)
        - 0.8 * h(Signal::Casual).min(2.0))
    .clamp(0.0, 4.0);

    let composite = (WEIGHTS[0] * r + WEIGHTS[1] * o + WEIGHTS[2] * d + WEIGHTS[3] * n + WEIGHTS[4] * e) / 4.0;
    let mut tier = if composite >= PREMIUM_AT {
        Tier::Premium
    } else if composite >= STANDARD_AT {
        Tier::Standard
    } else {
        Tier::Economy
    };
    // Hard whatever the average says: deep reasoning, or a specialist domain with substance.
    let below = tier < Tier::Premium;
    if tier < Tier::Premium {
        if proof > 0.0 {
            tier = Tier::Premium;
            reasons.push(Reason::Note("a proof or derivation is asked for"));
        } else if r >= 3.2 {
            tier = Tier::Premium;
            reasons.push(Reason::Note("deep reasoning needed"));
        } else if d >= 2.0 && (r >= 1.5 || e >= 1.5 || chars >= 200) {
            tier = Tier::Premium;
            reasons.push(Reason::Note("specialist domain with substance or stakes"));
        }
    }
    let forced = below && tier == Tier::Premium;
    let raw = match tier {
        Tier::Premium => ((composite - PREMIUM_AT) / DOUBT_BAND).clamp(-3.0, 3.0) + if forced { 1.0 } else { 0.0 },
        Tier::Standard => ((PREMIUM_AT - composite).min(composite - STANDARD_AT) / DOUBT_BAND).clamp(0.0, 3.0),
        Tier::Economy => {
            // Economy needs positive evidence that the request is simple, not just an
            // absence of evidence that it is hard.
            let mut evidence = 0.15;
            if simple > 0.0 {
                evidence += 0.45;
            }
            evidence += match chars {
                n if n < 40 => 0.35,
                n if n < 100 => 0.2,
                _ => 0.0,
            };
            if short > 0.0 || f.max_output.is_some_and(|m| m <= 64) {
                evidence += 0.25;
            }
            if h(Signal::Casual) > 0.0 {
                evidence += 0.15;
            }
            let margin = ((STANDARD_AT - composite) / DOUBT_BAND).clamp(0.0, 1.0);
            (evidence + 0.3 * margin).min(1.0)
        }
    };

    for s in Signal::ALL {
        let w = h(s) + sys(s);
        if w > 0.0 {
            reasons.push(Reason::Evidence { signal: s, first: f.first_match[s as usize], weight: w });
        }
    }
    if chars > 800 {
        reasons.push(Reason::LongRequest(chars));
    }
    let scores = Scores {
        reasoning: dim(r),
        output_complexity: dim(o),
        domain_specificity: dim(d),
        instruction_nuance: dim(n),
        error_tolerance: dim(e),
    };
    reasons.insert(0, Reason::Composite { composite, tier });
    Assessment {
        reasoning: r,
        output: o,
        domain: d,
        nuance: n,
        tolerance: e,
        composite,
        tier,
        forced,
        raw,
        scores,
        reasons,
    }
}

/// A raw 0..4 value to the 1..5 scale.
fn dim(raw: f32) -> u8 {
    1 + raw.round().clamp(0.0, 4.0) as u8
}
