//! Cache keys: blake3 over the parts of a request that change its answer, inside a tenant
//! namespace.
//!
//! Left out: `stream`/`stream_options` (a hit replays either way), `user`, `metadata`,
//! `store`, `safety_identifier`, `prompt_cache_key`, `service_tier` and the tenant inside
//! the `kestrel` options (it is the namespace). Everything else counts, unknown fields
//! included, because the answer may depend on them.

use serde::Serialize;
use serde_json::Value;

use crate::types::{ChatRequest, Content, ContentPart, Message, Role, Stop, Tool, ToolChoice};
use crate::types::{Extra, ResponseFormat};
use crate::types::{RequestPolicy, Tier};

/// A 32-byte blake3 digest naming an entry, a semantic block or a namespace.
pub type Digest = [u8; 32];

/// The tenant namespace: a digest, so tenant names never appear in keys (or in Redis).
pub fn namespace(tenant: Option<&str>) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(b"kestrel-cache-ns-v1\0");
    match tenant {
        Some(t) => {
            h.update(&[1]);
            h.update(&(t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
        }
        None => {
            h.update(&[0]);
        }
    }
    *h.finalize().as_bytes()
}

/// The request as the key sees it: borrowed, so keying allocates only the JSON buffer.
#[derive(Serialize)]
struct Keyed<'a> {
    model: &'a str,
    /// The messages before the last one (all of them for the exact key).
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stop: Option<&'a Stop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    presence_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency_penalty: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logit_bias: Option<&'a serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    logprobs: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_logprobs: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tools: Option<&'a [Tool]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'a ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<&'a ResponseFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_effort: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verbosity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modalities: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prediction: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_search_options: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    functions: Option<&'a [Value]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_call: Option<&'a Value>,
    /// Routing options change which model answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<PolicyKey<'a>>,
    extra: &'a Extra,
}

#[derive(Serialize)]
struct PolicyKey<'a> {
    routing: Option<bool>,
    floor: Option<Tier>,
    ceiling: Option<Tier>,
    allow_providers: Option<&'a [String]>,
    deny_providers: Option<&'a [String]>,
    min_confidence: Option<f32>,
}

/// The routing part of the `kestrel` options; `None` when it sets nothing, so a request
/// with only `cache` or `tenant` options keys like one without.
fn policy_key(p: &RequestPolicy) -> Option<PolicyKey<'_>> {
    let k = PolicyKey {
        routing: p.routing,
        floor: p.floor,
        ceiling: p.ceiling,
        allow_providers: p.allow_providers.as_deref(),
        deny_providers: p.deny_providers.as_deref(),
        min_confidence: p.min_confidence,
    };
    let empty = k.routing.is_none()
        && k.floor.is_none()
        && k.ceiling.is_none()
        && k.allow_providers.is_none()
        && k.deny_providers.is_none()
        && k.min_confidence.is_none();
    (!empty).then_some(k)
}

fn keyed<'a>(req: &'a ChatRequest, messages: &'a [Message]) -> Keyed<'a> {
    Keyed {
        model: &req.model,
        messages,
        max_tokens: req.max_tokens,
        max_completion_tokens: req.max_completion_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        n: req.n,
        stop: req.stop.as_ref(),
        seed: req.seed,
        presence_penalty: req.presence_penalty,
        frequency_penalty: req.frequency_penalty,
        logit_bias: req.logit_bias.as_ref(),
        logprobs: req.logprobs,
        top_logprobs: req.top_logprobs,
        tools: req.tools.as_deref(),
        tool_choice: req.tool_choice.as_ref(),
        parallel_tool_calls: req.parallel_tool_calls,
        response_format: req.response_format.as_ref(),
        reasoning_effort: req.reasoning_effort.as_deref(),
        verbosity: req.verbosity.as_deref(),
        modalities: req.modalities.as_deref(),
        audio: req.audio.as_ref(),
        prediction: req.prediction.as_ref(),
        web_search_options: req.web_search_options.as_ref(),
        functions: req.functions.as_deref(),
        function_call: req.function_call.as_ref(),
        policy: req.kestrel.as_ref().and_then(policy_key),
        extra: &req.extra,
    }
}

fn digest(domain: &[u8], ns: &Digest, value: &impl Serialize) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(domain);
    h.update(ns);
    // Serializing into the hasher: no intermediate buffer.
    serde_json::to_writer(&mut HashWriter(&mut h), value).expect("request keys serialize");
    *h.finalize().as_bytes()
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The exact-layer key: the whole request (as above) in namespace `ns`. Built on the
/// context digest, so the request is serialized once for both.
pub fn exact_key(ns: &Digest, req: &ChatRequest) -> Digest {
    exact_key_from(&context_digest(ns, req), req)
}

/// [`exact_key`] given the request's [`context_digest`].
pub fn exact_key_from(context: &Digest, req: &ChatRequest) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(b"kestrel-cache-exact-v1\0");
    h.update(context);
    serde_json::to_writer(&mut HashWriter(&mut h), &req.messages.last()).expect("messages serialize");
    *h.finalize().as_bytes()
}

/// The final user message's text, when the request ends in one that is text only (the
/// only thing the semantic layer may match loosely).
pub fn final_user_text(req: &ChatRequest) -> Option<String> {
    let last = req.messages.last()?;
    if last.role != Role::User || last.name.is_some() {
        return None;
    }
    match last.content.as_ref()? {
        Content::Text(t) => Some(t.clone()),
        Content::Parts(parts) => {
            let mut out = String::new();
            for p in parts {
                match p {
                    ContentPart::Text { text, .. } => {
                        if !out.is_empty() {
                            out.push('\n');
                        }
                        out.push_str(text);
                    }
                    _ => return None, // images, audio, files: matched exactly or not at all
                }
            }
            Some(out)
        }
    }
}

/// Everything in the request but the final user message, in namespace `ns`: what must
/// match exactly for two requests to share an answer semantically.
pub fn context_digest(ns: &Digest, req: &ChatRequest) -> Digest {
    let before_last = &req.messages[..req.messages.len().saturating_sub(1)];
    digest(b"kestrel-cache-context-v1\0", ns, &keyed(req, before_last))
}

/// The semantic block: the context ([`context_digest`]) plus the guard of the final user
/// message and the embedder. Only entries in the same block are ever compared.
pub fn semantic_block(context: &Digest, guard: &str, embedder: &str) -> Digest {
    let mut h = blake3::Hasher::new();
    h.update(context);
    h.update(embedder.as_bytes());
    h.update(&[0]);
    h.update(guard.as_bytes());
    *h.finalize().as_bytes()
}

/// Lowercase hex, for Redis keys and logs.
pub fn hex(d: &Digest) -> String {
    blake3::Hash::from(*d).to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Message;

    fn req(model: &str, msgs: Vec<Message>) -> ChatRequest {
        ChatRequest::new(model, msgs)
    }

    #[test]
    fn what_changes_the_answer_changes_the_key() {
        let ns = namespace(None);
        let base = req("gpt-4o", vec![Message::user("What is 2+2?")]);
        let k = exact_key(&ns, &base);
        assert_eq!(k, exact_key(&ns, &base.clone()));
        let mut streamed = base.clone();
        streamed.stream = Some(true);
        streamed.user = Some("u1".into());
        assert_eq!(k, exact_key(&ns, &streamed), "stream and user do not change the answer");
        let mut hot = base.clone();
        hot.temperature = Some(0.9);
        assert_ne!(k, exact_key(&ns, &hot));
        assert_ne!(k, exact_key(&ns, &req("gpt-4o-mini", vec![Message::user("What is 2+2?")])));
        assert_ne!(k, exact_key(&namespace(Some("acme")), &base), "tenants never share");
        assert_ne!(namespace(Some("")), namespace(None));
        let mut extra = base.clone();
        extra.extra.insert("top_k".into(), 5.into());
        assert_ne!(k, exact_key(&ns, &extra), "unknown fields may change the answer");
    }

    #[test]
    fn the_block_covers_the_conversation_before_the_last_turn() {
        let ns = namespace(None);
        let a = req(
            "gpt-4o",
            vec![Message::user("Is coffee healthy?"), Message::assistant("Mostly."), Message::user("why?")],
        );
        let b =
            req("gpt-4o", vec![Message::user("Is sugar healthy?"), Message::assistant("No."), Message::user("why?")]);
        assert_ne!(
            semantic_block(&context_digest(&ns, &a), "why", "e"),
            semantic_block(&context_digest(&ns, &b), "why", "e")
        );
        let mut sys = a.clone();
        sys.messages.insert(0, Message::system("Answer in French."));
        assert_ne!(
            semantic_block(&context_digest(&ns, &a), "why", "e"),
            semantic_block(&context_digest(&ns, &sys), "why", "e")
        );
        let mut reworded = a.clone();
        reworded.messages[2] = Message::user("Why??");
        assert_eq!(
            semantic_block(&context_digest(&ns, &a), "why", "e"),
            semantic_block(&context_digest(&ns, &reworded), "why", "e")
        );
    }
}
