//! `kestrel-mock`: a scriptable stand-in for OpenAI-compatible providers.
//!
//! Kestrel's Rust, Python and Node tests and the `kestrel demo` command need a provider that
//! speaks OpenAI's Chat Completions wire format exactly, fails on demand (rate limits, 5xx,
//! cut streams, broken JSON) and remembers what it was sent, without network access or keys.
//! This crate is that provider, as a library ([`MockServer`]) and as the `kestrel-mock` binary.
//!
//! Routes (any path prefix, so each provider under test can have its own, e.g. `/groq/...`):
//! - `POST …/chat/completions`: a completion or an SSE stream, per the [`Script`].
//!   Under `/mistral/` a stream ends with `usage` on its finishing chunk even unasked, as
//!   Mistral's do (Mistral takes no `stream_options`).
//! - `POST …/v1/messages`: Anthropic's Messages API with the same script: a `message` or its
//!   event stream, Anthropic's error bodies (`529 overloaded_error`, ...), a key
//!   (`x-api-key` or `Authorization: Bearer`) and `anthropic-version` required, and the API's own checks of the request (`max_tokens`
//!   required, roles, `tool_use`/`tool_result` pairing, `temperature` ≤ 1).
//! - `POST …/openai/deployments/{deployment}/chat/completions` and `…/embeddings`: Azure
//!   OpenAI, with its `api-version`, `api-key` / Entra ID and deployment checks and error bodies.
//! - `GET …/models`: the scripted model names as an OpenAI model list.
//! - `GET /_mock/requests`, `DELETE /_mock/requests`: the record of provider requests.
//! - `PUT /_mock/script` (and `GET`): replace (read) the script as JSON.
//! - `PUT /_mock/models/MODEL` (and `DELETE`): set (remove) one model's behaviour, queue or
//!   cycle, leaving the rest of the script alone.
//! - `POST /v1/usage`: a usage collector for Kestrel's reporter (gzip JSON batches);
//!   `GET`/`DELETE /_mock/usage` reads/forgets what it received, `PUT /_mock/usage/fail`
//!   `{"status": 503, "times": 2}` makes it fail (without `times`, until the DELETE).
//! - `GET /_mock/health`.
//!
//! OpenAI routes need `Authorization: Bearer <non-empty>` (or `api-key`), the Anthropic
//! route `x-api-key` (or `Authorization: Bearer`); else 401.
//!
//! Without a script entry a model answers deterministically: `Mock answer from MODEL: you
//! said "…"` (echoing the last user message); with `tools` (and `tool_choice` not `"none"`)
//! after a user message it calls the chosen or first tool with arguments built from its JSON
//! schema; after a `tool` message it mentions the result; with `response_format` JSON modes
//! it answers valid JSON. Token counts are characters / 4 (at least 1).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use kestrel_mock::{Behaviour, MockServer, Script};
//! let script = Script::new()
//!     .model_queue("gpt-4o", [Behaviour::error(429).retry_after(1.0), Behaviour::reply("hi")]);
//! let server = MockServer::start(script).await?;
//! let base_url = format!("{}/v1", server.url());
//! // ... point a client at base_url, then inspect server.requests()
//! # Ok(()) }
//! ```

mod answer;
mod anthropic;
mod collector;
mod embeddings;
mod script;
mod server;
mod wire;

pub use collector::{Failure, ReceivedBatch};
pub use script::{Behaviour, Script, Steps, ToolCallSpec, UsageOverride};
pub use server::{is_retired, serve, MockServer, RecordedRequest, MOCKED_PROVIDERS, RETIRED_MODELS};
