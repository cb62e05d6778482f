//! `KestrelCore`: one configured `kestrel_router::Client` behind coarse calls.

use std::sync::Arc;

use kestrel_router::{CallOptions, ChatRequest, Client, ClientConfig};

use crate::errors::{json_error, KestrelError};
use crate::records::{CacheReport, ChatCompletion, ProviderHealthInfo, RouteDecision, RoutingReport, SavingsReport};
use crate::request::{ChatCompletionCreateParams, RequestOptions};
use crate::runtime::{block_on, spawn, spawn_blocking};
use crate::stream::ChunkStream;

/// A Kestrel client; the Kotlin `KestrelClient` and the Swift layer wrap it. Clones of the
/// inner client share usage, health and rotated keys.
#[derive(uniffi::Object)]
pub struct KestrelCore {
    client: Client,
}

impl std::fmt::Debug for KestrelCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug redacts keys.
        self.client.fmt(f)
    }
}

fn call_options(o: Option<RequestOptions>) -> Result<CallOptions, KestrelError> {
    o.map(CallOptions::try_from).transpose().map(Option::unwrap_or_default)
}

fn request(params: ChatCompletionCreateParams) -> Result<ChatRequest, KestrelError> {
    Ok(ChatRequest::from_value(params.into_json()?)?)
}

fn call_options_json(options_json: Option<String>) -> Result<CallOptions, KestrelError> {
    match options_json {
        Some(o) => serde_json::from_str(&o).map_err(|e| KestrelError::config(format!("request options: {e}"))),
        None => Ok(CallOptions::default()),
    }
}

impl KestrelCore {
    async fn complete(&self, req: ChatRequest, opts: CallOptions) -> Result<ChatCompletion, KestrelError> {
        let client = self.client.clone();
        spawn(async move {
            let resp = client.try_chat(req, opts).await?;
            let raw = serde_json::to_string(&resp).map_err(json_error)?;
            Ok(ChatCompletion::new(resp, raw))
        })
        .await
    }

    async fn open(&self, req: ChatRequest, opts: CallOptions) -> Result<Arc<ChunkStream>, KestrelError> {
        let client = self.client.clone();
        let stream = spawn(async move { Ok(client.try_chat_stream(req, opts).await?) }).await?;
        Ok(Arc::new(ChunkStream::new(stream)))
    }
}

#[uniffi::export]
impl KestrelCore {
    /// A client from a JSON configuration: the same document the Python and Node bindings
    /// pass (`api_key`, `base_url`, `provider_keys`, `base_urls`, `from_env`, `cache`,
    /// `config_file` for a TOML catalog, ...; see `kestrel_router::ClientConfig`).
    #[uniffi::constructor]
    pub fn new(config_json: String) -> Result<Arc<Self>, KestrelError> {
        let client = ClientConfig::from_json(&config_json).and_then(|c| c.into_builder()?.build())?;
        Ok(Arc::new(KestrelCore { client }))
    }

    /// A completion. The request is validated before any I/O; failover happens inside.
    pub async fn chat(
        &self,
        params: ChatCompletionCreateParams,
        options: Option<RequestOptions>,
    ) -> Result<ChatCompletion, KestrelError> {
        let req = request(params)?;
        self.complete(req, call_options(options)?).await
    }

    /// A completion for an OpenAI JSON body (any shape the core accepts), as OpenAI JSON.
    /// `options_json` is `{"timeout": seconds, "max_retries": n}`.
    pub async fn chat_json(&self, request_json: String, options_json: Option<String>) -> Result<String, KestrelError> {
        let req = ChatRequest::from_json(&request_json)?;
        let opts = call_options_json(options_json)?;
        let client = self.client.clone();
        spawn(async move {
            let resp = client.try_chat(req, opts).await?;
            serde_json::to_string(&resp).map_err(json_error)
        })
        .await
    }

    /// Opens a stream; failover happens before the first chunk, so a failure to start is
    /// raised here, typed, and a stream once open never switches provider.
    pub async fn chat_stream(
        &self,
        params: ChatCompletionCreateParams,
        options: Option<RequestOptions>,
    ) -> Result<Arc<ChunkStream>, KestrelError> {
        let req = request(params)?;
        self.open(req, call_options(options)?).await
    }

    /// [`KestrelCore::chat`] on the calling thread, blocking it until the answer: what the
    /// Java API calls (no coroutine machinery, no callback per call).
    pub fn chat_blocking(
        &self,
        params: ChatCompletionCreateParams,
        options: Option<RequestOptions>,
    ) -> Result<ChatCompletion, KestrelError> {
        let req = request(params)?;
        let opts = call_options(options)?;
        block_on(async {
            let resp = self.client.try_chat(req, opts).await?;
            let raw = serde_json::to_string(&resp).map_err(json_error)?;
            Ok(ChatCompletion::new(resp, raw))
        })
    }

    /// [`KestrelCore::chat_json`], blocking the calling thread.
    pub fn chat_json_blocking(
        &self,
        request_json: String,
        options_json: Option<String>,
    ) -> Result<String, KestrelError> {
        let req = ChatRequest::from_json(&request_json)?;
        let opts = call_options_json(options_json)?;
        block_on(async {
            let resp = self.client.try_chat(req, opts).await?;
            serde_json::to_string(&resp).map_err(json_error)
        })
    }

    /// [`KestrelCore::chat_stream`], blocking the calling thread until the stream is open.
    pub fn chat_stream_blocking(
        &self,
        params: ChatCompletionCreateParams,
        options: Option<RequestOptions>,
    ) -> Result<Arc<ChunkStream>, KestrelError> {
        let req = request(params)?;
        let opts = call_options(options)?;
        let stream = block_on(async { Ok(self.client.try_chat_stream(req, opts).await?) })?;
        Ok(Arc::new(ChunkStream::new(stream)))
    }

    /// [`KestrelCore::chat_stream`] for an OpenAI JSON body.
    pub async fn chat_stream_json(
        &self,
        request_json: String,
        options_json: Option<String>,
    ) -> Result<Arc<ChunkStream>, KestrelError> {
        let req = ChatRequest::from_json(&request_json)?;
        let opts = call_options_json(options_json)?;
        self.open(req, opts).await
    }

    /// The routing decision for a request (model, tier, reasons, failover plan, expected
    /// cost), without calling anyone.
    pub fn route(&self, params: ChatCompletionCreateParams) -> Result<RouteDecision, KestrelError> {
        let req = request(params)?;
        let decision = self.client.route(&req)?;
        Ok(decision.summary(self.client.catalog()).into())
    }

    /// What routing saved, for one tenant or all.
    pub fn savings(&self, tenant: Option<String>) -> SavingsReport {
        self.client.usage().savings(tenant.as_deref()).into()
    }

    /// Requests per tier, cache and passthrough.
    pub fn routing(&self, tenant: Option<String>) -> RoutingReport {
        self.client.usage().routing(tenant.as_deref()).into()
    }

    /// What the cache did.
    pub fn cache_stats(&self, tenant: Option<String>) -> CacheReport {
        self.client.usage().cache(tenant.as_deref()).into()
    }

    /// Any usage view as JSON, as the Python and Node packages read them: `savings`,
    /// `routing`, `analytics` (per model), `providers`, `records` (the latest `limit`),
    /// `tenants`, `cache`.
    pub fn usage_json(&self, view: String, tenant: Option<String>, limit: i32) -> Result<String, KestrelError> {
        let limit = usize::try_from(limit)
            .map_err(|_| KestrelError::config(format!("limit must be a non-negative integer, got {limit}")))?;
        let ledger = self.client.usage();
        let tenant = tenant.as_deref();
        let text = match view.as_str() {
            "savings" => serde_json::to_string(&ledger.savings(tenant)),
            "routing" => serde_json::to_string(&ledger.routing(tenant)),
            "analytics" => serde_json::to_string(&ledger.analytics(tenant)),
            "providers" => serde_json::to_string(&ledger.providers(tenant)),
            "records" => serde_json::to_string(&ledger.records(tenant, limit)),
            "tenants" => serde_json::to_string(&ledger.tenants()),
            "cache" => serde_json::to_string(&ledger.cache(tenant)),
            other => return Err(KestrelError::config(format!("unknown usage view `{other}`"))),
        };
        text.map_err(json_error)
    }

    /// Writes the recent usage records as CSV.
    pub async fn export_csv(&self, path: String, tenant: Option<String>) -> Result<(), KestrelError> {
        let ledger = self.client.usage().clone();
        spawn_blocking(move || {
            ledger
                .export_csv(&path, tenant.as_deref())
                .map_err(|e| KestrelError::config(format!("cannot write the CSV: {e}")))
        })
        .await
    }

    /// Waits until every usage record so far is in the JSONL sink, if one is configured,
    /// and sent to the usage collector or spooled to disk, if reporting is on.
    pub async fn flush_usage(&self) -> Result<(), KestrelError> {
        let ledger = self.client.usage().clone();
        spawn_blocking(move || {
            ledger.flush();
            Ok(())
        })
        .await
    }

    /// Each provider's circuit state and whether it is configured.
    pub fn health(&self) -> Vec<ProviderHealthInfo> {
        self.client.health().into_iter().map(Into::into).collect()
    }

    /// The catalog models reachable now with the configured keys, as JSON.
    pub fn models_json(&self) -> Result<String, KestrelError> {
        serde_json::to_string(&self.client.available_models()).map_err(json_error)
    }

    /// Drops every cached answer this client can see.
    pub async fn clear_cache(&self) -> Result<(), KestrelError> {
        let client = self.client.clone();
        spawn(async move { Ok(client.clear_cache().await?) }).await
    }

    /// Sets, rotates (`key` given) or removes (`None`) a provider's key.
    pub fn set_api_key(&self, provider: String, key: Option<String>) -> Result<(), KestrelError> {
        match key {
            Some(k) => self.client.set_api_key(&provider, k),
            None => self.client.remove_api_key(&provider),
        }?;
        Ok(())
    }

    /// Points a provider at another base URL (in the form its own SDK takes it).
    pub fn set_base_url(&self, provider: String, url: String) -> Result<(), KestrelError> {
        Ok(self.client.set_base_url(&provider, url)?)
    }

    /// The client's Debug form (keys redacted by the core).
    pub fn describe(&self) -> String {
        format!("{:?}", self.client)
    }
}

/// The in-process Rust baseline for the JVM overhead benchmark: one `Client::try_chat` of
/// `request_json` on the calling thread (as a Rust program calling the client would),
/// timed inside Rust; returns nanoseconds. Only in `--features bench` builds.
#[cfg(feature = "bench")]
#[uniffi::export]
impl KestrelCore {
    pub fn bench_rust_chat(&self, request_json: String) -> Result<i64, KestrelError> {
        let req = ChatRequest::from_json(&request_json)?;
        let client = self.client.clone();
        block_on(async move {
            let t = std::time::Instant::now();
            client.try_chat(req, CallOptions::default()).await?;
            Ok(t.elapsed().as_nanos() as i64)
        })
    }
}
