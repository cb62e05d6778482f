use serde::{Deserialize, Serialize};

use super::analyze::{Features, Signal};
use super::Tier;

/// The five dimensions, each 1 (low) to 5 (high).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scores {
    /// How many careful steps the answer takes.
    pub reasoning: u8,
    /// How long and structured the answer must be.
    pub output_complexity: u8,
    /// How much specialist knowledge it takes.
    pub domain_specificity: u8,
    /// How many precise constraints on form and content it must honour.
    pub instruction_nuance: u8,
    /// How costly a mistake is: 5 = no tolerance for error.
    pub error_tolerance: u8,
}

/// A scorer's verdict: scores, the tier they imply, and how sure it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub scores: Scores,
    pub tier: Tier,
    /// 0..1: how far the evidence sits from the next tier up. The router keeps a request
    /// one tier higher when this is below the policy's `min_confidence`.
    pub confidence: f32,
    pub reasons: Vec<String>,
}

/// Turns request features into scores and a tier. The heuristic scorer is the default;
/// a learned model can replace it through [`super::Router::with_scorer`].
pub trait Scorer: Send + Sync {
    fn score(&self, features: &Features) -> Scored;
}

/// Keyword evidence and request structure, weighed by hand-set rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeuristicScorer;

/// Composite score boundaries (0..1) between tiers, and the band below each boundary in
/// which the router is not confident enough to downgrade.
const STANDARD_AT: f32 = 0.13;
const PREMIUM_AT: f32 = 0.36;
const DOUBT_BAND: f32 = 0.08;

impl Scorer for HeuristicScorer {
    fn score(&self, f: &Features) -> Scored {
        let h = |s: Signal| f.hit(s);
        let sys = |s: Signal| f.system_hit(s);
        let mut reasons = Vec::with_capacity(6);

        let deep = h(Signal::ReasoningHigh) + 0.3 * sys(Signal::ReasoningHigh);
        let mid = h(Signal::ReasoningMid) + 0.2 * sys(Signal::ReasoningMid);
        let simple = h(Signal::Simple);
        let last = f.last_user_bytes;

        // Reasoning depth.
        let mut r = 1.5 * deep.min(3.0) + 0.6 * mid.min(3.0);
        if f.code_in_last {
            r += 1.0;
            reasons.push("code in the request".to_string());
        } else if f.code_blocks > 0 {
            r += 0.5;
        }
        r += match last {
            n if n > 3000 => 1.0,
            n if n > 1200 => 0.6,
            n if n > 500 => 0.3,
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
            reasons.push(format!("{} tools offered: agentic planning", f.tools));
        } else if f.tools >= 2 {
            r += 0.2;
        }
        let simple_pull = if deep == 0.0 { 0.7 } else { 0.3 };
        r -= simple_pull * simple.min(2.0);
        let r = r.clamp(0.0, 4.0);

        // Output complexity.
        let mut o = 1.2 * h(Signal::OutputLong).min(3.0) + 0.3 * mid.min(3.0) - 1.2 * h(Signal::OutputShort).min(2.0);
        if f.code_in_last && mid > 0.0 {
            o += 0.5;
        }
        if f.json_schema {
            o += 0.3;
        }
        match f.max_output {
            Some(n) if n <= 64 => o -= 1.5,
            Some(n) if n <= 256 => o -= 0.7,
            Some(n) if n >= 4000 => o += 1.0,
            _ => {}
        }
        let o = o.clamp(0.0, 4.0);

        // Domain specificity.
        let d = (1.2 * h(Signal::Domain).min(3.0) + 0.6 * sys(Signal::Domain).min(2.0)).clamp(0.0, 4.0);

        // Instruction nuance.
        let mut n =
            0.5 * (h(Signal::Nuance) + 0.7 * sys(Signal::Nuance)).min(6.0) + 0.15 * f32::from(f.list_items.min(10));
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
        let e = ((h(Signal::Stakes) + 0.5 * sys(Signal::Stakes)).min(3.0) + 0.4 * h(Signal::Domain).min(3.0)
            - 0.8 * h(Signal::Casual).min(2.0))
        .clamp(0.0, 4.0);

        let composite = (0.40 * r + 0.15 * o + 0.20 * d + 0.10 * n + 0.15 * e) / 4.0;
        let mut tier = if composite >= PREMIUM_AT {
            Tier::Premium
        } else if composite >= STANDARD_AT {
            Tier::Standard
        } else {
            Tier::Economy
        };
        // Combinations that are hard whatever the average says.
        if tier < Tier::Premium && (r >= 3.0 || (d >= 2.0 && (r >= 1.5 || e >= 2.0))) {
            tier = Tier::Premium;
            reasons.push("hard combination: deep reasoning or specialist domain with stakes".to_string());
        }
        let confidence = match tier {
            Tier::Premium => 1.0,
            Tier::Standard => ((PREMIUM_AT - composite) / DOUBT_BAND).clamp(0.0, 1.0),
            Tier::Economy => {
                let margin = ((STANDARD_AT - composite) / DOUBT_BAND).clamp(0.0, 1.0);
                // An explicit simple ask makes a small request a safe downgrade.
                (margin + if simple > 0.0 && last < 400 { 0.3 } else { 0.0 }).min(1.0)
            }
        };

        for s in [
            Signal::ReasoningHigh,
            Signal::Domain,
            Signal::Stakes,
            Signal::ReasoningMid,
            Signal::OutputLong,
            Signal::Simple,
            Signal::OutputShort,
        ] {
            let w = h(s) + sys(s);
            if w > 0.0 {
                let first = f.first_match[s as usize].map_or("", super::analyze::keyword);
                reasons.push(format!("{}: \"{first}\" (weight {w:.1})", s.name()));
            }
        }
        if last > 1200 {
            reasons.push(format!("long request ({last} bytes)"));
        }
        let scores = Scores {
            reasoning: dim(r),
            output_complexity: dim(o),
            domain_specificity: dim(d),
            instruction_nuance: dim(n),
            error_tolerance: dim(e),
        };
        reasons.insert(0, format!("composite {composite:.2} → {tier}"));
        Scored { scores, tier, confidence, reasons }
    }
}

/// A raw 0..4 value to the 1..5 scale.
fn dim(raw: f32) -> u8 {
    1 + raw.round().clamp(0.0, 4.0) as u8
}
