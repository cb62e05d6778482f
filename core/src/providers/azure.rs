//! Azure OpenAI. The body and the answer are OpenAI's Chat Completions; what differs is
//! where a request goes and how it authenticates: a *deployment* stands for the model
//! (`{base}/deployments/{deployment}/chat/completions?api-version=…`, the body's `model`
//! is ignored by Azure), the key travels as `api-key`, and Microsoft Entra ID tokens as
//! `Authorization: Bearer`.
//!
//! Routing among deployments: each configured deployment becomes a catalog model of the
//! `azure` provider, priced and tiered as the model it serves, so the router chooses among
//! deployments exactly as it chooses among models, with the requested deployment's model as
//! the ceiling. An Azure client's catalog holds only its deployments: traffic sent to an
//! Azure resource stays on it.

use super::http::Auth;
use super::openai::{self, Events};
use super::wire::WireFormat;
use super::{Call, Endpoint};
use crate::catalog::{Api, Catalog, ProviderSpec};
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::types::ChatResponse;

/// The catalog name of the Azure provider in an Azure client.
pub const PROVIDER: &str = "azure";

/// How requests to the Azure resource authenticate, as the official SDKs offer it.
#[derive(Clone)]
pub enum AzureAuth {
    /// A resource key, sent as `api-key`.
    ApiKey(Secret),
    /// A Microsoft Entra ID token, sent as `Authorization: Bearer`.
    AdToken(Secret),
    /// The caller supplies the `Authorization` header with each call
    /// ([`crate::CallOptions::headers`]): how the bindings run a token provider, which the
    /// SDKs call before every request, without the core calling back into the host language.
    TokenPerCall,
}

impl std::fmt::Debug for AzureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AzureAuth::ApiKey(_) => "ApiKey([redacted])",
            AzureAuth::AdToken(_) => "AdToken([redacted])",
            AzureAuth::TokenPerCall => "TokenPerCall",
        })
    }
}

/// One deployment: its name on the resource, and the catalog model it serves (its prices,
/// tier and capabilities are the deployment's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub name: String,
    pub model: String,
}

/// An Azure OpenAI resource as a client's only provider.
#[derive(Debug, Clone)]
pub struct AzureConfig {
    /// `{endpoint}/openai`: the official SDKs' base URL for a resource endpoint.
    pub base_url: String,
    pub api_version: String,
    pub auth: AzureAuth,
    /// The deployments the router may choose among.
    pub deployments: Vec<Deployment>,
    /// Every request goes to this deployment (as the ceiling), whatever its `model` says:
    /// the SDKs' `azure_deployment` / `deployment`.
    pub deployment: Option<String>,
}

impl AzureConfig {
    /// A resource endpoint (`https://NAME.openai.azure.com`), as `azure_endpoint` takes it.
    pub fn new(endpoint: &str, api_version: impl Into<String>, auth: AzureAuth) -> Self {
        AzureConfig {
            base_url: format!("{}/openai", endpoint.trim_end_matches('/')),
            api_version: api_version.into(),
            auth,
            deployments: Vec::new(),
            deployment: None,
        }
    }

    /// A base URL as the SDKs' `base_url` takes it (`…/openai`, or
    /// `…/openai/deployments/NAME`, which pins that deployment as the Python SDK does).
    pub fn with_base_url(base_url: &str, api_version: impl Into<String>, auth: AzureAuth) -> Self {
        let trimmed = base_url.trim_end_matches('/');
        let (base, pinned) = match trimmed.rsplit_once("/deployments/") {
            Some((base, name)) if !name.is_empty() && !name.contains('/') => (base, Some(name.to_string())),
            _ => (trimmed, None),
        };
        AzureConfig {
            base_url: base.to_string(),
            api_version: api_version.into(),
            auth,
            deployments: Vec::new(),
            deployment: pinned,
        }
    }

    /// Adds a deployment serving `model` (a catalog model name).
    pub fn deployment(mut self, name: impl Into<String>, model: impl Into<String>) -> Self {
        self.deployments.push(Deployment { name: name.into(), model: model.into() });
        self
    }

    /// Sends every request to `name` (the ceiling when it is a configured deployment).
    pub fn pin(mut self, name: impl Into<String>) -> Self {
        self.deployment = Some(name.into());
        self
    }

    fn validate(&self) -> Result<()> {
        if self.api_version.trim().is_empty() {
            return Err(Error::Config("azure: api_version must not be empty".into()));
        }
        let names = self.deployments.iter().map(|d| d.name.as_str()).chain(self.deployment.as_deref());
        for name in names {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
                return Err(Error::Config(format!(
                    "azure: deployment name `{name}` may only hold letters, digits, `-`, `_` and `.`"
                )));
            }
        }
        for (i, d) in self.deployments.iter().enumerate() {
            if self.deployments[..i].iter().any(|o| o.name.eq_ignore_ascii_case(&d.name)) {
                return Err(Error::Config(format!("azure: deployment `{}` is configured twice", d.name)));
            }
        }
        Ok(())
    }

    /// The `azure` provider: OpenAI's body at the deployment's URL. A key in the slot is
    /// the `api-key`; with Entra ID tokens there is none, so the provider counts as
    /// configured without one.
    fn provider(&self) -> ProviderSpec {
        ProviderSpec {
            name: PROVIDER.into(),
            api: Api::Azure,
            base_url: self.base_url.clone(),
            chat_path: format!("/deployments/{{model}}/chat/completions?api-version={}", encode(&self.api_version)),
            key_env: Vec::new(),
            base_url_env: Vec::new(),
            key_optional: !matches!(self.auth, AzureAuth::ApiKey(_)),
            model_prefixes: Vec::new(),
        }
    }

    /// An Azure client's catalog: the `azure` provider and one model per deployment, a copy
    /// of the model it serves (from `full`) named after the deployment. The served model's
    /// names become the deployment's aliases, so `model="gpt-5-mini"` finds the deployment
    /// serving it; a deployment's own name wins over them. Lifecycle dates are dropped:
    /// Azure retires deployments on its own schedule, which the deployment's 404 reports.
    pub(crate) fn catalog(&self, full: &Catalog) -> Result<Catalog> {
        self.validate()?;
        let mut c = Catalog::empty().with_prices_as_of(full.prices_as_of());
        c.add_provider(self.provider())?;
        for d in &self.deployments {
            let served = full.resolve(&d.model).ok_or_else(|| {
                Error::Config(format!(
                    "azure: deployment `{}` serves `{}`, which is not in the catalog (add it with `models`)",
                    d.name, d.model
                ))
            })?;
            let mut spec = full.model(served).clone();
            let mut aliases = vec![spec.id.clone()];
            aliases.append(&mut spec.aliases);
            spec.aliases = aliases;
            spec.id = d.name.clone();
            spec.api_id = Some(d.name.clone());
            spec.provider = PROVIDER.into();
            spec.deprecated = None;
            spec.shutdown = None;
            spec.successor = None;
            c.add_model(spec)?;
        }
        Ok(c)
    }

    /// The key and headers the slot starts with: the resource key, or a fixed token as a
    /// sensitive `Authorization` header.
    pub(crate) fn credentials(&self, endpoint: &mut Endpoint) -> Result<()> {
        match &self.auth {
            AzureAuth::ApiKey(key) => endpoint.key = Some(key.clone()),
            AzureAuth::AdToken(token) => {
                let mut v =
                    reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                        Error::Config("azure: the AD token contains characters not allowed in a header".into())
                    })?;
                v.set_sensitive(true);
                endpoint.headers.insert(reqwest::header::AUTHORIZATION, v);
            }
            AzureAuth::TokenPerCall => {}
        }
        Ok(())
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a deployment name that
/// reaches the URL unchecked (a request naming an unlisted deployment) stays one segment.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The Azure wire format: OpenAI's, addressed to a deployment.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Azure;

impl WireFormat for Azure {
    type State = ();
    type Events = Events;
    const AUTH: Auth = Auth::Header("api-key");

    fn encode(&self, call: &Call<'_>, stream: bool) -> Result<(Vec<u8>, ())> {
        Ok((openai::body(call, stream)?, ()))
    }

    fn decode(&self, provider: &str, bytes: &[u8], _model: &str, _: ()) -> Result<ChatResponse> {
        openai::decode(provider, bytes)
    }

    fn events(&self, provider: String, _model: &str, _: ()) -> Events {
        Events { provider }
    }

    fn url(&self, endpoint: &Endpoint, model: &str, _stream: bool) -> String {
        endpoint.chat_url(&encode(model))
    }

    /// Azure's `GET /openai/models` lists the base models a resource could deploy, not its
    /// deployments: no use for discovery.
    fn models_url(&self, _endpoint: &Endpoint) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_and_pins() {
        let c = AzureConfig::new("https://r.openai.azure.com/", "2024-10-21", AzureAuth::TokenPerCall);
        assert_eq!(c.base_url, "https://r.openai.azure.com/openai");
        let p = AzureConfig::with_base_url("https://r/openai/deployments/dep-1/", "v", AzureAuth::TokenPerCall);
        assert_eq!((p.base_url.as_str(), p.deployment.as_deref()), ("https://r/openai", Some("dep-1")));
        let spec = c.provider();
        let e = Endpoint {
            provider: "azure".into(),
            base_url: spec.base_url,
            chat_path: spec.chat_path,
            key: None,
            headers: Default::default(),
        };
        assert_eq!(
            Azure.url(&e, "my deploy", false),
            "https://r.openai.azure.com/openai/deployments/my%20deploy/chat/completions?api-version=2024-10-21"
        );
    }

    #[test]
    fn deployments_become_models_named_after_them() {
        let full = Catalog::builtin();
        let cfg = AzureConfig::new("https://r", "v", AzureAuth::ApiKey(Secret::new("k")))
            .deployment("mini", "gpt-4o-mini")
            .deployment("big", "gpt-4o");
        let c = cfg.catalog(&full).unwrap();
        assert_eq!(c.providers().len(), 1);
        let mini = c.resolve("gpt-4o-mini").unwrap();
        assert_eq!(c.model(mini).id, "mini");
        assert_eq!(c.model(mini).wire_id(), "mini");
        assert_eq!(c.resolve("big"), c.resolve("gpt-4o"));
        assert_eq!(c.requested_provider("unlisted-deployment"), Some(0), "the only provider takes unknown names");
        let bad = cfg.clone().deployment("x", "no-such-model").catalog(&full).unwrap_err().to_string();
        assert!(bad.contains("no-such-model"), "{bad}");
        let twice = cfg.clone().deployment("MINI", "gpt-4o").catalog(&full).unwrap_err().to_string();
        assert!(twice.contains("twice"), "{twice}");
        assert!(cfg.pin("a/b").catalog(&full).is_err());
    }
}
