// Outcome feedback through the Node client: the binding forwards, the core learns.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import OpenAI from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

const LOOKUP = [{ role: "user", content: "What's the capital of Peru?" }];
let mock;

useMock((m) => (mock = m));

const client = (overrides) => new OpenAI(clientOptions(mock, overrides));
const tier = (c) => c.route({ model: "gpt-4o", messages: LOOKUP }).tier;

test("bad outcomes raise a category, good ones bring it back, and the state survives a new client", async () => {
  const state = path.join(mkdtempSync(path.join(tmpdir(), "kestrel-feedback-")), "feedback.json");
  const kc = client({ feedbackState: state });
  assert.equal(tier(kc), "economy");
  for (let i = 0; i < 6; i++) {
    const r = await kc.chat.completions.create({ model: "gpt-4o", messages: LOOKUP });
    assert.equal(kc.feedback(r.id, "bad"), true);
  }
  const d = kc.route({ model: "gpt-4o", messages: LOOKUP });
  assert.equal(d.tier, "standard");
  assert.ok(d.reasons.some((x) => x.includes("lookup answers")), d.reasons.join("; "));
  assert.ok(existsSync(state));

  const again = client({ feedbackState: state });
  assert.equal(tier(again), "standard");
  for (let i = 0; i < 20; i++) {
    const r = await again.chat.completions.create({ model: "gpt-4o", messages: LOOKUP });
    assert.equal(again.feedback(r.id, 1), true);
  }
  assert.equal(tier(again), "economy");
});

test("feedback is off by default and outcomes are checked", async () => {
  const kc = client();
  const r = await kc.chat.completions.create({ model: "gpt-4o", messages: LOOKUP });
  assert.equal(kc.feedback(r.id, "bad"), false);
  const on = client({ feedback: true });
  assert.equal(on.feedback("never-sent", "good"), false);
  assert.throws(() => on.feedback("never-sent", "meh"), OpenAI.BadRequestError);
  assert.throws(() => on.feedback("never-sent", 1.5), OpenAI.BadRequestError);
  assert.throws(() => on.feedback("never-sent", true), TypeError);
});
