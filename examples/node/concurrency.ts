// Concurrency: 64 requests in flight at once from one client. Each call is a Promise on
// Kestrel's native I/O threads; the event loop never waits.
//
//   OPENAI_API_KEY=sk-... npx tsx concurrency.ts    (in a project that ran `npm install <path to kestrel>`;
//   tests/node/examples.test.mjs compiles and runs it against the mock provider)
import OpenAI, { APIError } from "kestrel-router";

const client = new OpenAI({ maxRetries: 1 });

const prompts = Array.from({ length: 64 }, (_, i) =>
  i % 4 === 0 ? `Explain, step by step, why ${i} squared is ${i * i}.` : `What is ${i} + ${i}?`,
);

const started = performance.now();
const results = await Promise.allSettled(
  prompts.map((content) => client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content }] })),
);
const ms = performance.now() - started;

let failed = 0;
for (const r of results) {
  if (r.status === "rejected") {
    failed++;
    const e: unknown = r.reason;
    console.log(e instanceof APIError ? `failed: ${e.status} ${e.message}` : `failed: ${String(e)}`);
  }
}
const mix = client.usage.routing();
const s = client.usage.savings();
console.log(`${results.length - failed}/${results.length} answered in ${ms.toFixed(0)} ms`);
console.log(`tiers: economy ${mix.economy}, standard ${mix.standard}, premium ${mix.premium}`);
console.log(`spent $${s.actual_cost_usd.toFixed(6)} instead of $${s.baseline_cost_usd.toFixed(6)} (${s.savings_pct.toFixed(1)}% saved)`);
for (const m of client.usage.analytics()) console.log(`  ${m.model}: ${m.requests} requests, $${m.cost_usd.toFixed(6)}`);
