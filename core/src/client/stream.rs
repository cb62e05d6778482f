//! A routed stream of OpenAI chunks that ends with Kestrel's metadata and always leaves
//! a usage record, whether it finishes, breaks, or is dropped early.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::future::Future;

use futures_util::{Stream, StreamExt};

use super::accountant::{estimated_usage, Accountant, Outcome, RequestContext};
use crate::cache::{Assembler, Lookup, Stage0};
use crate::deadline::Watch;
use crate::error::{Error, Result};
use crate::providers::ChunkStream;
use crate::router::OutcomeWatch;
use crate::types::{ChatChunk, Usage};
use crate::usage::ErrorKind;

/// What the stream needs to price and record the request when it ends.
pub(crate) struct StreamMeta {
    accountant: Arc<Accountant>,
    ctx: RequestContext,
    /// The caller set `stream_options.include_usage`; otherwise the usage chunk Kestrel
    /// asked for is consumed, not forwarded.
    wants_usage: bool,
    usage: Option<Usage>,
    /// Characters of answer seen, to estimate usage when a provider reports none.
    answer_chars: usize,
    /// The last chunk's envelope, for a closing chunk when nothing can carry the metadata.
    last: Option<(String, u64, String)>,
    /// A cache miss: the answer is stored if it completes.
    cache: Option<(Arc<Stage0>, Lookup)>,
    /// Automatic feedback signals: the complete answer is checked.
    outcome: Option<OutcomeWatch>,
    /// The answer as it streams, when the cache or the feedback needs it whole.
    assembler: Option<Assembler>,
}

impl StreamMeta {
    pub(crate) fn new(accountant: Arc<Accountant>, ctx: RequestContext, wants_usage: bool) -> Self {
        StreamMeta {
            accountant,
            ctx,
            wants_usage,
            usage: None,
            answer_chars: 0,
            last: None,
            cache: None,
            outcome: None,
            assembler: None,
        }
    }

    /// Stores the answer in the cache when the stream completes.
    pub(crate) fn cache_answer(&mut self, stage0: Arc<Stage0>, lookup: Lookup) {
        self.cache = Some((stage0, lookup));
        self.assembler.get_or_insert_with(Assembler::default);
    }

    /// Checks the answer for automatic feedback signals when the stream completes.
    pub(crate) fn watch_outcome(&mut self, watch: OutcomeWatch) {
        self.outcome = Some(watch);
        self.assembler.get_or_insert_with(Assembler::default);
    }

    /// The stream completed: checks the assembled answer for feedback signals and hands
    /// it to the cache, in the background (a stream cannot wait for the backend).
    fn answer_complete(&mut self, model: String) {
        let Some(resp) = self.assembler.take().and_then(Assembler::finish) else { return };
        if let Some(watch) = self.outcome.take() {
            watch.check(&resp);
        }
        let Some((stage0, lookup)) = self.cache.take() else { return };
        let store = async move { stage0.store(lookup, &resp, &model).await };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(store);
            }
            // Polled outside a runtime: only a backend that never waits can store now.
            Err(_) => {
                let _ = futures_util::FutureExt::now_or_never(store);
            }
        }
    }

    fn provider(&self) -> &str {
        self.accountant.provider_name(&self.ctx)
    }

    fn observe(&mut self, chunk: &ChatChunk) {
        if let Some(a) = &mut self.assembler {
            a.push(chunk);
        }
        if let Some(u) = &chunk.usage {
            self.usage = Some(u.clone());
        }
        for c in &chunk.choices {
            self.answer_chars += c.delta.content.as_ref().map_or(0, String::len);
            for t in c.delta.tool_calls.iter().flatten() {
                self.answer_chars += t.function.as_ref().and_then(|f| f.arguments.as_ref()).map_or(0, String::len);
            }
        }
        if self.last.is_none() {
            self.last = Some((chunk.id.clone(), chunk.created, chunk.model.clone()));
        }
    }

    /// Prices the request, records it, and returns the metadata for the last chunk.
    fn finish(&mut self, error: Option<ErrorKind>) -> crate::types::KestrelMeta {
        let usage = self.usage.clone().unwrap_or_else(|| estimated_usage(&self.ctx, self.answer_chars));
        self.accountant.settle(&self.ctx, Outcome::Answered { usage: &usage, error })
    }
}

/// Chunks shaped exactly like OpenAI's; the last one carries `kestrel` (routing, cost,
/// savings). Dropping it early cancels the upstream request and still records usage.
pub struct ChatStream {
    inner: ChunkStream,
    first: Option<ChatChunk>,
    /// Chunks ready to hand out, in order.
    ready: VecDeque<ChatChunk>,
    /// The latest chunk that may be the last (a `finish_reason` or the usage chunk),
    /// kept back so the metadata can ride on it.
    held: Option<ChatChunk>,
    /// `None` once the request has been recorded.
    meta: Option<StreamMeta>,
    /// An interruption, handed out after the chunks that arrived before it.
    error: Option<Error>,
    /// Bounds the silence between chunks; dropped when the stream ends.
    watch: Option<Watch>,
    /// A `finish_reason` arrived: the answer is complete whatever follows.
    finished: bool,
    /// The provider's HTTP answer that opened the stream; `None` for a replayed one.
    response: Option<Box<crate::ProviderResponse>>,
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream").field("finished", &self.meta.is_none()).finish_non_exhaustive()
    }
}

impl ChatStream {
    /// A stream of chunks already at hand (a cached answer replayed); its usage was
    /// recorded when it was created.
    pub(crate) fn replayed(chunks: Vec<ChatChunk>) -> Self {
        ChatStream {
            inner: Box::pin(futures_util::stream::empty()),
            first: None,
            ready: chunks.into(),
            held: None,
            meta: None,
            error: None,
            watch: None,
            finished: true,
            response: None,
        }
    }

    /// The stream with the provider's HTTP answer that opened it.
    pub(crate) fn with_response(mut self, response: Option<crate::ProviderResponse>) -> Self {
        self.response = response.map(Box::new);
        self
    }

    /// The provider's HTTP answer that opened this stream (status, headers, request id),
    /// for the SDKs' raw responses; `None` when the answer is replayed from the cache.
    pub fn provider_response(&self) -> Option<&crate::ProviderResponse> {
        self.response.as_deref()
    }

    pub(crate) fn new(inner: ChunkStream, first: ChatChunk, watch: Watch, meta: StreamMeta) -> Self {
        ChatStream {
            inner,
            first: Some(first),
            ready: VecDeque::new(),
            held: None,
            meta: Some(meta),
            error: None,
            watch: Some(watch),
            finished: false,
            response: None,
        }
    }

    /// Takes in one upstream chunk, queueing what can be handed out.
    fn accept(&mut self, mut chunk: ChatChunk) {
        let Some(meta) = self.meta.as_mut() else { return };
        meta.observe(&chunk);
        let usage_only = chunk.choices.is_empty() && chunk.usage.is_some();
        if !meta.wants_usage {
            chunk.usage = None;
            if usage_only {
                return;
            }
        }
        let finishes = chunk.choices.iter().any(|c| c.finish_reason.is_some());
        self.finished |= finishes;
        let maybe_last = usage_only || finishes;
        if let Some(prev) = self.held.take() {
            self.ready.push_back(prev);
        }
        if maybe_last {
            self.held = Some(chunk);
        } else {
            self.ready.push_back(chunk);
        }
    }

    /// The stream ended cleanly: the held chunk (or a closing one) carries the metadata.
    fn close(&mut self) -> Option<ChatChunk> {
        let mut meta = self.meta.take()?;
        let kestrel = meta.finish(None);
        meta.answer_complete(kestrel.model.clone());
        let mut last = self.held.take().unwrap_or_else(|| {
            let (id, created, model) = meta.last.clone().unwrap_or_default();
            ChatChunk::new(id, created, model, Vec::new())
        });
        last.kestrel = Some(kestrel);
        Some(last)
    }
}

impl Stream for ChatStream {
    type Item = Result<ChatChunk>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(c) = self.ready.pop_front() {
                return Poll::Ready(Some(Ok(c)));
            }
            if self.meta.is_none() {
                return Poll::Ready(self.error.take().map(Err));
            }
            if let Some(first) = self.first.take() {
                self.accept(first);
                continue;
            }
            let next = match self.inner.poll_next_unpin(cx) {
                Poll::Pending => {
                    // Silent: has the watchdog given up on this provider?
                    let stalled = self.watch.as_mut().is_some_and(|w| Pin::new(&mut w.expired).poll(cx).is_ready());
                    if !stalled {
                        return Poll::Pending;
                    }
                    let provider = self.meta.as_ref().map(|m| m.provider().to_string()).unwrap_or_default();
                    Some(Err(Error::Timeout { provider }))
                }
                Poll::Ready(next) => next,
            };
            if let (Some(w), Some(Ok(_))) = (&self.watch, &next) {
                w.guard.touch();
            }
            match next {
                Some(Ok(chunk)) => self.accept(chunk),
                None => {
                    self.watch = None;
                    return Poll::Ready(self.close().map(Ok));
                }
                Some(Err(e)) => {
                    self.watch = None;
                    // The answer was complete if a finish_reason arrived; only the usage
                    // chunk (or the end marker) was lost. Otherwise the caller holds a
                    // partial answer: say so.
                    if self.finished {
                        return Poll::Ready(self.close().map(Ok));
                    }
                    if let Some(prev) = self.held.take() {
                        self.ready.push_back(prev);
                    }
                    if let Some(mut meta) = self.meta.take() {
                        meta.finish(Some(ErrorKind::StreamInterrupted));
                    }
                    self.error = Some(interrupted(e));
                }
            }
        }
    }
}

/// A break after the caller saw part of the answer (see [`Error::StreamInterrupted`]).
fn interrupted(e: Error) -> Error {
    let provider = e.provider().unwrap_or_default().to_string();
    let message = match &e {
        Error::Connection { message, .. } | Error::Provider { message, .. } => message.clone(),
        other => other.to_string(),
    };
    Error::StreamInterrupted { provider, message }
}

impl Drop for ChatStream {
    fn drop(&mut self) {
        // Dropped before the end: the upstream request is cancelled with `inner`; the
        // request is still counted, with the tokens seen so far.
        if let Some(mut meta) = self.meta.take() {
            meta.finish(None);
        }
    }
}
