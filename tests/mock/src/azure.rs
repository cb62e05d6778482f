//! Azure OpenAI's data plane: `…/openai/deployments/{deployment}/chat/completions` and
//! `…/embeddings`, with what Azure checks before it answers, in Azure's own bodies: the
//! `api-version` query (without it Azure answers 404 "Resource not found"), the key as
//! `api-key` or an Entra ID token as `Authorization: Bearer` (401 "Access denied ..."), and
//! the deployment (404 `DeploymentNotFound`). Answers are OpenAI's shapes carrying the
//! deployment's model and Azure's content-filter annotations.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{chat, respond_json, Shared};

/// Whether `path` is an Azure deployment route this module serves.
pub(crate) fn is_route(path: &str) -> bool {
    deployment_of(path).is_some()
}

/// `(deployment, operation)` for `…/openai/deployments/{deployment}/{operation}`.
fn deployment_of(path: &str) -> Option<(&str, &str)> {
    let (_, rest) = path.split_once("/openai/deployments/")?;
    let (name, op) = rest.split_once('/')?;
    (!name.is_empty() && matches!(op, "chat/completions" | "embeddings")).then_some((name, op))
}

fn azure_error(status: StatusCode, code: &str, message: &str, seq: u64) -> Response {
    respond_json(status, &json!({"error": {"code": code, "message": message}}), seq)
}

/// Access denied, as Azure words it for a missing or wrong key.
const ACCESS_DENIED: &str = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";

pub(crate) async fn handle(
    shared: &Shared,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    required: Option<&str>,
    body: &Value,
    seq: u64,
) -> Response {
    let Some((deployment, op)) = deployment_of(path) else {
        return azure_error(StatusCode::NOT_FOUND, "404", "Resource not found", seq);
    };
    let version = query.into_iter().flat_map(|q| q.split('&')).find_map(|kv| kv.strip_prefix("api-version="));
    if version.is_none_or(str::is_empty) {
        return azure_error(StatusCode::NOT_FOUND, "404", "Resource not found", seq);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let api_key = header("api-key").filter(|k| !k.is_empty());
    let bearer = header("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty());
    match (api_key, bearer, required) {
        (Some(k), _, Some(r)) if k != r => {
            return azure_error(StatusCode::UNAUTHORIZED, "401", ACCESS_DENIED, seq);
        }
        (None, None, _) => return azure_error(StatusCode::UNAUTHORIZED, "401", ACCESS_DENIED, seq),
        _ => {}
    }
    let served = {
        let inner = shared.lock();
        let table = &inner.script.azure_deployments;
        if table.is_empty() {
            Some(deployment.to_string())
        } else {
            table.get(deployment).cloned()
        }
    };
    let Some(served) = served else {
        return azure_error(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
            seq,
        );
    };
    if op == "embeddings" {
        let mut request = body.clone();
        if let Some(o) = request.as_object_mut() {
            o.insert("model".into(), Value::String(served));
        }
        return match crate::embeddings::respond(&request) {
            Ok(b) => respond_json(StatusCode::OK, &b, seq),
            Err(message) => azure_error(StatusCode::BAD_REQUEST, "BadRequest", &message, seq),
        };
    }
    // Azure ignores the body's `model`: the deployment decides, and its behaviour is
    // scripted under the deployment's name.
    let mut request = body.clone();
    if let Some(o) = request.as_object_mut() {
        o.insert("model".into(), Value::String(deployment.to_string()));
    }
    chat(shared, &request, false, seq, Some(&served)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_routes() {
        assert_eq!(
            deployment_of("/azure/openai/deployments/mini/chat/completions"),
            Some(("mini", "chat/completions"))
        );
        assert_eq!(deployment_of("/openai/deployments/e/embeddings"), Some(("e", "embeddings")));
        assert_eq!(deployment_of("/openai/v1/chat/completions"), None);
        assert_eq!(deployment_of("/openai/deployments//chat/completions"), None);
    }
}
