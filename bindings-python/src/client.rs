//! `NativeClient`: a `kestrel::Client` behind JSON-in, JSON-out calls.

use kestrel::router::DecisionSummary;
use kestrel::{CallOptions, ChatRequest, Client, ClientConfig};
use pyo3::prelude::*;
use serde::Serialize;

use crate::errors::{json_error, to_py};
use crate::runtime::{awaitable, wait};
use crate::stream::NativeStream;

#[pyclass(module = "kestrel._native", frozen)]
pub struct NativeClient {
    client: Client,
}

fn parse(request_json: &str, options_json: Option<&str>) -> PyResult<(ChatRequest, CallOptions)> {
    let req = ChatRequest::from_json(request_json).map_err(to_py)?;
    let opts = match options_json {
        Some(o) => {
            serde_json::from_str(o).map_err(|e| to_py(kestrel::Error::Config(format!("request options: {e}"))))?
        }
        None => CallOptions::default(),
    };
    Ok((req, opts))
}

fn json(value: &impl Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(json_error)
}

#[pymethods]
impl NativeClient {
    /// Builds a client from a JSON configuration (see `kestrel::ClientConfig`).
    #[new]
    fn new(config_json: &str) -> PyResult<Self> {
        let client = ClientConfig::from_json(config_json).and_then(|c| c.into_builder()?.build()).map_err(to_py)?;
        Ok(NativeClient { client })
    }

    /// A completion; blocks without the GIL. The request is validated before any I/O.
    #[pyo3(signature = (request_json, options_json=None))]
    fn chat(&self, py: Python<'_>, request_json: &str, options_json: Option<&str>) -> PyResult<String> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        let resp = wait(py, async move { client.chat_with(req, opts).await })?.map_err(to_py)?;
        json(&resp)
    }

    /// A completion as an awaitable, on the shared runtime; never blocks the event loop.
    #[pyo3(signature = (request_json, options_json=None))]
    fn achat<'py>(
        &self,
        py: Python<'py>,
        request_json: &str,
        options_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        awaitable(py, async move {
            let resp = client.chat_with(req, opts).await.map_err(to_py)?;
            json(&resp)
        })
    }

    /// Opens a stream (failover happens before the first chunk); blocks without the GIL.
    #[pyo3(signature = (request_json, options_json=None))]
    fn stream(&self, py: Python<'_>, request_json: &str, options_json: Option<&str>) -> PyResult<NativeStream> {
        let (req, opts) = parse(request_json, options_json)?;
        let client = self.client.clone();
        let stream = wait(py, async move { client.chat_stream_with(req, opts).await })?.map_err(to_py)?;
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
            let stream = client.chat_stream_with(req, opts).await.map_err(to_py)?;
            Ok(NativeStream::new(stream))
        })
    }

    /// The routing decision for a request, without calling anyone.
    fn route(&self, request_json: &str) -> PyResult<String> {
        let req = ChatRequest::from_json(request_json).map_err(to_py)?;
        let decision = self.client.route(&req).map_err(to_py)?;
        let summary: DecisionSummary = decision.summary(self.client.catalog());
        json(&summary)
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
            other => Err(to_py(kestrel::Error::Config(format!("unknown usage view `{other}`")))),
        }
    }

    /// Writes the recent usage records as CSV.
    #[pyo3(signature = (path, tenant=None))]
    fn export_csv(&self, py: Python<'_>, path: std::path::PathBuf, tenant: Option<String>) -> PyResult<()> {
        let ledger = self.client.usage().clone();
        py.detach(move || ledger.export_csv(&path, tenant.as_deref()))
            .map_err(|e| to_py(kestrel::Error::Config(format!("cannot write the CSV: {e}"))))
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
            .map_err(|e| to_py(kestrel::Error::Config(format!("cannot write the usage report: {e}"))))
    }

    /// The usage reporter's counters as JSON, or `None` when reporting is off.
    fn reporter_stats(&self) -> PyResult<Option<String>> {
        self.client.usage().reporter_stats().map(|s| json(&s)).transpose()
    }

    /// Each provider's circuit state and whether it is configured.
    fn health(&self) -> PyResult<String> {
        json(&self.client.health())
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
