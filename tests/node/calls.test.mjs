// Every call shape of the Node client against the mock: plain, tools, JSON, unknown params,
// per-request options and routing metadata, usage views, models, route, keys, module forms.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, test } from "node:test";

import OpenAI, * as named from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

const require = createRequire(import.meta.url);
const ask = (content = "What is 2+2?") => [{ role: "user", content }];
let mock;

useMock((m) => (mock = m));

const client = (overrides) => new OpenAI(clientOptions(mock, overrides));

describe("module forms", () => {
  test("ESM default, named and static exports are the same classes", () => {
    assert.equal(named.OpenAI, OpenAI);
    assert.equal(named.default, OpenAI);
    for (const name of ["APIError", "APIConnectionError", "APIConnectionTimeoutError", "APIUserAbortError", "BadRequestError",
      "AuthenticationError", "PermissionDeniedError", "NotFoundError", "RateLimitError", "InternalServerError", "Stream"]) {
      assert.equal(typeof named[name], "function", name);
      assert.equal(OpenAI[name], named[name], name);
    }
    assert.ok(new named.RateLimitError(429, undefined, "x", undefined) instanceof named.APIError);
    assert.match(named.version, /^\d+\.\d+\.\d+/);
  });

  test("CommonJS require gives the same classes", () => {
    const cjs = require("kestrel-router");
    assert.equal(cjs, OpenAI);
    assert.equal(cjs.OpenAI, OpenAI);
    assert.equal(cjs.default, OpenAI);
    assert.equal(cjs.RateLimitError, named.RateLimitError);
  });
});

describe("chat.completions.create", () => {
  test("a plain object shaped like OpenAI's, plus kestrel metadata", async () => {
    const r = await client().chat.completions.create({ model: "gpt-4o", messages: ask() });
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.equal(r.object, "chat.completion");
    assert.equal(r.choices[0].message.role, "assistant");
    assert.match(r.choices[0].message.content, /^Mock answer from /);
    assert.equal(r.choices[0].finish_reason, "stop");
    assert.ok(r.usage.total_tokens > 0);
    // Routed: a simple question goes to a cheaper model than the requested ceiling.
    assert.equal(r.kestrel.requested_model, "gpt-4o");
    assert.notEqual(r.kestrel.model, "gpt-4o");
    assert.equal(r.model, r.kestrel.model);
    assert.equal(r.kestrel.tier, "economy");
    assert.ok(r.kestrel.saved_usd > 0);
  });

  test("routing off sends the request to the model it names", async () => {
    const r = await client({ routing: false }).chat.completions.create({ model: "gpt-4o", messages: ask() });
    assert.equal(r.model, "gpt-4o");
    const [req] = await mock.chatRequests();
    assert.equal(req.path, "/openai/v1/chat/completions");
    assert.equal(req.body.model, "gpt-4o");
  });

  test("per-request headers and query, over defaultQuery, reach the provider", async () => {
    const c = client({ routing: false, defaultQuery: { team: "search" } });
    await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { headers: { "X-Trace": "1", "X-Skip": null }, query: { q: 1, flag: true } });
    await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() });
    const [first, second] = await mock.chatRequests();
    assert.equal(first.headers["x-trace"], "1");
    assert.equal(first.headers["x-skip"], undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(first.query)), { team: "search", q: "1", flag: "true" });
    assert.equal(second.query, "team=search"); // the client's defaultQuery on every call
  });

  test("per-request kestrel options and unknown params pass through", async () => {
    const r = await client().chat.completions.create({
      model: "gpt-4o",
      messages: ask(),
      kestrel: { routing: false },
      temperature: 0.2,
      seed: 7,
      some_new_param: { nested: [1, 2] },
    });
    assert.equal(r.model, "gpt-4o");
    const [req] = await mock.chatRequests();
    assert.equal(req.body.temperature, 0.2);
    assert.equal(req.body.seed, 7);
    assert.deepEqual(req.body.some_new_param, { nested: [1, 2] });
    assert.equal(req.body.kestrel, undefined, "Kestrel's own options are not sent to the provider");
  });

  test("tools: a tool call, then the answer to the tool result", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
    const c = client({ routing: false });
    const messages = [{ role: "user", content: "Weather in Paris?" }];
    const first = await c.chat.completions.create({ model: "gpt-4o-mini", messages, tools });
    const call = first.choices[0].message.tool_calls[0];
    assert.equal(first.choices[0].finish_reason, "tool_calls");
    assert.equal(call.function.name, "get_weather");
    messages.push(first.choices[0].message, { role: "tool", tool_call_id: call.id, content: "18C and sunny" });
    const second = await c.chat.completions.create({ model: "gpt-4o-mini", messages, tools });
    assert.match(second.choices[0].message.content, /18C and sunny/);
  });

  test("JSON mode and JSON schema", async () => {
    const c = client();
    const j = await c.chat.completions.create({ model: "gpt-4o", messages: ask("Give JSON"), response_format: { type: "json_object" } });
    assert.equal(typeof JSON.parse(j.choices[0].message.content), "object");
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
    const s = await c.chat.completions.create({
      model: "gpt-4o",
      messages: ask("Extract"),
      response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } },
    });
    assert.deepEqual(JSON.parse(s.choices[0].message.content), { n: 1 });
  });

  test("parse() fills message.parsed and strict tool arguments", async () => {
    const c = client({ routing: false });
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"], additionalProperties: false };
    const r = await c.chat.completions.parse({
      model: "gpt-4o-mini",
      messages: ask("Extract"),
      response_format: { type: "json_schema", json_schema: { name: "x", schema, strict: true } },
    });
    assert.deepEqual(r.choices[0].message.parsed, { n: 1 });
    const tools = [{ type: "function", function: { name: "get_weather", strict: true, parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false } } }];
    const t = await c.chat.completions.parse({ model: "gpt-4o-mini", messages: ask("Weather?"), tools });
    const call = t.choices[0].message.tool_calls[0];
    assert.deepEqual(call.function.parsed_arguments, JSON.parse(call.function.arguments));
    assert.equal(t.choices[0].message.parsed, null);
    const loose = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    await assert.rejects(c.chat.completions.parse({ model: "gpt-4o-mini", messages: ask(), tools: loose }), /strict: true/);
    await mock.script({ default: { finish_reason: "length" } });
    await assert.rejects(c.chat.completions.parse({ model: "gpt-4o-mini", messages: ask() }), OpenAI.LengthFinishReasonError);
  });

  test("image input, system and developer messages", async () => {
    const r = await client().chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "developer", content: "Be brief." },
        { role: "system", content: "You see images." },
        { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] },
      ],
    });
    assert.equal(r.object, "chat.completion");
    const [req] = await mock.chatRequests();
    assert.equal(req.body.messages[2].content[1].type, "image_url");
  });

  test("a client timeout and retries become the core's seconds", async () => {
    const { config, callOptions } = require("../../bindings-node/js/client.js");
    const options = { timeout: 1500, maxRetries: 3, apiKey: "k", baseURL: "http://x", providerKeys: { groq: "g" }, tierFloor: "Standard" };
    const cfg = config(options);
    // Key case and units only: the core takes the SDK's names and checks them.
    assert.equal(cfg.timeout, 1.5);
    assert.equal(cfg.max_retries, 3);
    assert.deepEqual(
      { key: cfg.api_key, keys: cfg.provider_keys, url: cfg.base_url, floor: cfg.tier_floor },
      { key: "k", keys: { groq: "g" }, url: "http://x", floor: "Standard" },
    );
    assert.equal(cfg.cache, undefined, "the cache is only configured when asked for");
    const built = new OpenAI({ ...options, fromEnv: false });
    assert.equal(built.route({ model: "gpt-4o", messages: ask() }).tier, "standard", "the core applied the floor");
    assert.deepEqual(JSON.parse(callOptions({ timeout: 250, maxRetries: 0 })), { timeout: 0.25, max_retries: 0 });
    assert.equal(callOptions({ signal: new AbortController().signal }), undefined);
  });

  test("cache options are forwarded as the core's snake_case", () => {
    const { config } = require("../../bindings-node/js/client.js");
    assert.equal(config({ cache: true }).cache, true);
    assert.deepEqual(config({ cache: { semantic: true, maxEntries: 10, redisUrl: "redis://x", ttl: 60 } }).cache, {
      semantic: true,
      max_entries: 10,
      redis_url: "redis://x",
      ttl: 60,
    });
  });

  test("a per-call timeout applies to that call only", async () => {
    await mock.script({ default: { latency_ms: 400 } });
    const c = client({ routing: false });
    await assert.rejects(
      c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { timeout: 50 }),
      OpenAI.APIConnectionTimeoutError,
    );
    const ok = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() });
    assert.equal(ok.object, "chat.completion");
  });

  test("a withOptions timeout still applies when a call passes only a signal", async () => {
    await mock.script({ default: { latency_ms: 400 } });
    const c = client({ routing: false }).withOptions({ timeout: 50 });
    const signal = new AbortController().signal;
    await assert.rejects(
      c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { signal }),
      OpenAI.APIConnectionTimeoutError,
    );
    // A per-call maxRetries keeps the copy's timeout.
    await assert.rejects(
      c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { maxRetries: 0 }),
      OpenAI.APIConnectionTimeoutError,
    );
  });

  test("withOptions shares the usage ledger", async () => {
    const c = client();
    const copy = c.withOptions({ timeout: 5000 });
    assert.equal(copy.timeout, 5000);
    await copy.chat.completions.create({ model: "gpt-4o", messages: ask() });
    assert.equal(c.usage.savings().requests, 1);
  });

  test("bad option values are configuration errors", () => {
    assert.throws(() => client({ timeout: -1 }), OpenAI.ConfigurationError);
    assert.throws(() => client({ tierFloor: "gold" }), /tierFloor/);
    assert.throws(() => new OpenAI({ fromEnv: false, providers: [{ nonsense: true }] }), OpenAI.ConfigurationError);
  });
});

describe("usage, models, route, keys", () => {
  test("usage views count what happened", async () => {
    const c = client({ tenant: "acme" });
    await c.chat.completions.create({ model: "gpt-4o", messages: ask() });
    await c.chat.completions.create({ model: "gpt-4o", messages: ask("hello") });
    const s = c.usage.savings();
    assert.equal(s.requests, 2);
    assert.ok(s.baseline_cost_usd > s.actual_cost_usd);
    assert.ok(s.savings_pct > 0);
    assert.equal(c.usage.routing().economy, 2);
    const analytics = c.usage.analytics();
    assert.equal(analytics.reduce((n, m) => n + m.requests, 0), 2);
    const records = c.usage.records();
    assert.equal(records.length, 2);
    assert.equal(records[0].tenant, "acme");
    assert.equal(records[0].requested_model, "gpt-4o");
    assert.equal(c.usage.records({ limit: 1 }).length, 1);
    assert.deepEqual(c.usage.tenants(), ["acme"]);
    assert.equal(c.usage.savings("nobody").requests, 0);
    const providers = c.usage.providers();
    assert.ok(providers.some((p) => p.successes === 2));
  });

  test("exportCsv writes one row per record", async () => {
    const c = client();
    await c.chat.completions.create({ model: "gpt-4o", messages: ask() });
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kestrel-node-")), "usage.csv");
    await c.usage.exportCsv(file);
    const lines = readFileSync(file, "utf8").trim().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], /requested_model/);
    await assert.rejects(c.usage.exportCsv(path.join(file, "not-a-dir", "x.csv")), OpenAI.ConfigurationError);
  });

  test("client.kestrel lists the catalog models the keys reach", () => {
    const c = client();
    const models = c.kestrel.models();
    const ids = models.map((m) => m.id);
    assert.ok(ids.includes("gpt-4o"));
    assert.ok(models.every((m) => m.object === "model" && typeof m.owned_by === "string"));
    assert.ok(!models.some((m) => m.provider === "anthropic"), "no Anthropic key, no Anthropic models");
    assert.equal(c.kestrel.model("gpt-4o").tier, "premium");
    assert.equal(c.kestrel.model("gpt-4o-2024-08-06").id, "gpt-4o"); // aliases resolve
    assert.throws(() => c.kestrel.model("no-such-model"), OpenAI.NotFoundError);
  });

  test("openai-node's resource classes hang off the class, as the types say", () => {
    const official = require("openai").OpenAI;
    for (const name of ["Chat", "Embeddings", "Models", "Responses"]) assert.equal(OpenAI[name], official[name]);
  });

  test("models.list and retrieve ask the server, as openai-node does", async () => {
    await mock.script({ models: { "gpt-4o": {}, "openai/gpt-oss-20b": {} } });
    const c = client();
    const page = await c.models.list();
    assert.deepEqual(page.data.map((m) => m.id), ["gpt-4o", "openai/gpt-oss-20b"]);
    const direct = [];
    for await (const m of c.models.list()) direct.push(m.id); // openai-node's PagePromise form
    assert.deepEqual(direct, ["gpt-4o", "openai/gpt-oss-20b"]);
    const got = await c.models.retrieve("openai/gpt-oss-20b");
    assert.deepEqual([got.id, got.owned_by], ["openai/gpt-oss-20b", "kestrel-mock"]);
    const err = await c.models.retrieve("gpt-3").catch((e) => e);
    assert.ok(err instanceof OpenAI.NotFoundError);
    assert.equal(err.status, 404);
    assert.equal(err.error?.code ?? err.code, "model_not_found");
    const paths = (await mock.requests()).map((r) => r.path).slice(-4);
    assert.deepEqual(paths, ["/openai/v1/models", "/openai/v1/models", "/openai/v1/models/openai%2Fgpt-oss-20b", "/openai/v1/models/gpt-3"]);
    assert.ok((await c.usage.records()).some((r) => r.endpoint === "models"));
  });

  test("route() explains the decision without calling anyone", async () => {
    const d = client().route({ model: "gpt-4o", messages: ask() });
    assert.equal(d.requested_model, "gpt-4o");
    assert.equal(d.tier, "economy");
    assert.ok(d.plan.length >= 1);
    assert.equal((await mock.chatRequests()).length, 0);
  });

  test("health and key rotation", async () => {
    const c = client({ routing: false });
    const openai = c.health().find((h) => h.provider === "openai");
    assert.equal(openai.configured, true);
    assert.equal(openai.state, "closed");
    c.setApiKey("openai", "sk-wrong");
    await mock.script({ require_key: "sk-test" });
    await assert.rejects(c.chat.completions.create({ model: "gpt-4o", messages: ask() }), OpenAI.AuthenticationError);
    c.setApiKey("openai", "sk-test");
    const r = await c.chat.completions.create({ model: "gpt-4o", messages: ask() });
    assert.equal(r.object, "chat.completion");
    c.setApiKey("openai", null);
    assert.equal(c.health().find((h) => h.provider === "openai").configured, false);
  });

  test("the API key never shows in inspect output or errors", async () => {
    const { inspect } = await import("node:util");
    const c = client({ apiKey: "sk-very-secret-1234" });
    assert.doesNotMatch(inspect(c), /sk-very-secret/);
    assert.doesNotMatch(JSON.stringify(c), /sk-very-secret/);
    await mock.script({ require_key: "sk-other" });
    const err = await c.chat.completions.create({ model: "gpt-4o", messages: ask() }, { maxRetries: 0 }).catch((e) => e);
    assert.ok(err instanceof OpenAI.AuthenticationError);
    assert.doesNotMatch(`${err.message} ${JSON.stringify(err.error)} ${err.stack}`, /sk-very-secret/);
  });

  test("keys come from process.env by default", async () => {
    const saved = { ...process.env };
    try {
      for (const name of Object.keys(process.env)) if (name.endsWith("_API_KEY") || name.endsWith("_BASE_URL")) delete process.env[name];
      process.env.OPENAI_API_KEY = "sk-test";
      process.env.OPENAI_BASE_URL = mock.baseURL("openai");
      const c = new OpenAI({ maxRetries: 0 });
      const r = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() });
      assert.equal(r.object, "chat.completion");
      const [req] = await mock.chatRequests();
      assert.equal(req.headers.authorization, "Bearer sk-test");
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });
});

test("index.d.mts carries the same declarations as index.d.ts", () => {
  const dir = path.join(path.dirname(require.resolve("kestrel-router")));
  const cjs = readFileSync(path.join(dir, "index.d.ts"), "utf8");
  const esm = readFileSync(path.join(dir, "index.d.mts"), "utf8");
  assert.equal(esm.slice(esm.indexOf("\n") + 1), cjs, "run `npm run build` to regenerate index.d.mts");
});
