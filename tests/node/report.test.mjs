// Usage reporting through the Node package: batches reach the collector with metrics only,
// the counters are readable, the HTML report is written, and records queued when a program
// simply ends are flushed by the `beforeExit` hook.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";

import OpenAI from "kestrel-router";
import { Mock, REPO, clientOptions } from "./_mock.mjs";

let mock;
before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});
beforeEach(async () => {
  await mock.reset();
  await mock.control("DELETE", "/_mock/usage");
});

const SECRET_PROMPT = "my-unmistakable-secret-prompt-4711";

test("batches reach the collector with metrics only, and the counters say so", async () => {
  const report = { url: `${mock.url}/v1/usage`, key: "rk-node-test", batchSize: 2, interval: 0.05 };
  const client = new OpenAI(clientOptions(mock, { report }));
  for (let i = 0; i < 3; i++) {
    await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: `${SECRET_PROMPT} ${i}` }] });
  }
  await client.usage.flush();
  const got = await mock.control("GET", "/_mock/usage");
  assert.equal(got.records, 3);
  for (const batch of got.batches) {
    assert.equal(batch.authorization, "Bearer rk-node-test");
    assert.ok(!batch.raw.includes(SECRET_PROMPT), "no prompt in an upload");
    assert.ok(!batch.raw.includes("sk-test"), "no provider key in an upload");
  }
  const stats = client.usage.reporter();
  assert.equal(stats.sent, 3);
  assert.equal(stats.pending + stats.spooled + stats.dropped, 0);
  assert.equal(new OpenAI(clientOptions(mock)).usage.reporter(), null, "off unless asked for");
  assert.throws(() => new OpenAI(clientOptions(mock, { report: { batchSize: 2 } })), (e) => /report\.url/.test(e.message));
});

test("usage.report(path) writes one self-contained HTML page", async () => {
  const client = new OpenAI(clientOptions(mock));
  await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: SECRET_PROMPT }] });
  const file = path.join(mkdtempSync(path.join(tmpdir(), "kestrel-node-report-")), "report.html");
  assert.equal(await client.usage.report(file), 1);
  const html = readFileSync(file, "utf8");
  assert.match(html, /<html/i);
  assert.ok(!html.includes(SECRET_PROMPT));
  assert.ok(!/<script[^>]+src=|https?:\/\/(?!www\.w3\.org)/.test(html), "nothing fetched from the network");
});

test("a program that just ends still delivers its records (beforeExit flush)", async () => {
  const program = `
    import OpenAI from "kestrel-router";
    const client = new OpenAI(${JSON.stringify(clientOptions(mock, { report: { url: `${mock.url}/v1/usage`, key: "rk", interval: 60 } }))});
    for (let i = 0; i < 5; i++) {
      await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi " + i }] });
    }
  `;
  execFileSync(process.execPath, ["--input-type=module", "-e", program], { cwd: REPO, stdio: "pipe", timeout: 60_000 });
  const got = await mock.control("GET", "/_mock/usage");
  assert.equal(got.records, 5, "the 60 s interval never fired: the exit hook sent them");
});
