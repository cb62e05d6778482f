// Never worse than the official SDK: the same faults, on the same mock, for openai-node
// (calling the requested model directly) and for Kestrel (routing on: a cheaper substitute
// first). Kestrel succeeds wherever openai-node did; where both fail, with the same error
// class and status; with at most one HTTP attempt more; and the next calls are served.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import SDK from "openai";
import OpenAI from "kestrel-router";
import { Mock, PROVIDER_KEYS, clientOptions } from "./_mock.mjs";

const REQUESTED = "gpt-4o";
const ask = () => [{ role: "user", content: "What is 2+2?" }];
let mock;

before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});
beforeEach(async () => {
  await mock.reset();
});

async function outcome(call) {
  try {
    await call();
    return ["ok"];
  } catch (e) {
    return ["error", e.constructor.name, String(e.status)];
  }
}

/** The same call through openai-node and Kestrel against `script`: outcome and attempts of each. */
async function runBoth(script, options) {
  const sdk = new SDK({ apiKey: PROVIDER_KEYS.openai, baseURL: mock.baseURL("openai"), ...options });
  const kestrel = new OpenAI(clientOptions(mock, options));
  const out = { client: kestrel };
  for (const [name, client] of [["sdk", sdk], ["kestrel", kestrel]]) {
    await mock.script(script);
    await mock.clear();
    out[name] = await outcome(() => client.chat.completions.create({ model: REQUESTED, messages: ask() }));
    out[`${name}Attempts`] = (await mock.chatRequests()).length;
  }
  return out;
}

function substitute() {
  const plan = new OpenAI(clientOptions(mock)).route({ model: REQUESTED, messages: ask() }).plan;
  assert.equal(plan.at(-1), REQUESTED);
  return plan[0];
}

describe("never worse than openai-node", () => {
  for (const status of [429, 500, 503]) {
    test(`a ${status} storm on every model`, async () => {
      const fault = status === 429 ? { status, retry_after: 0.05 } : { status };
      const r = await runBoth({ default: fault }, { maxRetries: 1 });
      assert.equal(r.sdk[0], "error");
      assert.deepEqual(r.kestrel, r.sdk, "the same class and status");
      assert.ok(r.kestrelAttempts <= r.sdkAttempts + 1, JSON.stringify(r));
      // The error says what was tried: the substitute once, the requested model with its retry.
      await new Promise((done) => setTimeout(done, 100)); // past the substitute's Retry-After
      const err = await r.client.chat.completions.create({ model: REQUESTED, messages: ask() }).catch((e) => e);
      assert.deepEqual(err.attempts.map((a) => a.status), [status, status, status]);
      assert.deepEqual(err.attempts.slice(1).map((a) => a.model), [REQUESTED, REQUESTED]);
      await mock.script({});
      const next = await r.client.chat.completions.create({ model: REQUESTED, messages: ask() });
      assert.ok(next.choices[0].message.content, "served after the storm");
    });
  }

  for (const fault of [{ status: 404 }, { status: 401 }, { status: 503 }, { malformed_json: true }]) {
    test(`${JSON.stringify(fault)} on the substitute only`, async () => {
      const sub = substitute();
      const r = await runBoth({ models: { [sub]: fault } }, { maxRetries: 0 });
      assert.deepEqual([r.sdk, r.kestrel], [["ok"], ["ok"]]);
      assert.equal(r.kestrelAttempts, 2);
      if (fault.status === 404 || fault.status === 401) {
        await mock.clear();
        await r.client.chat.completions.create({ model: REQUESTED, messages: ask() });
        const tried = (await mock.chatRequests()).map((q) => q.body.model);
        assert.ok(!tried.includes(sub), `not tried again: ${tried}`);
      }
    });
  }

  test("a slow substitute costs at most one timeout", async () => {
    const sub = substitute();
    const started = Date.now();
    const r = await runBoth({ models: { [sub]: { latency_ms: 3000 } } }, { maxRetries: 0, timeout: 500 });
    assert.deepEqual([r.sdk, r.kestrel], [["ok"], ["ok"]]);
    assert.ok(Date.now() - started < 3000, "neither waited for the slow answer");
  });
});
