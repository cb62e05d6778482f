// The examples under examples/node type-check with `tsc --strict` and run against the mock
// with nothing but OPENAI_API_KEY and OPENAI_BASE_URL set, as a user would run them.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";

import { Mock, REPO } from "./_mock.mjs";

const run = promisify(execFile);
const OUT = path.join(REPO, "target", "node-examples");
let mock;

before(async () => {
  mock = await Mock.start();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(path.join(OUT, "node_modules"), { recursive: true });
  // Compiled as a user's project would have them: `kestrel-router` installed in node_modules.
  symlinkSync(REPO, path.join(OUT, "node_modules", "kestrel-router"), "dir");
  writeFileSync(path.join(OUT, "package.json"), '{"type": "module"}\n');
  const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
  await run(process.execPath, [tsc, "-p", path.join(REPO, "examples", "node"), "--noEmit", "false", "--outDir", OUT]);
});

after(async () => {
  await mock?.stop();
});

function env() {
  const e = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.endsWith("_API_KEY") && !k.endsWith("_BASE_URL")) e[k] = v;
  return { ...e, OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: mock.baseURL("openai") };
}

async function example(name) {
  const { stdout } = await run(process.execPath, [path.join(OUT, `${name}.js`)], { env: env(), cwd: OUT });
  return stdout;
}

describe("examples/node", () => {
  test("quickstart", async () => {
    const out = await example("quickstart");
    assert.match(out, /> What is 2\+2\?/);
    assert.match(out, /gpt-4o -> \S+ \(openai, tier economy\)/);
    assert.match(out, /3 requests: .* saved/);
  });

  test("streaming", async () => {
    const out = await example("streaming");
    assert.match(out, /\[answered by \S+, tier \w+\]/);
    assert.match(out, /\[stopped after 5 chunks\]/);
    assert.match(out, /Mock answer from .*Say hi/);
  });

  test("tools", async () => {
    const out = await example("tools");
    assert.match(out, /tool call: get_weather\(/);
    assert.match(out, /18 degrees/);
  });

  test("concurrency", async () => {
    const out = await example("concurrency");
    assert.match(out, /64\/64 answered/);
  });
});
