//! The one HTTP client every provider shares, and the mapping of HTTP failures onto
//! [`Error`] so failover treats every provider alike.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde::Serialize;
use serde_json::Value;

use super::Endpoint;
use crate::error::{Error, Result};

/// Connection settings for the shared client.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub connect_timeout: Duration,
    pub pool_idle_timeout: Duration,
    pub pool_max_idle_per_host: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 64,
        }
    }
}

/// Builds the shared client: connection reuse and HTTP/2 where offered. Silence from a
/// provider is bounded by the client's watchdog (see `deadline.rs`), not by reqwest
/// timers, which would cost a timer registration per request and per read.
pub fn build_client(cfg: &HttpConfig) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(cfg.connect_timeout)
        .pool_idle_timeout(cfg.pool_idle_timeout)
        .pool_max_idle_per_host(cfg.pool_max_idle_per_host)
        .tcp_nodelay(true)
        .user_agent(concat!("kestrel/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// How a provider wants its key sent.
#[derive(Debug, Clone, Copy)]
pub enum Auth {
    Bearer,
    Header(&'static str),
}

/// The provider's HTTP answer to one attempt, as the official SDKs expose it on raw
/// responses and on errors: status, response headers (rate limits, `x-request-id`), the
/// provider's request id. Request headers are never kept: they carry the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderResponse {
    /// The catalog name of the provider that answered.
    pub provider: String,
    pub method: String,
    /// The URL called, without credentials (user info and `key`-like query parameters).
    pub url: String,
    pub status: u16,
    /// Response headers as received, in order, names lowercase; minus `set-cookie` and the
    /// body framing headers (`content-length`, `content-encoding`, `transfer-encoding`):
    /// the body handed to the caller is Kestrel's translation, not the bytes they describe.
    pub headers: Vec<(String, String)>,
    /// The provider's id for the request, from the header it sends it in (`x-request-id`
    /// for OpenAI and its compatibles and Cohere, `request-id` for Anthropic); what the
    /// official SDKs surface as `_request_id` and quote in support tickets.
    pub request_id: Option<String>,
    /// From sending the request to the end of the answer's headers (whole body for a
    /// plain call), in milliseconds.
    pub elapsed_ms: f64,
    /// Provider calls this request made before the one that produced this answer
    /// (substitutes and retries): the SDKs' `retries_taken`.
    pub retries_taken: u32,
    /// An error answer's body as sent (at most 64 KiB), for `e.response` in the bindings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Headers that name a provider's request id, most common first.
const REQUEST_ID_HEADERS: [&str; 3] = ["x-request-id", "request-id", "x-amzn-requestid"];

/// Headers left out of [`ProviderResponse::headers`] (see there).
const DROPPED_HEADERS: [&str; 5] =
    ["set-cookie", "content-length", "content-encoding", "transfer-encoding", "connection"];

impl ProviderResponse {
    fn of(provider: &str, method: &str, resp: &reqwest::Response) -> Self {
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .filter(|(name, _)| !DROPPED_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| Some((name.as_str().to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let request_id = REQUEST_ID_HEADERS
            .iter()
            .find_map(|h| resp.headers().get(*h).and_then(|v| v.to_str().ok()))
            .map(str::to_string);
        ProviderResponse {
            provider: provider.to_string(),
            method: method.to_string(),
            url: public_url(resp.url()),
            status: resp.status().as_u16(),
            headers,
            request_id,
            elapsed_ms: 0.0,
            retries_taken: 0,
            body: None,
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The wait the provider asked for (`retry-after-ms` or `Retry-After`), whatever the
    /// status: the SDKs honour it on every response they retry, not only on 429s.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after_from(|name| self.header(name))
    }
}

/// `url` as it may be shown: a key put in the user info or the query (`?key=` is how
/// Gemini takes one) is blanked.
fn public_url(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let secret =
        |k: &str| matches!(k.to_ascii_lowercase().as_str(), "key" | "api_key" | "api-key" | "apikey" | "token");
    if url.query_pairs().any(|(k, _)| secret(&k)) {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) { "REDACTED".to_string() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.into()
}

/// Where one attempt leaves the provider's answer, success or error status, for the
/// pipeline to pick up; errors stay plain [`Error`]s (failover matches on them) and the
/// HTTP facts travel beside them.
#[derive(Debug, Default)]
pub struct Seen(std::sync::Mutex<Option<ProviderResponse>>);

impl Seen {
    fn put(&self, r: ProviderResponse) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
    }

    /// What the attempt saw, if it got an answer.
    pub fn take(&self) -> Option<ProviderResponse> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

/// Sends a JSON body to `url` with the endpoint's key and headers (and `defaults` the
/// caller's headers do not override), and returns the response if its status is a success;
/// any other status becomes the matching typed error. `timeout`, when set, bounds the
/// whole exchange, body included. The answer's status and headers (and an error's body)
/// land in `seen`.
#[allow(clippy::too_many_arguments)]
pub async fn post_json(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    auth: Auth,
    defaults: &[(&'static str, &'static str)],
    body: Vec<u8>,
    timeout: Option<Duration>,
    seen: &Seen,
) -> Result<reqwest::Response> {
    let provider = endpoint.provider.as_str();
    let mut headers = request_headers(endpoint, auth, defaults)?;
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let mut req = client.post(url).headers(headers).body(body);
    if let Some(t) = timeout {
        req = req.timeout(t);
    }
    let resp = req.send().await.map_err(|e| transport_error(provider, &e))?;
    let mut answer = ProviderResponse::of(provider, "POST", &resp);
    if resp.status().is_success() {
        seen.put(answer);
        return Ok(resp);
    }
    let (error, raw) = read_status_error(provider, resp).await;
    answer.body = raw;
    seen.put(answer);
    Err(error)
}

/// GETs `url` with the endpoint's key and headers, like [`post_json`]: for the
/// providers' model listings.
pub async fn get(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    auth: Auth,
    defaults: &[(&'static str, &'static str)],
    timeout: Duration,
) -> Result<Bytes> {
    let provider = endpoint.provider.as_str();
    let headers = request_headers(endpoint, auth, defaults)?;
    let resp = client.get(url).headers(headers).timeout(timeout).send().await;
    let resp = resp.map_err(|e| transport_error(provider, &e))?;
    if !resp.status().is_success() {
        return Err(status_error(provider, resp).await);
    }
    resp.bytes().await.map_err(|e| transport_error(provider, &e))
}

/// The endpoint's headers, the provider's `defaults` they do not override, and the key
/// (marked sensitive, so it never shows in reqwest's debug output).
fn request_headers(endpoint: &Endpoint, auth: Auth, defaults: &[(&'static str, &'static str)]) -> Result<HeaderMap> {
    let mut headers = endpoint.headers.clone();
    for (name, value) in defaults {
        if !headers.contains_key(*name) {
            headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
    }
    if let Some(key) = &endpoint.key {
        let (name, value) = match auth {
            Auth::Bearer => (AUTHORIZATION, format!("Bearer {}", key.expose())),
            Auth::Header(h) => (HeaderName::from_static(h), key.expose().to_string()),
        };
        let mut value = HeaderValue::from_str(&value).map_err(|_| {
            Error::Config(format!("{}: the API key contains characters not allowed in a header", endpoint.provider))
        })?;
        value.set_sensitive(true);
        headers.insert(name, value);
    }
    Ok(headers)
}

/// A reqwest failure as a typed error. reqwest's messages carry the URL, never headers,
/// so no key can appear here.
pub fn transport_error(provider: &str, e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout { provider: provider.to_string() };
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut io = false;
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        io |= s.is::<std::io::Error>();
        source = s.source();
    }
    // A body that cannot be decoded is the provider's fault; one cut off mid-read (an I/O
    // error under reqwest's "error decoding response body") is the connection's, as the
    // SDKs see it (`APIConnectionError`, retried).
    if e.is_decode() && !io {
        return Error::Provider { provider: provider.to_string(), status: 0, message, body: None };
    }
    Error::Connection { provider: provider.to_string(), message }
}

/// A 2xx answer (or stream event) that is not the shape the provider documents: a
/// provider fault, so it fails over like a 5xx.
pub fn malformed(provider: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Provider {
        provider: provider.to_string(),
        status: 200,
        message: format!("malformed {what}: {e}"),
        body: None,
    }
}

/// A stream that ended without the provider's end marker (`marker`): cut short, a fault
/// of the provider or the connection, never a complete answer.
pub fn cut_short(provider: &str, marker: &str) -> Error {
    Error::Provider {
        provider: provider.to_string(),
        status: 200,
        message: format!("the event stream ended before {marker}"),
        body: None,
    }
}

/// Largest error body kept (provider error bodies are small; anything bigger is noise).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Reads an error response and maps its status onto the typed errors.
pub async fn status_error(provider: &str, resp: reqwest::Response) -> Error {
    read_status_error(provider, resp).await.0
}

/// [`status_error`], and the body as text when it could be read.
async fn read_status_error(provider: &str, resp: reqwest::Response) -> (Error, Option<String>) {
    let status = resp.status().as_u16();
    let retry_after = retry_after(resp.headers());
    let raw = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return (transport_error(provider, &e), None),
    };
    let raw = &raw[..raw.len().min(MAX_ERROR_BODY)];
    let body: Option<Value> = serde_json::from_slice(raw).ok();
    let text = String::from_utf8_lossy(raw);
    let message = body.as_ref().and_then(error_message).unwrap_or_else(|| text.trim().chars().take(500).collect());
    (classify(provider, status, message, body.map(Box::new), retry_after), Some(text.into_owned()))
}

/// The human message in the common error body shapes: OpenAI `{"error": {"message"}}`,
/// Anthropic `{"type": "error", "error": {"message"}}`, Gemini `{"error": {"message"}}`,
/// Cohere `{"message"}`, FastAPI-style `{"detail"}`.
pub fn error_message(body: &Value) -> Option<String> {
    let err = body.get("error");
    err.and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| err.and_then(Value::as_str).map(str::to_string))
        .or_else(|| body.get("message").and_then(Value::as_str).map(str::to_string))
        .or_else(|| body.get("detail").map(|d| d.as_str().map_or_else(|| d.to_string(), str::to_string)))
}

/// Status → error kind. 408 and 409 are transient (the OpenAI SDKs retry them); so is any 5xx.
pub fn classify(
    provider: &str,
    status: u16,
    message: String,
    body: Option<Box<Value>>,
    retry_after: Option<Duration>,
) -> Error {
    let provider = provider.to_string();
    match status {
        401 => Error::Authentication { provider, message, body },
        403 => Error::PermissionDenied { provider, message, body },
        404 => Error::NotFound { provider, message, body },
        408 => Error::Timeout { provider },
        429 => Error::RateLimited { provider, message, retry_after, body },
        400..=499 if status != 409 => Error::BadRequest { provider, status, message, body },
        _ => Error::Provider { provider, status, message, body },
    }
}

/// `retry-after-ms` (OpenAI's), else `Retry-After` in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_from(|name| headers.get(name).and_then(|v| v.to_str().ok()))
}

/// [`retry_after`] over any header lookup.
fn retry_after_from<'a>(header: impl Fn(&str) -> Option<&'a str>) -> Option<Duration> {
    let get = |name: &str| header(name).map(str::trim);
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let v = get("retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// A provider's stream translation: provider events in, OpenAI chunks out.
pub trait EventTranslator: Send + Unpin + 'static {
    /// Translates one event's data, queueing the chunks it yields.
    fn on_event(&mut self, data: &str, out: &mut std::collections::VecDeque<crate::types::ChatChunk>) -> Result<()>;
    /// The provider's own end marker arrived: nothing more is read.
    fn finished(&self) -> bool {
        false
    }
    /// The body ended without the provider's end marker: a closing chunk, nothing, or the
    /// error saying the stream was cut short.
    fn on_end(&mut self) -> Result<Option<crate::types::ChatChunk>>;
}

/// OpenAI chunks from a provider's event stream, through its [`EventTranslator`].
pub struct Translated<T> {
    events: SseData,
    translator: T,
    pending: std::collections::VecDeque<crate::types::ChatChunk>,
    done: bool,
}

impl<T: EventTranslator> Translated<T> {
    pub fn new(events: SseData, translator: T) -> Self {
        Translated { events, translator, pending: Default::default(), done: false }
    }
}

impl<T: EventTranslator> Stream for Translated<T> {
    type Item = Result<crate::types::ChatChunk>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = &mut *self;
        loop {
            if let Some(chunk) = this.pending.pop_front() {
                return Poll::Ready(Some(Ok(chunk)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let next = match this.events.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(next) => next,
            };
            match next {
                Some(Ok(data)) => {
                    if let Err(e) = this.translator.on_event(&data, &mut this.pending) {
                        this.done = true;
                        this.pending.clear();
                        return Poll::Ready(Some(Err(e)));
                    }
                    this.done = this.translator.finished();
                }
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                None => {
                    this.done = true;
                    return Poll::Ready(this.translator.on_end().transpose());
                }
            }
        }
    }
}

type ByteStream = std::pin::Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// Server-sent events from a response body: each `data:` payload, in order. The OpenAI
/// terminator `[DONE]` ends the stream; a body that breaks off is a connection error.
pub fn sse_data(provider: &str, resp: reqwest::Response) -> SseData {
    use eventsource_stream::Eventsource;
    let bytes: ByteStream = Box::pin(resp.bytes_stream());
    SseData { provider: provider.to_string(), inner: bytes.eventsource(), done: false }
}

/// The `data` payloads of an event stream (see [`sse_data`]).
pub struct SseData {
    provider: String,
    inner: eventsource_stream::EventStream<ByteStream>,
    done: bool,
}

impl Stream for SseData {
    type Item = Result<String>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        while !self.done {
            let item = match self.inner.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(item) => item,
            };
            match item {
                Some(Ok(ev)) if ev.data.is_empty() => continue,
                Some(Ok(ev)) if ev.data == "[DONE]" => self.done = true,
                Some(Ok(ev)) => return Poll::Ready(Some(Ok(ev.data))),
                Some(Err(e)) => {
                    self.done = true;
                    let err = match e {
                        eventsource_stream::EventStreamError::Transport(t) => transport_error(&self.provider, &t),
                        other => Error::Provider {
                            provider: self.provider.clone(),
                            status: 0,
                            message: format!("malformed event stream: {other}"),
                            body: None,
                        },
                    };
                    return Poll::Ready(Some(Err(err)));
                }
                None => self.done = true,
            }
        }
        Poll::Ready(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let mut d = HeaderMap::new();
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        d.insert("retry-after", HeaderValue::from_str(&future).unwrap());
        let got = retry_after(&d).unwrap();
        assert!(got > Duration::from_secs(25) && got <= Duration::from_secs(30), "{got:?}");
        let mut bad = HeaderMap::new();
        bad.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&bad), None);
    }

    #[test]
    fn a_responses_retry_after_is_read_whatever_its_status() {
        let resp = |headers: &[(&str, &str)]| ProviderResponse {
            provider: "openai".into(),
            method: "POST".into(),
            url: "http://127.0.0.1/v1/chat/completions".into(),
            status: 503,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            request_id: None,
            elapsed_ms: 0.0,
            retries_taken: 0,
            body: None,
        };
        assert_eq!(resp(&[("retry-after", "0.1")]).retry_after(), Some(Duration::from_millis(100)));
        assert_eq!(resp(&[("Retry-After-Ms", "40")]).retry_after(), Some(Duration::from_millis(40)));
        assert_eq!(resp(&[("x-request-id", "req_1")]).retry_after(), None);
    }

    #[test]
    fn statuses_map_to_kinds() {
        let e = |s| classify("p", s, "m".into(), None, None);
        assert!(matches!(e(400), Error::BadRequest { .. }));
        assert!(matches!(e(422), Error::BadRequest { .. }));
        assert!(matches!(e(401), Error::Authentication { .. }));
        assert!(matches!(e(403), Error::PermissionDenied { .. }));
        assert!(matches!(e(404), Error::NotFound { .. }));
        assert!(matches!(e(408), Error::Timeout { .. }));
        assert!(matches!(e(409), Error::Provider { status: 409, .. }));
        assert!(matches!(e(429), Error::RateLimited { .. }));
        assert!(matches!(e(529), Error::Provider { status: 529, .. }));
    }

    #[test]
    fn error_messages_in_common_shapes() {
        let m = |v: Value| error_message(&v);
        assert_eq!(m(serde_json::json!({"error": {"message": "a"}})).as_deref(), Some("a"));
        assert_eq!(
            m(serde_json::json!({"type": "error", "error": {"type": "x", "message": "b"}})).as_deref(),
            Some("b")
        );
        assert_eq!(m(serde_json::json!({"message": "c"})).as_deref(), Some("c"));
        assert_eq!(m(serde_json::json!({"error": "d"})).as_deref(), Some("d"));
    }
}
