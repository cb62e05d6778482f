// The APIs Kestrel passes to the official client, from openai-node's README (file uploads
// with toFile / fs.createReadStream / File, auto-pagination with `for await`, manual
// pagination, binary answers, webhooks) and api.md: embeddings, moderations, images, audio,
// files, uploads, batches, fine-tuning, vector stores, conversations, containers, evals,
// videos, skills, realtime client secrets, legacy completions, models, `client.get/post`.

import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { collect, programs } from "./_harness.mjs";

const JSONL = '{"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions"}\n';
const bytes = async (response, n = 12) => Buffer.from(await response.arrayBuffer()).subarray(0, n).toString("latin1");
const ids = (page) => page.data.map((x) => x.id);
const tmpFile = (name, content) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "breadth-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};
const sumSquares = (v) => Math.round(v.reduce((s, x) => s + x * x, 0) * 1e4) / 1e4;

programs({
  // --- embeddings, moderations --------------------------------------------------------------
  embeddingsCreate: async (c) => {
    const r = await c.embeddings.create({ model: "text-embedding-3-small", input: ["The food was delicious", "and the waiter"] });
    return [r.object, r.data.map((d) => d.embedding.length), r.data.map((d) => d.index), r.usage.prompt_tokens];
  },
  embeddingsFloatAndDimensions: async (c) => {
    const r = await c.embeddings.create({ model: "text-embedding-3-small", input: "hi", encoding_format: "float", dimensions: 64 });
    return [typeof r.data[0].embedding[0], sumSquares(r.data[0].embedding)];
  },
  embeddingsBase64Decoded: async (c, k) => {
    // Unasked, the SDK fetches base64 and decodes it into floats.
    const r = await c.embeddings.create({ model: "text-embedding-3-small", input: "hi there" });
    return [(await k.lastSent("/embeddings")).body.encoding_format ?? null, sumSquares(r.data[0].embedding)];
  },
  moderationsText: async (c) => {
    const r = await c.moderations.create({ model: "omni-moderation-latest", input: "I want to kill them." });
    return [r.results[0].flagged, Object.keys(r.results[0].categories).sort().slice(0, 3)];
  },
  moderationsMultimodal: async (c) => {
    const r = await c.moderations.create({
      model: "omni-moderation-latest",
      input: [{ type: "text", text: "...text to classify goes here..." }, { type: "image_url", image_url: { url: "https://example.invalid/image.png" } }],
    });
    return r.results.length;
  },
  // --- images --------------------------------------------------------------------------------
  imagesGenerate: async (c) => {
    const r = await c.images.generate({ model: "gpt-image-1", prompt: "A cute baby sea otter", n: 2, size: "1024x1024" });
    return [r.data.length, Buffer.from(r.data[0].b64_json, "base64").subarray(1, 4).toString()];
  },
  imagesGenerateUrl: async (c) => {
    const r = await c.images.generate({ model: "dall-e-3", prompt: "A cute baby sea otter", response_format: "url" });
    return r.data[0].url;
  },
  imagesEditToFile: async (c, k) => {
    const image = await k.lib.toFile(Buffer.from("\x89PNG fake"), "otter.png", { type: "image/png" });
    const r = await c.images.edit({ model: "gpt-image-1", image, prompt: "Add a hat" });
    return [r.data.length, (await k.lastSent("/images/edits")).headers["content-type"].split(";")[0]];
  },
  imagesEditReadStream: async (c) => {
    const file = tmpFile("otter.png", "\x89PNG fake");
    const r = await c.images.edit({ model: "gpt-image-1", image: fs.createReadStream(file), prompt: "Add a hat" });
    return r.data.length;
  },
  imagesCreateVariation: async (c) => {
    const r = await c.images.createVariation({ image: new File([Buffer.from("\x89PNG fake")], "otter.png"), n: 1, size: "256x256" });
    return r.data.length;
  },
  // --- audio ---------------------------------------------------------------------------------
  audioSpeech: async (c) => {
    const r = await c.audio.speech.create({ model: "gpt-4o-mini-tts", voice: "alloy", input: "Hello world", instructions: "Speak cheerfully." });
    return [r.status, r.headers.get("content-type"), await bytes(r, 3)];
  },
  audioSpeechToFile: async (c) => {
    const r = await c.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hi" });
    const file = tmpFile("speech.mp3", "");
    await fs.promises.writeFile(file, Buffer.from(await r.arrayBuffer()));
    return fs.readFileSync(file).subarray(0, 3).toString();
  },
  audioSpeechBodyStream: async (c) => {
    const r = await c.audio.speech.create({ model: "tts-1", voice: "alloy", input: "Hi" });
    const chunks = [];
    for await (const chunk of r.body) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).subarray(0, 3).toString();
  },
  audioTranscriptionReadStream: async (c) => {
    const file = tmpFile("speech.mp3", "ID3 fake audio");
    const r = await c.audio.transcriptions.create({ model: "gpt-4o-transcribe", file: fs.createReadStream(file), language: "en" });
    return r.text;
  },
  audioTranscriptionText: async (c, k) => {
    const r = await c.audio.transcriptions.create({ model: "whisper-1", file: await k.lib.toFile(Buffer.from("ID3"), "a.mp3"), response_format: "text" });
    return r;
  },
  audioTranslation: async (c, k) => {
    const r = await c.audio.translations.create({ model: "whisper-1", file: await k.lib.toFile(Buffer.from("ID3"), "a.mp3") });
    return r.text;
  },
  // --- files and uploads ---------------------------------------------------------------------
  filesCreateReadStream: async (c) => {
    const f = await c.files.create({ file: fs.createReadStream(tmpFile("input.jsonl", JSONL)), purpose: "fine-tune" });
    return [f.object, f.filename, f.purpose, f.status];
  },
  filesCreateToFileAndFile: async (c, k) => {
    const a = await c.files.create({ file: await k.lib.toFile(Buffer.from(JSONL), "batch.jsonl"), purpose: "batch" });
    const b = await c.files.create({ file: new File([JSONL], "other.jsonl"), purpose: "batch", expires_after: { anchor: "created_at", seconds: 3600 } });
    return [a.filename, b.filename];
  },
  filesListAutoPaging: async (c, k) => {
    const got = [];
    for await (const f of c.files.list({ limit: 2 })) got.push(f.id);
    return [got, (await k.sent("/files")).map((r) => r.query)];
  },
  filesListPageByPage: async (c) => {
    let page = await c.files.list({ limit: 2, purpose: "batch", order: "desc" });
    const pages = [ids(page)];
    while (page.hasNextPage()) {
      page = await page.getNextPage();
      pages.push(ids(page));
    }
    return pages;
  },
  filesIterPages: async (c) => {
    const pages = [];
    for await (const page of (await c.files.list({ limit: 2 })).iterPages()) pages.push(ids(page));
    return pages;
  },
  filesRetrieveContentDelete: async (c) => {
    const f = await c.files.retrieve("file-abc");
    const content = await c.files.content("file-abc");
    const d = await c.files.delete("file-abc");
    return [f.id, content.status, (await content.text()).slice(0, 12), d.deleted];
  },
  filesWaitForProcessing: async (c) => {
    return (await c.files.waitForProcessing("file-abc", { pollInterval: 10 })).status;
  },
  uploadsParts: async (c) => {
    const up = await c.uploads.create({ bytes: JSONL.length, filename: "training.jsonl", mime_type: "text/jsonl", purpose: "fine-tune" });
    const part = await c.uploads.parts.create(up.id, { data: new File([JSONL], "part") });
    const done = await c.uploads.complete(up.id, { part_ids: [part.id] });
    const cancelled = await c.uploads.cancel(up.id);
    return [up.status, part.object, done.status, done.file.object, cancelled.status];
  },
  // --- batches, fine-tuning ------------------------------------------------------------------
  batches: async (c) => {
    const b = await c.batches.create({ input_file_id: "file-abc", endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { job: "nightly" } });
    const got = await c.batches.retrieve(b.id);
    const listed = await collect(c.batches.list({ limit: 10 }), (x) => x.id);
    return [b.status, got.id, listed, (await c.batches.cancel(b.id)).status];
  },
  fineTuningJobs: async (c) => {
    const job = await c.fineTuning.jobs.create({
      model: "gpt-4o-mini-2024-07-18",
      training_file: "file-abc",
      suffix: "otters",
      method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2 } } },
    });
    const got = await c.fineTuning.jobs.retrieve(job.id);
    const actions = [(await c.fineTuning.jobs.cancel(job.id)).status, (await c.fineTuning.jobs.pause(job.id)).status, (await c.fineTuning.jobs.resume(job.id)).status];
    return [job.status, got.id, actions];
  },
  fineTuningJobsListPagination: async (c) => {
    const page = await c.fineTuning.jobs.list({ limit: 1 });
    return [ids(page), page.hasNextPage(), await collect(c.fineTuning.jobs.list({ limit: 2 }), (j) => j.id)];
  },
  fineTuningEventsAndCheckpoints: async (c) => {
    const events = await collect(c.fineTuning.jobs.listEvents("ftjob-abc", { limit: 2 }), (e) => e.message);
    const ckpts = await collect(c.fineTuning.jobs.checkpoints.list("ftjob-abc"), (x) => [x.object, x.step_number]);
    return [events, ckpts];
  },
  fineTuningCheckpointPermissions: async (c, k) => {
    c = k.make({ adminAPIKey: "sk-admin-test" });
    const ckpt = "ft:gpt-4o-mini:org:custom:ckpt";
    const created = await collect(c.fineTuning.checkpoints.permissions.create(ckpt, { project_ids: ["proj_1"] }), (p) => p.project_id);
    const listed = await collect(c.fineTuning.checkpoints.permissions.list(ckpt), (p) => p.id);
    const deleted = await c.fineTuning.checkpoints.permissions.delete("cp_mock1", { fine_tuned_model_checkpoint: ckpt });
    return [created, listed, deleted.deleted];
  },
  fineTuningAlphaGraders: async (c) => {
    const grader = { type: "string_check", name: "match", input: "{{sample.output_text}}", reference: "{{item.answer}}", operation: "eq" };
    const run = await c.fineTuning.alpha.graders.run({ grader, model_sample: "yes", item: { answer: "yes" } });
    const valid = await c.fineTuning.alpha.graders.validate({ grader });
    return [run.reward, valid.grader.type];
  },
  // --- vector stores -------------------------------------------------------------------------
  vectorStoresCrud: async (c) => {
    const vs = await c.vectorStores.create({ name: "docs", file_ids: ["file-abc"], metadata: { team: "a" } });
    const got = await c.vectorStores.retrieve(vs.id);
    const updated = await c.vectorStores.update(vs.id, { name: "docs2" });
    const listed = await collect(c.vectorStores.list({ limit: 2 }), (v) => v.id);
    return [vs.status, got.file_counts.total, updated.name, listed, (await c.vectorStores.delete(vs.id)).deleted];
  },
  vectorStoresSearch: async (c) => {
    return collect(c.vectorStores.search("vs_abc", { query: "otters", max_num_results: 3 }), (r) => [r.filename, r.content[0].text]);
  },
  vectorStoreFiles: async (c) => {
    const f = await c.vectorStores.files.create("vs_abc", { file_id: "file-abc", attributes: { lang: "en" } });
    const got = await c.vectorStores.files.retrieve("file-abc", { vector_store_id: "vs_abc" });
    const updated = await c.vectorStores.files.update("file-abc", { vector_store_id: "vs_abc", attributes: { lang: "fr" } });
    const listed = await collect(c.vectorStores.files.list("vs_abc", { filter: "completed" }), (x) => x.id);
    const content = await collect(c.vectorStores.files.content("file-abc", { vector_store_id: "vs_abc" }), (p) => p.text);
    const deleted = await c.vectorStores.files.delete("file-abc", { vector_store_id: "vs_abc" });
    return [f.status, got.vector_store_id, updated.attributes, listed, content, deleted.deleted];
  },
  vectorStoreUploadAndPoll: async (c, k) => {
    const f = await c.vectorStores.files.uploadAndPoll("vs_abc", await k.lib.toFile(Buffer.from("# Notes"), "notes.md"), { pollIntervalMs: 10 });
    return [f.object, f.status];
  },
  vectorStoreFileBatches: async (c) => {
    const b = await c.vectorStores.fileBatches.create("vs_abc", { file_ids: ["file-1", "file-2"] });
    const got = await c.vectorStores.fileBatches.retrieve(b.id, { vector_store_id: "vs_abc" });
    const files = await collect(c.vectorStores.fileBatches.listFiles(b.id, { vector_store_id: "vs_abc" }), (x) => x.id);
    const cancelled = await c.vectorStores.fileBatches.cancel(b.id, { vector_store_id: "vs_abc" });
    const polled = await c.vectorStores.fileBatches.createAndPoll("vs_abc", { file_ids: ["file-1"] }, { pollIntervalMs: 10 });
    return [b.file_counts.total, got.status, files, cancelled.status, polled.status];
  },
  // --- conversations, containers, evals, videos, skills, realtime, webhooks -------------------
  conversations: async (c) => {
    const conv = await c.conversations.create({ metadata: { topic: "demo" }, items: [{ type: "message", role: "user", content: "Hello!" }] });
    const got = await c.conversations.retrieve(conv.id);
    const updated = await c.conversations.update(conv.id, { metadata: { topic: "project-x" } });
    const deleted = await c.conversations.delete(conv.id);
    return [conv.object, got.id, updated.metadata, deleted.deleted];
  },
  conversationItems: async (c) => {
    const added = await c.conversations.items.create("conv_abc", { items: [{ type: "message", role: "user", content: "Hi" }] });
    const item = await c.conversations.items.retrieve("msg_abc", { conversation_id: "conv_abc" });
    const listed = await collect(c.conversations.items.list("conv_abc", { limit: 2 }), (i) => i.id);
    const after = await c.conversations.items.delete("msg_abc", { conversation_id: "conv_abc" });
    return [added.data.map((i) => i.type), item.type, listed, after.object];
  },
  containers: async (c) => {
    const ct = await c.containers.create({ name: "sandbox", expires_after: { anchor: "last_active_at", minutes: 20 } });
    const got = await c.containers.retrieve(ct.id);
    const listed = await collect(c.containers.list({ limit: 2 }), (x) => x.id);
    await c.containers.delete(ct.id);
    return [ct.status, got.name, listed];
  },
  containerFiles: async (c, k) => {
    const f = await c.containers.files.create("cntr_abc", { file: await k.lib.toFile(Buffer.from("a,b\n1,2\n"), "data.csv") });
    const got = await c.containers.files.retrieve("cfile_abc", { container_id: "cntr_abc" });
    const listed = await collect(c.containers.files.list("cntr_abc"), (x) => x.id);
    const content = await c.containers.files.content.retrieve("cfile_abc", { container_id: "cntr_abc" });
    await c.containers.files.delete("cfile_abc", { container_id: "cntr_abc" });
    return [f.path, got.container_id, listed, await bytes(content)];
  },
  evals: async (c) => {
    const ev = await c.evals.create({
      name: "Sentiment",
      data_source_config: { type: "custom", item_schema: { type: "object" } },
      testing_criteria: [{ type: "string_check", name: "match", input: "{{sample.output_text}}", reference: "{{item.label}}", operation: "eq" }],
    });
    const got = await c.evals.retrieve(ev.id);
    const updated = await c.evals.update(ev.id, { name: "Sentiment v2" });
    const listed = await collect(c.evals.list({ limit: 2 }), (e) => e.id);
    return [ev.object, got.id, updated.name, listed, (await c.evals.delete(ev.id)).deleted];
  },
  evalRunsAndOutputItems: async (c) => {
    const run = await c.evals.runs.create("eval_abc", { name: "run", data_source: { type: "jsonl", source: { type: "file_id", id: "file-abc" } } });
    const got = await c.evals.runs.retrieve(run.id, { eval_id: "eval_abc" });
    const runs = await collect(c.evals.runs.list("eval_abc"), (r) => r.id);
    const cancelled = await c.evals.runs.cancel(run.id, { eval_id: "eval_abc" });
    const items = await collect(c.evals.runs.outputItems.list(run.id, { eval_id: "eval_abc" }), (i) => i.status);
    const item = await c.evals.runs.outputItems.retrieve("outputitem_abc", { eval_id: "eval_abc", run_id: run.id });
    await c.evals.runs.delete(run.id, { eval_id: "eval_abc" });
    return [got.status, runs, cancelled.status, items, item.object];
  },
  videos: async (c) => {
    const v = await c.videos.create({ model: "sora-2", prompt: "A calico cat playing a piano", seconds: "4", size: "720x1280" });
    const got = await c.videos.retrieve(v.id);
    const listed = await collect(c.videos.list({ limit: 2 }), (x) => x.id);
    const remix = await c.videos.remix(v.id, { prompt: "Make it jazz" });
    const content = await c.videos.downloadContent(v.id);
    const deleted = await c.videos.delete(v.id);
    return [v.status, got.progress, listed, remix.object, content.headers.get("content-type"), deleted.deleted];
  },
  skills: async (c) => {
    const got = await c.skills.retrieve("skill_abc");
    const listed = await collect(c.skills.list({ limit: 2 }), (s) => s.id);
    return [got.name, listed, (await c.skills.delete("skill_abc")).deleted];
  },
  realtimeClientSecret: async (c) => {
    const r = await c.realtime.clientSecrets.create({ session: { type: "realtime", model: "gpt-realtime" } });
    return [r.value, r.session.type];
  },
  webhooksUnwrap: async (c, k) => {
    const raw = Buffer.from("kestrel-webhook-secret");
    const client = k.make({ webhookSecret: "whsec_" + raw.toString("base64") });
    const body = JSON.stringify({ id: "evt_1", object: "event", type: "response.completed", created_at: 1, data: { id: "resp_1" } });
    const [id, ts] = ["msg_1", String(Math.floor(Date.now() / 1000))];
    const mac = crypto.createHmac("sha256", raw).update(`${id}.${ts}.${body}`).digest("base64");
    const headers = { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${mac}` };
    await client.webhooks.verifySignature(body, headers);
    const event = await client.webhooks.unwrap(body, headers);
    return [event.type, event.data.id];
  },
  // --- legacy completions, models, generic requests ------------------------------------------
  legacyCompletions: async (c) => {
    const r = await c.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test", max_tokens: 7, temperature: 0 });
    return [r.object, r.choices[0].text, r.usage.total_tokens > 0];
  },
  modelsListRetrieveDelete: async (c) => {
    const all = await collect(c.models.list(), (m) => m.id);
    const got = await c.models.retrieve(all[0]);
    const deleted = await c.models.delete("ft:gpt-4o-mini:org:custom:abc");
    return [all, got.id, got.object, deleted.deleted];
  },
  genericGetPost: async (c) => {
    const listed = await c.get("/models");
    const posted = await c.post("/embeddings", { body: { model: "text-embedding-3-small", input: "hi" } });
    return [listed.data.length, posted.object];
  },
  genericDelete: async (c) => {
    return c.delete("/files/file-abc");
  },
  passthroughWithResponse: async (c) => {
    const { data, response, request_id } = await c.files.list().withResponse();
    return [response.status, request_id.startsWith("req_"), data.data.map((f) => f.id)];
  },
  passthroughAsResponse: async (c) => {
    const response = await c.models.list().asResponse();
    return [response.status, (await response.json()).object];
  },
  passthroughRequestId: async (c) => {
    return (await c.embeddings.create({ model: "text-embedding-3-small", input: "hi" }))._request_id.startsWith("req_");
  },
});

// The Assistants API (beta; deprecated, still in api.md).
programs({
  betaAssistants: async (c) => {
    const a = await c.beta.assistants.create({ model: "gpt-4o", name: "Math Tutor", instructions: "You are a personal math tutor.", tools: [{ type: "code_interpreter" }] });
    const got = await c.beta.assistants.retrieve(a.id);
    const updated = await c.beta.assistants.update(a.id, { name: "Math Tutor 2" });
    const listed = await collect(c.beta.assistants.list({ limit: 2 }), (x) => x.id);
    const deleted = await c.beta.assistants.delete(a.id);
    return [a.object, got.model, updated.id, listed, deleted.object];
  },
  betaThreadsMessagesRuns: async (c) => {
    const thread = await c.beta.threads.create({ messages: [{ role: "user", content: "Solve 3x + 11 = 14" }] });
    const msg = await c.beta.threads.messages.create(thread.id, { role: "user", content: "Show your work." });
    const messages = await collect(c.beta.threads.messages.list(thread.id, { limit: 2 }), (m) => m.content[0].text.value);
    const run = await c.beta.threads.runs.createAndPoll(thread.id, { assistant_id: "asst_abc" }, { pollIntervalMs: 10 });
    const steps = await collect(c.beta.threads.runs.steps.list(run.id, { thread_id: thread.id }), (s) => s.type);
    const cancelled = await c.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    const both = await c.beta.threads.createAndRun({ assistant_id: "asst_abc", thread: { messages: [{ role: "user", content: "Hi" }] } });
    const deleted = await c.beta.threads.delete(thread.id);
    return [thread.object, msg.object, messages, run.status, steps, cancelled.status, both.object, deleted.deleted];
  },
});
