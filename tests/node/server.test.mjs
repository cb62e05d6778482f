// `kestrel serve` driven by the official `openai` package: only baseURL and apiKey change.
// The server is the `kestrel` binary ($KESTREL_BIN, default <repo>/target/debug/kestrel) in
// front of kestrel-mock, on loopback, with a fresh SQLite file.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";

import OpenAI from "openai";

import { Mock, REPO } from "./_mock.mjs";

const KESTREL_BIN = process.env.KESTREL_BIN ?? path.join(REPO, "target", "debug", "kestrel");
const ADMIN = "admin-node-test";

let mock;
let server;
let url;
let dir;

async function startServer() {
  if (!existsSync(KESTREL_BIN)) throw new Error(`kestrel binary not found at ${KESTREL_BIN}: run \`cargo build -p kestrel-cli\``);
  const env = { ...process.env, KESTREL_ADMIN_TOKEN: ADMIN, KESTREL_MASTER_KEY: "33".repeat(32) };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  const args = ["serve", "--listen", "127.0.0.1:0", "--db", path.join(dir, "kestrel.db"), "--max-retries", "0",
    "--base-url", `openai=${mock.baseURL("openai")}`];
  const proc = spawn(KESTREL_BIN, args, { stdio: ["ignore", "pipe", "ignore"], env });
  const lines = createInterface({ input: proc.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once("line", resolve);
    proc.once("exit", (code) => reject(new Error(`kestrel serve exited with ${code}`)));
  });
  lines.close();
  const m = /^kestrel serve listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
  if (!m) {
    proc.kill();
    throw new Error(`unexpected first line from kestrel serve: ${JSON.stringify(first)}`);
  }
  return [proc, m[1]];
}

async function admin(method, route, body) {
  const r = await fetch(url + route, {
    method,
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return [r.status, await r.json()];
}

async function createKey(tenant) {
  const [status, body] = await admin("POST", "/admin/keys", { tenant, providers: { openai: "sk-test" } });
  assert.equal(status, 201);
  return body;
}

async function dashboard(key, route) {
  const r = await fetch(url + route, { headers: { authorization: `Bearer ${key}` } });
  return r.json();
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "kestrel-serve-"));
  mock = await Mock.start();
  [server, url] = await startServer();
});

after(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  await mock.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("kestrel serve with openai-node", () => {
  test("plain completion and models, with only baseURL and apiKey changed", async () => {
    const { key } = await createKey("node-plain");
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key });
    const r = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "What is 2+2?" }] });
    assert.match(r.choices[0].message.content, /2\+2/);
    assert.equal(r.kestrel.requested_model, "gpt-4o");
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.ok(models.includes("gpt-4o"));
  });

  test("streaming", async () => {
    const { key } = await createKey("node-stream");
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key });
    const stream = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Tell me about kestrels." }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage ?? usage;
    }
    assert.match(text, /kestrels/);
    assert.ok(usage.total_tokens > 0);
  });

  test("revocation takes effect at once, and tenants stay apart", async () => {
    const a = await createKey("node-a");
    const b = await createKey("node-b");
    const ca = new OpenAI({ baseURL: `${url}/v1`, apiKey: a.key, maxRetries: 0 });
    const cb = new OpenAI({ baseURL: `${url}/v1`, apiKey: b.key, maxRetries: 0 });
    await ca.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    await ca.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi again" }] });
    await cb.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
    assert.equal((await dashboard(a.key, "/api/dashboard/savings")).requests, 2);
    assert.equal((await dashboard(b.key, "/api/dashboard/savings")).requests, 1);

    const [status, revoked] = await admin("DELETE", `/admin/keys/${a.id}`);
    assert.equal(status, 200);
    assert.equal(revoked.active, false);
    await assert.rejects(
      ca.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      (e) => e instanceof OpenAI.AuthenticationError && /revoked/.test(e.message),
    );
    // B is unaffected.
    await cb.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "still here" }] });
  });

  test("no prompt reaches the database", async () => {
    const { key } = await createKey("node-privacy");
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key });
    await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "walrus-accordion-8080" }] });
    assert.equal((await dashboard(key, "/api/dashboard/savings")).requests, 1);
    const blob = readdirSync(dir)
      .filter((f) => f.startsWith("kestrel.db"))
      .map((f) => readFileSync(path.join(dir, f)).toString("latin1"))
      .join("");
    assert.ok(blob.includes("node-privacy"));
    assert.ok(!blob.includes("walrus-accordion"));
    assert.ok(!blob.includes(key));
  });
});
