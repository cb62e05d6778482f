//! `POST …/embeddings` in OpenAI's shape, with deterministic vectors: the same words (in
//! any case or order) give the same vector, so tests of an embeddings-backed cache can
//! predict hits.

use serde_json::{json, Value};

const DIMS: usize = 64;

/// A vector of `text`'s lowercased words hashed into [`DIMS`] dimensions, L2-normalized.
fn vector(text: &str) -> Vec<f64> {
    let mut v = vec![0f64; DIMS];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let h = word
            .to_lowercase()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        v[(h % DIMS as u64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// A vector as OpenAI sends it: a JSON array, or with `encoding_format: "base64"` the base64
/// of its little-endian float32s.
fn encode(v: Vec<f64>, base64: bool) -> Value {
    if !base64 {
        return json!(v);
    }
    use base64::Engine as _;
    let bytes: Vec<u8> = v.iter().flat_map(|x| (*x as f32).to_le_bytes()).collect();
    json!(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The response body for a request body, or an OpenAI-style 400 body.
pub(crate) fn respond(body: &Value) -> Result<Value, String> {
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => return Err("'input' is required: a string or an array of strings".into()),
    };
    let model = body.get("model").and_then(Value::as_str).ok_or("'model' is required")?;
    // The SDKs ask for base64 (little-endian float32s) unless told otherwise.
    let base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let tokens: usize = inputs.iter().map(|i| i.split_whitespace().count()).sum();
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": encode(vector(text), base64)}))
        .collect();
    Ok(json!({
        "object": "list", "data": data, "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens}
    }))
}
