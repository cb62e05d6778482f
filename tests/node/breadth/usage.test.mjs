// What Kestrel's ledger says about the calls it passes to openai-node's client: each one
// counted under its endpoint, with the tokens its answer reports for what it made; reading a
// stored completion or response back costs nothing (its usage was counted when made).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { Mock } from "../_mock.mjs";
import { Kit } from "./_harness.mjs";

let mock;
before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});

test("passthrough calls are counted with the tokens they made", async () => {
  const c = new Kit("kestrel", mock).make();
  const done = await c.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test" });
  const emb = await c.embeddings.create({ model: "text-embedding-3-small", input: "a kestrel hovers" });
  const bg = await c.responses.create({ model: "gpt-4o", input: "A long essay", background: true });
  await c.chat.completions.retrieve("chatcmpl-abc");
  await c.responses.retrieve(bg.id);
  await c.files.list();
  const records = c.usage
    .records()
    .filter((r) => r.endpoint)
    .map((r) => [r.endpoint, r.model, r.prompt_tokens, r.completion_tokens]);
  assert.deepEqual(records, [
    ["completions", "gpt-3.5-turbo-instruct", done.usage.prompt_tokens, done.usage.completion_tokens],
    ["embeddings", "text-embedding-3-small", emb.usage.prompt_tokens, 0],
    ["responses", "gpt-4o", bg.usage.input_tokens, bg.usage.output_tokens],
    ["chat.completions", "gpt-4o-mini", 0, 0],
    ["responses", "gpt-4o", 0, 0],
    ["files", "", 0, 0], // no model: the ledger's empty name
  ]);
  assert.ok([done.usage.prompt_tokens, emb.usage.prompt_tokens, bg.usage.input_tokens].every((n) => n > 0));
});
