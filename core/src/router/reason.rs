use std::fmt;

use super::analyze::Signal;
use super::keywords::keyword;
use super::Tier;

/// One step of a decision's audit trail. Kept as data and rendered only when shown, so
/// routing never formats strings it may not need.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// The weighted composite of the five scores and the tier it maps to.
    Composite {
        composite: f32,
        tier: Tier,
    },
    /// The learned scorer's class probabilities (economy, standard, premium, before
    /// calibration) and the tier they imply.
    Learned {
        probs: [f32; 3],
        tier: Tier,
    },
    /// Recorded outcomes raised the request's category one tier.
    Outcomes {
        category: &'static str,
        failure_rate: f32,
        raised_to: Tier,
        /// The last automatic signal counted in the category, if any.
        signal: Option<super::AutoSignal>,
    },
    /// Keyword evidence for a signal: its first keyword and total weight.
    Evidence {
        signal: Signal,
        first: Option<u16>,
        weight: f32,
    },
    /// A structural observation or rule that fired.
    Note(&'static str),
    ToolsOffered(u16),
    LongRequest(usize),
    /// Confidence below the policy's minimum: kept one tier higher.
    LowConfidence {
        confidence: f32,
        min: f32,
        kept: Tier,
    },
    OperatorFloor(Tier),
    OperatorCeiling(Tier),
    /// The requested model's tier capped the route.
    RequestedCeiling(Tier),
    SkippedForCapabilities(u32),
    SkippedForProviders(u32),
    /// The quality rule skipped `count` models scored below `min` (or unscored).
    SkippedForQuality {
        count: u32,
        min: f32,
    },
    /// Rare cases that need a sentence with names in it.
    Text(String),
    /// A sentence worked out once and shared by every decision that gives it (a requested
    /// model's lifecycle warning), so repeating it costs no formatting.
    Shared(std::sync::Arc<str>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Composite { composite, tier } => write!(f, "composite {composite:.2} → {tier}"),
            Reason::Learned { probs, tier } => write!(
                f,
                "learned scorer: economy {:.2}, standard {:.2}, premium {:.2} → {tier}",
                probs[0], probs[1], probs[2]
            ),
            Reason::Outcomes { category, failure_rate, raised_to, signal } => {
                write!(
                    f,
                    "{category} answers below premium have failed {:.0} % of the time lately: raised to {raised_to}",
                    100.0 * failure_rate
                )?;
                match signal {
                    Some(s) => write!(f, " (last automatic signal: {})", s.describe()),
                    None => Ok(()),
                }
            }
            Reason::Evidence { signal, first, weight } => {
                write!(f, "{}: \"{}\" (weight {weight:.1})", signal.name(), first.map_or("", keyword))
            }
            Reason::Note(s) => f.write_str(s),
            Reason::ToolsOffered(n) => write!(f, "{n} tools offered: multi-step tool use"),
            Reason::LongRequest(n) => write!(f, "long request ({n} characters)"),
            Reason::LowConfidence { confidence, min, kept } => {
                write!(f, "confidence {confidence:.2} < {min:.2}: kept one tier higher ({kept})")
            }
            Reason::OperatorFloor(t) => write!(f, "operator floor: {t}"),
            Reason::OperatorCeiling(t) => write!(f, "operator ceiling: {t}"),
            Reason::RequestedCeiling(t) => write!(f, "requested model is {t}: never route up"),
            Reason::SkippedForCapabilities(n) => write!(f, "{n} models lack a needed capability or context"),
            Reason::SkippedForProviders(n) => write!(f, "{n} models on unavailable or excluded providers"),
            Reason::SkippedForQuality { count, min } => {
                write!(f, "quality rule: {count} models below {min:.1} (or unscored) skipped for this hard request")
            }
            Reason::Text(s) => f.write_str(s),
            Reason::Shared(s) => f.write_str(s),
        }
    }
}
