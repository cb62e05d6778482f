//! A small client for the admin API, for `kestrel keys` against a running server.

use std::time::Duration;

use serde_json::Value;

use crate::keys::{CreatedKey, KeyInfo, NewKey};

/// The admin API of a server at `url` (e.g. `http://127.0.0.1:8080`).
pub struct AdminClient {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl AdminClient {
    pub fn new(url: &str, token: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| e.to_string())?;
        Ok(AdminClient { url: url.trim_end_matches('/').to_string(), token: token.to_string(), http })
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Value, String> {
        let resp = req.bearer_auth(&self.token).send().await.map_err(|e| format!("{}: {e}", self.url))?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| format!("{}: unreadable answer: {e}", self.url))?;
        if !status.is_success() {
            let msg = body.pointer("/error/message").and_then(Value::as_str).unwrap_or("error");
            return Err(format!("{} ({status}): {msg}", self.url));
        }
        Ok(body)
    }

    pub async fn create(&self, new: &NewKey) -> Result<CreatedKey, String> {
        let v = self.send(self.http.post(format!("{}/admin/keys", self.url)).json(new)).await?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    pub async fn list(&self, tenant: Option<&str>) -> Result<Vec<KeyInfo>, String> {
        let mut req = self.http.get(format!("{}/admin/keys", self.url));
        if let Some(t) = tenant {
            req = req.query(&[("tenant", t)]);
        }
        let v = self.send(req).await?;
        serde_json::from_value(v.get("data").cloned().unwrap_or_default()).map_err(|e| e.to_string())
    }

    pub async fn revoke(&self, id: &str) -> Result<KeyInfo, String> {
        let v = self.send(self.http.delete(format!("{}/admin/keys/{id}", self.url))).await?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }
}
