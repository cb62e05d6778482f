//! The OpenAI-compatible API: `POST /v1/chat/completions` (plain, or SSE with
//! `data: [DONE]`), `GET /v1/models`, `GET /health`. The core does the work: the body is
//! parsed into a `ChatRequest`, handed to the key's client, and its response or chunks are
//! written back as they are.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use kestrel_router::responses::ResponsesRequest;
use kestrel_router::ChatRequest;
use serde_json::json;

use crate::error::ApiError;
use crate::Shared;

pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Reads a request body up to the server's limit, after the caller was authenticated (an
/// anonymous client never makes the server buffer anything).
pub async fn read_body(shared: &Shared, body: Body) -> Result<Bytes, ApiError> {
    let limit = shared.config.body_limit;
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&e);
        let mut too_large = false;
        while let Some(s) = source {
            too_large |= s.is::<http_body_util::LengthLimitError>();
            source = s.source();
        }
        if too_large {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "invalid_request_error",
                format!("request body larger than {limit} bytes"),
            )
            .code("request_too_large")
        } else {
            ApiError::invalid(format!("cannot read the request body: {e}"))
        }
    })
}

fn parse(body: &[u8]) -> Result<ChatRequest, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let mut err = ApiError::invalid(format!("invalid request body: {}", e.inner()));
        if path != "." {
            err = err.param(path);
        }
        err
    })
}

pub async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let kc = shared.pool.authenticate(&shared, &headers).await?;
    let body = read_body(&shared, body).await?;
    let mut req = parse(&body)?;
    // Usage and cache are the key's tenant's, whatever the body says.
    if let Some(p) = req.kestrel.as_mut() {
        p.tenant = None;
    }
    if req.stream != Some(true) {
        let resp = kc.client.chat(req).await.map_err(for_key)?;
        return Ok(Json(resp).into_response());
    }
    let stream = kc.client.chat_stream(req).await.map_err(for_key)?;
    // The stream holds the key's client, so a revoked key's usage is still drained.
    let holder = kc.clone();
    let events = stream
        .map(move |item| {
            let _ = &holder;
            let data = match item {
                Ok(chunk) => serde_json::to_string(&chunk)
                    .unwrap_or_else(|e| ApiError::internal(e.to_string()).body().to_string()),
                Err(e) => ApiError::from(e).body().to_string(),
            };
            Ok::<Bytes, std::convert::Infallible>(Bytes::from(format!("data: {data}\n\n")))
        })
        .chain(futures_util::stream::once(async { Ok(Bytes::from_static(b"data: [DONE]\n\n")) }));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(events),
    )
        .into_response())
}

/// `POST /v1/responses`: the core's routed Responses API. Streams are SSE with each event's
/// type as its `event:` name, as OpenAI sends them (no `[DONE]`).
pub async fn responses(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let kc = shared.pool.authenticate(&shared, &headers).await?;
    let body = read_body(&shared, body).await?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("the request body is not UTF-8"))?;
    let mut req = ResponsesRequest::from_json(text).map_err(ApiError::from)?;
    // Usage, cache and stored conversations are the key's tenant's, whatever the body says.
    if let Some(p) = req.kestrel.as_mut() {
        p.tenant = None;
    }
    if req.stream != Some(true) {
        let resp = kc.client.responses(req).await.map_err(for_key)?;
        return Ok(Json(resp).into_response());
    }
    let stream = kc.client.responses_stream(req).await.map_err(for_key)?;
    let holder = kc.clone();
    let events = stream.map(move |event| {
        let _ = &holder;
        let data = serde_json::to_value(&event).unwrap_or_else(|e| ApiError::internal(e.to_string()).body());
        let kind = data["type"].as_str().unwrap_or("error").to_string();
        Ok::<Bytes, std::convert::Infallible>(Bytes::from(format!("event: {kind}\ndata: {data}\n\n")))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Body::from_stream(events),
    )
        .into_response())
}

/// The core's error, worded for a server user where the library's wording would mislead:
/// a provider without a key is one this Kestrel key holds no credential for (the server
/// never reads provider keys from its environment).
fn for_key(e: kestrel_router::Error) -> ApiError {
    if let kestrel_router::Error::Config(m) = &e {
        if let Some(provider) = m.strip_prefix("no API key for `").and_then(|r| r.split('`').next()) {
            return ApiError::invalid(format!(
                "this Kestrel key holds no credential for provider `{provider}`: create a key with one \
                 (kestrel keys create --provider-key {provider}=...)"
            ))
            .code("provider_not_configured");
        }
    }
    ApiError::from(e)
}

pub async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Result<Response, ApiError> {
    let kc = shared.pool.authenticate(&shared, &headers).await?;
    let data: Vec<_> = kc
        .client
        .available_models()
        .into_iter()
        .map(|m| json!({"id": m.id, "object": "model", "created": 0, "owned_by": m.provider}))
        .collect();
    Ok(Json(json!({"object": "list", "data": data})).into_response())
}

/// OpenAI endpoints the core cannot serve yet: stored responses (retrieve, delete, input
/// items) and the provider passthrough endpoints (embeddings, legacy completions,
/// moderations, images, audio), which the libraries serve with the official SDK rather
/// than the core; the server only translates what the core does. A
/// Kestrel key is still required (401 first, as OpenAI answers any endpoint without one);
/// then a 501 in OpenAI's body naming what is missing, so a client fails clearly instead
/// of on an unknown-URL 404.
pub async fn not_yet(
    State(shared): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    shared.pool.authenticate(&shared, &headers).await?;
    let path = uri.path();
    let what = if path.trim_start_matches("/v1").starts_with("/responses") {
        "retrieving, cancelling or deleting stored responses is not supported by the Kestrel core yet"
    } else {
        "provider passthrough endpoints are not supported by the Kestrel core yet"
    };
    Err(ApiError::new(
        StatusCode::NOT_IMPLEMENTED,
        "invalid_request_error",
        format!(
            "`{path}`: {what}; kestrel serve answers `POST /v1/chat/completions`, `POST /v1/responses` and \
             `GET /v1/models`."
        ),
    )
    .code("not_implemented"))
}

/// Any other path: OpenAI's 404 body.
pub async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "invalid_request_error", "Unknown request URL.").code("unknown_url")
}
