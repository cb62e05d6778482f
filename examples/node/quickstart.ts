// Quickstart: one request at a time, where it went, what it cost, and the running savings.
//
//   OPENAI_API_KEY=sk-... npx tsx quickstart.ts    (in a project that ran `npm install <path to kestrel>`;
//   tests/node/examples.test.mjs compiles and runs it against the mock provider)
//
// The only change from openai-node code is the import.
import OpenAI from "kestrel-router";

const client = new OpenAI(); // keys from OPENAI_API_KEY, ANTHROPIC_API_KEY, GROQ_API_KEY, ...

const questions = [
  "What is 2+2?",
  "Summarise the plot of Hamlet in two sentences.",
  "Prove that the square root of 2 is irrational, step by step.",
];

for (const question of questions) {
  const r = await client.chat.completions.create({
    model: "gpt-4o",
    messages: [{ role: "user", content: question }],
  });
  console.log(`> ${question}`);
  console.log(`  ${r.choices[0].message.content}`);
  const meta = r.kestrel;
  if (meta) {
    console.log(
      `  gpt-4o -> ${meta.model} (${meta.provider}, tier ${meta.tier}); ` +
        `$${meta.cost_usd.toFixed(6)} instead of $${meta.baseline_cost_usd.toFixed(6)}`,
    );
  }
}

// A dry run: the decision without calling anyone.
const decision = client.route({ model: "gpt-4o", messages: [{ role: "user", content: "Translate 'hello' to French" }] });
console.log(`\nroute: ${decision.model} via ${decision.provider}; plan ${decision.plan.join(" -> ")}`);

const s = client.usage.savings();
const mix = client.usage.routing();
console.log(
  `\n${s.requests} requests: $${s.actual_cost_usd.toFixed(6)} spent, $${s.baseline_cost_usd.toFixed(6)} baseline, ` +
    `${s.savings_pct.toFixed(1)}% saved; economy ${mix.economy}, standard ${mix.standard}, premium ${mix.premium}`,
);
