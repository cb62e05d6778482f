// Streaming: print the answer as it arrives, and stop early with an AbortController
// (the upstream request is cancelled, and the usage of what was streamed is recorded).
//
//   OPENAI_API_KEY=sk-... npx tsx streaming.ts    (in a project that ran `npm install <path to kestrel>`;
//   tests/node/examples.test.mjs compiles and runs it against the mock provider)
import OpenAI, { APIUserAbortError } from "kestrel-router";

const client = new OpenAI();

const stream = await client.chat.completions.create({
  model: "gpt-4o",
  messages: [{ role: "user", content: "Write a haiku about routers." }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta.content ?? "");
  if (chunk.kestrel) console.log(`\n[answered by ${chunk.kestrel.model}, tier ${chunk.kestrel.tier}]`);
  if (chunk.usage) console.log(`[${chunk.usage.total_tokens} tokens]`);
}

// Stop a long answer after five chunks: the loop ends and the provider request is dropped.
const long = await client.chat.completions.create({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Tell me a very long story." }],
  stream: true,
});
let n = 0;
for await (const chunk of long) {
  process.stdout.write(chunk.choices[0]?.delta.content ?? "");
  if (++n === 5) long.controller.abort();
}
console.log(`\n[stopped after ${n} chunks]`);

// A non-streamed call with a deadline of our own: aborting rejects with APIUserAbortError.
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 10_000);
try {
  const r = await client.chat.completions.create(
    { model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hi" }] },
    { signal: controller.signal, timeout: 20_000 },
  );
  console.log(r.choices[0].message.content);
} catch (e) {
  if (e instanceof APIUserAbortError) console.log("gave up waiting");
  else throw e;
} finally {
  clearTimeout(timer);
}
