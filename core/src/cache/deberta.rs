//! The pair model's forward pass ([`super::pair`]) for the layout of most DeBERTa-v3
//! checkpoints: attention keys shared with positions, content-to-position and
//! position-to-content attention over log-bucketed relative positions, a layer-normed
//! relative embedding table, GELU, and a pooled first token.
//!
//! candle's `debertav2` computes the same logits, but on every call it runs the 512-row
//! relative embedding table through each layer's query and key projections, whose result
//! depends only on the weights: about half of a pair check. Here those projections are
//! made once, at load. Other layouts use candle's model (`pair.rs`); a test checks that
//! both give the same logits.

use candle_core::{DType, Module, Result, Tensor, D};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};
use candle_transformers::models::debertav2::{Config, HiddenAct};

/// One encoder layer, with its projections of the relative embedding table.
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
    /// The table through `key` and `query`, by head and transposed: [heads, head size, 2 span].
    position_keys: Tensor,
    position_queries: Tensor,
}

/// A DeBERTa-v3 sequence classifier (see the module docs).
pub(crate) struct FastDeberta {
    words: Embedding,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    pooler: Linear,
    classifier: Linear,
    heads: usize,
    /// Relative positions attended to on each side (`position_buckets`).
    span: i64,
    /// Longest relative position the buckets cover.
    max_position: i64,
}

impl FastDeberta {
    /// Whether `c` is the layout this forward computes.
    pub(crate) fn supports(c: &Config) -> bool {
        let mut attention = c.pos_att_type.clone();
        attention.sort();
        c.relative_attention
            && c.share_att_key == Some(true)
            && !c.position_biased_input
            && c.type_vocab_size == 0
            && c.embedding_size.is_none_or(|e| e == c.hidden_size)
            && c.conv_kernel_size.is_none()
            && c.norm_rel_ebd.as_deref().is_some_and(|n| n.contains("layer_norm"))
            && attention == ["c2p", "p2c"]
            && c.position_buckets.is_some_and(|b| b > 0)
            && c.hidden_act == HiddenAct::Gelu
            && c.pooler_hidden_act == Some(HiddenAct::Gelu)
            && c.pooler_hidden_size == Some(c.hidden_size)
            && c.hidden_size % c.num_attention_heads == 0
    }

    /// Loads the weights (`deberta.*`, `pooler.dense`, `classifier`) with `labels` outputs.
    pub(crate) fn load(vb: VarBuilder, c: &Config, labels: usize) -> Result<Self> {
        let (hidden, heads) = (c.hidden_size, c.num_attention_heads);
        let span = c.position_buckets.unwrap_or(256) as i64;
        let max_position = if c.max_relative_positions < 1 {
            c.max_position_embeddings as i64
        } else {
            c.max_relative_positions as i64
        };
        let eps = c.layer_norm_eps;
        let d = vb.pp("deberta");
        let words = embedding(c.vocab_size, hidden, d.pp("embeddings.word_embeddings"))?;
        let embedding_norm = layer_norm(hidden, eps, d.pp("embeddings.LayerNorm"))?;
        let table = d.get((2 * span as usize, hidden), "encoder.rel_embeddings.weight")?;
        let table = layer_norm(hidden, eps, d.pp("encoder.LayerNorm"))?.forward(&table)?;
        // [2 span, hidden] -> [heads, head size, 2 span]
        let by_head =
            |x: Tensor| x.reshape((2 * span as usize, heads, hidden / heads))?.permute((1, 2, 0))?.contiguous();
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let l = d.pp(format!("encoder.layer.{i}"));
            let query = linear(hidden, hidden, l.pp("attention.self.query_proj"))?;
            let key = linear(hidden, hidden, l.pp("attention.self.key_proj"))?;
            layers.push(Layer {
                position_keys: by_head(key.forward(&table)?)?,
                position_queries: by_head(query.forward(&table)?)?,
                query,
                key,
                value: linear(hidden, hidden, l.pp("attention.self.value_proj"))?,
                attention_out: linear(hidden, hidden, l.pp("attention.output.dense"))?,
                attention_norm: layer_norm(hidden, eps, l.pp("attention.output.LayerNorm"))?,
                intermediate: linear(hidden, c.intermediate_size, l.pp("intermediate.dense"))?,
                output: linear(c.intermediate_size, hidden, l.pp("output.dense"))?,
                output_norm: layer_norm(hidden, eps, l.pp("output.LayerNorm"))?,
            });
        }
        Ok(FastDeberta {
            words,
            embedding_norm,
            layers,
            pooler: linear(hidden, hidden, vb.pp("pooler.dense"))?,
            classifier: linear(hidden, labels, vb.pp("classifier"))?,
            heads,
            span,
            max_position,
        })
    }

    /// Logits [batch, labels] of `ids` [batch, len] (u32) with `mask` [batch, len] (u32).
    pub(crate) fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, len) = ids.dims2()?;
        let mask = mask.to_dtype(DType::F32)?;
        let mut h = self.embedding_norm.forward(&self.words.forward(ids)?)?.broadcast_mul(&mask.unsqueeze(2)?)?;
        // [batch, 1, len, len]: a query and a key both real.
        let pair_mask = mask.unsqueeze(2)?.broadcast_mul(&mask.unsqueeze(1)?)?.unsqueeze(1)?;
        let blocked = ((pair_mask.clone() - 1.0)? * 1e9)?;
        let (c2p, p2c) = self.position_indices(batch, len)?;
        let head = h.dim(2)? / self.heads;
        let scale = ((head * 3) as f64).sqrt();
        // [batch, len, hidden] -> [batch, heads, len, head size]
        let split = |x: Tensor| x.reshape((batch, len, self.heads, head))?.transpose(1, 2)?.contiguous();
        for l in &self.layers {
            let q = split(l.query.forward(&h)?)?;
            let k = split(l.key.forward(&h)?)?;
            let v = split(l.value.forward(&h)?)?;
            let content = q.matmul(&k.t()?)?;
            let c2p_scores = q.broadcast_matmul(&l.position_keys)?.contiguous()?.gather(&c2p, 3)?;
            let p2c_scores = k.broadcast_matmul(&l.position_queries)?.contiguous()?.gather(&p2c, 3)?.transpose(2, 3)?;
            let scores = ((content + c2p_scores)? + p2c_scores)?.affine(1.0 / scale, 0.0)?.broadcast_add(&blocked)?;
            let probs = candle_nn::ops::softmax(&scores, D::Minus1)?.broadcast_mul(&pair_mask)?;
            let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((batch, len, ()))?;
            let attended = l.attention_norm.forward(&(l.attention_out.forward(&context)? + &h)?)?;
            let inner = l.intermediate.forward(&attended)?.gelu_erf()?;
            h = l.output_norm.forward(&(l.output.forward(&inner)? + &attended)?)?;
        }
        let first = h.narrow(1, 0, 1)?.squeeze(1)?;
        self.classifier.forward(&self.pooler.forward(&first)?.gelu_erf()?)
    }

    /// Where each (query, key) pair reads the position scores: content-to-position and
    /// position-to-content, [batch, heads, len, len].
    fn position_indices(&self, batch: usize, len: usize) -> Result<(Tensor, Tensor)> {
        let last = 2 * self.span - 1;
        let mut c2p = Vec::with_capacity(len * len);
        let mut p2c = Vec::with_capacity(len * len);
        for i in 0..len as i64 {
            for j in 0..len as i64 {
                let r = bucket(i - j, self.span, self.max_position);
                c2p.push((r + self.span).clamp(0, last) as u32);
                p2c.push((self.span - r).clamp(0, last) as u32);
            }
        }
        let device = &candle_core::Device::Cpu;
        let expand = |v: Vec<u32>| {
            Tensor::from_vec(v, (1, 1, len, len), device)?.broadcast_as((batch, self.heads, len, len))?.contiguous()
        };
        Ok((expand(c2p)?, expand(p2c)?))
    }
}

/// DeBERTa-v2's log-bucketed relative position: exact within half the buckets, then
/// logarithmic up to `max_position` (computed in f32, as the reference does).
fn bucket(relative: i64, buckets: i64, max_position: i64) -> i64 {
    let mid = buckets / 2;
    let abs = if relative < mid && relative > -mid { mid - 1 } else { relative.abs() };
    if abs <= mid {
        return relative;
    }
    let log = ((abs as f32 / mid as f32).ln() / ((max_position - 1) as f32 / mid as f32).ln() * (mid - 1) as f32).ceil()
        as i64
        + mid;
    log * relative.signum()
}

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_are_exact_near_and_logarithmic_far() {
        for r in -128..=128 {
            assert_eq!(bucket(r, 256, 512), r);
        }
        assert_eq!(bucket(129, 256, 512), -bucket(-129, 256, 512));
        assert!(bucket(255, 256, 512) > 128 && bucket(255, 256, 512) < 255);
        assert!(bucket(511, 256, 512) <= 255);
    }
}
