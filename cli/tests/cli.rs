//! The `kestrel` command as users run it.

use std::io::Write;
use std::process::{Command, Stdio};

fn kestrel(args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env_remove("OPENAI_API_KEY")
        .env_remove("GROQ_API_KEY")
        .env_remove("XAI_API_KEY")
        .env_remove("MISTRAL_API_KEY")
        .env_remove("TOGETHER_API_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn route_prints_the_decision_and_its_reasons() {
    let (ok, out, _) = kestrel(&["route", "What is 2+2?"], None);
    assert!(ok);
    assert!(out.contains("tier economy") && out.contains("plan:") && out.contains("· chose"), "{out}");
}

#[test]
fn route_json_keeps_order_and_reports_bad_lines() {
    let input = [
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello"}]}"#,
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"x"},{"role":"tool","content":"y"}]}"#,
        "not json",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"Prove that sqrt(2) is irrational."}]}"#,
    ]
    .join("\n");
    let (ok, out, _) = kestrel(&["route", "--json"], Some(&input));
    assert!(!ok, "bad lines make the exit status non-zero");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["tier"], "economy");
    assert_eq!(lines[1]["error"]["field"], "messages[1].tool_call_id");
    assert_eq!(lines[2]["error"]["type"], "invalid_request");
    assert_eq!(lines[3]["tier"], "premium");
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["line"], i + 1);
    }
    for key in
        ["model", "provider", "scores", "confidence", "reasons", "plan", "estimated_cost_usd", "baseline_cost_usd"]
    {
        assert!(lines[0].get(key).is_some(), "{key}");
    }
}

#[test]
fn providers_narrow_the_candidates() {
    let (ok, out, _) =
        kestrel(&["route", "--json", "--providers", "anthropic", "--model", "claude-sonnet-4-5", "hi"], None);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["provider"], "anthropic");
    let (ok, _, err) = kestrel(&["route", "--providers", "nope", "hi"], None);
    assert!(!ok && err.contains("unknown provider `nope`"), "{err}");
}

#[test]
fn savings_on_the_sample_workload() {
    let (ok, out, _) = kestrel(&["savings", "examples/workload.jsonl", "--json"], None);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["requests"], 320);
    assert!(v["saved_pct"].as_f64().unwrap() > 50.0);
    assert!(v["routed_cost_usd"].as_f64().unwrap() < v["baseline_cost_usd"].as_f64().unwrap());
}

#[test]
fn eval_prints_the_three_figures() {
    let (ok, out, _) = kestrel(&["eval", "tests/data/dev.jsonl"], None);
    assert!(ok);
    for s in ["confusion matrix", "premium kept at premium", "economy found", "exact tier"] {
        assert!(out.contains(s), "{out}");
    }
}

#[test]
fn demo_runs_without_keys_against_the_bundled_mock() {
    let (ok, out, err) = kestrel(&["demo"], None);
    assert!(ok, "{err}");
    assert!(out.contains("bundled mock provider"), "{out}");
    for s in ["1. A simple question", "3. Streaming", "tool call: get_weather", "5. JSON mode", "Savings", "2 attempts"]
    {
        assert!(out.contains(s), "missing {s}: {out}");
    }
    assert!(!out.contains("mock-key"));
}

#[test]
fn keys_and_base_urls_come_from_the_environment_as_the_sdks_read_them() {
    let mock = kestrel_mock::MockServer::start_blocking(kestrel_mock::Script::new()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kestrel"))
        .arg("demo")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        // OpenAI's SDK takes the base URL with /v1; Groq's without (it appends /openai/v1).
        .env("OPENAI_API_KEY", "sk-env-openai")
        .env("OPENAI_BASE_URL", format!("{}/openai/v1", mock.url()))
        .env("GROQ_API_KEY", "gsk-env-groq")
        .env("GROQ_BASE_URL", format!("{}/groq", mock.url()))
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Calling the configured providers: openai, groq"), "{stdout}");
    let requests = mock.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let (prefix, key) = if r.path.starts_with("/groq/") {
            ("/groq/openai/v1/chat/completions", "Bearer gsk-env-groq")
        } else {
            ("/openai/v1/chat/completions", "Bearer sk-env-openai")
        };
        assert_eq!(r.path, prefix);
        assert_eq!(r.header("authorization"), Some(key));
    }
    assert!(requests.iter().any(|r| r.path.starts_with("/groq/")), "the cheapest economy model is Groq's");
}

#[test]
fn the_cache_never_shares_an_answer_it_must_not() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/");
    let (dev, eval) = (format!("{root}cache_pairs_dev.jsonl"), format!("{root}cache_pairs_eval.jsonl"));
    let (_, out, err) = kestrel(&["cache-eval", &dev, &eval], None);
    let false_hits: Vec<&str> = out.lines().filter(|l| l.contains("must miss")).collect();
    assert_eq!(false_hits.len(), 2, "{out}{err}");
    for line in false_hits {
        assert!(line.contains(" 0/100 false hits"), "a false hit: {line}\n{out}");
    }
    // The tuning set keeps its hit rate (the held-out figure is reported, not asserted).
    let dev_hits = out.lines().find(|l| l.contains("should hit")).unwrap();
    let pct: f64 = dev_hits.split('(').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
    assert!(pct >= 70.0, "{dev_hits}");
}
