//! What the mock answers: a [`Script`] of per-model [`Behaviour`]s, as JSON or built in Rust.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The whole scripted behaviour of a mock server.
///
/// Tests describe failures and answers per model so that a router under test can be driven
/// through failover, retries and streaming edge cases without a real provider. Anything not
/// scripted gets a deterministic, useful default answer.
///
/// JSON form (every field optional; unknown fields are rejected so typos fail loudly):
///
/// ```json
/// {
///   "require_key": "sk-test",
///   "require_keys": {"/groq": "gsk-test"},
///   "default": {"latency_ms": 5},
///   "models": {
///     "gpt-4o": {"text": "Hello!"},
///     "flaky": [{"status": 429, "retry_after": 1}, {"text": "ok"}]
///   }
/// }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// When set, every request must carry exactly this bearer key (else 401 `invalid_api_key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_key: Option<String>,
    /// Keys required per path prefix (longest matching prefix wins over `require_key`), so one
    /// server can stand in for several providers that each have their own key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub require_keys: BTreeMap<String, String>,
    /// The models each provider lists at its `GET …/models`, per path prefix (longest
    /// matching prefix wins, e.g. `"/anthropic"`); without an entry, the scripted models.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub listed: BTreeMap<String, Vec<String>>,
    /// Behaviour for models that have no entry in `models`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Steps>,
    /// Behaviour per model name (the request's `model` field).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, Steps>,
    /// Azure OpenAI: the deployments that exist (name → the model each serves, which
    /// answers carry as `model`). Empty: every deployment name exists and serves a model of
    /// its own name. Behaviours are scripted under the deployment's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub azure_deployments: BTreeMap<String, String>,
}

impl Script {
    /// An empty script: every model gets the built-in default answer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the JSON form, e.g. a file given to the binary or a `PUT /_mock/script` body.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        serde_json::from_str(json)
    }

    /// Makes `model` always behave as `behaviour`.
    pub fn model(mut self, model: impl Into<String>, behaviour: Behaviour) -> Self {
        self.models.insert(model.into(), Steps::queue([behaviour]));
        self
    }

    /// Makes successive requests for `model` take successive behaviours; the last one repeats.
    pub fn model_queue(mut self, model: impl Into<String>, behaviours: impl IntoIterator<Item = Behaviour>) -> Self {
        self.models.insert(model.into(), Steps::queue(behaviours));
        self
    }

    /// Makes successive requests for `model` take successive behaviours, starting over after
    /// the last: `[Behaviour::error(503), Behaviour::new()]` fails every other request.
    pub fn model_cycle(mut self, model: impl Into<String>, behaviours: impl IntoIterator<Item = Behaviour>) -> Self {
        self.models.insert(model.into(), Steps::cycle(behaviours));
        self
    }

    /// Sets the behaviour of models that are not listed.
    pub fn default_behaviour(mut self, behaviour: Behaviour) -> Self {
        self.default = Some(Steps::queue([behaviour]));
        self
    }

    /// Makes the provider under `prefix` list exactly `models` at `GET …/models`.
    pub fn listed(mut self, prefix: impl Into<String>, models: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.listed.insert(prefix.into(), models.into_iter().map(Into::into).collect());
        self
    }

    /// Declares an Azure deployment `name` serving `model`.
    pub fn azure_deployment(mut self, name: impl Into<String>, model: impl Into<String>) -> Self {
        self.azure_deployments.insert(name.into(), model.into());
        self
    }

    /// Requires this bearer key on every request.
    pub fn require_key(mut self, key: impl Into<String>) -> Self {
        self.require_key = Some(key.into());
        self
    }

    /// Requires this bearer key on requests whose path starts with `prefix` (e.g. `"/groq"`).
    pub fn require_key_for(mut self, prefix: impl Into<String>, key: impl Into<String>) -> Self {
        self.require_keys.insert(prefix.into(), key.into());
        self
    }
}

/// One behaviour, a queue of them, or a cycle of them; in JSON a single object, an array, or
/// `{"cycle": [...]}`.
///
/// A queue lets a test say "fail twice, then succeed": each request takes the next entry and
/// the last entry repeats forever. A cycle starts over after its last entry, so
/// `{"cycle": [{"status": 503}, {}]}` fails every other request for good: a transient fault
/// that any client retrying once gets past, however many requests run at the same time
/// (each request takes its place in the cycle under one lock). An empty queue or cycle means
/// the built-in default.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Steps {
    /// The behaviours, in the order requests take them.
    pub behaviours: Vec<Behaviour>,
    /// Start over after the last behaviour instead of repeating it.
    pub cycle: bool,
}

impl Steps {
    /// A queue: successive requests take successive behaviours; the last one repeats.
    pub fn queue(behaviours: impl IntoIterator<Item = Behaviour>) -> Self {
        Steps { behaviours: behaviours.into_iter().collect(), cycle: false }
    }

    /// A cycle: successive requests take successive behaviours, starting over after the last.
    pub fn cycle(behaviours: impl IntoIterator<Item = Behaviour>) -> Self {
        Steps { behaviours: behaviours.into_iter().collect(), cycle: true }
    }

    /// The behaviour for the `n`-th request (0-based) under this entry.
    pub fn nth(&self, n: usize) -> Behaviour {
        let picked = match self.behaviours.len() {
            0 => None,
            len if self.cycle => self.behaviours.get(n % len),
            _ => self.behaviours.get(n).or_else(|| self.behaviours.last()),
        };
        picked.cloned().unwrap_or_default()
    }
}

/// The JSON form of a cycle.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CycleForm {
    cycle: Vec<Behaviour>,
}

impl Serialize for Steps {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.cycle, self.behaviours.as_slice()) {
            (true, many) => CycleForm { cycle: many.to_vec() }.serialize(serializer),
            (false, [one]) => one.serialize(serializer),
            (false, many) => many.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Steps {
    // By hand rather than `#[serde(untagged)]` so that a typo inside a behaviour reports
    // the real field error instead of "did not match any variant".
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let steps = if value.is_array() {
            serde_json::from_value::<Vec<Behaviour>>(value).map(Steps::queue)
        } else if value.get("cycle").is_some() {
            serde_json::from_value::<CycleForm>(value).map(|c| Steps::cycle(c.cycle))
        } else {
            serde_json::from_value::<Behaviour>(value).map(|b| Steps::queue([b]))
        };
        steps.map_err(serde::de::Error::custom)
    }
}

impl From<Behaviour> for Steps {
    fn from(behaviour: Behaviour) -> Self {
        Steps::queue([behaviour])
    }
}

/// How the mock answers one request. Every field is optional: what is not set comes from the
/// built-in default answer (see the crate docs), so `{"latency_ms": 500}` is a slow default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Behaviour {
    /// The assistant's text. Set it (or `tool_calls`) to replace the default answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Tool calls the assistant makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallSpec>>,
    /// `finish_reason`; defaults to `tool_calls` when there are tool calls, else `stop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Delay before the response headers, to exercise timeouts and latency accounting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Delay between stream chunks, to exercise streaming consumers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_delay_ms: Option<u64>,
    /// HTTP status; a non-2xx status answers with OpenAI's error body for that status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Replaces the error message that goes with `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Replaces the error `type` that goes with `status` (e.g. `insufficient_quota` cases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// Replaces the error `code` that goes with `status` (e.g. `"insufficient_quota"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Seconds, sent as `Retry-After` and as `retry-after-ms`, like OpenAI's rate limiter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<f64>,
    /// Answers 200 with a body that is not valid JSON (a broken event when streaming).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub malformed_json: bool,
    /// Streaming: send this many content chunks, then drop the connection without a final
    /// chunk or `[DONE]`. Non-streaming: send part of the body, then drop the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_after_chunks: Option<usize>,
    /// Replaces the computed token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageOverride>,
}

impl Behaviour {
    /// The default answer, to be adjusted with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers with this text.
    pub fn reply(text: impl Into<String>) -> Self {
        Self::new().text(text)
    }

    /// Fails with this HTTP status and OpenAI's error body for it.
    pub fn error(status: u16) -> Self {
        Self::new().status(status)
    }

    /// Answers with one call to tool `name`; `arguments` is a JSON value (sent serialized) or
    /// a string (sent verbatim, so it can be deliberately invalid).
    pub fn tool_call(name: impl Into<String>, arguments: impl Into<Value>) -> Self {
        Self::new().with_tool_call(name, arguments)
    }

    /// Sets the text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Adds a tool call.
    pub fn with_tool_call(mut self, name: impl Into<String>, arguments: impl Into<Value>) -> Self {
        self.tool_calls
            .get_or_insert_with(Vec::new)
            .push(ToolCallSpec { name: name.into(), arguments: arguments.into() });
        self
    }

    /// Sets `finish_reason`.
    pub fn finish_reason(mut self, reason: impl Into<String>) -> Self {
        self.finish_reason = Some(reason.into());
        self
    }

    /// Waits this long before sending the response headers.
    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = Some(ms);
        self
    }

    /// Waits this long between stream chunks.
    pub fn chunk_delay_ms(mut self, ms: u64) -> Self {
        self.chunk_delay_ms = Some(ms);
        self
    }

    /// Sets the HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the error message.
    pub fn error_message(mut self, message: impl Into<String>) -> Self {
        self.error_message = Some(message.into());
        self
    }

    /// Sets the error `type`.
    pub fn error_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = Some(error_type.into());
        self
    }

    /// Sets the error `code`.
    pub fn error_code(mut self, code: impl Into<String>) -> Self {
        self.error_code = Some(code.into());
        self
    }

    /// Sends `Retry-After: secs` (and `retry-after-ms`).
    pub fn retry_after(mut self, secs: f64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Answers with a body that is not valid JSON.
    pub fn malformed_json(mut self) -> Self {
        self.malformed_json = true;
        self
    }

    /// Drops the connection after `n` content chunks.
    pub fn cut_after_chunks(mut self, n: usize) -> Self {
        self.cut_after_chunks = Some(n);
        self
    }

    /// Reports these token counts instead of the computed ones.
    pub fn usage(mut self, prompt_tokens: u64, completion_tokens: u64) -> Self {
        self.usage =
            Some(UsageOverride { prompt_tokens: Some(prompt_tokens), completion_tokens: Some(completion_tokens) });
        self
    }
}

/// A scripted tool call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallSpec {
    /// The function name.
    pub name: String,
    /// A JSON value (serialized on the wire) or a string (sent verbatim).
    #[serde(default = "empty_object")]
    pub arguments: Value,
}

impl ToolCallSpec {
    /// The `arguments` string as it goes on the wire.
    pub fn arguments_string(&self) -> String {
        match &self.arguments {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// Token counts that replace the computed ones; a missing field keeps the computed value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageOverride {
    /// `usage.prompt_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u64>,
    /// `usage.completion_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trip_of_one_and_many() {
        let script = Script::new()
            .require_key("k")
            .model("a", Behaviour::reply("hi"))
            .model_queue("b", [Behaviour::error(429).retry_after(1.0), Behaviour::reply("ok")]);
        let value = serde_json::to_value(&script).unwrap();
        assert_eq!(
            value,
            json!({
                "require_key": "k",
                "models": {
                    "a": {"text": "hi"},
                    "b": [{"status": 429, "retry_after": 1.0}, {"text": "ok"}]
                }
            })
        );
        assert_eq!(serde_json::from_value::<Script>(value).unwrap(), script);
    }

    #[test]
    fn queue_repeats_last_and_empty_is_default() {
        let steps = Steps::queue([Behaviour::error(500), Behaviour::reply("ok")]);
        assert_eq!(steps.nth(0).status, Some(500));
        assert_eq!(steps.nth(1).text.as_deref(), Some("ok"));
        assert_eq!(steps.nth(7).text.as_deref(), Some("ok"));
        assert_eq!(Steps::default().nth(3), Behaviour::default());
    }

    #[test]
    fn cycles_start_over() {
        let steps = Steps::cycle([Behaviour::error(503), Behaviour::new()]);
        let statuses: Vec<_> = (0..5).map(|n| steps.nth(n).status).collect();
        assert_eq!(statuses, [Some(503), None, Some(503), None, Some(503)]);
        assert_eq!(Steps::cycle([]).nth(4), Behaviour::default());
    }

    #[test]
    fn cycle_json_round_trip() {
        let script = Script::new().model_cycle("m", [Behaviour::error(503), Behaviour::new()]);
        let value = serde_json::to_value(&script).unwrap();
        assert_eq!(value, json!({"models": {"m": {"cycle": [{"status": 503}, {}]}}}));
        assert_eq!(serde_json::from_value::<Script>(value).unwrap(), script);
        let err = Script::from_json(r#"{"models": {"m": {"cycle": [{"stauts": 503}]}}}"#).unwrap_err();
        assert!(err.to_string().contains("stauts"), "{err}");
        let err = Script::from_json(r#"{"models": {"m": {"cycle": [], "text": "x"}}}"#).unwrap_err();
        assert!(err.to_string().contains("text"), "{err}");
    }

    #[test]
    fn typos_are_reported() {
        let err = Script::from_json(r#"{"models": {"m": {"txt": "x"}}}"#).unwrap_err();
        assert!(err.to_string().contains("txt"), "{err}");
    }

    #[test]
    fn tool_arguments_string_or_object() {
        let s = ToolCallSpec { name: "f".into(), arguments: json!({"a": 1}) };
        assert_eq!(s.arguments_string(), r#"{"a":1}"#);
        let s = ToolCallSpec { name: "f".into(), arguments: json!("{not json") };
        assert_eq!(s.arguments_string(), "{not json");
    }
}
