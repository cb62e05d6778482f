//! A learned model file given in the client options replaces the shipped weights.

use kestrel_router::router::{shipped, Decision, Reason};
use kestrel_router::{ChatRequest, ClientConfig, Message, Tier};

#[test]
fn a_learned_model_file_replaces_the_shipped_weights() {
    let dir = tempfile::tempdir().unwrap();
    let req = ChatRequest::new("gpt-4o", vec![Message::user("What is the capital of Peru?")]);
    let route = |json: String| -> kestrel_router::Result<Decision> {
        ClientConfig::from_json(&json)?.into_builder()?.build()?.route(&req)
    };
    let probs = |d: &Decision| {
        d.reasons.iter().find_map(|r| match r {
            Reason::Learned { probs, .. } => Some(*probs),
            _ => None,
        })
    };
    // The shipped file with every request pushed to premium: its bias decides alone.
    let mut file = shipped().clone();
    file.model.weights.iter_mut().flatten().for_each(|w| *w = 0.0);
    file.model.bias = vec![0.0, 0.0, 9.0];
    let path = dir.path().join("learned.toml");
    std::fs::write(&path, file.to_toml()).unwrap();
    let config = |extra: &str| {
        format!(r#"{{"from_env": false, "api_key": "sk-x", "learned_model": {:?}{extra}}}"#, path.to_str().unwrap())
    };
    let shipped = route(r#"{"from_env": false, "api_key": "sk-x"}"#.into()).unwrap();
    let custom = route(config("")).unwrap();
    assert_eq!(custom.tier, Some(Tier::Premium));
    assert!(probs(&custom).unwrap()[2] > 0.99 && probs(&shipped).unwrap()[2] < 0.5, "{custom:?}");

    let e = route(config(r#", "scorer": "heuristic""#)).unwrap_err().to_string();
    assert!(e.contains("learned_model"), "{e}");
    std::fs::write(&path, "trained_on = \"x\"").unwrap();
    let e = route(config("")).unwrap_err().to_string();
    assert!(e.contains("learned model") && e.contains("learned.toml"), "{e}");
}
