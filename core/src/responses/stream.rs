//! A routed chat stream retold in the Responses event vocabulary: `response.created`,
//! `response.in_progress`, then per output item `output_item.added` → content or argument
//! deltas → `…done` events, and `response.completed` (or `incomplete`) carrying the whole
//! Response with usage and Kestrel's metadata. A break mid-stream becomes `error` then
//! `response.failed`, as OpenAI streams them.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};

use super::store::ConversationStore;
use super::translate::{new_id, output_as_input, status_of, usage};
use super::types::*;
use crate::client::ChatStream;
use crate::error::Error;
use crate::types::{ChatChunk, KestrelMeta, Usage};

/// Where the finished conversation goes, for `previous_response_id`.
pub(crate) struct Remember {
    pub store: Arc<ConversationStore>,
    pub tenant: Option<String>,
    pub conversation: Vec<InputItem>,
}

struct OpenMessage {
    index: u32,
    id: String,
    /// Finished content parts.
    parts: Vec<OutputContent>,
    /// The part being streamed: whether it is a refusal, and its text so far.
    current: Option<(bool, String)>,
}

struct OpenCall {
    /// The chat stream's tool-call index.
    chat_index: u32,
    index: u32,
    id: String,
    call_id: String,
    name: String,
    arguments: String,
}

/// Responses stream events, ending with `response.completed`, `response.incomplete` or
/// `response.failed`. Dropping it early cancels the upstream request.
pub struct ResponseStream {
    chat: Option<ChatStream>,
    queue: VecDeque<ResponseStreamEvent>,
    seq: u64,
    response: Response,
    message: Option<OpenMessage>,
    call: Option<OpenCall>,
    finish: Option<String>,
    usage: Option<Usage>,
    kestrel: Option<KestrelMeta>,
    remember: Option<Remember>,
    /// The provider's HTTP answer that opened the chat stream underneath.
    opened_by: Option<Box<crate::ProviderResponse>>,
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream").field("id", &self.response.id).finish_non_exhaustive()
    }
}

impl ResponseStream {
    pub(crate) fn new(chat: ChatStream, skeleton: Response, remember: Option<Remember>) -> Self {
        let opened_by = chat.provider_response().cloned().map(Box::new);
        let mut s = ResponseStream {
            opened_by,
            chat: Some(chat),
            queue: VecDeque::new(),
            seq: 0,
            response: skeleton,
            message: None,
            call: None,
            finish: None,
            usage: None,
            kestrel: None,
            remember,
        };
        let r = Box::new(s.response.clone());
        s.emit(|n| ResponseStreamEvent::Created { response: r, sequence_number: n });
        let r = Box::new(s.response.clone());
        s.emit(|n| ResponseStreamEvent::InProgress { response: r, sequence_number: n });
        s
    }

    /// The id every event's response carries (`resp_…`).
    pub fn id(&self) -> &str {
        &self.response.id
    }

    /// The provider's HTTP answer that opened this stream (see
    /// [`crate::ChatStream::provider_response`]).
    pub fn provider_response(&self) -> Option<&crate::ProviderResponse> {
        self.opened_by.as_deref()
    }

    fn emit(&mut self, make: impl FnOnce(u64) -> ResponseStreamEvent) {
        let ev = make(self.seq);
        self.seq += 1;
        self.queue.push_back(ev);
    }

    fn accept(&mut self, chunk: ChatChunk) {
        if let Some(u) = chunk.usage {
            self.usage = Some(u);
        }
        if chunk.kestrel.is_some() {
            self.kestrel = chunk.kestrel;
        }
        if !chunk.model.is_empty() {
            self.response.model = chunk.model;
        }
        for choice in chunk.choices.into_iter().filter(|c| c.index == 0) {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.close_call();
                self.text_delta(text, false);
            }
            if let Some(text) = choice.delta.refusal.filter(|t| !t.is_empty()) {
                self.close_call();
                self.text_delta(text, true);
            }
            for tc in choice.delta.tool_calls.into_iter().flatten() {
                let f = tc.function.unwrap_or_default();
                let same = self.call.as_ref().is_some_and(|c| c.chat_index == tc.index);
                if !same || tc.id.as_ref().is_some_and(|id| self.call.as_ref().is_some_and(|c| &c.call_id != id)) {
                    self.close_message();
                    self.close_call();
                    self.open_call(tc.index, tc.id.unwrap_or_else(|| new_id("call")), f.name.unwrap_or_default());
                }
                if let Some(delta) = f.arguments.filter(|a| !a.is_empty()) {
                    let call = self.call.as_mut().expect("opened above");
                    call.arguments.push_str(&delta);
                    let (item_id, output_index) = (call.id.clone(), call.index);
                    self.emit(|n| ResponseStreamEvent::FunctionCallArgumentsDelta {
                        item_id,
                        output_index,
                        delta,
                        sequence_number: n,
                    });
                }
            }
            if choice.finish_reason.is_some() {
                self.finish = choice.finish_reason;
            }
        }
    }

    fn next_index(&self) -> u32 {
        self.response.output.len() as u32
    }

    /// Text (or, with `refusal`, refusal text) for the open message, opening the message
    /// and the content part as needed.
    fn text_delta(&mut self, delta: String, refusal: bool) {
        if self.message.is_none() {
            let m = OpenMessage { index: self.next_index(), id: new_id("msg"), parts: Vec::new(), current: None };
            let item = OutputItem::Message {
                id: m.id.clone(),
                role: "assistant".into(),
                status: "in_progress".into(),
                content: Vec::new(),
            };
            let index = m.index;
            self.message = Some(m);
            self.emit(|n| ResponseStreamEvent::OutputItemAdded { output_index: index, item, sequence_number: n });
        }
        if self.message.as_ref().and_then(|m| m.current.as_ref()).is_some_and(|c| c.0 != refusal) {
            self.close_part();
        }
        let m = self.message.as_mut().expect("opened above");
        let (item_id, output_index, content_index) = (m.id.clone(), m.index, m.parts.len() as u32);
        if m.current.is_none() {
            m.current = Some((refusal, String::new()));
            let part = part(refusal, String::new());
            let id = item_id.clone();
            self.emit(|n| ResponseStreamEvent::ContentPartAdded {
                item_id: id,
                output_index,
                content_index,
                part,
                sequence_number: n,
            });
        }
        if let Some((_, text)) = self.message.as_mut().and_then(|m| m.current.as_mut()) {
            text.push_str(&delta);
        }
        self.emit(|n| {
            if refusal {
                ResponseStreamEvent::RefusalDelta { item_id, output_index, content_index, delta, sequence_number: n }
            } else {
                ResponseStreamEvent::OutputTextDelta {
                    item_id,
                    output_index,
                    content_index,
                    delta,
                    logprobs: Vec::new(),
                    sequence_number: n,
                }
            }
        });
    }

    /// Closes the content part being streamed: its `…done` and `content_part.done`.
    fn close_part(&mut self) {
        let Some(m) = self.message.as_mut() else { return };
        let Some((refusal, text)) = m.current.take() else { return };
        let (item_id, output_index, content_index) = (m.id.clone(), m.index, m.parts.len() as u32);
        m.parts.push(part(refusal, text.clone()));
        let id = item_id.clone();
        let t = text.clone();
        self.emit(|n| {
            if refusal {
                ResponseStreamEvent::RefusalDone {
                    item_id: id,
                    output_index,
                    content_index,
                    refusal: t,
                    sequence_number: n,
                }
            } else {
                ResponseStreamEvent::OutputTextDone {
                    item_id: id,
                    output_index,
                    content_index,
                    text: t,
                    logprobs: Vec::new(),
                    sequence_number: n,
                }
            }
        });
        let part = part(refusal, text);
        self.emit(|n| ResponseStreamEvent::ContentPartDone {
            item_id,
            output_index,
            content_index,
            part,
            sequence_number: n,
        });
    }

    fn close_message(&mut self) {
        self.close_part();
        let Some(m) = self.message.take() else { return };
        let index = m.index;
        let item =
            OutputItem::Message { id: m.id, role: "assistant".into(), status: "completed".into(), content: m.parts };
        self.response.output.push(item.clone());
        self.emit(|n| ResponseStreamEvent::OutputItemDone { output_index: index, item, sequence_number: n });
    }

    fn open_call(&mut self, chat_index: u32, call_id: String, name: String) {
        let c = OpenCall {
            chat_index,
            index: self.next_index(),
            id: new_id("fc"),
            call_id,
            name,
            arguments: String::new(),
        };
        let item = OutputItem::FunctionCall {
            id: c.id.clone(),
            call_id: c.call_id.clone(),
            name: c.name.clone(),
            arguments: String::new(),
            status: "in_progress".into(),
        };
        let index = c.index;
        self.call = Some(c);
        self.emit(|n| ResponseStreamEvent::OutputItemAdded { output_index: index, item, sequence_number: n });
    }

    fn close_call(&mut self) {
        let Some(c) = self.call.take() else { return };
        let (id, index, name, arguments) = (c.id.clone(), c.index, c.name.clone(), c.arguments.clone());
        self.emit(|n| ResponseStreamEvent::FunctionCallArgumentsDone {
            item_id: id,
            output_index: index,
            name,
            arguments,
            sequence_number: n,
        });
        let item = OutputItem::FunctionCall {
            id: c.id,
            call_id: c.call_id,
            name: c.name,
            arguments: c.arguments,
            status: "completed".into(),
        };
        self.response.output.push(item.clone());
        self.emit(|n| ResponseStreamEvent::OutputItemDone { output_index: index, item, sequence_number: n });
    }

    /// The chat stream ended: close what is open and hand out the whole Response.
    fn complete(&mut self) {
        self.chat = None;
        self.close_message();
        self.close_call();
        let (status, incomplete) = status_of(self.finish.as_deref());
        self.response.status = status.into();
        self.response.incomplete_details = incomplete;
        self.response.usage = self.usage.as_ref().map(usage);
        self.response.kestrel = self.kestrel.take();
        if let Some(r) = self.remember.take() {
            let mut items = r.conversation;
            items.extend(output_as_input(&self.response.output));
            r.store.put(r.tenant, self.response.id.clone(), items);
        }
        let response = Box::new(self.response.clone());
        if status == "completed" {
            self.emit(|n| ResponseStreamEvent::Completed { response, sequence_number: n });
        } else {
            self.emit(|n| ResponseStreamEvent::Incomplete { response, sequence_number: n });
        }
    }

    /// The chat stream broke: `error`, then `response.failed` with what arrived.
    fn fail(&mut self, e: Error) {
        self.chat = None;
        self.remember = None;
        let code = e.kind_name().to_string();
        let message = e.to_string();
        let (c, m) = (code.clone(), message.clone());
        self.emit(|n| ResponseStreamEvent::Error { code: Some(c), message: m, param: None, sequence_number: n });
        self.response.status = "failed".into();
        self.response.error = Some(ResponseError { code, message });
        self.response.usage = self.usage.as_ref().map(usage);
        let response = Box::new(self.response.clone());
        self.emit(|n| ResponseStreamEvent::Failed { response, sequence_number: n });
    }
}

fn part(refusal: bool, text: String) -> OutputContent {
    if refusal {
        OutputContent::Refusal { refusal: text }
    } else {
        OutputContent::OutputText { text, annotations: Vec::new(), logprobs: Vec::new() }
    }
}

impl Stream for ResponseStream {
    type Item = ResponseStreamEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Poll::Ready(Some(ev));
            }
            let Some(chat) = self.chat.as_mut() else { return Poll::Ready(None) };
            match chat.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => self.accept(chunk),
                Poll::Ready(Some(Err(e))) => self.fail(e),
                Poll::Ready(None) => self.complete(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;
    use crate::types::{ChunkChoice, Delta};

    fn chunk(delta: Delta, finish: Option<&str>) -> ChatChunk {
        ChatChunk::new("c", 1, "m", vec![ChunkChoice::new(0, delta, finish.map(String::from))])
    }

    /// Text then a refusal in one message: two content parts, each opened, streamed and closed.
    #[tokio::test]
    async fn text_and_refusal_are_two_parts_of_one_message() {
        let chunks = vec![
            chunk(Delta { content: Some("I see.".into()), ..Default::default() }.opening(), None),
            chunk(Delta { refusal: Some("I can't ".into()), ..Default::default() }, None),
            chunk(Delta { refusal: Some("help.".into()), ..Default::default() }, Some("stop")),
        ];
        let req = ResponsesRequest::new("m", "hi");
        let skeleton = super::super::translate::skeleton(&req, new_id("resp"), 1);
        let events: Vec<ResponseStreamEvent> =
            ResponseStream::new(ChatStream::replayed(chunks), skeleton, None).collect().await;
        let kinds: Vec<&str> = events.iter().map(|e| e.kind()).collect();
        assert_eq!(
            kinds,
            [
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.content_part.added",
                "response.refusal.delta",
                "response.refusal.delta",
                "response.refusal.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed",
            ]
        );
        let done = events.last().unwrap().final_response().unwrap();
        let OutputItem::Message { content, .. } = &done.output[0] else { panic!("{done:?}") };
        assert_eq!(content[1], OutputContent::Refusal { refusal: "I can't help.".into() });
        assert_eq!(done.output_text(), "I see.");
    }
}
