// Azure clients against the mock's Azure routes (real HTTP on loopback): openai-node's
// constructor rules and errors, api-key vs Entra ID tokens (the provider called per
// request), routing between two deployments, embeddings through the official AzureOpenAI
// client, and the same program run with openai-node's AzureOpenAI.

import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";

import { AzureOpenAI as OfficialAzure } from "openai";
import { AzureOpenAI } from "kestrel-router";
import { Mock } from "./_mock.mjs";

const VERSION = "2024-10-21";
const KEY = "az-key";
const EASY = [{ role: "user", content: "What is 2+2?" }];
const HARD = [{ role: "user", content: "Prove rigorously that there are infinitely many primes, step by step." }];
const DEPLOYMENTS = { "gpt-4o": "big", "gpt-4o-mini": "mini" };
for (const v of ["AZURE_OPENAI_API_KEY", "OPENAI_API_VERSION", "AZURE_OPENAI_ENDPOINT", "OPENAI_BASE_URL"]) delete process.env[v];

let mock;
before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});
beforeEach(async () => {
  await mock.reset();
  await mock.script({ require_keys: { "/azure": KEY }, azure_deployments: { big: "gpt-4o", mini: "gpt-4o-mini" } });
});

const endpoint = () => `${mock.url}/azure/`;
const azure = (o = {}) =>
  new AzureOpenAI({ endpoint: endpoint(), apiVersion: VERSION, maxRetries: 0, ...(o.azureADTokenProvider ? {} : { apiKey: KEY }), ...o });
const chatPaths = async () => (await mock.chatRequests()).map((r) => r.path);

test("constructor errors are openai-node's", () => {
  const cases = [
    { endpoint: "https://r", apiKey: "k" },
    { endpoint: "https://r", apiVersion: VERSION },
    { endpoint: "https://r", apiVersion: VERSION, apiKey: "k", azureADTokenProvider: async () => "t" },
    { apiVersion: VERSION, apiKey: "k" },
    { apiVersion: VERSION, apiKey: "k", endpoint: "https://r", baseURL: "https://r/openai" },
  ];
  for (const c of cases) {
    let official;
    try {
      new OfficialAzure(c);
    } catch (e) {
      official = e;
    }
    assert.ok(official, JSON.stringify(c));
    assert.throws(
      () => new AzureOpenAI(c),
      (e) => e instanceof AzureOpenAI.OpenAIError && e.message === official.message,
      JSON.stringify(c),
    );
  }
});

test("the key goes as api-key, with the api-version query", async () => {
  const r = await azure().chat.completions.create({ model: "mini", messages: EASY });
  assert.equal(r.model, "gpt-4o-mini");
  const [sent] = await mock.chatRequests();
  assert.equal(sent.path, "/azure/openai/deployments/mini/chat/completions");
  assert.equal(sent.query, `api-version=${VERSION}`);
  assert.equal(sent.headers["api-key"], KEY);
  assert.equal(sent.headers.authorization, undefined);
});

test("the token provider is called per request", async () => {
  let n = 0;
  const c = azure({ azureADTokenProvider: async () => `tok-${++n}` });
  assert.equal(n, 0);
  await c.chat.completions.create({ model: "mini", messages: EASY });
  const s = await c.chat.completions.create({ model: "mini", messages: EASY, stream: true });
  for await (const _ of s);
  await c.responses.create({ model: "mini", input: "hi" });
  const auth = (await mock.chatRequests()).map((r) => r.headers.authorization);
  assert.deepEqual(auth, ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]);
});

test("routes between two deployments; a hard request stays", async () => {
  const c = azure({ deployments: DEPLOYMENTS });
  const easy = await c.chat.completions.create({ model: "big", messages: EASY });
  assert.equal(easy.kestrel.model, "mini");
  assert.equal(easy.kestrel.provider, "azure");
  const hard = await c.chat.completions.create({ model: "big", messages: HARD });
  assert.equal(hard.kestrel.model, "big");
  assert.deepEqual(await chatPaths(), [
    "/azure/openai/deployments/mini/chat/completions",
    "/azure/openai/deployments/big/chat/completions",
  ]);
  assert.deepEqual(c.usage.records().map((r) => r.model), ["mini", "big"]);
  // `deployment` pins the ceiling whatever `model` says.
  const pinned = azure({ deployments: DEPLOYMENTS, deployment: "big" });
  assert.equal((await pinned.chat.completions.create({ model: "x", messages: HARD })).kestrel.model, "big");
  // One deployment, no table: called as named, counted.
  const solo = azure({ deployment: "big" });
  assert.equal((await solo.chat.completions.create({ model: "gpt-4o", messages: EASY })).kestrel.model, "big");
  assert.equal(solo.usage.records().length, 1);
});

test("Azure's errors come back as openai-node's classes", async () => {
  await assert.rejects(azure({ apiKey: "wrong" }).chat.completions.create({ model: "mini", messages: EASY }), (e) => {
    return e instanceof AzureOpenAI.AuthenticationError && e.status === 401;
  });
  await assert.rejects(azure().chat.completions.create({ model: "nowhere", messages: EASY }), (e) => {
    return e instanceof AzureOpenAI.NotFoundError && e.error?.code === "DeploymentNotFound";
  });
});

test("embeddings go through the official AzureOpenAI client", async () => {
  const c = azure();
  const ours = await c.embeddings.create({ model: "mini", input: "a kestrel hovers" });
  const official = new OfficialAzure({ endpoint: endpoint(), apiVersion: VERSION, apiKey: KEY });
  const theirs = await official.embeddings.create({ model: "mini", input: "a kestrel hovers" });
  assert.deepEqual(ours.data[0].embedding, theirs.data[0].embedding);
  const sent = (await mock.requests()).filter((r) => r.path.endsWith("/embeddings"));
  assert.deepEqual(
    sent.map((r) => r.path),
    ["/azure/openai/deployments/mini/embeddings", "/azure/openai/deployments/mini/embeddings"],
  );
  assert.equal(sent[0].headers["api-key"], KEY);
  assert.deepEqual(c.usage.records().filter((r) => r.endpoint).map((r) => r.endpoint), ["embeddings"]);
});

/** A small program from openai-node's Azure docs: chat, a stream, embeddings. */
async function program(client) {
  const r = await client.chat.completions.create({ model: "mini", messages: EASY });
  let text = "";
  for await (const c of await client.chat.completions.create({ model: "mini", messages: EASY, stream: true })) {
    text += c.choices[0]?.delta?.content ?? "";
  }
  const e = await client.embeddings.create({ model: "mini", input: ["x", "y"] });
  return [r.object, r.choices[0].message.role, r.choices[0].finish_reason, r.model, text.length > 0, e.data.length];
}

test("the same program passes with openai-node's AzureOpenAI", async () => {
  for (const Cls of [AzureOpenAI, OfficialAzure]) {
    const client = new Cls({ endpoint: endpoint(), apiVersion: VERSION, apiKey: KEY, maxRetries: 0 });
    assert.deepEqual(await program(client), ["chat.completion", "assistant", "stop", "gpt-4o-mini", true, 2], Cls.name);
  }
});
