//! The catalog kept current without a release: LiteLLM-format import and run-time files.

use kestrel_router::catalog::litellm::{self, Change};
use kestrel_router::catalog::Catalog;
use kestrel_router::Tier;

/// A small file in the format of LiteLLM's `model_prices_and_context_window.json`.
const FIXTURE: &str = r#"{
  "sample_spec": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0.0},
  "gpt-6.1-terra": {
    "litellm_provider": "openai", "mode": "chat",
    "input_cost_per_token": 8e-07, "output_cost_per_token": 4e-06,
    "cache_read_input_token_cost": 4e-08,
    "input_cost_per_token_above_272k_tokens": 1.6e-06,
    "output_cost_per_token_above_272k_tokens": 6e-06,
    "cache_read_input_token_cost_above_272k_tokens": 8e-08,
    "input_cost_per_token_above_272k_tokens_priority": 3.2e-06,
    "max_input_tokens": 922000, "max_output_tokens": 128000, "max_tokens": 128000,
    "supports_function_calling": true, "supports_vision": true,
    "supports_response_schema": true, "supports_reasoning": true
  },
  "gpt-7-nova": {
    "litellm_provider": "openai", "mode": "chat",
    "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "max_input_tokens": 2000000, "max_output_tokens": 200000,
    "supports_function_calling": true, "deprecation_date": "2027-09-01"
  },
  "gpt-7-nova-2026-12-01": {
    "litellm_provider": "openai", "mode": "chat",
    "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
    "max_input_tokens": 2000000, "max_output_tokens": 200000,
    "supports_function_calling": true, "deprecation_date": "2027-09-01"
  },
  "groq/openai/gpt-oss-nano": {
    "litellm_provider": "groq", "mode": "chat",
    "input_cost_per_token": 2e-08, "output_cost_per_token": 1e-07,
    "max_input_tokens": 131072, "max_output_tokens": 32768,
    "supports_function_calling": true, "supports_response_schema": true
  },
  "together_ai/openai/gpt-oss-120b": {
    "litellm_provider": "together_ai", "mode": "chat",
    "input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07,
    "max_input_tokens": 131072, "max_output_tokens": 131072, "supports_reasoning": true
  },
  "together_ai/openai/gpt-oss-nano": {
    "litellm_provider": "together_ai", "mode": "chat",
    "input_cost_per_token": 3e-08, "output_cost_per_token": 1e-07,
    "max_input_tokens": 131072, "max_output_tokens": 32768
  },
  "claude-haiku-5-5": {
    "litellm_provider": "anthropic", "mode": "chat",
    "input_cost_per_token": 1e-07, "output_cost_per_token": 5e-07,
    "cache_read_input_token_cost": 1e-08, "cache_creation_input_token_cost": 1.25e-07,
    "max_input_tokens": 1000000, "max_output_tokens": 128000,
    "supports_function_calling": true, "supports_vision": true, "supports_response_schema": true,
    "supports_reasoning": true
  },
  "gemini/gemini-9-preview": {"litellm_provider": "gemini", "mode": "chat", "max_input_tokens": 1000},
  "text-embedding-9": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 1e-08},
  "bedrock/some-model": {"litellm_provider": "bedrock", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06, "max_input_tokens": 1000}
}"#;

#[test]
fn litellm_prices_limits_flags_and_dates_import() {
    let base = Catalog::builtin();
    let import = litellm::import(FIXTURE, &base).unwrap();
    let ids: Vec<&str> = import.models.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), 6, "{ids:?}");
    let get = |id: &str| import.models.iter().find(|m| m.id == id).unwrap_or_else(|| panic!("{id} not imported"));

    // A model the catalog knows: LiteLLM's prices and limits, the catalog's tier and score.
    let terra = get("gpt-6.1-terra");
    assert_eq!((terra.input_per_mtok, terra.output_per_mtok, terra.cached_input_per_mtok), (0.8, 4.0, Some(0.04)));
    assert_eq!(terra.long_context_threshold, Some(272_000));
    assert_eq!((terra.long_input_per_mtok, terra.long_output_per_mtok), (Some(1.6), Some(6.0)));
    assert_eq!(terra.long_cached_input_per_mtok, Some(0.08));
    assert_eq!((terra.context_window, terra.max_output), (922_000, 128_000));
    assert!(terra.tools && terra.vision && terra.json_mode && terra.json_schema && terra.reasoning);
    assert_eq!(terra.tier, Tier::Standard, "tier kept from the catalog");
    assert_eq!(terra.quality, base.model(base.resolve("gpt-6.1-terra").unwrap()).quality);

    // A new model: tier from its price, the deprecation date as the shutdown date, the
    // dated key folded in as an alias.
    let nova = get("gpt-7-nova");
    assert_eq!(nova.tier, Tier::Premium);
    assert_eq!(nova.shutdown.as_deref(), Some("2027-09-01"));
    assert_eq!(nova.aliases, vec!["gpt-7-nova-2026-12-01".to_string()]);
    assert!(nova.tools && !nova.vision && !nova.json_schema);

    // Provider-prefixed keys lose the prefix; `openai/` on Groq is part of the name.
    let nano = get("openai/gpt-oss-nano");
    assert_eq!(nano.provider, "groq");
    assert_eq!(nano.tier, Tier::Economy);

    // The same name at two providers: matched by (provider, wire id), or told apart by
    // the provider's name when new.
    let together = get("together/openai/gpt-oss-120b");
    assert_eq!((together.provider.as_str(), together.wire_id()), ("together", "openai/gpt-oss-120b"));
    assert_eq!(get("together/openai/gpt-oss-nano").wire_id(), "openai/gpt-oss-nano");
    assert_eq!(get("openai/gpt-oss-nano").provider, "groq");

    // Anthropic's cache writes (dearer than input) are kept.
    assert_eq!(get("claude-haiku-5-5").cache_write_per_mtok, Some(0.125));

    // Unpriced chat entries are reported, not invented; other modes and providers ignored.
    assert!(import.skipped.iter().any(|(k, why)| k == "gemini/gemini-9-preview" && why.contains("price")));
    assert!(!ids.contains(&"text-embedding-9") && !ids.iter().any(|i| i.contains("some-model")));

    // The diff says what changes.
    let changes = litellm::diff(&base, &import.models);
    assert!(changes.contains(&Change::Added("gpt-7-nova".into())));
    assert!(changes.iter().any(|c| matches!(c, Change::Changed { id, field: "input_per_mtok", before, after }
        if id == "gpt-6.1-terra" && before == "1" && after == "0.8")));
    assert!(
        !changes.iter().any(|c| matches!(c, Change::Changed { id, .. } if id == "claude-haiku-5-5")),
        "{changes:?}"
    );

    // The output is a catalog file that merges back: the new model routes, the old one is repriced.
    let text = litellm::to_toml(&import.models, Some("2026-12-04")).unwrap();
    let mut merged = (*base).clone();
    merged.merge_toml(&text).unwrap();
    assert_eq!(merged.model(merged.resolve("gpt-6.1-terra").unwrap()).input_per_mtok, 0.8);
    assert_eq!(merged.model(merged.resolve("gpt-7-nova-2026-12-01").unwrap()).id, "gpt-7-nova");
    assert_eq!(merged.prices_as_of(), "2026-12-04");
}

#[test]
fn kestrel_catalog_names_files_merged_at_run_time() {
    let dir = std::env::temp_dir().join(format!("kestrel-catalog-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.toml");
    let b = dir.join("b.toml");
    std::fs::write(&a, "[[model]]\nid = \"gpt-6-luna\"\ninput_per_mtok = 0.05\n").unwrap();
    std::fs::write(&b, "[[model]]\nid = \"gpt-6-luna\"\nshutdown = \"2026-12-10\"\n").unwrap();
    let paths = std::env::join_paths([&a, &b]).unwrap();
    // No other test in this binary reads the environment.
    std::env::set_var("KESTREL_CATALOG", &paths);
    let c = Catalog::from_env().unwrap();
    std::env::remove_var("KESTREL_CATALOG");
    let luna = c.model(c.resolve("gpt-6-luna").unwrap());
    assert_eq!(luna.input_per_mtok, 0.05, "first file applied");
    assert_eq!(luna.shutdown.as_deref(), Some("2026-12-10"), "second file applied over the first");
    assert_eq!(luna.output_per_mtok, 0.5, "fields not given are kept");
    std::fs::remove_dir_all(dir).ok();
}
