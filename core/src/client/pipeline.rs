//! One request through the client: prepare it (validate, Stage 0, route), run the
//! failover plan, and settle it with the accountant. Plain and streaming calls share every
//! step but the last: how an answer is handed to the caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use super::accountant::{answer_chars, estimated_usage, Outcome, RequestContext};
use super::stream::{ChatStream, StreamMeta};
use super::{CallOptions, Client};
use crate::cache::{replay, CacheLayer, Entry, Lookup, Plan};
use crate::deadline::Watch;
use crate::error::{Error, Result};
use crate::providers::{Call, ChunkStream, Provider};
use crate::types::{CacheStatus, ChatChunk, ChatRequest, ChatResponse};
use crate::usage::{Attempt, ErrorKind};

/// What one successful attempt produced.
enum Answer {
    Complete(ChatResponse),
    /// An open stream, its first chunk (which proves the stream started), and the watch
    /// that keeps bounding the silence between chunks.
    Stream(ChunkStream, ChatChunk, Watch),
}

/// What Stage 0 made of a request.
enum Consulted {
    /// The client has no cache.
    Off,
    Bypass,
    Miss(Lookup),
    Hit(Arc<Entry>, CacheLayer),
}

impl Consulted {
    fn status(&self) -> Option<CacheStatus> {
        match self {
            Consulted::Off => None,
            Consulted::Bypass => Some(CacheStatus::Bypass),
            Consulted::Miss(_) => Some(CacheStatus::Miss),
            Consulted::Hit(_, CacheLayer::Exact) => Some(CacheStatus::Exact),
            Consulted::Hit(_, CacheLayer::Semantic) => Some(CacheStatus::Semantic),
        }
    }
}

/// A request ready to hand to a provider, or already answered.
enum Prepared {
    /// Stage 0 answered: a fresh copy of the stored response, its metadata in `kestrel`
    /// (already recorded).
    Cached(Box<ChatResponse>),
    /// Routed (the decision is in the context); on a cache miss, where to store the answer.
    Routed(Option<Lookup>),
}

impl Client {
    /// [`Client::chat`] with per-call settings (a total timeout, a retry budget).
    pub async fn chat_with(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatResponse> {
        let mut ctx = self.context(&req, false);
        let lookup = match self.prepare(&req, &mut ctx).await? {
            Prepared::Cached(resp) => return Ok(*resp),
            Prepared::Routed(lookup) => lookup,
        };
        match self.execute(&req, &mut ctx, opts).await {
            Ok(Answer::Complete(mut resp)) => {
                let usage = resp.usage.clone().unwrap_or_else(|| estimated_usage(&ctx, answer_chars(&resp)));
                let meta = self.inner.accountant.settle(&ctx, Outcome::Answered { usage: &usage, error: None });
                if let (Some(stage0), Some(lookup)) = (&self.inner.cache, lookup) {
                    stage0.store(lookup, &resp, &meta.model).await;
                }
                resp.kestrel = Some(meta);
                Ok(resp)
            }
            Ok(Answer::Stream(..)) => unreachable!("a non-streaming call returns a response"),
            Err(e) => Err(self.fail(&ctx, e)),
        }
    }

    /// [`Client::chat_stream`] with per-call settings.
    pub async fn chat_stream_with(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatStream> {
        let wants_usage = req.stream_options.as_ref().and_then(|o| o.include_usage).unwrap_or(false);
        let mut ctx = self.context(&req, true);
        let lookup = match self.prepare(&req, &mut ctx).await? {
            Prepared::Cached(mut resp) => {
                let meta = resp.kestrel.take();
                let mut chunks = replay(&resp, wants_usage);
                if let Some(last) = chunks.last_mut() {
                    last.kestrel = meta;
                }
                return Ok(ChatStream::replayed(chunks));
            }
            Prepared::Routed(lookup) => lookup,
        };
        match self.execute(&req, &mut ctx, opts).await {
            Ok(Answer::Stream(stream, first, watch)) => {
                let mut meta = StreamMeta::new(self.inner.accountant.clone(), ctx, wants_usage);
                if let (Some(stage0), Some(lookup)) = (&self.inner.cache, lookup) {
                    meta.cache_answer(stage0.clone(), lookup);
                }
                Ok(ChatStream::new(stream, first, watch, meta))
            }
            Ok(Answer::Complete(_)) => unreachable!("a streaming call returns a stream"),
            Err(e) => Err(self.fail(&ctx, e)),
        }
    }

    /// A request's context, from its first instant.
    fn context(&self, req: &ChatRequest, stream: bool) -> RequestContext {
        RequestContext {
            requested_model: req.model.clone(),
            tenant: req.kestrel.as_ref().and_then(|k| k.tenant.clone()).or_else(|| self.inner.tenant.clone()),
            start: Instant::now(),
            stream,
            cache: None,
            decision: None,
            step: 0,
            attempts: Vec::new(),
        }
    }

    /// Validates the request (before any I/O), consults Stage 0, and routes it. A failure
    /// here is recorded like any other.
    async fn prepare(&self, req: &ChatRequest, ctx: &mut RequestContext) -> Result<Prepared> {
        let consulted = match self.consult_cache(req, ctx.tenant.as_deref()).await {
            Ok(c) => c,
            Err(e) => return Err(self.fail(ctx, e)),
        };
        ctx.cache = consulted.status();
        let lookup = match consulted {
            Consulted::Hit(entry, layer) => return Ok(self.answer_from_cache(ctx, &entry, layer)),
            Consulted::Miss(lookup) => Some(lookup),
            Consulted::Off | Consulted::Bypass => None,
        };
        match self.route(req) {
            Ok(d) => ctx.decision = Some(d),
            Err(e) => return Err(self.fail(ctx, e)),
        }
        Ok(Prepared::Routed(lookup))
    }

    /// Stage 0: validates the request (before any I/O), then looks it up.
    async fn consult_cache(&self, req: &ChatRequest, tenant: Option<&str>) -> Result<Consulted> {
        let Some(stage0) = &self.inner.cache else { return Ok(Consulted::Off) };
        req.validate()?;
        Ok(match stage0.plan(req, tenant) {
            Plan::Bypass => Consulted::Bypass,
            Plan::Use(mut lookup) => match stage0.lookup(&mut lookup).await {
                Some((entry, layer)) => Consulted::Hit(entry, layer),
                None => Consulted::Miss(lookup),
            },
        })
    }

    /// A cached answer as a fresh response (cost 0, the whole baseline saved), recorded.
    fn answer_from_cache(&self, ctx: &RequestContext, entry: &Entry, layer: CacheLayer) -> Prepared {
        let mut resp = entry.response.clone();
        resp.id = fresh_completion_id();
        resp.created = crate::clock::unix_secs();
        let usage = resp.usage.clone().unwrap_or_default();
        let meta = self.inner.accountant.settle(ctx, Outcome::Cached { model: &entry.model, layer, usage: &usage });
        resp.kestrel = Some(meta);
        Prepared::Cached(Box::new(resp))
    }

    /// Records a request that produced no answer, and hands the error back.
    fn fail(&self, ctx: &RequestContext, e: Error) -> Error {
        self.inner.accountant.settle(ctx, Outcome::Failed(&e));
        e
    }

    /// Runs the failover plan: each candidate once per pass, extra passes (after the
    /// providers' `Retry-After`, or a backoff) while failures are transient. Every attempt
    /// lands in `ctx.attempts`; on success `ctx.step` is the plan step that answered.
    async fn execute(&self, req: &ChatRequest, ctx: &mut RequestContext, opts: CallOptions) -> Result<Answer> {
        let inner = &*self.inner;
        let timeout = opts.timeout()?;
        let max_retries = opts.max_retries.unwrap_or(inner.max_retries);
        let decision = ctx.decision.as_ref().expect("a request is routed before it is executed");
        let mut last_error: Option<Error> = None;
        for pass in 0..=max_retries {
            let mut wait: Option<Duration> = None;
            for (step, cand) in decision.plan.iter().enumerate() {
                let slot = &inner.slots[cand.provider];
                let Some(imp) = slot.implementation.as_ref() else { continue };
                let endpoint = slot.endpoint();
                if endpoint.key.is_none() && !slot.key_optional {
                    continue; // the key was removed after routing
                }
                let now = inner.clock.now_ms();
                if cand.model.is_some_and(|m| inner.cooldowns.cooling(m, now)) {
                    continue; // rate limited: the provider asked us to wait
                }
                if !slot.breaker.acquire(now) {
                    continue; // circuit open, or another request holds the probe
                }
                let model = match cand.model {
                    Some(m) => inner.catalog.model(m).wire_id(),
                    None => decision.requested_model.as_str(),
                };
                let call = Call {
                    request: req,
                    model,
                    max_output: cand.model.map(|m| inner.catalog.model(m).max_output),
                    endpoint: &endpoint,
                    http: &inner.http,
                    timeout,
                    pass_unknown: Some(cand.provider) == decision.requested.map(|r| inner.catalog.provider_of(r))
                        || decision.requested.is_none(),
                };
                let t0 = Instant::now();
                let result = run_attempt(imp.as_ref(), call, ctx.stream, inner.watchdog.watch()).await;
                let mut attempt = Attempt {
                    provider: endpoint.provider.clone(),
                    model: model.to_string(),
                    latency_ms: t0.elapsed().as_secs_f64() * 1000.0,
                    error: None,
                };
                match result {
                    Ok(answer) => {
                        slot.breaker.success();
                        ctx.attempts.push(attempt);
                        ctx.step = step;
                        return Ok(answer);
                    }
                    Err(e) => {
                        attempt.error = Some(ErrorKind::from(&e));
                        ctx.attempts.push(attempt);
                        if !e.is_transient() {
                            // The request itself is at fault (or the key is): another
                            // provider would refuse it too, or answer a different question.
                            slot.breaker.release();
                            return Err(e);
                        }
                        let retry_after = e.retry_after();
                        let now = inner.clock.now_ms();
                        slot.breaker.failure(now, &inner.breaker);
                        if let (Some(m), Some(wait)) = (cand.model, retry_after) {
                            inner.cooldowns.hold(m, now, wait, &inner.breaker);
                        }
                        tracing::debug!(provider = %endpoint.provider, error = %e, "attempt failed; trying the next candidate");
                        if let Some(ra) = retry_after {
                            wait = Some(wait.map_or(ra, |w: Duration| w.min(ra)));
                        }
                        last_error = Some(e);
                    }
                }
            }
            if pass == max_retries || last_error.is_none() {
                break;
            }
            let wait = wait.unwrap_or_else(|| backoff(pass));
            if wait > MAX_RETRY_WAIT {
                break; // the provider asked for longer than a caller should block
            }
            // A few ms more than asked: cool-downs are kept to the millisecond.
            tokio::time::sleep(wait + Duration::from_millis(5)).await;
        }
        Err(last_error.unwrap_or_else(|| {
            Error::NoEligibleModel(format!(
                "every candidate for `{}` is unavailable (rate limited, circuit open, or key removed)",
                decision.requested_model
            ))
        }))
    }
}

/// A new `chatcmpl-...` id for a replayed answer, so no two responses share one.
fn fresh_completion_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&crate::clock::unix_ms().to_le_bytes());
    h.update(&n.to_le_bytes());
    format!("chatcmpl-kc{}", &h.finalize().to_hex()[..24])
}

/// Longest wait between passes; a longer `Retry-After` returns the error instead.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// 0.5 s, 1 s, 2 s, ... capped at 8 s, with up to 25 % jitter so clients do not retry in step.
fn backoff(pass: u32) -> Duration {
    let base = 0.5 * 2f64.powi(pass.min(4) as i32);
    let jitter = 1.0 - 0.25 * (crate::clock::unix_ms() % 1000) as f64 / 1000.0;
    Duration::from_secs_f64(base.min(8.0) * jitter)
}

/// What an attempt opened, before the watch is attached.
enum Opened {
    Complete(ChatResponse),
    Stream(ChunkStream, ChatChunk),
}

/// One attempt under the watchdog: a whole call, or a stream up to its first chunk (until
/// then, failing over cannot duplicate anything the caller saw).
async fn run_attempt(imp: &dyn Provider, call: Call<'_>, stream: bool, watch: Watch) -> Result<Answer> {
    let provider = call.endpoint.provider.clone();
    let Watch { guard, mut expired } = watch;
    let work = async {
        if !stream {
            return imp.complete(call).await.map(Opened::Complete);
        }
        let mut s = imp.stream(call).await?;
        guard.touch();
        match s.next().await {
            Some(Ok(first)) => Ok(Opened::Stream(s, first)),
            Some(Err(e)) => Err(e),
            None => Err(Error::Provider {
                provider: provider.clone(),
                status: 200,
                message: "the stream ended before any chunk".into(),
                body: None,
            }),
        }
    };
    let opened = tokio::select! {
        biased;
        r = work => r?,
        _ = &mut expired => return Err(Error::Timeout { provider }),
    };
    Ok(match opened {
        Opened::Complete(r) => Answer::Complete(r),
        Opened::Stream(s, first) => Answer::Stream(s, first, Watch { guard, expired }),
    })
}
