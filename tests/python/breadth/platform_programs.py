"""The APIs Kestrel passes to the official client, from openai-python's README (file
uploads, pagination, binary answers, streaming responses) and api.md: embeddings,
moderations, images, audio, files, uploads, batches, fine-tuning, vector stores,
conversations, containers, evals, videos, skills, realtime client secrets, webhooks,
legacy completions, models and the generic ``client.get/post``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _harness import Kit, kind, program

JSONL = b'{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions"}\n'


def page_digest(page: Any) -> Any:
    return kind(page), [x.id for x in page.data], page.has_next_page()


# --- embeddings, moderations ---------------------------------------------------------------


@program
def embeddings_create(c: Any, k: Kit) -> Any:
    r = c.embeddings.create(model="text-embedding-3-small", input=["The food was delicious", "and the waiter"])
    return kind(r), [len(d.embedding) for d in r.data], [d.index for d in r.data], r.usage.prompt_tokens


@program
def embeddings_float_and_dimensions(c: Any, k: Kit) -> Any:
    r = c.embeddings.create(model="text-embedding-3-small", input="hi", encoding_format="float", dimensions=64)
    return type(r.data[0].embedding[0]).__name__, round(sum(x * x for x in r.data[0].embedding), 6)


@program
def embeddings_base64_decoded(c: Any, k: Kit) -> Any:
    # Unasked, the SDK fetches base64 and decodes it into floats.
    r = c.embeddings.create(model="text-embedding-3-small", input="hi there")
    return k.last_sent("/embeddings")["body"].get("encoding_format"), round(sum(x * x for x in r.data[0].embedding), 4)


@program
def moderations_text(c: Any, k: Kit) -> Any:
    r = c.moderations.create(model="omni-moderation-latest", input="I want to kill them.")
    res = r.results[0]
    return kind(r), res.flagged, res.categories.violence, sorted(res.categories.model_dump(by_alias=True))[:3]


@program
def moderations_multimodal(c: Any, k: Kit) -> Any:
    r = c.moderations.create(model="omni-moderation-latest", input=[
        {"type": "text", "text": "...text to classify goes here..."},
        {"type": "image_url", "image_url": {"url": "https://example.invalid/image.png"}},
    ])
    return len(r.results)


# --- images --------------------------------------------------------------------------------


@program
def images_generate(c: Any, k: Kit) -> Any:
    r = c.images.generate(model="gpt-image-1", prompt="A cute baby sea otter", n=2, size="1024x1024", quality="high")
    return kind(r), len(r.data), base64.b64decode(r.data[0].b64_json)[:4]


@program
def images_generate_url(c: Any, k: Kit) -> Any:
    r = c.images.generate(model="dall-e-3", prompt="A cute baby sea otter", response_format="url")
    return r.data[0].url


@program
def images_edit_bytes(c: Any, k: Kit) -> Any:
    r = c.images.edit(model="gpt-image-1", image=("otter.png", b"\x89PNG fake", "image/png"), prompt="Add a hat")
    return len(r.data), "multipart/form-data" in k.last_sent("/images/edits")["headers"]["content-type"]


@program
def images_edit_path(c: Any, k: Kit) -> Any:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "otter.png"
        path.write_bytes(b"\x89PNG fake")
        r = c.images.edit(model="gpt-image-1", image=[path, path], prompt="Two otters")
    return len(r.data)


@program
def images_create_variation(c: Any, k: Kit) -> Any:
    r = c.images.create_variation(image=io.BytesIO(b"\x89PNG fake"), n=1, size="256x256")
    return kind(r), len(r.data)


# --- audio ---------------------------------------------------------------------------------


@program
def audio_speech_content(c: Any, k: Kit) -> Any:
    r = c.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hello world", response_format="mp3",
                              instructions="Speak cheerfully.")
    return kind(r), r.content[:3], r.response.headers["content-type"]


@program
def audio_speech_streaming_to_file(c: Any, k: Kit) -> Any:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "speech.mp3"
        with c.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="coral", input="Hi") as r:
            r.stream_to_file(path)
        return path.read_bytes()[:3]


@program
def audio_speech_iter_bytes(c: Any, k: Kit) -> Any:
    with c.audio.speech.with_streaming_response.create(model="gpt-4o-mini-tts", voice="coral", input="Hi") as r:
        return r.status_code, b"".join(r.iter_bytes(chunk_size=4))[:3]


@program
def audio_speech_write_to_file(c: Any, k: Kit) -> Any:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "speech.mp3"
        c.audio.speech.create(model="tts-1", voice="alloy", input="Hi").write_to_file(path)
        return path.read_bytes()[:3]


@program
def audio_transcription_path(c: Any, k: Kit) -> Any:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "speech.mp3"
        path.write_bytes(b"ID3 fake audio")
        r = c.audio.transcriptions.create(model="gpt-4o-transcribe", file=path, language="en", prompt="otters")
    return kind(r), r.text


@program
def audio_transcription_text(c: Any, k: Kit) -> Any:
    r = c.audio.transcriptions.create(model="whisper-1", file=("speech.mp3", b"ID3"), response_format="text")
    return kind(r), r


@program
def audio_translation(c: Any, k: Kit) -> Any:
    r = c.audio.translations.create(model="whisper-1", file=("speech.mp3", b"ID3"))
    return kind(r), r.text


# --- files and uploads ---------------------------------------------------------------------


@program
def files_create_from_path(c: Any, k: Kit) -> Any:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "input.jsonl"
        path.write_bytes(JSONL)
        f = c.files.create(file=path, purpose="fine-tune")
    return kind(f), f.object, f.filename, f.purpose, f.status


@program
def files_create_from_tuple_and_bytesio(c: Any, k: Kit) -> Any:
    a = c.files.create(file=("batch.jsonl", JSONL), purpose="batch")
    b = c.files.create(file=io.BytesIO(JSONL), purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600})
    return a.filename, b.purpose


@program
def files_list_auto_paging(c: Any, k: Kit) -> Any:
    ids = [f.id for f in c.files.list(limit=2)]
    return ids, [r["query"] for r in k.sent("/files")]


@program
def files_list_page_by_page(c: Any, k: Kit) -> Any:
    first = c.files.list(limit=2, purpose="batch", order="desc")
    info = first.next_page_info()
    second = first.get_next_page()
    return page_digest(first), info.params, page_digest(second), [[p.id for p in pg.data] for pg in first.iter_pages()]


@program
def files_retrieve_content_delete(c: Any, k: Kit) -> Any:
    f = c.files.retrieve("file-abc")
    content = c.files.content("file-abc")
    d = c.files.delete("file-abc")
    return f.id, kind(content), content.read()[:12], content.text[:12], kind(d), d.deleted


@program
def files_content_streaming(c: Any, k: Kit) -> Any:
    with c.files.with_streaming_response.content("file-abc") as r:
        return b"".join(r.iter_bytes())[:12], r.headers["content-type"]


@program
def files_wait_for_processing(c: Any, k: Kit) -> Any:
    return c.files.wait_for_processing("file-abc", poll_interval=0.01).status


@program
def uploads_parts(c: Any, k: Kit) -> Any:
    up = c.uploads.create(bytes=len(JSONL), filename="training.jsonl", mime_type="text/jsonl", purpose="fine-tune")
    part = c.uploads.parts.create(up.id, data=JSONL)
    done = c.uploads.complete(up.id, part_ids=[part.id])
    cancelled = c.uploads.cancel(up.id)
    return kind(up), up.status, kind(part), part.object, done.status, done.file.object, cancelled.status


# --- batches, fine-tuning ------------------------------------------------------------------


@program
def batches(c: Any, k: Kit) -> Any:
    b = c.batches.create(input_file_id="file-abc", endpoint="/v1/chat/completions", completion_window="24h",
                         metadata={"job": "nightly"})
    got = c.batches.retrieve(b.id)
    listed = [x.id for x in c.batches.list(limit=10)]
    cancelled = c.batches.cancel(b.id)
    return kind(b), b.status, got.id, listed, cancelled.status


@program
def fine_tuning_jobs(c: Any, k: Kit) -> Any:
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini-2024-07-18", training_file="file-abc", suffix="otters",
                                    method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}})
    got = c.fine_tuning.jobs.retrieve(job.id)
    actions = [c.fine_tuning.jobs.cancel(job.id).status, c.fine_tuning.jobs.pause(job.id).status,
               c.fine_tuning.jobs.resume(job.id).status]
    return kind(job), job.status, got.id, actions


@program
def fine_tuning_jobs_list_pagination(c: Any, k: Kit) -> Any:
    page = c.fine_tuning.jobs.list(limit=1)
    every = [j.id for j in c.fine_tuning.jobs.list(limit=2)]
    return page_digest(page), every


@program
def fine_tuning_events_and_checkpoints(c: Any, k: Kit) -> Any:
    events = [e.message for e in c.fine_tuning.jobs.list_events("ftjob-abc", limit=2)]
    ckpts = [(x.object, x.step_number) for x in c.fine_tuning.jobs.checkpoints.list("ftjob-abc")]
    return events, ckpts


@program
def fine_tuning_checkpoint_permissions(c: Any, k: Kit) -> Any:
    c = k.make(admin_api_key="sk-admin-test")
    ckpt = "ft:gpt-4o-mini:org:custom:ckpt"
    created = [p.project_id for p in c.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=["proj_1"])]
    listed = c.fine_tuning.checkpoints.permissions.retrieve(ckpt)
    deleted = c.fine_tuning.checkpoints.permissions.delete("cp_mock1", fine_tuned_model_checkpoint=ckpt)
    return created, len(listed.data), deleted.deleted


@program
def fine_tuning_alpha_graders(c: Any, k: Kit) -> Any:
    grader = {"type": "string_check", "name": "match", "input": "{{sample.output_text}}",
              "reference": "{{item.answer}}", "operation": "eq"}
    run = c.fine_tuning.alpha.graders.run(grader=grader, model_sample="yes", item={"answer": "yes"})
    valid = c.fine_tuning.alpha.graders.validate(grader=grader)
    return kind(run), run.reward, valid.grader.type


# --- vector stores -------------------------------------------------------------------------


@program
def vector_stores_crud(c: Any, k: Kit) -> Any:
    vs = c.vector_stores.create(name="docs", file_ids=["file-abc"], metadata={"team": "a"})
    got = c.vector_stores.retrieve(vs.id)
    updated = c.vector_stores.update(vs.id, name="docs2")
    listed = [v.id for v in c.vector_stores.list(limit=2)]
    deleted = c.vector_stores.delete(vs.id)
    return kind(vs), vs.status, got.file_counts.total, updated.name, listed, deleted.deleted


@program
def vector_stores_search(c: Any, k: Kit) -> Any:
    results = c.vector_stores.search("vs_abc", query="otters", max_num_results=3)
    return kind(results), [(r.filename, r.content[0].text) for r in results]


@program
def vector_store_files(c: Any, k: Kit) -> Any:
    f = c.vector_stores.files.create("vs_abc", file_id="file-abc", attributes={"lang": "en"})
    got = c.vector_stores.files.retrieve("file-abc", vector_store_id="vs_abc")
    updated = c.vector_stores.files.update("file-abc", vector_store_id="vs_abc", attributes={"lang": "fr"})
    listed = [x.id for x in c.vector_stores.files.list("vs_abc", filter="completed")]
    content = [p.text for p in c.vector_stores.files.content("file-abc", vector_store_id="vs_abc")]
    deleted = c.vector_stores.files.delete("file-abc", vector_store_id="vs_abc")
    return kind(f), f.status, got.vector_store_id, updated.attributes, listed, content, deleted.deleted


@program
def vector_store_upload_and_poll(c: Any, k: Kit) -> Any:
    f = c.vector_stores.files.upload_and_poll(vector_store_id="vs_abc", file=("notes.md", b"# Notes"),
                                              poll_interval_ms=10)
    return kind(f), f.status


@program
def vector_store_file_batches(c: Any, k: Kit) -> Any:
    b = c.vector_stores.file_batches.create("vs_abc", file_ids=["file-1", "file-2"])
    got = c.vector_stores.file_batches.retrieve(b.id, vector_store_id="vs_abc")
    files = [x.id for x in c.vector_stores.file_batches.list_files(b.id, vector_store_id="vs_abc")]
    cancelled = c.vector_stores.file_batches.cancel(b.id, vector_store_id="vs_abc")
    polled = c.vector_stores.file_batches.create_and_poll("vs_abc", file_ids=["file-1"], poll_interval_ms=10)
    return kind(b), b.file_counts.total, got.status, files, cancelled.status, polled.status


# --- conversations, containers, evals, videos, skills --------------------------------------


@program
def conversations(c: Any, k: Kit) -> Any:
    conv = c.conversations.create(metadata={"topic": "demo"}, items=[{"type": "message", "role": "user",
                                                                      "content": "Hello!"}])
    got = c.conversations.retrieve(conv.id)
    updated = c.conversations.update(conv.id, metadata={"topic": "project-x"})
    deleted = c.conversations.delete(conv.id)
    return kind(conv), conv.object, got.id, updated.metadata, deleted.deleted


@program
def conversation_items(c: Any, k: Kit) -> Any:
    added = c.conversations.items.create("conv_abc", items=[{"type": "message", "role": "user", "content": "Hi"}])
    item = c.conversations.items.retrieve("msg_abc", conversation_id="conv_abc")
    listed = [i.id for i in c.conversations.items.list("conv_abc", limit=2)]
    after_delete = c.conversations.items.delete("msg_abc", conversation_id="conv_abc")
    return kind(added), [i.type for i in added.data], item.type, listed, after_delete.object


@program
def containers(c: Any, k: Kit) -> Any:
    ct = c.containers.create(name="sandbox", expires_after={"anchor": "last_active_at", "minutes": 20})
    got = c.containers.retrieve(ct.id)
    listed = [x.id for x in c.containers.list(limit=2)]
    c.containers.delete(ct.id)
    return kind(ct), ct.status, got.name, listed


@program
def container_files(c: Any, k: Kit) -> Any:
    f = c.containers.files.create("cntr_abc", file=("data.csv", b"a,b\n1,2\n"))
    got = c.containers.files.retrieve("cfile_abc", container_id="cntr_abc")
    listed = [x.id for x in c.containers.files.list("cntr_abc")]
    content = c.containers.files.content.retrieve("cfile_abc", container_id="cntr_abc")
    c.containers.files.delete("cfile_abc", container_id="cntr_abc")
    return kind(f), f.path, got.container_id, listed, content.read()[:12]


@program
def evals(c: Any, k: Kit) -> Any:
    ev = c.evals.create(name="Sentiment", data_source_config={"type": "custom", "item_schema": {"type": "object"}},
                        testing_criteria=[{"type": "string_check", "name": "match", "input": "{{sample.output_text}}",
                                           "reference": "{{item.label}}", "operation": "eq"}])
    got = c.evals.retrieve(ev.id)
    updated = c.evals.update(ev.id, name="Sentiment v2")
    listed = [e.id for e in c.evals.list(limit=2)]
    deleted = c.evals.delete(ev.id)
    return kind(ev), ev.object, got.id, updated.name, listed, deleted.deleted


@program
def eval_runs_and_output_items(c: Any, k: Kit) -> Any:
    run = c.evals.runs.create("eval_abc", name="run", data_source={"type": "jsonl", "source": {
        "type": "file_id", "id": "file-abc"}})
    got = c.evals.runs.retrieve(run.id, eval_id="eval_abc")
    runs = [r.id for r in c.evals.runs.list("eval_abc")]
    cancelled = c.evals.runs.cancel(run.id, eval_id="eval_abc")
    items = [i.status for i in c.evals.runs.output_items.list(run.id, eval_id="eval_abc")]
    item = c.evals.runs.output_items.retrieve("outputitem_abc", eval_id="eval_abc", run_id=run.id)
    c.evals.runs.delete(run.id, eval_id="eval_abc")
    return kind(run), got.status, runs, cancelled.status, items, item.object


@program
def videos(c: Any, k: Kit) -> Any:
    v = c.videos.create(model="sora-2", prompt="A calico cat playing a piano", seconds="4", size="720x1280")
    got = c.videos.retrieve(v.id)
    listed = [x.id for x in c.videos.list(limit=2)]
    remix = c.videos.remix(v.id, prompt="Make it jazz")
    content = c.videos.download_content(v.id)
    deleted = c.videos.delete(v.id)
    return kind(v), v.status, got.progress, listed, remix.object, content.read()[4:8], deleted.deleted


@program
def skills(c: Any, k: Kit) -> Any:
    got = c.skills.retrieve("skill_abc")
    listed = [s.id for s in c.skills.list(limit=2)]
    deleted = c.skills.delete("skill_abc")
    return kind(got), got.name, listed, deleted.deleted


@program
def realtime_client_secret(c: Any, k: Kit) -> Any:
    r = c.realtime.client_secrets.create(session={"type": "realtime", "model": "gpt-realtime"})
    return kind(r), r.value, r.session.type


@program
def webhooks_unwrap(c: Any, k: Kit) -> Any:
    secret = "whsec_" + base64.b64encode(b"kestrel-webhook-secret").decode()
    client = k.make(webhook_secret=secret)
    body = json.dumps({"id": "evt_1", "object": "event", "type": "response.completed", "created_at": 1,
                       "data": {"id": "resp_1"}})
    msg_id, ts = "msg_1", str(int(time.time()))
    mac = hmac.new(b"kestrel-webhook-secret", f"{msg_id}.{ts}.{body}".encode(), hashlib.sha256).digest()
    headers = {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": "v1," + base64.b64encode(mac).decode()}
    client.webhooks.verify_signature(body, headers)
    event = client.webhooks.unwrap(body, headers)
    return kind(event), event.type, event.data.id


# --- legacy completions, models, generic requests -------------------------------------------


@program
def legacy_completions(c: Any, k: Kit) -> Any:
    r = c.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say this is a test", max_tokens=7, temperature=0)
    return kind(r), r.object, r.choices[0].text, r.usage.total_tokens > 0


@program
def models_list_retrieve_delete(c: Any, k: Kit) -> Any:
    page = c.models.list()
    ids = [x.id for x in page]
    got = c.models.retrieve(ids[0])
    deleted = c.models.delete("ft:gpt-4o-mini:org:custom:abc")
    return kind(page), ids, got.id, got.object, kind(deleted), deleted.deleted


@program
def generic_get_post(c: Any, k: Kit) -> Any:
    listed = c.get("/models", cast_to=object)
    posted = c.post("/embeddings", cast_to=object, body={"model": "text-embedding-3-small", "input": "hi"})
    return sorted(listed), posted["object"]


@program
def generic_delete(c: Any, k: Kit) -> Any:
    r = c.delete("/files/file-abc", cast_to=object)
    return r


@program
def raw_response_on_passthrough(c: Any, k: Kit) -> Any:
    raw = c.files.with_raw_response.list()
    return raw.http_response.status_code, raw.request_id.startswith("req_"), [f.id for f in raw.parse()]


@program
def passthrough_request_id(c: Any, k: Kit) -> Any:
    return c.embeddings.create(model="text-embedding-3-small", input="hi")._request_id.startswith("req_")


@program
def async_passthrough(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        async with k.make_async() as ac:
            ids = [f.id async for f in ac.files.list(limit=2)]
            page = await ac.files.list(limit=2)
            nxt = await page.get_next_page()
            emb = await ac.embeddings.create(model="text-embedding-3-small", input="hi")
            async with ac.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input="x") as r:
                audio = await r.read()
            return ids, [f.id for f in nxt.data], len(emb.data[0].embedding), audio[:3]

    return asyncio.run(main())


# --- the Assistants API (beta; deprecated, still in api.md) ---------------------------------


@program
def beta_assistants(c: Any, k: Kit) -> Any:
    a = c.beta.assistants.create(model="gpt-4o", name="Math Tutor", instructions="You are a personal math tutor.",
                                 tools=[{"type": "code_interpreter"}])
    got = c.beta.assistants.retrieve(a.id)
    updated = c.beta.assistants.update(a.id, name="Math Tutor 2")
    listed = [x.id for x in c.beta.assistants.list(limit=2)]
    deleted = c.beta.assistants.delete(a.id)
    return kind(a), a.object, got.model, updated.id, listed, deleted.object


@program
def beta_threads_messages_runs(c: Any, k: Kit) -> Any:
    thread = c.beta.threads.create(messages=[{"role": "user", "content": "Solve 3x + 11 = 14"}])
    msg = c.beta.threads.messages.create(thread.id, role="user", content="Show your work.")
    messages = [m.content[0].text.value for m in c.beta.threads.messages.list(thread.id, limit=2)]
    run = c.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id="asst_abc", poll_interval_ms=10)
    steps = [s.type for s in c.beta.threads.runs.steps.list(run.id, thread_id=thread.id)]
    cancelled = c.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    both = c.beta.threads.create_and_run(assistant_id="asst_abc", thread={"messages": [{"role": "user", "content": "Hi"}]})
    deleted = c.beta.threads.delete(thread.id)
    return (kind(thread), msg.object, messages, run.status, steps, cancelled.status, both.object, deleted.deleted)
