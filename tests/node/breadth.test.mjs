// The breadth suite: one small program per documented call or option of openai-node (its
// README and api.md), each run twice against the mock, with the official `openai` client and
// with `kestrel-router`'s, the program's text the same. Every program the official SDK runs
// must run with Kestrel and give the same result (the same value, or the same error class and
// status). Kestrel's client has `routing: false` so chat answers name the same model; routing
// is tested elsewhere. A program returns a plain digest of what it got; ids and timestamps
// the mock mints per request are left out.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import SDK, { toFile as sdkToFile } from "openai";
import OpenAI, { toFile as kestrelToFile } from "kestrel-router";
import { Mock, PROVIDER_KEYS } from "./_mock.mjs";

let mock;
before(async () => {
  mock = await Mock.start();
  await mock.script({ require_key: PROVIDER_KEYS.openai, listed: { "/openai": ["gpt-4o", "gpt-4o-mini"] } });
});
after(async () => {
  await mock?.stop();
});

const MESSAGES = [{ role: "user", content: "Say this is a test" }];
const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const collect = async (iterable, f = (x) => x) => {
  const out = [];
  for await (const x of iterable) out.push(f(x));
  return out;
};

/** Programs: `(client, make, toFile)` → a digest; `make(overrides)` builds another client. */
const PROGRAMS = {
  // --- chat ---------------------------------------------------------------------------------
  chatCreate: async (c) => {
    const r = await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
    return [r.object, r.choices[0].message.role, r.choices[0].message.content, r.choices[0].finish_reason];
  },
  chatCreateWithOptions: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "developer", content: "Talk like a pirate." }, ...MESSAGES],
      temperature: 0.2,
      max_completion_tokens: 50,
      seed: 7,
      stop: ["\n\n"],
      metadata: { app: "breadth" },
    });
    return [r.choices[0].message.content, r.usage.total_tokens > 0];
  },
  chatStream: async (c) => {
    const stream = await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, stream: true });
    return (await collect(stream, (ch) => ch.choices[0]?.delta?.content || "")).join("");
  },
  chatStreamUsage: async (c) => {
    const stream = await c.chat.completions.create({
      model: "gpt-4o",
      messages: MESSAGES,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    return [chunks.at(-1).choices, chunks.at(-1).usage.completion_tokens > 0];
  },
  chatTools: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [WEATHER],
    });
    const call = r.choices[0].message.tool_calls[0];
    return [r.choices[0].finish_reason, call.function.name, Object.keys(JSON.parse(call.function.arguments)).sort()];
  },
  chatJsonMode: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "A JSON object, please" }],
      response_format: { type: "json_object" },
    });
    return typeof JSON.parse(r.choices[0].message.content);
  },
  chatWithResponse: async (c) => {
    const { data, response } = await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }).withResponse();
    return [response.status, response.headers.get("content-type").split(";")[0], data.choices[0].message.content];
  },
  chatRequestId: async (c) => {
    const r = await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
    return typeof r._request_id === "string" && r._request_id.length > 0;
  },
  chatStreamHelper: async (c) => {
    const stream = c.chat.completions.stream({ model: "gpt-4o", messages: MESSAGES });
    const final = await stream.finalChatCompletion();
    return final.choices[0].message.content;
  },
  chatPerRequestOptions: async (c) => {
    const r = await c.chat.completions.create(
      { model: "gpt-4o", messages: MESSAGES },
      { timeout: 20_000, maxRetries: 1, headers: { "X-Trace": "t1" }, query: { q: "1" } },
    );
    return r.choices[0].message.content;
  },
  chatAbortSignal: async (c) => {
    const ac = new AbortController();
    ac.abort();
    await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }, { signal: ac.signal });
  },
  // --- errors -------------------------------------------------------------------------------
  errorBadRequest: async (c) => {
    await c.chat.completions.create({ model: "gpt-4o", messages: [] });
  },
  errorNotFoundModel: async (c) => {
    await c.images.generate({ model: "gpt-image-missing", prompt: "a kestrel" });
  },
  errorAuthenticationRouted: async (c, make) => {
    await make({ apiKey: "sk-wrong" }).chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  },
  errorAuthenticationPassthrough: async (c, make) => {
    await make({ apiKey: "sk-wrong" }).files.list();
  },
  errorConnection: async (c, make) => {
    await make({ baseURL: "http://127.0.0.1:9/v1" }).chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  },
  // --- the Responses API --------------------------------------------------------------------
  responsesCreate: async (c) => {
    const r = await c.responses.create({ model: "gpt-4o", input: "Today's news?", tools: [{ type: "web_search" }] });
    return [r.output.map((o) => o.type), r.output_text, r.usage.total_tokens];
  },
  // Routed by Kestrel (through chat) and answered natively by the mock for the SDK: the
  // texts differ by design, the shape must not.
  responsesCreateShape: async (c) => {
    const r = await c.responses.create({ model: "gpt-4o", instructions: "Be brief.", input: "Tell me a joke." });
    return [r.object, r.status, r.output.map((o) => o.type), r.output_text.length > 0, r.usage.total_tokens > 0];
  },
  responsesStreamHelperShape: async (c) => {
    const stream = c.responses.stream({ model: "gpt-4o", input: "Tell me a joke." });
    const kinds = new Set();
    for await (const e of stream) kinds.add(e.type);
    const final = await stream.finalResponse();
    return [[...kinds].filter((k) => k.startsWith("response.output_text")).sort(), final.status, final.output_text.length > 0];
  },
  responsesRetrieveDelete: async (c) => {
    const id = "resp_mock" + "2".repeat(44);
    const r = await c.responses.retrieve(id);
    const items = await collect(c.responses.inputItems.list(id), (i) => i.id);
    await c.responses.delete(id);
    return [r.id, r.status, items];
  },
  // --- the APIs Kestrel passes through ------------------------------------------------------
  embeddings: async (c) => {
    const r = await c.embeddings.create({ model: "text-embedding-3-small", input: ["The food was delicious", "and"] });
    return [r.data.map((d) => d.embedding.length), r.usage.prompt_tokens];
  },
  moderations: async (c) => {
    const r = await c.moderations.create({ model: "omni-moderation-latest", input: "I want to kill them." });
    return [r.results[0].flagged, Object.keys(r.results[0].categories).sort().slice(0, 3)];
  },
  imagesGenerate: async (c) => {
    const r = await c.images.generate({ model: "gpt-image-1", prompt: "A cute baby sea otter", n: 2 });
    return [r.data.length, r.data[0].b64_json.slice(0, 12)];
  },
  imagesEditUpload: async (c, make, toFile) => {
    const image = await toFile(Buffer.from("\x89PNG fake"), "otter.png", { type: "image/png" });
    const r = await c.images.edit({ model: "gpt-image-1", image, prompt: "Add a hat" });
    return r.data.length;
  },
  audioSpeechBytes: async (c) => {
    const r = await c.audio.speech.create({ model: "gpt-4o-mini-tts", voice: "alloy", input: "Hello world" });
    return [r.headers.get("content-type"), Buffer.from(await r.arrayBuffer()).subarray(0, 3).toString()];
  },
  audioTranscription: async (c, make, toFile) => {
    const file = await toFile(Buffer.from("ID3 fake audio"), "speech.mp3");
    const r = await c.audio.transcriptions.create({ model: "gpt-4o-transcribe", file });
    return r.text;
  },
  audioTranslation: async (c, make, toFile) => {
    const r = await c.audio.translations.create({ model: "whisper-1", file: await toFile(Buffer.from("ID3"), "a.mp3") });
    return r.text;
  },
  filesUploadAndRead: async (c, make, toFile) => {
    const f = await c.files.create({ file: await toFile(Buffer.from('{"custom_id": "r1"}\n'), "batch.jsonl"), purpose: "batch" });
    const content = await c.files.content(f.id);
    return [f.filename, f.purpose, (await content.text()).slice(0, 12)];
  },
  filesListAutoPaging: async (c) => {
    const ids = await collect(c.files.list(), (f) => f.id);
    const page = await c.files.list();
    return [ids, page.hasNextPage()];
  },
  filesRetrieveDelete: async (c) => {
    const f = await c.files.retrieve("file-abc");
    const d = await c.files.delete("file-abc");
    return [f.id, d.deleted];
  },
  batches: async (c) => {
    const b = await c.batches.create({ input_file_id: "file-abc", endpoint: "/v1/chat/completions", completion_window: "24h" });
    const listed = await collect(c.batches.list({ limit: 10 }), (x) => x.id);
    return [b.status, listed, (await c.batches.cancel(b.id)).status];
  },
  fineTuningJobs: async (c) => {
    const job = await c.fineTuning.jobs.create({ model: "gpt-4o-mini-2024-07-18", training_file: "file-abc" });
    const events = await collect(c.fineTuning.jobs.listEvents(job.id, { limit: 3 }), (e) => e.message);
    return [job.status, events];
  },
  vectorStores: async (c) => {
    const vs = await c.vectorStores.create({ name: "docs" });
    const listed = await collect(c.vectorStores.list(), (v) => v.name);
    return [vs.name, listed, (await c.vectorStores.delete(vs.id)).deleted];
  },
  legacyCompletions: async (c) => {
    const r = await c.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test", max_tokens: 7 });
    return r.choices[0].text;
  },
  modelsListRetrieve: async (c) => {
    const ids = await collect(c.models.list(), (m) => m.id);
    return [ids, (await c.models.retrieve(ids[0])).id];
  },
  genericGetPost: async (c) => {
    const listed = await c.get("/models");
    const posted = await c.post("/embeddings", { body: { model: "text-embedding-3-small", input: "hi" } });
    return [listed.data.length, posted.object];
  },
  passthroughWithResponse: async (c) => {
    const { data, response } = await c.files.list().withResponse();
    return [response.status, data.data.length];
  },
  clientSettings: async (c, make) => {
    const client = make({ organization: "org-1", project: "proj-1", defaultHeaders: { "X-App": "a" }, defaultQuery: { v: "1" }, timeout: 30_000 });
    const r = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
    return [r.choices[0].message.content, client.organization, client.project, client.maxRetries];
  },
};

/** The SDK's name for an error: the first class in its ancestry that openai-node exports. */
function sdkClass(e) {
  for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const name = p.constructor?.name;
    if (name && typeof SDK[name] === "function") return name;
  }
  return e?.constructor?.name;
}

async function digest(fn, client, make, toFile) {
  try {
    return ["ok", await fn(client, make, toFile)];
  } catch (e) {
    return ["error", [sdkClass(e), e?.status ?? null]];
  }
}

const base = () => ({ apiKey: PROVIDER_KEYS.openai, baseURL: mock.baseURL("openai"), maxRetries: 0 });
const LIBRARIES = {
  openai: { make: (o = {}) => new SDK({ ...base(), ...o }), toFile: sdkToFile },
  kestrel: { make: (o = {}) => new OpenAI({ ...base(), fromEnv: false, routing: false, ...o }), toFile: kestrelToFile },
};

const results = {};

describe("breadth: every program openai-node runs runs with Kestrel", () => {
  for (const [name, fn] of Object.entries(PROGRAMS)) {
    test(name, async () => {
      const runs = {};
      for (const [label, { make, toFile }] of Object.entries(LIBRARIES)) runs[label] = await digest(fn, make(), make, toFile);
      results[name] = runs;
      assert.deepEqual(runs.kestrel, runs.openai);
    });
  }
  test("summary", () => {
    const ran = Object.values(results);
    const withSdk = ran.filter((r) => r.openai[0] === "ok").length;
    const same = ran.filter((r) => JSON.stringify(r.kestrel) === JSON.stringify(r.openai)).length;
    console.log(`breadth (Node): programs ${Object.keys(PROGRAMS).length}, pass with openai ${withSdk}, same with kestrel ${same}`);
    assert.equal(same, Object.keys(PROGRAMS).length);
  });
});
