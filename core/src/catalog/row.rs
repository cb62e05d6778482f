//! Routing's packed view of a model.

use super::{days_from_iso, ModelSpec, ProviderId};
use crate::types::Tier;

/// What routing reads of a model on every request, packed in one small row: the selection
/// loop walks these instead of the full specs (names, dates as text, cache prices), and
/// compares shutdown days as integers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ModelRow {
    pub tier: Tier,
    pub provider: ProviderId,
    pub tools: bool,
    pub vision: bool,
    pub json_mode: bool,
    pub json_schema: bool,
    pub context_window: u32,
    pub max_output: u32,
    pub quality: Option<f32>,
    /// Days since 1970-01-01.
    pub shutdown_day: Option<i64>,
    /// Prompts above this many tokens are billed at the long prices (`u32::MAX`: never).
    long_threshold: u32,
    /// USD per million tokens: input, output, long input, long output.
    prices: [f64; 4],
}

impl ModelRow {
    pub(super) fn of(spec: &ModelSpec, provider: ProviderId) -> ModelRow {
        ModelRow {
            tier: spec.tier,
            provider,
            tools: spec.tools,
            vision: spec.vision,
            json_mode: spec.json_mode,
            json_schema: spec.json_schema,
            context_window: spec.context_window,
            max_output: spec.max_output,
            quality: spec.quality,
            shutdown_day: spec.shutdown.as_deref().and_then(days_from_iso),
            long_threshold: spec.long_context_threshold.unwrap_or(u32::MAX),
            prices: [
                spec.input_per_mtok,
                spec.output_per_mtok,
                spec.long_input_per_mtok.unwrap_or(spec.input_per_mtok),
                spec.long_output_per_mtok.unwrap_or(spec.output_per_mtok),
            ],
        }
    }

    /// [`ModelSpec::cost`] of a request without prompt caching, in millionths of a USD:
    /// routing ranks and compares these and divides only the few it keeps.
    pub fn micro_cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        let long = usize::from(input_tokens > u64::from(self.long_threshold)) * 2;
        input_tokens as f64 * self.prices[long] + output_tokens as f64 * self.prices[long + 1]
    }
}
