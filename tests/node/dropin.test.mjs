// `import OpenAI from "kestrel-router"` is a drop-in for ordinary openai-node code.
//
// dropin_app.mjs is plain openai-node code. It runs twice against the mock provider: once
// as written (`import OpenAI from "openai"`) and once with only that import replaced by
// `import OpenAI from "kestrel-router"`. Both runs must succeed and produce the same shapes; the
// values differ only where Kestrel routed to another model (the mock echoes its name).

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { Mock, REPO } from "./_mock.mjs";

const IMPORT_LINE = 'import OpenAI from "openai";\n';
const apps = {};
let mock;

before(async () => {
  mock = await Mock.start();
  // Only OpenAI is configured, through the environment, as in production.
  for (const name of Object.keys(process.env)) {
    if (name.endsWith("_API_KEY") || name.endsWith("_BASE_URL") || name === "CO_API_URL") delete process.env[name];
  }
  process.env.OPENAI_API_KEY = "sk-test";
  process.env.OPENAI_BASE_URL = mock.baseURL("openai");
  const source = readFileSync(new URL("./dropin_app.mjs", import.meta.url), "utf8");
  assert.equal(source.split(IMPORT_LINE).length, 2, "the app imports openai exactly once");
  // Inside the repository, so `import ... from "kestrel-router"` resolves to this package.
  const dir = path.join(REPO, "target", "node-dropin");
  mkdirSync(dir, { recursive: true });
  const openaiApp = path.join(dir, "app_openai.mjs");
  const kestrelApp = path.join(dir, "app_kestrel.mjs");
  writeFileSync(openaiApp, source);
  writeFileSync(kestrelApp, source.replace(IMPORT_LINE, 'import OpenAI from "kestrel-router";\n'));
  apps.openai = await import(pathToFileURL(openaiApp).href);
  apps.kestrel = await import(pathToFileURL(kestrelApp).href);
});

after(async () => {
  await mock?.stop();
});

beforeEach(async () => {
  await mock.reset();
});

/** The structure of JSON-like data: keys and value types, list items merged. */
function shape(value) {
  if (Array.isArray(value)) {
    let merged;
    for (const item of value) merged = merged === undefined ? shape(item) : merge(merged, shape(item));
    return value.length ? [merged] : [];
  }
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = shape(value[k]);
    return out;
  }
  return value === null ? "null" : typeof value;
}

function merge(a, b) {
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a)) {
    const out = {};
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      out[k] = k in a && k in b ? merge(a[k], b[k]) : (a[k] ?? b[k]);
    }
    return out;
  }
  return a;
}

/** What a response carried, without Kestrel's metadata and without nulls (an explicit
 * `null` and an absent field read the same in JS code that checks `?? ` or truthiness). */
function data(obj) {
  return JSON.parse(JSON.stringify(obj, (k, v) => (k === "kestrel" || v === null ? undefined : v)));
}

const normalize = (text, model) => text.replaceAll(model, "MODEL");

describe("only the import changed", () => {
  test("plain completion", async () => {
    const a = await apps.openai.plain();
    const b = await apps.kestrel.plain();
    assert.deepEqual(shape(data(b)), shape(data(a)));
    assert.equal(normalize(b.choices[0].message.content, b.model), normalize(a.choices[0].message.content, a.model));
    assert.equal(b.kestrel.requested_model, "gpt-4o-mini");
    assert.equal(a.kestrel, undefined);
    for (const key of ["id", "object", "created", "system_fingerprint"]) assert.equal(typeof b[key], typeof a[key], key);
  });

  test("streaming", async () => {
    const a = await apps.openai.streaming();
    const b = await apps.kestrel.streaming();
    assert.equal(b.length, a.length);
    assert.deepEqual(b.map((c) => shape(data(c))), a.map((c) => shape(data(c))));
    const text = (chunks) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(normalize(text(b), b[0].model), normalize(text(a), a[0].model));
    assert.ok(b.at(-1).kestrel);
  });

  test("streaming with usage", async () => {
    const a = await apps.openai.streamingWithUsage();
    const b = await apps.kestrel.streamingWithUsage();
    assert.deepEqual(b.map((c) => shape(data(c))), a.map((c) => shape(data(c))));
    assert.deepEqual(a.at(-1).choices, []);
    assert.deepEqual(b.at(-1).choices, []);
    assert.ok(a.at(-1).usage.total_tokens > 0 && b.at(-1).usage.total_tokens > 0);
  });

  test("stream.controller.abort() ends the loop", async () => {
    await mock.script({ default: { text: "word ".repeat(200), chunk_delay_ms: 10 } });
    const a = await apps.openai.abortStream();
    const b = await apps.kestrel.abortStream();
    assert.equal(a.length, 2);
    assert.equal(b.length, 2);
  });

  test("an AbortSignal rejects the call with APIUserAbortError", async () => {
    await mock.script({ default: { latency_ms: 3000 } });
    const a = await apps.openai.abortCall();
    const b = await apps.kestrel.abortCall();
    assert.equal(a, "aborted: Request was aborted.");
    assert.equal(b, a);
  });

  test("tools", async () => {
    const [a1, a2] = await apps.openai.tools();
    const [b1, b2] = await apps.kestrel.tools();
    assert.deepEqual(shape(data(b1)), shape(data(a1)));
    assert.deepEqual(shape(data(b2)), shape(data(a2)));
    const ca = a1.choices[0].message.tool_calls[0];
    const cb = b1.choices[0].message.tool_calls[0];
    assert.deepEqual([cb.type, cb.function.name, JSON.parse(cb.function.arguments)], [ca.type, ca.function.name, JSON.parse(ca.function.arguments)]);
    assert.match(a2.choices[0].message.content, /18 degrees celsius/);
    assert.match(b2.choices[0].message.content, /18 degrees celsius/);
  });

  test("JSON mode", async () => {
    const [ra, da] = await apps.openai.jsonMode();
    const [rb, db] = await apps.kestrel.jsonMode();
    assert.deepEqual(shape(data(rb)), shape(data(ra)));
    assert.deepEqual(shape(db), shape(da));
  });

  test("JSON schema", async () => {
    assert.deepEqual(await apps.openai.jsonSchema(), { name: "example", age: 1 });
    assert.deepEqual(await apps.kestrel.jsonSchema(), { name: "example", age: 1 });
  });

  test("structured outputs with parse() and zodResponseFormat", async () => {
    const expected = { name: "example", date: "example", participants: ["example"] };
    assert.deepEqual(await apps.openai.structured(), expected);
    assert.deepEqual(await apps.kestrel.structured(), expected);
  });

  for (const status of [429, 401, 404, 500]) {
    test(`error ${status}`, async () => {
      await mock.script({ default: { status } });
      const a = await apps.openai.errors();
      const b = await apps.kestrel.errors();
      // The 404 message names the model that was called: the routed one for Kestrel.
      const unnamed = (r) => r.map((v) => (typeof v === "string" ? v.replace(/`[^`]*`/g, "`MODEL`") : v));
      assert.deepEqual(unnamed(b), unnamed(a));
      assert.equal(a[1], status);
    });
  }

  test("concurrent calls", async () => {
    const a = await apps.openai.concurrent();
    const b = await apps.kestrel.concurrent();
    assert.equal(b.length, 10);
    assert.deepEqual(
      b.map((t, i) => t.endsWith(`you said "n${i}".`)),
      a.map((t, i) => t.endsWith(`you said "n${i}".`)),
    );
  });
});
