// The APIs Kestrel does not route (embeddings, images, files, ...), called through Kestrel
// and through openai-node against the same mock: the same answers, the same errors (as
// Kestrel's classes of the same name), every exchange counted in the usage ledger.

import assert from "node:assert/strict";
import { test } from "node:test";

import Official from "openai";
import OpenAI from "kestrel-router";
import { PROVIDER_KEYS, clientOptions, useMock } from "./_mock.mjs";

let mock;
useMock((m) => (mock = m));

const official = () => new Official({ apiKey: PROVIDER_KEYS.openai, baseURL: mock.baseURL("openai"), maxRetries: 0 });

test("embeddings answer as openai-node's and are counted", async () => {
  const c = new OpenAI(clientOptions(mock));
  const body = { model: "text-embedding-3-small", input: ["a kestrel hovers", "b"] };
  const ours = await c.embeddings.create(body);
  const theirs = await official().embeddings.create(body);
  assert.deepEqual(ours, theirs);
  const { data, response } = await c.embeddings.create(body).withResponse();
  assert.equal(data.data.length, 2);
  assert.equal(response.status, 200);
  const recs = c.usage.records().filter((r) => r.endpoint);
  assert.equal(recs.length, 2);
  assert.equal(recs[0].endpoint, "embeddings");
  assert.equal(recs[0].model, "text-embedding-3-small");
  assert.equal(recs[0].prompt_tokens, ours.usage.prompt_tokens);
  assert.equal(recs[0].tier, null);
  const sent = (await mock.requests()).find((r) => r.path.endsWith("/embeddings"));
  assert.equal(sent.headers.authorization, `Bearer ${PROVIDER_KEYS.openai}`);
});

test("errors are Kestrel's classes with openai-node's details", async () => {
  const c = new OpenAI(clientOptions(mock));
  const theirs = await official().images.generate({ model: "gpt-image-missing", prompt: "a kestrel" }).catch((e) => e);
  const ours = await c.images.generate({ model: "gpt-image-missing", prompt: "a kestrel" }).catch((e) => e);
  assert.ok(theirs instanceof Official.NotFoundError);
  assert.ok(ours instanceof OpenAI.NotFoundError, String(ours));
  assert.equal(ours.status, 404);
  assert.deepEqual(ours.error, theirs.error);
  assert.equal(ours.message, theirs.message);
  const rec = c.usage.records().at(-1);
  assert.deepEqual([rec.endpoint, rec.error, rec.attempts[0].status], ["images.generations", "not_found", 404]);
});

test("generic helpers, and unknown names stay undefined", async () => {
  const c = new OpenAI(clientOptions(mock));
  const raw = await c.post("/embeddings", { body: { model: "text-embedding-3-small", input: "hi" } });
  assert.equal(raw.object, "list");
  assert.equal(c.noSuchResource, undefined);
  assert.equal(c.then, undefined, "a client is not a thenable");
});

test("organization and project reach OpenAI as openai-node sends them", async () => {
  const c = new OpenAI(clientOptions(mock, { organization: "org-1", project: "proj-1" }));
  await c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], kestrel: { routing: false } });
  const [sent] = await mock.chatRequests();
  assert.equal(sent.headers["openai-organization"], "org-1");
  assert.equal(sent.headers["openai-project"], "proj-1");
});

test("fetch options cannot reach routed calls, and the caller is told once", async () => {
  const warnings = [];
  const listen = (w) => warnings.push(w);
  process.on("warning", listen);
  const counted = [];
  const fetch = (url, init) => {
    counted.push(String(url));
    return globalThis.fetch(url, init);
  };
  const c = new OpenAI(clientOptions(mock, { fetch, routing: false }));
  new OpenAI(clientOptions(mock, { fetchOptions: {} }));
  await new Promise((resolve) => setImmediate(resolve));
  process.off("warning", listen);
  assert.deepEqual(
    warnings.map((w) => w.code),
    ["KESTREL_HTTP_OPTIONS"],
  );
  assert.match(warnings[0].message, /^fetch configure the official client/);
  // The passed-through call goes through the caller's fetch; the routed one does not.
  await c.embeddings.create({ model: "text-embedding-3-small", input: "hi" });
  await c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
  assert.equal(counted.length, 1);
  assert.match(counted[0], /\/embeddings$/);
});
