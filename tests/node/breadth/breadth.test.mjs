// The breadth suite: one small program per documented call or option of openai-node (its
// README and api.md), each run twice against the mock, once with the official `openai`
// client and once with `kestrel-router`'s, the program's text the same. Every program must
// run as documented with the official SDK (else the mock lacks something) and then run with
// Kestrel to the same result: the same digest, or the same error class and status. The
// counts are printed at the end.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { Mock } from "../_mock.mjs";
import { Kit, PROGRAMS, passed, run } from "./_harness.mjs";
import "./chat.programs.mjs";
import "./errors.programs.mjs";
import "./options.programs.mjs";
import "./platform.programs.mjs";
import "./responses.programs.mjs";

let mock;
before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});

const results = {};

describe("breadth: every program openai-node runs runs with Kestrel", () => {
  for (const name of Object.keys(PROGRAMS).sort()) {
    test(name, async () => {
      const runs = {};
      for (const label of ["openai", "kestrel"]) {
        // The same mock state for both runs.
        await mock.script({ listed: { "/openai": ["gpt-4o", "gpt-4o-mini"] } });
        await mock.clear();
        const kit = new Kit(label, mock);
        runs[label] = await run(name, kit.make(), kit);
      }
      results[name] = runs;
      assert.ok(passed(name, runs.openai), `openai-node does not run ${name} as documented: ${JSON.stringify(runs.openai)}`);
      assert.deepEqual(runs.kestrel, runs.openai);
    });
  }
  test("summary", () => {
    const names = Object.keys(results);
    const withSdk = names.filter((n) => passed(n, results[n].openai));
    const withKestrel = names.filter((n) => passed(n, results[n].kestrel) && JSON.stringify(results[n].kestrel) === JSON.stringify(results[n].openai));
    console.log(
      `breadth (Node): programs: ${Object.keys(PROGRAMS).length}, run: ${names.length}, pass with openai: ${withSdk.length}, pass with kestrel: ${withKestrel.length}`,
    );
    for (const n of names.filter((n) => !withSdk.includes(n))) console.log(`  fails with openai: ${n}: ${JSON.stringify(results[n].openai)}`);
    for (const n of withSdk.filter((n) => !withKestrel.includes(n))) console.log(`  fails with kestrel: ${n}: ${JSON.stringify(results[n].kestrel)}`);
    assert.equal(names.length, Object.keys(PROGRAMS).length);
  });
});
