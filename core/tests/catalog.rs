//! The model catalog: completeness, name resolution and user overrides.

use kestrel_router::catalog::{Api, Catalog, Lifecycle};
use kestrel_router::Tier;

const TODAY: &str = "2026-12-04";

#[test]
fn every_supported_model_is_listed_with_prices() {
    let c = Catalog::builtin();
    // Current models of each provider (a sample per provider; the file lists more).
    let current = [
        "gpt-6.2-sol",
        "gpt-6.1-sol",
        "gpt-6.1-terra",
        "gpt-6-luna",
        "gpt-5.5",
        "gpt-5.4-mini",
        "claude-fable-5-1",
        "claude-opus-5-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-sonnet-4-6",
        "gemini-4-argon",
        "gemini-4-hydrogen",
        "gemini-3.8-flash",
        "gemini-3.5-flash-lite",
        "openai/gpt-oss-120b",
        "openai/gpt-oss-20b",
        "grok-4.7",
        "grok-4.3",
        "mistral-large-4",
        "mistral-small-latest",
        "command-a-03-2025",
        "command-r7b-12-2024",
        "deepseek-ai/DeepSeek-V4.1-Flash",
        "Qwen/Qwen3.7-Max",
    ];
    for id in current {
        let m = c.model(c.resolve(id).unwrap_or_else(|| panic!("{id} missing")));
        assert!(m.input_per_mtok > 0.0 && m.output_per_mtok > 0.0 && m.context_window > 0, "{id}");
        assert_eq!(m.lifecycle(TODAY), Lifecycle::Active, "{id}");
    }
    assert!(!c.prices_as_of().is_empty());
    assert_eq!(c.providers().len(), 8);
    for p in c.providers() {
        let served = c.models().iter().filter(|m| m.provider == p.name && m.servable(TODAY)).count();
        assert!(served >= 3, "{}: {served} current models", p.name);
    }
    for t in Tier::ALL {
        assert!(c.models().iter().any(|m| m.tier == t && m.servable(TODAY)));
    }
}

#[test]
fn models_shut_down_by_their_providers_are_retired() {
    let c = Catalog::builtin();
    let retired = [
        ("gpt-4.1-nano", "2026-10-23"),
        ("claude-sonnet-4-5", "2026-11-30"),
        ("gemini-2.5-pro", "2026-12-01"),
        ("gemini-2.5-flash", "2026-12-01"),
        ("llama-3.1-8b-instant", "2026-08-16"),
        ("llama-3.3-70b-versatile", "2026-08-16"),
        ("grok-3", "2026-05-15"),
        ("grok-3-mini", "2026-05-15"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", ""),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", ""),
        ("meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", ""),
        ("command-r-plus", "2025-09-15"),
        ("command-r", "2025-09-15"),
    ];
    for (id, date) in retired {
        let m = c.model(c.model_by_id(id).unwrap_or_else(|| panic!("{id} missing")));
        assert_eq!(m.lifecycle(TODAY), Lifecycle::Retired, "{id}");
        if !date.is_empty() {
            assert_eq!(m.shutdown.as_deref(), Some(date), "{id}");
        }
        assert!(m.lifecycle_warning(TODAY).unwrap().contains("was shut down"), "{id}");
    }
    for id in ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"] {
        let m = c.model(c.model_by_id(id).unwrap());
        assert_eq!(m.shutdown.as_deref(), Some("2027-01-14"), "{id}");
        assert_eq!(m.lifecycle(TODAY), Lifecycle::Deprecated);
        assert_eq!(m.days_to_shutdown(TODAY), Some(41));
        assert!(m.lifecycle_warning(TODAY).unwrap().contains("shuts down on 2027-01-14"), "{id}");
        assert_eq!(m.lifecycle("2027-01-14"), Lifecycle::Retired, "retired on the shutdown day itself");
    }
    // Every successor is a catalog model, served today.
    for m in c.models() {
        if let Some(s) = &m.successor {
            let succ = c.model(c.model_by_id(s).unwrap_or_else(|| panic!("{}: successor {s} missing", m.id)));
            assert!(succ.servable(TODAY), "{}: successor {s} is retired", m.id);
        }
    }
}

#[test]
fn long_context_prices_apply_to_the_whole_request() {
    let c = Catalog::builtin();
    let sol = c.model(c.resolve("gpt-6.1-sol").unwrap());
    assert_eq!(sol.long_context_threshold, Some(272_000));
    let short = sol.cost(272_000, 1_000, 0, 0);
    let long = sol.cost(272_001, 1_000, 0, 0);
    assert!((short - (0.272 * 2.0 + 0.001 * 10.0)).abs() < 1e-9, "{short}");
    assert!((long - (0.272_001 * 4.0 + 0.001 * 15.0)).abs() < 1e-9, "{long}");
}

#[test]
fn dated_and_aliased_names_resolve() {
    let c = Catalog::builtin();
    let id = |n: &str| c.resolve(n).map(|i| c.model(i).id.clone());
    assert_eq!(id("gpt-4o-2024-08-06").as_deref(), Some("gpt-4o"));
    assert_eq!(id("claude-haiku-4-5-20251001").as_deref(), Some("claude-haiku-4-5"));
    assert_eq!(id("claude-haiku-5-5-20261007").as_deref(), Some("claude-haiku-5-5"));
    assert_eq!(id("models/gemini-3.8-flash").as_deref(), Some("gemini-3.8-flash"));
    assert_eq!(id("openai/gpt-4.1-mini").as_deref(), Some("gpt-4.1-mini"));
    assert_eq!(id("GPT-4o").as_deref(), Some("gpt-4o"));
    assert_eq!(id("command-r-plus-08-2024").as_deref(), Some("command-r-plus-08-2024"));
    assert_eq!(id("command-r-plus").as_deref(), Some("command-r-plus"));
    assert_eq!(
        id("meta-llama/meta-llama-3.1-8b-instruct-turbo").as_deref(),
        Some("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo")
    );
    assert_eq!(id("gpt-4.1-2025-04-14").as_deref(), Some("gpt-4.1"));
    assert_eq!(id("gpt-4o-mini-2024-07-18").as_deref(), Some("gpt-4o-mini"));
    assert_eq!(id("no-such-model"), None);
    // Cohere's bare names are retired upstream; their successors are the dated ids.
    let bare = c.model(c.resolve("command-r").unwrap());
    assert_eq!(bare.successor.as_deref(), Some("command-r-08-2024"));
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

    // An entry for a model already in the catalog patches it: only the fields given change.
    let before = c.model(c.resolve("gpt-5.4").unwrap()).clone();
    c.merge_toml("[[model]]\nid = \"gpt-5.4\"\nshutdown = \"2026-12-01\"\nsuccessor = \"gpt-6.1-sol\"\n").unwrap();
    let after = c.model(c.resolve("gpt-5.4").unwrap());
    assert_eq!(after.shutdown.as_deref(), Some("2026-12-01"));
    assert_eq!(after.input_per_mtok, before.input_per_mtok);
    assert_eq!(after.aliases, before.aliases);
    assert!(!after.servable(TODAY));
    let bad_date = c.merge_toml("[[model]]\nid = \"gpt-5.4\"\nshutdown = \"soon\"\n");
    assert!(bad_date.unwrap_err().to_string().contains("YYYY-MM-DD"));
    std::fs::remove_dir_all(dir).ok();
}
