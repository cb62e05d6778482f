//! Between answers and streams: a cached answer replayed as OpenAI chunks, and a streamed
//! answer assembled into one response so it can be cached.

use std::collections::BTreeMap;

use crate::types::{
    AssistantMessage, ChatChunk, ChatResponse, Choice, ChunkChoice, Delta, FunctionCall, FunctionCallDelta, Role,
    ToolCall, ToolCallDelta, Usage,
};

/// Longest piece of text per replayed chunk; breaks fall on whitespace where possible.
const PIECE: usize = 48;

fn chunk(resp: &ChatResponse, choices: Vec<ChunkChoice>) -> ChatChunk {
    let mut c = ChatChunk::new(resp.id.clone(), resp.created, resp.model.clone(), choices);
    c.system_fingerprint = resp.system_fingerprint.clone();
    c.service_tier = resp.service_tier.clone();
    c
}

/// Splits text into pieces of about [`PIECE`] bytes, ending after whitespace.
fn pieces(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > PIECE {
        let mut cut = PIECE;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let at = rest[..cut].rfind(char::is_whitespace).map_or(cut, |i| i + 1);
        let at = if at == 0 { cut } else { at };
        out.push(&rest[..at]);
        rest = &rest[at..];
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// The chunks a provider would have streamed for `resp`: per choice the role, the text in
/// pieces, each tool call, the finish; then the usage chunk when asked for.
pub(crate) fn replay(resp: &ChatResponse, include_usage: bool) -> Vec<ChatChunk> {
    let mut out = Vec::new();
    for c in &resp.choices {
        let role = Delta { role: Some(Role::Assistant), content: Some(String::new()), ..Delta::default() };
        out.push(chunk(resp, vec![ChunkChoice::new(c.index, role, None)]));
        for piece in pieces(c.message.content.as_deref().unwrap_or("")) {
            let d = Delta { content: Some(piece.to_string()), ..Delta::default() };
            out.push(chunk(resp, vec![ChunkChoice::new(c.index, d, None)]));
        }
        if let Some(refusal) = &c.message.refusal {
            let d = Delta { refusal: Some(refusal.clone()), ..Delta::default() };
            out.push(chunk(resp, vec![ChunkChoice::new(c.index, d, None)]));
        }
        for (i, t) in c.message.tool_calls.iter().flatten().enumerate() {
            let d = Delta {
                tool_calls: Some(vec![ToolCallDelta {
                    index: i as u32,
                    id: Some(t.id.clone()),
                    kind: Some(t.kind.clone()),
                    function: Some(FunctionCallDelta {
                        name: Some(t.function.name.clone()),
                        arguments: Some(t.function.arguments.clone()),
                    }),
                    extra: Default::default(),
                }]),
                ..Delta::default()
            };
            out.push(chunk(resp, vec![ChunkChoice::new(c.index, d, None)]));
        }
        out.push(chunk(resp, vec![ChunkChoice::new(c.index, Delta::default(), c.finish_reason.clone())]));
    }
    if include_usage {
        let mut u = chunk(resp, Vec::new());
        u.usage = Some(resp.usage.clone().unwrap_or_default());
        out.push(u);
    }
    out
}

#[derive(Default)]
struct ChoiceAcc {
    content: String,
    refusal: Option<String>,
    tools: BTreeMap<u32, ToolCall>,
    finish_reason: Option<String>,
}

/// Collects a stream's chunks into the response they add up to.
#[derive(Default)]
pub(crate) struct Assembler {
    head: Option<ChatChunk>,
    choices: BTreeMap<u32, ChoiceAcc>,
    usage: Option<Usage>,
}

impl Assembler {
    pub(crate) fn push(&mut self, c: &ChatChunk) {
        if self.head.is_none() {
            let mut head = c.clone();
            head.choices.clear();
            self.head = Some(head);
        }
        if let Some(u) = &c.usage {
            self.usage = Some(u.clone());
        }
        for ch in &c.choices {
            let acc = self.choices.entry(ch.index).or_default();
            if let Some(t) = &ch.delta.content {
                acc.content.push_str(t);
            }
            if let Some(r) = &ch.delta.refusal {
                acc.refusal.get_or_insert_with(String::new).push_str(r);
            }
            for t in ch.delta.tool_calls.iter().flatten() {
                let call = acc.tools.entry(t.index).or_insert_with(|| ToolCall {
                    id: String::new(),
                    kind: "function".into(),
                    function: FunctionCall { name: String::new(), arguments: String::new(), extra: Default::default() },
                    extra: Default::default(),
                });
                if let Some(id) = &t.id {
                    call.id.clone_from(id);
                }
                if let Some(f) = &t.function {
                    if let Some(n) = &f.name {
                        call.function.name.push_str(n);
                    }
                    if let Some(a) = &f.arguments {
                        call.function.arguments.push_str(a);
                    }
                }
            }
            if ch.finish_reason.is_some() {
                acc.finish_reason.clone_from(&ch.finish_reason);
            }
        }
    }

    /// The whole answer, or `None` when the stream showed nothing to keep.
    pub(crate) fn finish(self) -> Option<ChatResponse> {
        let head = self.head?;
        let choices = self
            .choices
            .into_iter()
            .map(|(index, a)| Choice {
                index,
                message: AssistantMessage {
                    role: Role::Assistant,
                    content: (!a.content.is_empty() || a.tools.is_empty()).then_some(a.content),
                    refusal: a.refusal,
                    tool_calls: (!a.tools.is_empty()).then(|| a.tools.into_values().collect()),
                    annotations: None,
                    audio: None,
                    function_call: None,
                    extra: Default::default(),
                },
                finish_reason: a.finish_reason,
                logprobs: None,
                extra: Default::default(),
            })
            .collect();
        let mut resp = ChatResponse::new(head.id, head.created, head.model, choices);
        resp.usage = self.usage;
        resp.system_fingerprint = head.system_fingerprint;
        resp.service_tier = head.service_tier;
        Some(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replayed_answer_assembles_back_into_itself() {
        let resp: ChatResponse = serde_json::from_value(serde_json::json!({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 7, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant",
                "content": "Let me look that up for you, it will only take a moment, thanks for waiting.",
                "tool_calls": [{"id": "call_1", "type": "function",
                    "function": {"name": "weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}
        }))
        .unwrap();
        let chunks = replay(&resp, true);
        assert!(chunks.len() > 4, "text comes in pieces");
        assert_eq!(chunks[0].choices[0].delta.role, Some(Role::Assistant));
        assert!(chunks.last().unwrap().choices.is_empty() && chunks.last().unwrap().usage.is_some());
        let mut a = Assembler::default();
        chunks.iter().for_each(|c| a.push(c));
        let back = a.finish().unwrap();
        assert_eq!(back.choices, resp.choices);
        assert_eq!(back.usage, resp.usage);
        assert_eq!(pieces("aé").concat(), "aé");
        let long = "x".repeat(100) + " yé";
        assert_eq!(pieces(&long).concat(), long);
    }
}
