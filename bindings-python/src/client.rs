//! `NativeClient`: a `kestrel_router::Client` behind JSON-in, JSON-out calls.

use kestrel_router::router::DecisionSummary;
use kestrel_router::{CallOptions, ChatRequest, Client, ClientConfig, ResponsesRequest};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::{failure_to_py, json_error, to_py};
use crate::runtime::{awaitable, wait};
use crate::stream::NativeStream;

#[pyclass(module = "kestrel_router._native", frozen)]
pub struct NativeClient {
    client: Client,
}

fn parse(request_json: &str, options_json: Option<&str>) -> PyResult<(ChatRequest, CallOptions)> {
    let req = ChatRequest::from_json(request_json).map_err(to_py)?;
    let opts = match options_json {
        Some(o) => serde_json::from_str(o)
            .map_err(|e| to_py(kestrel_router::Error::Config(format!("request options: {e}"))))?,
        None => CallOptions::default(),
    };
    Ok((req, opts))
}

fn parse_responses(request_json: &str, options_json: Option<&str>) -> PyResult<(ResponsesRequest, CallOptions)> {
    let req = ResponsesRequest::from_json(request_json).map_err(to_py)?;
    let opts = match options_json {
        Some(o) => serde_json::from_str(o)
            .map_err(|e| to_py(kestrel_router::Error::Config(format!("request options: {e}"))))?,
        None => CallOptions::default(),
    };
    Ok((req, opts))
}

fn json(value: &impl Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(json_error)
}

/// An answer and the provider's HTTP answer behind it, both as JSON (the second `None`
/// for an answer from the cache).
type Exchanged = (String, Option<String>);

fn exchanged(body: &impl Serialize, response: Option<&kestrel_router::ProviderResponse>) -> PyResult<Exchanged> {
    Ok((json(body)?, response.map(json).transpose()?))
}

#[pymethods]
impl NativeClient {
    /// Builds a client from a JSON configuration (see `kestrel_router::ClientConfig`).
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        let client = ClientConfig::from_json(config_json).and_then(|c| c.into_builder()?.build()).map_err(to_py)?;
        Ok(NativeClient { client })
    }

    /// A completion, with the provider's HTTP answer (status, headers, request id); blocks
    /// without the GIL. The request is validated before any I/O.
    #[pyo3(signature = (request_json, options_json=None))]
    fn chat_raw(&self, py: Python<'_>, request_json: &str, options_json: Option<&str>) -> PyResult<Exchanged> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        let resp = wait(py, async move { client.try_chat(req, opts).await })?.map_err(failure_to_py)?;
        exchanged(&resp, resp.provider_response.as_deref())
    }

    /// [`Self::chat_raw`] as an awaitable, on the shared runtime; never blocks the event loop.
    #[pyo3(signature = (request_json, options_json=None))]
    fn achat_raw<'py>(
        &self,
        py: Python<'py>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        awaitable(py, async move {
            let resp = client.try_chat(req, opts).await.map_err(failure_to_py)?;
            exchanged(&resp, resp.provider_response.as_deref())
        })
    }

    /// Opens a stream (failover happens before the first chunk); blocks without the GIL.
    #[pyo3(signature = (request_json, options_json=None))]
    fn stream(&self, py: Python<'_>, request_json: &str, options_json: Option<&str>) -> PyResult<NativeStream> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        let stream = wait(py, async move { client.try_chat_stream(req, opts).await })?.map_err(failure_to_py)?;
        Ok(NativeStream::new(stream))
    }

    /// Opens a stream as an awaitable.
    #[pyo3(signature = (request_json, options_json=None))]
    fn astream<'py>(
        &self,
        py: Python<'py>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        awaitable(py, async move {
            let stream = client.try_chat_stream(req, opts).await.map_err(failure_to_py)?;
            Ok(NativeStream::new(stream))
        })
    }

    /// Why a Responses request must go unchanged to OpenAI's Responses API (through the
    /// official SDK) instead of being routed; `None` when it is routed. The core decides.
    fn responses_passthrough(&self, request_json: &str) -> PyResult<Option<String>> {
        let req = ResponsesRequest::from_json(request_json).map_err(to_py)?;
        Ok(self.client.responses_passthrough(&req))
    }

    /// A Response (Responses API), routed like a chat completion, with the provider's HTTP
    /// answer; blocks without the GIL.
    #[pyo3(signature = (request_json, options_json=None))]
    fn responses_raw(&self, py: Python<'_>, request_json: &str, options_json: Option<&str>) -> PyResult<Exchanged> {
        let (req, opts) = parse_responses(request_json, options_json)?;
        let client = self.client.clone();
        let resp = wait(py, async move { client.try_responses(req, opts).await })?.map_err(failure_to_py)?;
        exchanged(&resp, resp.provider_response.as_deref())
    }

    /// [`Self::responses_raw`] as an awaitable.
    #[pyo3(signature = (request_json, options_json=None))]
    fn aresponses_raw<'py>(
        &self,
        py: Python<'py>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (req, opts) = parse_responses(request_json, options_json)?;
        let client = self.client.clone();
        awaitable(py, async move {
            let resp = client.try_responses(req, opts).await.map_err(failure_to_py)?;
            exchanged(&resp, resp.provider_response.as_deref())
        })
    }

    /// Opens a stream of Responses events; blocks without the GIL.
    #[pyo3(signature = (request_json, options_json=None))]
    fn responses_stream(
        &self,
        py: Python<'_>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<NativeStream> {
        let (req, opts) = parse_responses(request_json, options_json)?;
        let client = self.client.clone();
        let stream = wait(py, async move { client.try_responses_stream(req, opts).await })?.map_err(failure_to_py)?;
        Ok(NativeStream::responses(stream))
    }

    /// Opens a stream of Responses events as an awaitable.
    #[pyo3(signature = (request_json, options_json=None))]
    fn aresponses_stream<'py>(
        &self,
        py: Python<'py>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (req, opts) = parse_responses(request_json, options_json)?;
        let client = self.client.clone();
        awaitable(py, async move {
            let stream = client.try_responses_stream(req, opts).await.map_err(failure_to_py)?;
            Ok(NativeStream::responses(stream))
        })
    }

    /// The routing decision for a request, without calling anyone.
    fn route(&self, request_json: &str) -> PyResult<String> {
        let req = ChatRequest::from_json(request_json).map_err(to_py)?;
        let decision = self.client.route(&req).map_err(to_py)?;
        let summary: DecisionSummary = decision.summary(self.client.catalog());
        json(&summary)
    }

    /// Records how request `request_id`'s answer went (`good`, `bad` or a score 0-1);
    /// false when feedback is off or the request is not remembered.
    fn feedback(&self, request_id: &str, outcome: &str) -> PyResult<bool> {
        let outcome = kestrel_router::router::Outcome::parse(outcome).map_err(to_py)?;
        Ok(self.client.feedback(request_id, outcome))
    }

    /// A usage view as JSON: savings, routing, analytics, providers, records or tenants.
    #[pyo3(signature = (view, tenant=None, limit=100))]
    fn usage(&self, view: &str, tenant: Option<&str>, limit: usize) -> PyResult<String> {
        let ledger = self.client.usage();
        match view {
            "savings" => json(&ledger.savings(tenant)),
            "routing" => json(&ledger.routing(tenant)),
            "analytics" => json(&ledger.analytics(tenant)),
            "providers" => json(&ledger.providers(tenant)),
            "records" => json(&ledger.records(tenant, limit)),
            "tenants" => json(&ledger.tenants()),
            "cache" => json(&ledger.cache(tenant)),
            other => Err(to_py(kestrel_router::Error::Config(format!("unknown usage view `{other}`")))),
        }
    }

    /// Writes the recent usage records as CSV.
    #[pyo3(signature = (path, tenant=None))]
    fn export_csv(&self, py: Python<'_>, path: std::path::PathBuf, tenant: Option<String>) -> PyResult<()> {
        let ledger = self.client.usage().clone();
        py.detach(move || ledger.export_csv(&path, tenant.as_deref()))
            .map_err(|e| to_py(kestrel_router::Error::Config(format!("cannot write the CSV: {e}"))))
    }

    /// Drops every cached answer this client can see; blocks without the GIL.
    fn clear_cache(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.client.clone();
        wait(py, async move { client.clear_cache().await })?.map_err(to_py)
    }

    /// Waits until every usage record so far is in the JSONL sink, if one is configured,
    /// and sent to the usage collector or spooled to disk, if reporting is on.
    fn flush_usage(&self, py: Python<'_>) {
        let ledger = self.client.usage().clone();
        py.detach(move || ledger.flush());
    }

    /// Writes the self-contained HTML usage report; returns how many records it covers.
    fn usage_report(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<usize> {
        let ledger = self.client.usage().clone();
        py.detach(move || ledger.report(&path))
            .map_err(|e| to_py(kestrel_router::Error::Config(format!("cannot write the usage report: {e}"))))
    }

    /// The usage reporter's counters as JSON, or `None` when reporting is off.
    fn reporter_stats(&self) -> PyResult<Option<String>> {
        self.client.usage().reporter_stats().map(|s| json(&s)).transpose()
    }

    /// Each provider's circuit state and whether it is configured.
    fn health(&self) -> PyResult<String> {
        json(&self.client.health())
    }

    /// Counts a call made with the OpenAI SDK's own client (embeddings, images, files,
    /// ...): the core prices and records it; returns the usage record as JSON.
    fn record_passthrough(&self, call_json: &str) -> PyResult<String> {
        let call: kestrel_router::PassthroughCall = serde_json::from_str(call_json)
            .map_err(|e| to_py(kestrel_router::Error::Config(format!("passthrough record: {e}"))))?;
        json(&self.client.record_passthrough(call))
    }

    /// The catalog models reachable now with the configured keys.
    fn models(&self) -> PyResult<String> {
        json(&self.client.available_models())
    }

    /// Sets, rotates (`key` given) or removes (`None`) a provider's key.
    #[pyo3(signature = (provider, key))]
    fn set_api_key(&self, provider: &str, key: Option<String>) -> PyResult<()> {
        match key {
            Some(k) => self.client.set_api_key(provider, k),
            None => self.client.remove_api_key(provider),
        }
        .map_err(to_py)
    }

    fn set_base_url(&self, provider: &str, url: String) -> PyResult<()> {
        self.client.set_base_url(provider, url).map_err(to_py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.client)
    }
}
