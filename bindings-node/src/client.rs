//! `NativeClient`: a `kestrel_router::Client` behind JSON-in, JSON-out calls.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use kestrel_router::router::DecisionSummary;
use kestrel_router::{CallOptions, ChatRequest, Client, ClientConfig, ResponsesRequest};
use napi::bindgen_prelude::PromiseRaw;
use napi::{Env, Result};
use napi_derive::napi;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::errors::{aborted, failure_to_js, json_error, plain, to_js};
use crate::stream::NativeStream;

/// Calls that can still be aborted, by the id the JS layer gave them.
type Aborts = Arc<Mutex<HashMap<u32, oneshot::Sender<()>>>>;

/// One configured Kestrel client; the JS `OpenAI` class and its copies share it (and so
/// share usage, health and rotated keys).
#[napi]
pub struct NativeClient {
    client: Client,
    aborts: Aborts,
}

fn parse(request_json: &str, options_json: Option<&str>) -> Result<(ChatRequest, CallOptions)> {
    let req = ChatRequest::from_json(request_json).map_err(to_js)?;
    let opts = match options_json {
        Some(o) => serde_json::from_str(o)
            .map_err(|e| to_js(kestrel_router::Error::Config(format!("request options: {e}"))))?,
        None => CallOptions::default(),
    };
    Ok((req, opts))
}

fn parse_responses(request_json: &str, options_json: Option<&str>) -> Result<(ResponsesRequest, CallOptions)> {
    let req = ResponsesRequest::from_json(request_json).map_err(to_js)?;
    let opts = match options_json {
        Some(o) => serde_json::from_str(o)
            .map_err(|e| to_js(kestrel_router::Error::Config(format!("request options: {e}"))))?,
        None => CallOptions::default(),
    };
    Ok((req, opts))
}

fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(json_error)
}

/// An answer and the provider's HTTP answer behind it, both as JSON.
#[napi(object)]
pub struct Exchanged {
    pub body: String,
    /// Status, headers and request id; `null` for an answer from the cache.
    pub response: Option<String>,
}

fn exchanged(body: &impl Serialize, response: Option<&kestrel_router::ProviderResponse>) -> Result<Exchanged> {
    Ok(Exchanged { body: json(body)?, response: response.map(json).transpose()? })
}

impl NativeClient {
    /// Runs `fut`, or drops it (cancelling the upstream request) when `abort(id)` comes
    /// first. The id is registered before this returns, so an abort cannot be missed.
    fn abortable<T: Send + 'static>(
        &self,
        abort_id: Option<u32>,
        fut: impl Future<Output = Result<T>> + Send + 'static,
    ) -> impl Future<Output = Result<T>> + Send + 'static {
        let registered = abort_id.map(|id| {
            let (tx, rx) = oneshot::channel();
            self.aborts.lock().unwrap_or_else(PoisonError::into_inner).insert(id, tx);
            (id, rx, self.aborts.clone())
        });
        async move {
            let Some((id, rx, aborts)) = registered else { return fut.await };
            let out = tokio::select! {
                out = fut => out,
                _ = rx => Err(aborted()),
            };
            aborts.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
            out
        }
    }
}

#[napi]
impl NativeClient {
    /// Builds a client from a JSON configuration (see `kestrel_router::ClientConfig`).
    #[napi(constructor)]
    pub fn new(config_json: String) -> Result<Self> {
        let client = ClientConfig::from_json(&config_json).and_then(|c| c.into_builder()?.build()).map_err(to_js)?;
        Ok(NativeClient { client, aborts: Aborts::default() })
    }

    /// A completion, with the provider's HTTP answer (status, headers, request id). The
    /// request is parsed and validated off the JS thread, before any I/O; `abort_id` makes
    /// the call cancellable with `abort(id)`.
    #[napi(ts_return_type = "Promise<Exchanged>")]
    pub fn chat_raw<'env>(
        &self,
        env: &'env Env,
        request_json: String,
        options_json: Option<String>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Exchanged>> {
        let client = self.client.clone();
        env.spawn_future(self.abortable(abort_id, async move {
            let (req, opts) = parse(&request_json, options_json.as_deref())?;
            let resp = client.try_chat(req, opts).await.map_err(failure_to_js)?;
            exchanged(&resp, resp.provider_response.as_deref())
        }))
    }

    /// Opens a stream (failover happens before the first chunk).
    #[napi(ts_return_type = "Promise<NativeStream>")]
    pub fn stream<'env>(
        &self,
        env: &'env Env,
        request_json: String,
        options_json: Option<String>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, NativeStream>> {
        let client = self.client.clone();
        env.spawn_future(self.abortable(abort_id, async move {
            let (req, opts) = parse(&request_json, options_json.as_deref())?;
            let stream = client.try_chat_stream(req, opts).await.map_err(failure_to_js)?;
            Ok(NativeStream::new(stream))
        }))
    }

    /// Why a Responses request must go unchanged to OpenAI's Responses API (through the
    /// official SDK) instead of being routed; `null` when it is routed. The core decides.
    #[napi]
    pub fn responses_passthrough(&self, request_json: String) -> Result<Option<String>> {
        let req = ResponsesRequest::from_json(&request_json).map_err(to_js)?;
        Ok(self.client.responses_passthrough(&req))
    }

    /// A Response (Responses API), routed like a chat completion, with the provider's HTTP
    /// answer.
    #[napi(ts_return_type = "Promise<Exchanged>")]
    pub fn responses_raw<'env>(
        &self,
        env: &'env Env,
        request_json: String,
        options_json: Option<String>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, Exchanged>> {
        let client = self.client.clone();
        env.spawn_future(self.abortable(abort_id, async move {
            let (req, opts) = parse_responses(&request_json, options_json.as_deref())?;
            let resp = client.try_responses(req, opts).await.map_err(failure_to_js)?;
            exchanged(&resp, resp.provider_response.as_deref())
        }))
    }

    /// Opens a stream of Responses events (failover happens before the first provider chunk).
    #[napi(ts_return_type = "Promise<NativeStream>")]
    pub fn responses_stream<'env>(
        &self,
        env: &'env Env,
        request_json: String,
        options_json: Option<String>,
        abort_id: Option<u32>,
    ) -> Result<PromiseRaw<'env, NativeStream>> {
        let client = self.client.clone();
        env.spawn_future(self.abortable(abort_id, async move {
            let (req, opts) = parse_responses(&request_json, options_json.as_deref())?;
            let stream = client.try_responses_stream(req, opts).await.map_err(failure_to_js)?;
            Ok(NativeStream::responses(stream))
        }))
    }

    /// Cancels the call registered under `abort_id`: its Promise rejects with kind
    /// `aborted` and the upstream request is dropped. A finished call is left alone.
    #[napi]
    pub fn abort(&self, abort_id: u32) {
        let tx = self.aborts.lock().unwrap_or_else(PoisonError::into_inner).remove(&abort_id);
        if let Some(tx) = tx {
            let _ = tx.send(());
        }
    }

    /// The routing decision for a request as JSON, without calling anyone.
    #[napi]
    pub fn route(&self, request_json: String) -> Result<String> {
        let req = ChatRequest::from_json(&request_json).map_err(to_js)?;
        let decision = self.client.route(&req).map_err(to_js)?;
        let summary: DecisionSummary = decision.summary(self.client.catalog());
        json(&summary)
    }

    /// Records how request `request_id`'s answer went (`good`, `bad` or a score 0-1);
    /// false when feedback is off or the request is not remembered.
    #[napi]
    pub fn feedback(&self, request_id: String, outcome: String) -> Result<bool> {
        let outcome = kestrel_router::router::Outcome::parse(&outcome).map_err(to_js)?;
        Ok(self.client.feedback(&request_id, outcome))
    }

    /// A usage view as JSON: savings, routing, analytics, providers, records or tenants.
    #[napi]
    pub fn usage(&self, view: String, tenant: Option<String>, limit: Option<u32>) -> Result<String> {
        let ledger = self.client.usage();
        let tenant = tenant.as_deref();
        match view.as_str() {
            "savings" => json(&ledger.savings(tenant)),
            "routing" => json(&ledger.routing(tenant)),
            "analytics" => json(&ledger.analytics(tenant)),
            "providers" => json(&ledger.providers(tenant)),
            "records" => json(&ledger.records(tenant, limit.unwrap_or(100) as usize)),
            "tenants" => json(&ledger.tenants()),
            "cache" => json(&ledger.cache(tenant)),
            other => Err(plain("config", format!("unknown usage view `{other}`"))),
        }
    }

    /// Writes the recent usage records as CSV, off the JS thread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn export_csv<'env>(
        &self,
        env: &'env Env,
        path: String,
        tenant: Option<String>,
    ) -> Result<PromiseRaw<'env, ()>> {
        let ledger = self.client.usage().clone();
        env.spawn_future(async move {
            let written = tokio::task::spawn_blocking(move || ledger.export_csv(&path, tenant.as_deref())).await;
            match written {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(plain("config", format!("cannot write the CSV: {e}"))),
                Err(e) => Err(plain("internal", format!("the CSV writer stopped: {e}"))),
            }
        })
    }

    /// Drops every cached answer this client can see (with Redis: under its prefix).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn clear_cache<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let client = self.client.clone();
        env.spawn_future(async move { client.clear_cache().await.map_err(to_js) })
    }

    /// Writes the self-contained HTML usage report; resolves to the number of records in it.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn usage_report<'env>(&self, env: &'env Env, path: String) -> Result<PromiseRaw<'env, u32>> {
        let ledger = self.client.usage().clone();
        env.spawn_future(async move {
            let written = tokio::task::spawn_blocking(move || ledger.report(&path)).await;
            match written {
                Ok(Ok(n)) => Ok(n as u32),
                Ok(Err(e)) => Err(plain("config", format!("cannot write the usage report: {e}"))),
                Err(e) => Err(plain("internal", format!("the report writer stopped: {e}"))),
            }
        })
    }

    /// The usage reporter's counters as JSON, or `null` when reporting is off.
    #[napi]
    pub fn reporter_stats(&self) -> Result<Option<String>> {
        self.client.usage().reporter_stats().map(|s| json(&s)).transpose()
    }

    /// Resolves once every usage record so far is in the JSONL sink, if one is configured,
    /// and sent to the usage collector or spooled to disk, if reporting is on.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush_usage<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
        let ledger = self.client.usage().clone();
        env.spawn_future(async move {
            tokio::task::spawn_blocking(move || ledger.flush())
                .await
                .map_err(|e| plain("internal", format!("the usage flush stopped: {e}")))
        })
    }

    /// Each provider's circuit state and whether it is configured, as JSON.
    #[napi]
    pub fn health(&self) -> Result<String> {
        json(&self.client.health())
    }

    /// Counts a call made with the OpenAI SDK's own client (embeddings, images, files,
    /// ...): the core prices and records it; returns the usage record as JSON.
    #[napi]
    pub fn record_passthrough(&self, call_json: String) -> Result<String> {
        let call: kestrel_router::PassthroughCall = serde_json::from_str(&call_json)
            .map_err(|e| to_js(kestrel_router::Error::Config(format!("passthrough record: {e}"))))?;
        json(&self.client.record_passthrough(call))
    }

    /// The catalog models reachable now with the configured keys, as JSON.
    #[napi]
    pub fn models(&self) -> Result<String> {
        json(&self.client.available_models())
    }

    /// Sets, rotates (`key` given) or removes (`null`) a provider's key.
    #[napi]
    pub fn set_api_key(&self, provider: String, key: Option<String>) -> Result<()> {
        match key {
            Some(k) => self.client.set_api_key(&provider, k),
            None => self.client.remove_api_key(&provider),
        }
        .map_err(to_js)
    }

    /// Points a provider at another base URL (in the form its own SDK takes it).
    #[napi]
    pub fn set_base_url(&self, provider: String, url: String) -> Result<()> {
        self.client.set_base_url(&provider, url).map_err(to_js)
    }

    /// The client's Debug form (keys redacted by the core).
    #[napi]
    pub fn describe(&self) -> String {
        format!("{:?}", self.client)
    }
}
