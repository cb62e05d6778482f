//! One request through the client: prepare it (validate, Stage 0, route), run the
//! failover plan, and settle it with the accountant. Plain and streaming calls share every
//! step but the last: how an answer is handed to the caller.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::header::HeaderMap;

use super::accountant::{answer_chars, estimated_usage, Outcome, RequestContext};
use super::stream::{ChatStream, StreamMeta};
use super::{CallOptions, Client, Failure};
use crate::cache::{replay, CacheLayer, Entry, Lookup, Plan};
use crate::deadline::Watch;
use crate::error::{Error, Result};
use crate::health::Counted;
use crate::providers::http::Seen;
use crate::providers::{Call, ChunkStream, Provider};
use crate::router::{Candidate, Decision, OutcomeWatch};
use crate::types::{CacheStatus, ChatChunk, ChatRequest, ChatResponse, ResponseFormat};
use crate::usage::{Attempt, ErrorKind};

/// What a call's options ask of each of its attempts.
struct PerCall {
    timeout: Option<Duration>,
    headers: HeaderMap,
    query: Vec<(String, String)>,
}

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
        self.try_chat(req, opts).await.map_err(|f| f.error)
    }

    /// [`Client::chat_with`], whose error comes with every provider attempt the call made.
    pub async fn try_chat(&self, req: ChatRequest, opts: CallOptions) -> std::result::Result<ChatResponse, Failure> {
        let req = self.pinned(req);
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
                // After the store: a cached copy must not replay another call's exchange.
                resp.provider_response = ctx.response.take().map(Box::new);
                if let Some(watch) = self.watch_outcome(&req, &ctx, &resp.id) {
                    watch.check(&resp);
                }
                Ok(resp)
            }
            Ok(Answer::Stream(..)) => unreachable!("a non-streaming call returns a response"),
            Err(e) => Err(self.fail(&ctx, e)),
        }
    }

    /// [`Client::chat_stream`] with per-call settings.
    pub async fn chat_stream_with(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatStream> {
        self.try_chat_stream(req, opts).await.map_err(|f| f.error)
    }

    /// [`Client::chat_stream_with`], whose error comes with every provider attempt made
    /// before the stream could start.
    pub async fn try_chat_stream(
        &self,
        req: ChatRequest,
        opts: CallOptions,
    ) -> std::result::Result<ChatStream, Failure> {
        let req = self.pinned(req);
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
                let response = ctx.response.take();
                let outcome = self.watch_outcome(&req, &ctx, &first.id);
                let mut meta = StreamMeta::new(self.inner.accountant.clone(), ctx, wants_usage);
                if let (Some(stage0), Some(lookup)) = (&self.inner.cache, lookup) {
                    meta.cache_answer(stage0.clone(), lookup);
                }
                if let Some(outcome) = outcome {
                    meta.watch_outcome(outcome);
                }
                Ok(ChatStream::new(stream, first, watch, meta).with_response(response))
            }
            Ok(Answer::Complete(_)) => unreachable!("a streaming call returns a stream"),
            Err(e) => Err(self.fail(&ctx, e)),
        }
    }

    /// With feedback on, remembers where the answer `id` was routed (so a later
    /// `feedback(id, ..)` counts) and, with automatic signals on, what to check the whole
    /// answer for once it is complete.
    fn watch_outcome(&self, req: &ChatRequest, ctx: &RequestContext, id: &str) -> Option<OutcomeWatch> {
        let fb = self.inner.router.feedback()?;
        let d = ctx.decision.as_ref()?;
        let (category, tier) = (d.category?, d.tier?);
        let fp = fb.automatic().then(|| crate::router::fingerprint(req));
        fb.remember_request(id, ctx.tenant.as_deref(), category, tier, fp);
        let json_mode = req
            .response_format
            .as_ref()
            .is_some_and(|f| matches!(f, ResponseFormat::JsonObject | ResponseFormat::JsonSchema { .. }));
        fb.automatic().then(|| OutcomeWatch::new(fb.clone(), json_mode))
    }

    /// The request addressed to the pinned deployment (an Azure client's `deployment`),
    /// whatever model it names: the official SDKs send such a client's every call there.
    fn pinned(&self, mut req: ChatRequest) -> ChatRequest {
        if let Some(pin) = &self.inner.pinned {
            if req.model != *pin {
                req.model.clone_from(pin);
            }
        }
        req
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
            response: None,
        }
    }

    /// Validates the request (before any I/O), consults Stage 0, and routes it. A failure
    /// here is recorded like any other.
    async fn prepare(&self, req: &ChatRequest, ctx: &mut RequestContext) -> std::result::Result<Prepared, Failure> {
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
        if let Some(discovery) = &self.inner.discovery {
            discovery.refresh(&self.inner).await;
        }
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

    /// Records a request that produced no answer, and hands the error back with its attempts.
    fn fail(&self, ctx: &RequestContext, error: Error) -> Failure {
        self.inner.accountant.settle(ctx, Outcome::Failed(&error));
        // Only an error that is the provider's answer has a response behind it (not a
        // timeout waiting for the first chunk after the headers came).
        let response = ctx.response.clone().filter(|_| error.status().is_some()).map(Box::new);
        Failure { error, attempts: ctx.attempts.clone(), response }
    }

    /// Runs the failover plan. Substitutes first, each once (at most `failover_attempts`),
    /// any error moving on to the next; then the requested model, called as the official
    /// SDK would: retried after transient failures up to `max_retries` times, honouring
    /// `Retry-After`, and its own error is the one returned. So a routed call fails only
    /// where calling the requested model directly would have, with at most one attempt
    /// more (by default). Every attempt lands in `ctx.attempts`; on success `ctx.step` is
    /// the plan step that answered.
    async fn execute(&self, req: &ChatRequest, ctx: &mut RequestContext, opts: CallOptions) -> Result<Answer> {
        let inner = &*self.inner;
        let query = opts.query.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let call = PerCall { timeout: opts.timeout()?, headers: opts.header_map()?, query };
        let max_retries = opts.max_retries.unwrap_or(inner.max_retries);
        let decision = ctx.decision.as_ref().expect("a request is routed before it is executed");
        let mut counted = Counted::default();
        let mut substitutes = 0;
        for (step, cand) in decision.plan.iter().enumerate() {
            if cand.model == decision.requested {
                // The requested model: the SDK's own retry loop.
                for retry in 0..=max_retries {
                    let e = match self
                        .attempt(req, decision, cand, ctx.stream, &mut ctx.attempts, &mut ctx.response, &call)
                        .await
                    {
                        Ok(answer) => {
                            ctx.step = step;
                            return Ok(answer);
                        }
                        Err(e) => e,
                    };
                    self.learn(cand, &e, &mut counted);
                    if retry == max_retries || !sdk_retries(&e) {
                        return Err(e);
                    }
                    let asked = e.retry_after().or_else(|| ctx.response.as_ref()?.retry_after());
                    tokio::time::sleep(sdk_wait(asked, retry)).await;
                }
            }
            if substitutes == inner.failover_attempts {
                continue; // only the requested model may still be called
            }
            if !inner.slots[cand.provider].configured() || !inner.health.acquire(cand.provider) {
                continue; // key removed, or circuit opened, since routing
            }
            substitutes += 1;
            match self.attempt(req, decision, cand, ctx.stream, &mut ctx.attempts, &mut ctx.response, &call).await {
                Ok(answer) => {
                    inner.health.success(cand.provider);
                    ctx.step = step;
                    return Ok(answer);
                }
                Err(e) => {
                    self.learn(cand, &e, &mut counted);
                    tracing::debug!(provider = %inner.catalog.provider(cand.provider).name, error = %e, "substitute failed; trying the next candidate");
                }
            }
        }
        // The plan had no place for the requested model (its provider has no key, or the
        // policy keeps it out) and every substitute failed: Kestrel's error, no provider's.
        ctx.response = None;
        let requested = inner.catalog.requested_provider(&decision.requested_model);
        Err(requested.and_then(|p| inner.missing_key(p)).unwrap_or_else(|| {
            let tried = ctx.attempts.iter().map(|a| format!("{} ({})", a.model, a.error.map_or("?", |e| e.as_str())));
            Error::NoEligibleModel(format!(
                "every candidate for `{}` failed: {}",
                decision.requested_model,
                tried.collect::<Vec<_>>().join(", ")
            ))
        }))
    }

    /// One HTTP attempt at a plan step, recorded in `attempts`; the provider's HTTP answer
    /// to it (if any) replaces `response`. A provider with no key fails here, before any
    /// I/O, with the error naming where a key comes from.
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        req: &ChatRequest,
        decision: &Decision,
        cand: &Candidate,
        stream: bool,
        attempts: &mut Vec<Attempt>,
        response: &mut Option<crate::ProviderResponse>,
        per_call: &PerCall,
    ) -> Result<Answer> {
        let PerCall { timeout, headers, query } = per_call;
        let timeout = *timeout;
        let inner = &*self.inner;
        let slot = &inner.slots[cand.provider];
        *response = None;
        if let Some(missing) = inner.missing_key(cand.provider) {
            return Err(missing);
        }
        let Some(imp) = slot.implementation.as_ref() else {
            return Err(Error::NoEligibleModel(format!("no implementation for `{}`", decision.requested_model)));
        };
        let mut endpoint = slot.endpoint();
        if !headers.is_empty() {
            // The call's own headers win over the client's (a fresh token over none).
            let e = Arc::make_mut(&mut endpoint);
            e.headers.extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let model = match cand.model {
            Some(m) => inner.catalog.model(m).wire_id(),
            None => decision.requested_model.as_str(),
        };
        let seen = Seen::default();
        let pass_unknown = cand.model == decision.requested
            || decision.requested.is_some_and(|r| inner.catalog.provider_of(r) == cand.provider);
        let call = Call {
            request: req,
            model,
            max_output: cand.model.map(|m| inner.catalog.model(m).max_output),
            endpoint: &endpoint,
            http: &inner.http,
            timeout,
            pass_unknown,
            query: if pass_unknown { query } else { &[] },
            seen: &seen,
        };
        let t0 = Instant::now();
        let result = run_attempt(imp.as_ref(), call, stream, inner.watchdog.watch()).await;
        let latency_ms = t0.elapsed().as_secs_f64() * 1000.0;
        *response = seen.take().map(|mut r| {
            r.elapsed_ms = latency_ms;
            r.retries_taken = attempts.len() as u32;
            r
        });
        attempts.push(Attempt {
            provider: endpoint.provider.clone(),
            model: model.to_string(),
            latency_ms,
            error: result.as_ref().err().map(ErrorKind::from),
            status: result.as_ref().err().and_then(Error::status),
        });
        if result.is_ok() {
            inner.health.success(cand.provider);
        }
        result
    }

    /// Health learns from a failed attempt: a rejected key, a retired model, a rate limit,
    /// an outage (counted once per request).
    fn learn(&self, cand: &Candidate, e: &Error, counted: &mut Counted) {
        let inner = &*self.inner;
        if inner.health.failure(cand.provider, cand.model, e, counted) {
            let provider = &inner.catalog.provider(cand.provider).name;
            match (e, cand.model) {
                (Error::NotFound { .. }, Some(m)) => tracing::warn!(
                    provider = %provider,
                    model = %inner.catalog.model(m).id,
                    "the provider does not know this model (404): no longer routed to for this client"
                ),
                _ => tracing::warn!(
                    provider = %provider,
                    error = %e,
                    "the provider rejected its key: no substitutes go there until the key is replaced"
                ),
            }
        }
    }
}

/// Whether the official SDKs retry this failure: 408, 409, 429, 5xx, timeouts and broken
/// connections. A 200 with a malformed body is not retried (it raises at once there too).
fn sdk_retries(e: &Error) -> bool {
    match e {
        Error::RateLimited { .. } | Error::Timeout { .. } | Error::Connection { .. } => true,
        Error::Provider { status, .. } => *status != 200,
        _ => false,
    }
}

/// The SDKs' wait before retry `n` (0-based): the provider's `Retry-After` when it is
/// above 0 and at most 60 s, else 0.5 s doubling to 8 s, less up to 25 % jitter.
fn sdk_wait(retry_after: Option<Duration>, n: u32) -> Duration {
    match retry_after {
        Some(ra) if !ra.is_zero() && ra <= MAX_RETRY_AFTER => ra,
        _ => {
            let base = 0.5 * 2f64.powi(n.min(4) as i32);
            let jitter = 1.0 - 0.25 * (crate::clock::unix_ms() % 1000) as f64 / 1000.0;
            Duration::from_secs_f64(base.min(8.0) * jitter)
        }
    }
}

/// Longest `Retry-After` honoured as asked; longer ones get the usual backoff (as the SDKs do).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

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

/// Role-only chunks held back before a stream commits; a stream that sends more than this
/// without any content commits anyway.
const MAX_HELD_CHUNKS: usize = 8;

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
        // Chunks that only announce the role are held back until one carries part of the
        // answer: a stream that breaks before then can still fail over, unseen.
        let mut held = Vec::new();
        loop {
            match s.next().await {
                Some(Ok(chunk)) => {
                    guard.touch();
                    let commits = chunk.carries_answer() || held.len() >= MAX_HELD_CHUNKS;
                    held.push(chunk);
                    if commits {
                        break;
                    }
                }
                Some(Err(e)) => return Err(e),
                None if !held.is_empty() => break,
                None => {
                    return Err(Error::Provider {
                        provider: provider.clone(),
                        status: 200,
                        message: "the stream ended before any chunk".into(),
                        body: None,
                    })
                }
            }
        }
        let mut held = held.into_iter();
        let first = held.next().expect("at least one chunk was held");
        let rest: ChunkStream =
            if held.len() == 0 { s } else { Box::pin(futures_util::stream::iter(held.map(Ok)).chain(s)) };
        Ok(Opened::Stream(rest, first))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_as_asked_between_zero_and_sixty_seconds_else_back_off() {
        let asked = Duration::from_millis(100);
        assert_eq!(sdk_wait(Some(asked), 0), asked);
        assert_eq!(sdk_wait(Some(asked), 3), asked, "the provider's wait wins over the backoff");
        let backoff = |d: Duration| d > Duration::from_millis(370) && d <= Duration::from_millis(500);
        assert!(backoff(sdk_wait(None, 0)));
        assert!(backoff(sdk_wait(Some(Duration::ZERO), 0)), "0 is not a wait (as in the SDKs)");
        assert!(backoff(sdk_wait(Some(Duration::from_secs(61)), 0)), "longer than 60 s is ignored");
        assert!(sdk_wait(None, 10) <= Duration::from_secs(8), "capped");
    }
}
