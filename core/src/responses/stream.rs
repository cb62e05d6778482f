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
    text: String,
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
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseStream").field("id", &self.response.id).finish_non_exhaustive()
    }
}

impl ResponseStream {
    pub(crate) fn new(chat: ChatStream, skeleton: Response, remember: Option<Remember>) -> Self {
        let mut s = ResponseStream {
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
                self.text_delta(text);
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

    fn text_delta(&mut self, delta: String) {
        if self.message.is_none() {
            let m = OpenMessage { index: self.next_index(), id: new_id("msg"), text: String::new() };
            let (id, index) = (m.id.clone(), m.index);
            self.message = Some(m);
            let item = OutputItem::Message {
                id: id.clone(),
                role: "assistant".into(),
                status: "in_progress".into(),
                content: Vec::new(),
            };
            self.emit(|n| ResponseStreamEvent::OutputItemAdded { output_index: index, item, sequence_number: n });
            self.emit(|n| ResponseStreamEvent::ContentPartAdded {
                item_id: id,
                output_index: index,
                content_index: 0,
                part: text_part(String::new()),
                sequence_number: n,
            });
        }
        let m = self.message.as_mut().expect("opened above");
        m.text.push_str(&delta);
        let (item_id, output_index) = (m.id.clone(), m.index);
        self.emit(|n| ResponseStreamEvent::OutputTextDelta {
            item_id,
            output_index,
            content_index: 0,
            delta,
            logprobs: Vec::new(),
            sequence_number: n,
        });
    }

    fn close_message(&mut self) {
        let Some(m) = self.message.take() else { return };
        let (id, index, text) = (m.id, m.index, m.text);
        let t = text.clone();
        let i = id.clone();
        self.emit(|n| ResponseStreamEvent::OutputTextDone {
            item_id: i,
            output_index: index,
            content_index: 0,
            text: t,
            logprobs: Vec::new(),
            sequence_number: n,
        });
        let i = id.clone();
        let part = text_part(text.clone());
        self.emit(|n| ResponseStreamEvent::ContentPartDone {
            item_id: i,
            output_index: index,
            content_index: 0,
            part,
            sequence_number: n,
        });
        let item = OutputItem::Message {
            id,
            role: "assistant".into(),
            status: "completed".into(),
            content: vec![text_part(text)],
        };
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

fn text_part(text: String) -> OutputContent {
    OutputContent::OutputText { text, annotations: Vec::new(), logprobs: Vec::new() }
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
