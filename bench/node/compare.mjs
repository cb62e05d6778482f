// Per-call latency and throughput of Kestrel's Node client (routing on), the official
// `openai` package and a bare `fetch`, in one run against the same loopback mock.
//
// Run through bench/node_compare.sh, which builds what this needs (release builds).
// ROUNDS (sequential calls, default 2000) and BATCHES (64-call batches, default 40) tune it.

import { performance } from "node:perf_hooks";
import os from "node:os";

import OpenAISDK from "openai";
import { VERSION } from "openai/version";
import Kestrel from "kestrel-router";
import { Mock } from "../../tests/node/_mock.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 2000);
const BATCHES = Number(process.env.BATCHES ?? 40);
const MESSAGES = [{ role: "user", content: "What is the capital of France?" }];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function perCallMs(call) {
  for (let i = 0; i < 100; i++) await call();
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await call();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function concurrentPerS(call) {
  await Promise.all(Array.from({ length: 64 }, call));
  const t = performance.now();
  for (let b = 0; b < BATCHES; b++) await Promise.all(Array.from({ length: 64 }, call));
  return (64 * BATCHES) / ((performance.now() - t) / 1000);
}

const mock = await Mock.start();
try {
  const baseURL = mock.baseURL("openai");
  const kestrel = new Kestrel({ apiKey: "sk-test", baseURL, fromEnv: false, maxRetries: 0 });
  const first = await kestrel.chat.completions.create({ model: "gpt-4o", messages: MESSAGES });
  const routed = first.kestrel.model; // the official client calls the routed model directly
  const official = new OpenAISDK({ apiKey: "sk-test", baseURL, maxRetries: 0 });
  const body = JSON.stringify({ model: routed, messages: MESSAGES });
  const headers = { authorization: "Bearer sk-test", "content-type": "application/json" };

  const clients = [
    [`kestrel (routing on: gpt-4o -> ${routed})`, () => kestrel.chat.completions.create({ model: "gpt-4o", messages: MESSAGES })],
    [`openai ${VERSION} (${routed} directly)`, () =>
      official.chat.completions.create({ model: routed, messages: MESSAGES })],
    ["bare fetch + JSON.parse", () => fetch(`${baseURL}/chat/completions`, { method: "POST", headers, body }).then((r) => r.json())],
  ];

  const rows = [];
  for (const [name, call] of clients) rows.push([name, await perCallMs(call), await concurrentPerS(call)]);

  console.log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}; ROUNDS=${ROUNDS}, BATCHES=${BATCHES}`);
  console.log();
  console.log(`| client | per call (median, sequential) | 64 concurrent |`);
  console.log(`| --- | ---: | ---: |`);
  for (const [name, ms, rps] of rows) console.log(`| ${name} | ${ms.toFixed(3)} ms | ${Math.round(rps).toLocaleString("en-US")}/s |`);
  console.log();
  const [k, o] = rows;
  console.log(`kestrel / openai per call: ${(k[1] / o[1]).toFixed(2)}x; throughput: ${(k[2] / o[2]).toFixed(2)}x`);
} finally {
  await mock.stop();
}
