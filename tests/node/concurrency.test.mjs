// Many calls in flight at once: 1,000 concurrent requests all answer correctly, each with
// its own answer, and the event loop keeps running while they are in flight.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import OpenAI from "kestrel-router";
import { Mock, clientOptions } from "./_mock.mjs";

let mock;
before(async () => {
  mock = await Mock.start();
  await mock.script({ default: { latency_ms: 20 } });
});
after(async () => {
  await mock?.stop();
});

test("1,000 concurrent requests, event loop free", async () => {
  const c = new OpenAI(clientOptions(mock));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const results = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: `request ${i}` }] }),
    ),
  );
  clearInterval(timer);
  assert.equal(results.length, 1000);
  results.forEach((r, i) => assert.ok(r.choices[0].message.content.endsWith(`you said "request ${i}".`), r.choices[0].message.content));
  assert.equal(c.usage.savings().requests, 1000);
  assert.equal(c.usage.savings().errors, 0);
  // Each request waits 20 ms at the mock: timers fired meanwhile, so nothing blocked the loop.
  assert.ok(ticks > 0);
});

test("concurrent streams interleave", async () => {
  const c = new OpenAI(clientOptions(mock, { routing: false }));
  const texts = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `s${i}` }], stream: true });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    }),
  );
  texts.forEach((t, i) => assert.ok(t.endsWith(`you said "s${i}".`), t));
});
