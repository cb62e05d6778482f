//! Shared setup for the client examples: a real client when provider keys are set, else one
//! wired to the bundled mock provider, so every example runs offline with no keys.
//!
//! Each example includes this file with `mod common;` and uses only part of it.

use kestrel_mock::{MockServer, Script};
use kestrel_router::{Client, ClientBuilder};

/// Errors from the client, the mock server or I/O, for `main` to return.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The keys the mock stands in for; if any is set, the examples call the real providers.
const KEY_VARS: [&str; 10] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "COHERE_API_KEY",
    "CO_API_KEY",
    "GROQ_API_KEY",
    "XAI_API_KEY",
    "MISTRAL_API_KEY",
    "TOGETHER_API_KEY",
];

/// A client with every default (keys from the environment), or one pointed at a mock
/// provider started here. Keep the returned `MockServer` alive as long as the client is used:
/// dropping it stops the server.
#[allow(dead_code)] // examples that configure the builder use `client_with`
pub async fn client() -> Result<(Client, Option<MockServer>)> {
    client_with(|b| b).await
}

/// [`client`], with `configure` applied to the builder (a policy, a tenant, timeouts, ...).
pub async fn client_with(
    configure: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Result<(Client, Option<MockServer>)> {
    let has_key = KEY_VARS.iter().any(|v| std::env::var(v).is_ok_and(|k| !k.trim().is_empty()));
    if has_key {
        return Ok((configure(Client::builder()).build()?, None));
    }
    let mock = MockServer::start(Script::new()).await?;
    eprintln!("no provider keys set: using the bundled mock provider at {}", mock.url());
    let mut builder = Client::builder().from_env(false);
    for (provider, url) in mock.provider_base_urls() {
        builder = builder.api_key(provider, "mock-key").base_url(provider, url);
    }
    Ok((configure(builder).build()?, Some(mock)))
}
