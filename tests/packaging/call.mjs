// Run inside a clean project that installed kestrel-router: loads it both ways (ESM and
// CommonJS), then answers one chat call against kestrel-mock ($KESTREL_MOCK_BIN).
// Self-contained on purpose: it is copied into the temporary project, so that
// "kestrel-router" resolves to the installed package, never to the repository.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

import OpenAI from "kestrel-router";

const require = createRequire(import.meta.url);
assert.equal(require("kestrel-router"), OpenAI, "require() and import give the same class");
assert.equal(OpenAI.version, require("kestrel-router/package.json").version);

const mock = spawn(process.env.KESTREL_MOCK_BIN, ["--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
try {
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: mock.stdout }).once("line", resolve);
    mock.once("exit", (code) => reject(new Error(`kestrel-mock exited with ${code}`)));
  });
  const url = /^kestrel-mock listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
  assert.ok(url, `unexpected first line from kestrel-mock: ${line}`);

  const client = new OpenAI({ apiKey: "sk-test", baseURL: `${url}/openai/v1`, fromEnv: false, maxRetries: 0 });
  const r = await client.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: "What is 2+2?" }],
  });
  assert.equal(r.object, "chat.completion");
  assert.ok(r.choices[0].message.content.length > 0, "an answer");
  assert.equal(r.kestrel.provider, "openai");
  // openai-node's helpers over the routed client, and its subpath modules.
  const stream = client.chat.completions.stream({ model: "gpt-4o", messages: [{ role: "user", content: "Stream it." }] });
  assert.match(await stream.finalContent(), /Stream it\./);
  const { ChatCompletionStream } = await import("kestrel-router/lib/ChatCompletionStream");
  assert.equal(require("kestrel-router/lib/ChatCompletionStream").ChatCompletionStream.name, ChatCompletionStream.name);
  assert.equal(typeof (await import("kestrel-router/resources/chat/completions")).Completions, "function");
  // The zod helpers need zod, an optional peer of openai: only their resolution here.
  assert.match(require.resolve("kestrel-router/helpers/zod"), /js[\\/]sdk[\\/]helpers[\\/]zod\.js$/);
  const seen = await (await fetch(`${url}/_mock/requests`)).json();
  assert.equal(seen.filter((q) => q.path.endsWith("/chat/completions")).length, 2, "two calls reached the mock");
  console.log(`kestrel-router ${OpenAI.version}: ${r.kestrel.requested_model} -> ${r.kestrel.model}: ${JSON.stringify(r.choices[0].message.content)}`);
} finally {
  mock.kill();
}
