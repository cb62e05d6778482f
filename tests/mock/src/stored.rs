//! The objects OpenAI keeps for an account, with the same REST shape each time: create
//! (`POST …/things`), list (`GET …/things`, a cursor page honouring `limit` and `after`),
//! retrieve (`GET …/things/{id}`), update (`POST …/things/{id}`), delete (`DELETE
//! …/things/{id}`) and actions (`POST …/things/{id}/cancel`, `pause`, ...). One table,
//! [`KINDS`], says for each collection (files, batches, fine-tuning jobs and their events and
//! checkpoints, vector stores and their files and file batches, stored chat completions,
//! conversations and their items, containers and their files, evals, their runs and output
//! items, uploads, videos, skills, and the Assistants API's assistants, threads, messages,
//! runs and run steps) how its objects look, in OpenAI's wire format, so both
//! SDKs parse them into their own types and page through lists as they do against OpenAI.
//!
//! Stateless: every id asked about exists, with fixed fields; a list holds [`LISTED`]
//! objects (`…mock1`, `…mock2`, ...), so a `limit` below that gives a second page.

use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::{respond_json, unix_time, with_headers};

/// How many objects a list holds.
const LISTED: usize = 3;
/// Bytes that stand for a stored file's contents.
pub(crate) const FILE_CONTENT: &str =
    "{\"custom_id\": \"r1\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\"}\n";

/// What one request is about.
struct Ctx<'a> {
    /// The object's id (minted for a create).
    id: String,
    /// The ids of the enclosing objects, outermost first (`vs_1` in `vector_stores/vs_1/files`).
    parents: Vec<&'a str>,
    body: &'a Value,
    raw: &'a Bytes,
    /// `cancel`, `pause`, ... for an action; `None` otherwise.
    action: Option<&'a str>,
}

impl Ctx<'_> {
    /// The same request about another object (`id`).
    fn about(&self, id: &str) -> Ctx<'_> {
        Ctx { id: id.to_string(), parents: vec![], body: self.body, raw: self.raw, action: None }
    }

    fn parent(&self, i: usize) -> &str {
        self.parents.get(i).copied().unwrap_or("mock")
    }

    /// A request field, from the JSON body or the multipart form.
    fn field(&self, name: &str) -> Option<String> {
        self.body[name].as_str().map(str::to_string).or_else(|| form_field(self.raw, name))
    }

    /// The status an action leaves the object in, else `idle`.
    fn status(&self, idle: &'static str) -> &'static str {
        match self.action {
            Some("cancel") => "cancelled",
            Some("pause") => "paused",
            Some("resume") => "running",
            Some("complete") => "completed",
            _ => idle,
        }
    }
}

/// One collection of stored objects.
struct Kind {
    /// Its path after `/v1/`, `*` standing for an enclosing object's id.
    path: &'static str,
    /// The prefix of the ids the mock mints for it.
    prefix: &'static str,
    /// The `object` of a deletion's answer.
    deleted: &'static str,
    /// An object of this kind.
    make: fn(&Ctx) -> Value,
}

/// Every collection; nested ones before their parents, so the longest path matches first.
const KINDS: &[Kind] = &[
    Kind { path: "fine_tuning/jobs/*/events", prefix: "ftevent-", deleted: "", make: ft_event },
    Kind { path: "fine_tuning/jobs/*/checkpoints", prefix: "ftckpt-", deleted: "", make: ft_checkpoint },
    Kind { path: "fine_tuning/jobs", prefix: "ftjob-", deleted: "", make: ft_job },
    Kind {
        path: "fine_tuning/checkpoints/*/permissions",
        prefix: "cp_",
        deleted: "checkpoint.permission",
        make: ft_permission,
    },
    Kind { path: "vector_stores/*/file_batches/*/files", prefix: "file-", deleted: "", make: vs_file },
    Kind { path: "vector_stores/*/file_batches", prefix: "vsfb_", deleted: "", make: vs_file_batch },
    Kind { path: "vector_stores/*/files", prefix: "file-", deleted: "vector_store.file.deleted", make: vs_file },
    Kind { path: "vector_stores", prefix: "vs_", deleted: "vector_store.deleted", make: vector_store },
    Kind { path: "files", prefix: "file-", deleted: "file", make: file },
    Kind { path: "batches", prefix: "batch_", deleted: "", make: batch },
    Kind { path: "chat/completions/*/messages", prefix: "chatcmpl-mock1-", deleted: "", make: stored_message },
    Kind { path: "chat/completions", prefix: "chatcmpl-", deleted: "chat.completion.deleted", make: stored_chat },
    Kind { path: "conversations/*/items", prefix: "msg_", deleted: "", make: conversation_item },
    Kind { path: "conversations", prefix: "conv_", deleted: "conversation.deleted", make: conversation },
    Kind { path: "containers/*/files", prefix: "cfile_", deleted: "container.file.deleted", make: container_file },
    Kind { path: "containers", prefix: "cntr_", deleted: "container.deleted", make: container },
    Kind { path: "evals/*/runs/*/output_items", prefix: "outputitem_", deleted: "", make: eval_output_item },
    Kind { path: "evals/*/runs", prefix: "evalrun_", deleted: "eval.run.deleted", make: eval_run },
    Kind { path: "evals", prefix: "eval_", deleted: "eval.deleted", make: eval },
    Kind { path: "uploads/*/parts", prefix: "part_", deleted: "", make: upload_part },
    Kind { path: "uploads", prefix: "upload_", deleted: "", make: upload },
    Kind { path: "videos", prefix: "video_", deleted: "video.deleted", make: video },
    Kind { path: "skills", prefix: "skill_", deleted: "skill.deleted", make: skill },
    // The Assistants API (beta, deprecated, still in both SDKs).
    Kind { path: "assistants", prefix: "asst_", deleted: "assistant.deleted", make: assistant },
    Kind { path: "threads/runs", prefix: "run_", deleted: "", make: run },
    Kind { path: "threads/*/runs/*/steps", prefix: "step_", deleted: "", make: run_step },
    Kind { path: "threads/*/runs", prefix: "run_", deleted: "", make: run },
    Kind { path: "threads/*/messages", prefix: "msg_", deleted: "thread.message.deleted", make: thread_message },
    Kind { path: "threads", prefix: "thread_", deleted: "thread.deleted", make: thread },
];

/// The answer for `method` on `parts` (the path after `/v1/`), or `None` when no
/// collection has that path.
pub(crate) fn handle(
    method: &str,
    parts: &[&str],
    query: Option<&str>,
    raw: &Bytes,
    body: &Value,
    seq: u64,
) -> Option<Response> {
    let ok = |v: Value| Some(respond_json(StatusCode::OK, &v, seq));
    let bytes = |content_type: &'static str, b: &'static [u8]| {
        Some(with_headers(StatusCode::OK, content_type, axum::body::Body::from(b), seq))
    };
    // The answers that are not an object of a collection.
    match (method, parts) {
        ("GET", ["files" | "containers", .., "content"]) | ("GET", ["skills", _, "content"]) => {
            return bytes("application/octet-stream", FILE_CONTENT.as_bytes())
        }
        ("GET", ["videos", _, "content"]) => return bytes("video/mp4", b"\x00\x00\x00\x18ftypmp42 kestrel-mock video"),
        ("GET", ["vector_stores", _, "files", id, "content"]) => {
            let part = json!({"type": "text", "text": format!("Contents of {id}.")});
            return ok(json!({"object": "vector_store.file_content.page", "data": [part], "has_more": false,
                "next_page": null}));
        }
        ("POST", ["vector_stores", _, "search"]) => {
            let query = body["query"].as_str().unwrap_or_default();
            let hit = json!({"file_id": "file-mock1", "filename": "docs.md", "score": 0.92, "attributes": {},
                "content": [{"type": "text", "text": format!("A passage about {query}.")}]});
            return ok(json!({"object": "vector_store.search_results.page", "search_query": [query],
                "data": [hit], "has_more": false, "next_page": null}));
        }
        ("DELETE", ["models", id]) => return ok(json!({"id": id, "object": "model", "deleted": true})),
        ("POST", ["realtime", "client_secrets"]) => {
            let session = body.get("session").cloned().unwrap_or_else(|| json!({"type": "realtime"}));
            let mut session = session.as_object().cloned().unwrap_or_default();
            session.insert("object".into(), json!("realtime.session"));
            session.insert("id".into(), json!("sess_mock1"));
            session.entry("type").or_insert(json!("realtime"));
            session.entry("model").or_insert(json!("gpt-realtime"));
            return ok(json!({"value": "ek_mock1", "expires_at": unix_time() + 600, "session": session}));
        }
        ("POST", ["fine_tuning", "alpha", "graders", "run"]) => {
            return ok(json!({"reward": 1.0, "sub_rewards": {}, "model_grader_token_usage_per_model": {},
                "metadata": {"name": body["grader"]["name"], "type": body["grader"]["type"], "errors": {},
                    "execution_time": 0.01, "scores": {}, "token_usage": null, "sampled_model_name": null}}));
        }
        ("POST", ["fine_tuning", "alpha", "graders", "validate"]) => return ok(json!({"grader": body["grader"]})),
        _ => {}
    }
    let (kind, ids, rest) = KINDS.iter().find_map(|k| matches(k, parts))?;
    let mut ctx = Ctx { id: String::new(), parents: ids, body, raw, action: None };
    let one = |ctx: &Ctx| (kind.make)(ctx);
    match (method, rest) {
        ("POST", []) => {
            ctx.id = format!("{}mock1", kind.prefix);
            let created = one(&ctx);
            if kind.path.ends_with("/permissions") || kind.path.ends_with("/items") {
                // These creates answer with a page of what they made.
                return ok(page(vec![created], LISTED, None));
            }
            ok(created)
        }
        ("GET", []) => {
            let all = (1..=LISTED)
                .map(|i| {
                    ctx.id = format!("{}mock{i}", kind.prefix);
                    one(&ctx)
                })
                .collect();
            let params = query_params(query);
            let limit = params.get("limit").and_then(|l| l.as_str()?.parse().ok()).unwrap_or(20);
            ok(page(all, limit, params.get("after").and_then(Value::as_str)))
        }
        ("GET" | "POST", [id]) => {
            ctx.id = (*id).to_string();
            if method == "POST" && kind.path == "evals/*/runs" {
                ctx.action = Some("cancel"); // OpenAI cancels a run with a POST to it.
            }
            ok(one(&ctx))
        }
        ("DELETE", [id]) => {
            ctx.id = (*id).to_string();
            ok(deletion(kind, &ctx))
        }
        ("POST", [id, action]) => {
            ctx.id = (*id).to_string();
            ctx.action = Some(action);
            ok(one(&ctx))
        }
        _ => None,
    }
}

/// The enclosing ids and the rest of the path when `parts` is under `kind`'s path.
fn matches<'k, 'p>(kind: &'k Kind, parts: &'p [&'p str]) -> Option<(&'k Kind, Vec<&'p str>, &'p [&'p str])> {
    let pattern: Vec<&str> = kind.path.split('/').collect();
    if parts.len() < pattern.len() {
        return None;
    }
    let mut ids = Vec::new();
    for (want, got) in pattern.iter().zip(parts) {
        match *want {
            "*" => ids.push(*got),
            w if w == *got => {}
            _ => return None,
        }
    }
    let rest = &parts[pattern.len()..];
    (rest.len() <= 2).then_some((kind, ids, rest))
}

/// A cursor page as OpenAI sends lists: `limit` objects after the one named `after`.
fn page(all: Vec<Value>, limit: usize, after: Option<&str>) -> Value {
    let start = after.and_then(|a| all.iter().position(|v| v["id"] == a)).map_or(0, |i| i + 1);
    let mut data: Vec<Value> = all[start.min(all.len())..].to_vec();
    let has_more = data.len() > limit;
    data.truncate(limit.max(1));
    let first = data.first().map_or(Value::Null, |d| d["id"].clone());
    let last = data.last().map_or(Value::Null, |d| d["id"].clone());
    json!({"object": "list", "data": data, "first_id": first, "last_id": last, "has_more": has_more})
}

fn deletion(kind: &Kind, ctx: &Ctx) -> Value {
    match kind.path {
        "evals" => json!({"eval_id": ctx.id, "object": "eval.deleted", "deleted": true}),
        "evals/*/runs" => json!({"run_id": ctx.id, "object": "eval.run.deleted", "deleted": true}),
        // Deleting an item answers with the conversation it was in.
        "conversations/*/items" => conversation(&ctx.about(ctx.parent(0))),
        _ => json!({"id": ctx.id, "object": kind.deleted, "deleted": true}),
    }
}

fn query_params(query: Option<&str>) -> Map<String, Value> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy().to_string();
            (k.to_string(), Value::String(v))
        })
        .collect()
}

fn file(c: &Ctx) -> Value {
    let filename = form_filename(c.raw).unwrap_or_else(|| "batch.jsonl".into());
    let purpose = c.field("purpose").unwrap_or_else(|| "batch".into());
    json!({"id": c.id, "object": "file", "bytes": FILE_CONTENT.len(), "created_at": unix_time(),
        "filename": filename, "purpose": purpose, "status": "processed", "expires_at": null, "status_details": null})
}

fn batch(c: &Ctx) -> Value {
    let status = match c.action {
        Some("cancel") => "cancelling",
        _ if c.body.get("input_file_id").is_some() => "validating",
        _ => "completed",
    };
    json!({"id": c.id, "object": "batch", "endpoint": c.field("endpoint").unwrap_or_else(|| "/v1/chat/completions".into()),
        "errors": null, "input_file_id": c.field("input_file_id").unwrap_or_else(|| "file-mock1".into()),
        "completion_window": "24h", "status": status, "output_file_id": null, "error_file_id": null,
        "created_at": unix_time(), "request_counts": {"total": 1, "completed": 0, "failed": 0}, "metadata": {}})
}

fn ft_job(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "fine_tuning.job", "model": c.field("model").unwrap_or_else(|| "gpt-4o-mini".into()),
        "created_at": unix_time(), "fine_tuned_model": null, "organization_id": "org-mock", "result_files": [],
        "status": c.status("queued"), "validation_file": null,
        "training_file": c.field("training_file").unwrap_or_else(|| "file-mock1".into()),
        "hyperparameters": {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"},
        "trained_tokens": null, "error": null, "finished_at": null, "seed": 42, "estimated_finish": null,
        "integrations": null, "metadata": null})
}

fn ft_event(c: &Ctx) -> Value {
    let step = c.id.trim_start_matches("ftevent-mock");
    json!({"id": c.id, "object": "fine_tuning.job.event", "created_at": unix_time(), "level": "info",
        "message": format!("Step {step}"), "data": {}, "type": "message"})
}

fn ft_checkpoint(c: &Ctx) -> Value {
    let job = c.parent(0);
    json!({"id": c.id, "object": "fine_tuning.job.checkpoint", "created_at": unix_time(),
        "fine_tuned_model_checkpoint": format!("ft:gpt-4o-mini:org-mock::{job}:ckpt"), "fine_tuning_job_id": job,
        "step_number": 10, "metrics": {"step": 10.0, "train_loss": 0.5, "train_mean_token_accuracy": 0.8}})
}

fn ft_permission(c: &Ctx) -> Value {
    let project = c.body["project_ids"][0].as_str().unwrap_or("proj_mock");
    json!({"id": c.id, "object": "checkpoint.permission", "created_at": unix_time(), "project_id": project})
}

fn vector_store(c: &Ctx) -> Value {
    let name = c.body["name"].as_str().unwrap_or("docs");
    json!({"id": c.id, "object": "vector_store", "created_at": unix_time(), "name": name, "usage_bytes": 0,
        "file_counts": {"in_progress": 0, "completed": 1, "failed": 0, "cancelled": 0, "total": 1},
        "status": "completed", "expires_after": null, "expires_at": null, "last_active_at": unix_time(),
        "metadata": c.body.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

fn vs_file(c: &Ctx) -> Value {
    let id = c.body["file_id"].as_str().map_or_else(|| c.id.clone(), str::to_string);
    json!({"id": id, "object": "vector_store.file", "created_at": unix_time(), "usage_bytes": 42,
        "vector_store_id": c.parent(0), "status": c.status("completed"), "last_error": null,
        "attributes": c.body.get("attributes").cloned().unwrap_or_else(|| json!({})),
        "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}}})
}

fn vs_file_batch(c: &Ctx) -> Value {
    let total = c.body["file_ids"].as_array().map_or(1, Vec::len);
    json!({"id": c.id, "object": "vector_store.files_batch", "created_at": unix_time(),
        "vector_store_id": c.parent(0), "status": c.status("completed"),
        "file_counts": {"in_progress": 0, "completed": total, "failed": 0, "cancelled": 0, "total": total}})
}

fn stored_chat(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "chat.completion", "created": unix_time(), "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": null,
            "message": {"role": "assistant", "content": "A stored answer.", "refusal": null, "annotations": []}}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9},
        "metadata": c.body.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "service_tier": "default", "system_fingerprint": null})
}

fn stored_message(c: &Ctx) -> Value {
    json!({"id": c.id, "role": "assistant", "content": "A stored answer.", "refusal": null, "annotations": [],
        "content_parts": null})
}

fn conversation(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "conversation", "created_at": unix_time(),
        "metadata": c.body.get("metadata").cloned().unwrap_or_else(|| json!({}))})
}

fn conversation_item(c: &Ctx) -> Value {
    let text = c.body["items"][0]["content"].as_str().unwrap_or("Hello!").to_string();
    json!({"id": c.id, "type": "message", "role": "user", "status": "completed",
        "content": [{"type": "input_text", "text": text}]})
}

fn container(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "container", "created_at": unix_time(), "status": "running",
        "name": c.body["name"].as_str().unwrap_or("sandbox"), "last_active_at": unix_time(),
        "expires_after": {"anchor": "last_active_at", "minutes": 20}, "memory_limit": "1g"})
}

fn container_file(c: &Ctx) -> Value {
    let name = form_filename(c.raw).unwrap_or_else(|| "data.csv".into());
    json!({"id": c.id, "object": "container.file", "created_at": unix_time(), "bytes": FILE_CONTENT.len(),
        "container_id": c.parent(0), "path": format!("/mnt/data/{name}"), "source": "user"})
}

fn eval(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "eval", "created_at": unix_time(),
        "name": c.body["name"].as_str().unwrap_or("Sentiment"), "metadata": {},
        "data_source_config": {"type": "custom", "schema": {"type": "object", "properties": {"item": {"type": "object"}}}},
        "testing_criteria": c.body.get("testing_criteria").cloned().unwrap_or_else(|| json!([]))})
}

fn eval_run(c: &Ctx) -> Value {
    let status = if c.action.is_some() { "canceled" } else { "completed" };
    json!({"id": c.id, "object": "eval.run", "created_at": unix_time(), "eval_id": c.parent(0),
        "name": c.body["name"].as_str().unwrap_or("run"), "model": "gpt-4o-mini", "status": status,
        "data_source": c.body.get("data_source").cloned().unwrap_or_else(|| json!({"type": "jsonl",
            "source": {"type": "file_id", "id": "file-mock1"}})),
        "error": {"code": "", "message": ""}, "metadata": {}, "per_model_usage": [], "per_testing_criteria_results": [],
        "report_url": "https://platform.openai.invalid/evals", "result_counts": {"errored": 0, "failed": 0,
            "passed": 1, "total": 1}})
}

fn eval_output_item(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "eval.run.output_item", "created_at": unix_time(), "eval_id": c.parent(0),
        "run_id": c.parent(1), "status": "pass", "datasource_item": {}, "datasource_item_id": 1,
        "results": [{"name": "match", "passed": true, "score": 1.0, "sample": null, "type": "string_check"}],
        "sample": {"error": {"code": "", "message": ""}, "finish_reason": "stop", "input": [], "max_completion_tokens": 64,
            "model": "gpt-4o-mini", "output": [], "seed": 42, "temperature": 1.0, "top_p": 1.0,
            "usage": {"cached_tokens": 0, "completion_tokens": 1, "prompt_tokens": 1, "total_tokens": 2}}})
}

fn upload(c: &Ctx) -> Value {
    let done = c.action == Some("complete");
    let filename = c.field("filename").unwrap_or_else(|| "training.jsonl".into());
    let purpose = c.field("purpose").unwrap_or_else(|| "fine-tune".into());
    let created = c.about("file-mock1");
    json!({"id": c.id, "object": "upload", "created_at": unix_time(), "expires_at": unix_time() + 3600,
        "bytes": c.body["bytes"].as_u64().unwrap_or(FILE_CONTENT.len() as u64), "filename": filename,
        "purpose": purpose, "status": c.status("pending"), "file": if done { file(&created) } else { Value::Null }})
}

fn upload_part(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "upload.part", "created_at": unix_time(), "upload_id": c.parent(0)})
}

fn video(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "video", "created_at": unix_time(), "status": "completed", "progress": 100,
        "model": c.field("model").unwrap_or_else(|| "sora-2".into()), "prompt": c.field("prompt"),
        "seconds": c.field("seconds").unwrap_or_else(|| "4".into()), "size": c.field("size").unwrap_or_else(|| "720x1280".into()),
        "completed_at": unix_time(), "expires_at": null, "error": null,
        "remixed_from_video_id": if c.action == Some("remix") { json!(c.id) } else { Value::Null }})
}

fn skill(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "skill", "created_at": unix_time(), "name": "pdf-tools",
        "description": "Reads PDFs.", "default_version": "1", "latest_version": "1"})
}

fn assistant(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "assistant", "created_at": unix_time(),
        "name": c.body["name"].as_str().unwrap_or("Math Tutor"), "description": null,
        "model": c.field("model").unwrap_or_else(|| "gpt-4o".into()), "instructions": c.body["instructions"],
        "tools": c.body.get("tools").cloned().unwrap_or_else(|| json!([])), "metadata": {},
        "temperature": 1.0, "top_p": 1.0, "response_format": "auto", "tool_resources": {}})
}

fn thread(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "thread", "created_at": unix_time(),
        "metadata": c.body.get("metadata").cloned().unwrap_or_else(|| json!({})), "tool_resources": {}})
}

fn thread_message(c: &Ctx) -> Value {
    let text = c.body["content"].as_str().unwrap_or("Hello!");
    json!({"id": c.id, "object": "thread.message", "created_at": unix_time(), "thread_id": c.parent(0),
        "role": c.body["role"].as_str().unwrap_or("user"), "status": "completed", "assistant_id": null,
        "run_id": null, "attachments": [], "metadata": {}, "completed_at": unix_time(), "incomplete_at": null,
        "incomplete_details": null, "content": [{"type": "text", "text": {"value": text, "annotations": []}}]})
}

fn run(c: &Ctx) -> Value {
    let status = match c.action {
        Some("cancel") => "cancelling",
        _ => "completed",
    };
    let thread = if c.parents.is_empty() { "thread_mock1" } else { c.parent(0) };
    json!({"id": c.id, "object": "thread.run", "created_at": unix_time(), "thread_id": thread,
        "assistant_id": c.body["assistant_id"].as_str().unwrap_or("asst_mock1"), "status": status,
        "model": "gpt-4o", "instructions": "", "tools": [], "metadata": {}, "parallel_tool_calls": true,
        "started_at": unix_time(), "completed_at": unix_time(), "cancelled_at": null, "failed_at": null,
        "expires_at": null, "last_error": null, "incomplete_details": null, "required_action": null,
        "response_format": "auto", "tool_choice": "auto", "truncation_strategy": {"type": "auto"},
        "max_completion_tokens": null, "max_prompt_tokens": null, "temperature": 1.0, "top_p": 1.0,
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
}

fn run_step(c: &Ctx) -> Value {
    json!({"id": c.id, "object": "thread.run.step", "created_at": unix_time(), "thread_id": c.parent(0),
        "run_id": c.parent(1), "assistant_id": "asst_mock1", "type": "message_creation", "status": "completed",
        "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_mock1"}},
        "cancelled_at": null, "completed_at": unix_time(), "expired_at": null, "failed_at": null,
        "last_error": null, "metadata": {}, "usage": null})
}

/// A multipart form field's text value (enough of RFC 7578 for the SDKs' uploads).
pub(crate) fn form_field(raw: &Bytes, name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let marker = format!("name=\"{name}\"");
    let at = text.find(&marker)?;
    let rest = &text[at + marker.len()..];
    let start = rest.find("\r\n\r\n")? + 4;
    let end = rest[start..].find("\r\n")?;
    Some(rest[start..start + end].to_string())
}

/// The uploaded file's name in a multipart form.
pub(crate) fn form_filename(raw: &Bytes) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let at = text.find("filename=\"")? + "filename=\"".len();
    let end = text[at..].find('"')?;
    Some(text[at..at + end].to_string())
}
