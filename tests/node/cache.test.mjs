// The cache (Stage 0) through the Node package: one option turns it on, hits cost nothing
// and skip the provider, streams replay, per-request switches, usage counters.

import assert from "node:assert/strict";
import { test } from "node:test";

import OpenAI from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

let mock;
useMock((m) => (mock = m));

const ask = (client, content, extra = {}) =>
  client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content }], ...extra });

test("off unless asked for", async () => {
  const client = new OpenAI(clientOptions(mock));
  await ask(client, "What is 2+2?");
  const r = await ask(client, "What is 2+2?");
  assert.equal(r.kestrel.cache_hit, false);
  assert.equal((await mock.chatRequests()).length, 2);
});

test("a repeat is free and a rewording hits the semantic layer", async () => {
  const client = new OpenAI(clientOptions(mock, { cache: true }));
  const first = await ask(client, "What is the capital of France?");
  assert.equal(first.kestrel.cache_hit, false);
  const again = await ask(client, "What is the capital of France?");
  assert.equal(again.kestrel.cache_hit, true);
  assert.equal(again.kestrel.cache_layer, "exact");
  assert.equal(again.kestrel.cost_usd, 0);
  assert.ok(again.kestrel.saved_usd > 0 && again.kestrel.saved_usd === again.kestrel.baseline_cost_usd);
  assert.deepEqual(again.choices, first.choices);
  assert.equal((await ask(client, "hey, what's the capital of france??")).kestrel.cache_layer, "semantic");
  assert.equal((await ask(client, "What is the capital of Spain?")).kestrel.cache_hit, false);
  assert.equal((await mock.chatRequests()).length, 2);
  const stats = client.usage.cache();
  assert.deepEqual([stats.exact_hits, stats.semantic_hits, stats.misses, stats.bypasses], [1, 1, 2, 0]);
  assert.equal(client.usage.routing().cache, 2);
  assert.deepEqual(client.usage.records().map((r) => r.cache), ["miss", "exact", "semantic", "miss"]);
});

test("a hit replays as a stream", async () => {
  const client = new OpenAI(clientOptions(mock, { cache: { ttl: 60, maxEntries: 100 } }));
  const text = (await ask(client, "Write a haiku about rain")).choices[0].message.content;
  const stream = await ask(client, "Write a haiku about rain", { stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const c of stream) chunks.push(c);
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  assert.equal(chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? "").join(""), text);
  assert.ok(chunks.at(-1).usage);
  assert.equal(chunks.at(-1).kestrel.cache_hit, true);
  assert.equal((await mock.chatRequests()).length, 1);
});

test("per-request switches, bypass rules, clearCache and typed errors", async () => {
  const client = new OpenAI(clientOptions(mock, { cache: { semantic: false } }));
  await ask(client, "Tell me a joke");
  assert.equal((await ask(client, "Tell me a joke", { kestrel: { cache: false } })).kestrel.cache_hit, false);
  assert.equal((await ask(client, "Tell me a joke", { kestrel: { cache: "refresh" } })).kestrel.cache_hit, false);
  assert.equal((await ask(client, "Tell me a joke")).kestrel.cache_hit, true);
  assert.equal((await ask(client, "Tell me a joke", { temperature: 1.8 })).kestrel.cache_hit, false);
  assert.equal(client.usage.cache().bypasses, 2);
  await client.clearCache();
  assert.equal((await ask(client, "Tell me a joke")).kestrel.cache_hit, false);
  assert.throws(() => new OpenAI(clientOptions(mock, { cache: { treshold: 0.9 } })), (e) => /treshold/.test(e.message));
});

test("the pair model refuses swapped roles and keeps courtesy hits (camelCase options)", async () => {
  // Both local models, as scripts/test.sh installs and names them.
  const embeddingPath = process.env.KESTREL_EMBED_MODEL_DIR;
  const pairModelPath = process.env.KESTREL_PAIR_MODEL_DIR;
  assert.ok(embeddingPath && pairModelPath, "run through scripts/test.sh, which installs both models");
  const stored = "Can my tenant sublet my flat without asking?";
  const swapped = "Can I sublet my tenant's flat without asking?";
  const plain = new OpenAI(clientOptions(mock, { cache: { embeddingPath } }));
  await ask(plain, stored);
  assert.equal((await ask(plain, swapped)).kestrel.cache_layer, "semantic", "the case the pair model is for");

  const checked = new OpenAI(clientOptions(mock, { cache: { embeddingPath, pairModelPath, pairThreshold: 0.25 } }));
  await ask(checked, stored);
  assert.equal((await ask(checked, swapped)).kestrel.cache_hit, false);
  assert.equal((await ask(checked, "Hi! can my tenant sublet my flat without asking?? Thanks")).kestrel.cache_layer, "semantic");
  assert.throws(
    () => new OpenAI(clientOptions(mock, { cache: { embeddingPath, pairModelPath, pairThreshold: 2 } })),
    (e) => /pair_threshold|pairThreshold/.test(e.message),
  );
});
