//! The admin API, behind `Authorization: Bearer <KESTREL_ADMIN_TOKEN>` (off when no token
//! is set): `POST /admin/keys`, `GET /admin/keys[?tenant=]`, `DELETE /admin/keys/{id}`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::keys::{self, KeyError, KeyInfo, NewKey};
use crate::pool::bearer;
use crate::{api, crypto, Shared};

pub fn is_admin(shared: &Shared, headers: &HeaderMap) -> bool {
    match (&shared.config.admin_token, bearer(headers)) {
        (Some(token), Some(given)) => crypto::secrets_equal(token, given),
        _ => false,
    }
}

fn require_admin(shared: &Shared, headers: &HeaderMap) -> Result<(), ApiError> {
    if shared.config.admin_token.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "the admin API is off: start the server with KESTREL_ADMIN_TOKEN set",
        ));
    }
    if is_admin(shared, headers) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", "admin token required")
            .code("invalid_admin_token"))
    }
}

fn key_error(e: KeyError) -> ApiError {
    match e {
        KeyError::Invalid(m) => ApiError::invalid(m),
        other => ApiError::internal(other.to_string()),
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, KeyError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(e.to_string()))?.map_err(key_error)
}

pub async fn create(State(s): State<Arc<Shared>>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    require_admin(&s, &headers)?;
    let body = api::read_body(&s, body).await?;
    let new: NewKey =
        serde_json::from_slice(&body).map_err(|e| ApiError::invalid(format!("invalid key request: {e}")))?;
    let shared = s.clone();
    let created = blocking(move || keys::create(&*shared.store, &shared.master, &shared.catalog, new)).await?;
    tracing::info!(key = %created.info.id, tenant = %created.info.tenant, "key created");
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize)]
pub struct ListQuery {
    tenant: Option<String>,
}

pub async fn list(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    require_admin(&s, &headers)?;
    let store = s.store.clone();
    let data: Vec<KeyInfo> = blocking(move || keys::list(&*store, q.tenant.as_deref())).await?;
    Ok(Json(json!({"object": "list", "data": data})).into_response())
}

pub async fn revoke(
    State(s): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    require_admin(&s, &headers)?;
    let store = s.store.clone();
    let key_id = id.clone();
    let row = blocking(move || keys::revoke(&*store, &key_id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no key `{id}`")))?;
    s.pool.revoked(&row);
    tracing::info!(key = %row.id, "key revoked");
    Ok(Json(KeyInfo::from(&row)).into_response())
}
