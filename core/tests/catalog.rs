//! The model catalog: completeness, name resolution and user overrides.

use kestrel_router::catalog::{Api, Catalog};
use kestrel_router::Tier;

#[test]
fn every_supported_model_is_listed_with_prices() {
    let c = Catalog::builtin();
    let expected = [
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "claude-sonnet-4-6",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-flash-lite",
        "llama-3.1-8b-instant",
        "llama-3.3-70b-versatile",
        "grok-3",
        "grok-3-mini",
        "mistral-large-latest",
        "mistral-small-latest",
        "command-r-plus",
        "command-r",
        "command-r7b",
        "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
        "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo",
        "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
    ];
    for id in expected {
        let m = c.model(c.resolve(id).unwrap_or_else(|| panic!("{id} missing")));
        assert!(m.input_per_mtok > 0.0 && m.output_per_mtok > 0.0 && m.context_window > 0, "{id}");
    }
    assert!(!c.prices_as_of().is_empty());
    assert_eq!(c.providers().len(), 8);
    for t in Tier::ALL {
        assert!(c.models().iter().any(|m| m.tier == t));
    }
}

#[test]
fn dated_and_aliased_names_resolve() {
    let c = Catalog::builtin();
    let id = |n: &str| c.resolve(n).map(|i| c.model(i).id.clone());
    assert_eq!(id("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
    assert_eq!(id("claude-haiku-4-5-20251001").as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(id("models/gemini-2.5-flash").as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(id("openai/gpt-4.1-mini").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(id("GPT-4o").as_deref(), Some("gpt-4o"));
    assert_eq!(id("command-r-plus-08-2024").as_deref(), Some("command-r-plus"));
    assert_eq!(
        id("meta-llama/meta-llama-3.1-8b-instruct-turbo").as_deref(),
        Some("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    );
    assert_eq!(id("gpt-4.1-2025-04-14").as_deref(), Some("gpt-4.1"));
    assert_eq!(id("gpt-4o-mini-2024-07-18").as_deref(), Some("gpt-4o-mini"));
    assert_eq!(id("no-such-model"), None);
    // Cohere's bare names are retired upstream: the dated id goes on the wire.
    assert_eq!(c.model(c.resolve("command-r").unwrap()).wire_id(), "command-r-08-2024");
}

#[test]
fn users_add_providers_and_override_models_from_a_file() {
    let mut c = (*Catalog::builtin()).clone();
    let dir = std::env::temp_dir().join(format!("kestrel-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kestrel.toml");
    std::fs::write(
        &path,
        r#"
[[provider]]
name = "ollama"
api = "openai"
base_url = "http://127.0.0.1:11434/v1"
chat_path = "/chat/completions"
key_optional = true

[[model]]
id = "llama3.2:3b"
provider = "ollama"
tier = "economy"
input_per_mtok = 0.0
output_per_mtok = 0.0
context_window = 131072
max_output = 8192
tools = true

[[model]]
id = "gpt-4o"
provider = "openai"
tier = "premium"
input_per_mtok = 2.0
output_per_mtok = 8.0
context_window = 128000
max_output = 16384
tools = true
vision = true
json_mode = true
json_schema = true
"#,
    )
    .unwrap();
    let before = c.models().len();
    c.merge_file(&path).unwrap();
    assert_eq!(c.models().len(), before + 1, "gpt-4o replaced, llama3.2 added");
    let p = c.provider(c.provider_id("ollama").unwrap());
    assert_eq!(p.api, Api::Openai);
    assert!(p.key_optional);
    assert_eq!(c.model(c.resolve("gpt-4o").unwrap()).input_per_mtok, 2.0);
    assert_eq!(c.model(c.resolve("llama3.2:3b").unwrap()).provider, "ollama");

    let bad = c.merge_toml("[[model]]\nid = \"x\"\nprovider = \"nowhere\"\ntier = \"economy\"\ninput_per_mtok = 1.0\noutput_per_mtok = 1.0\ncontext_window = 1\nmax_output = 1\n");
    assert!(bad.unwrap_err().to_string().contains("unknown provider `nowhere`"));
    let typo = c.merge_toml("[[model]]\nidd = \"x\"\n");
    assert!(typo.is_err());
    std::fs::remove_dir_all(dir).ok();
}
