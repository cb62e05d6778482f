//! The dashboard page: one self-contained HTML file (no CDN, no build step) served by the
//! same binary. It reads the dashboard API with a Kestrel key, and manages keys through
//! the admin API with the admin token; both are typed into the page and kept in the tab's
//! `sessionStorage` only.

use axum::http::header;
use axum::response::IntoResponse;

pub const PAGE: &str = include_str!("dashboard.html");

pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::HeaderName::from_static("content-security-policy"),
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:",
            ),
        ],
        PAGE,
    )
}
