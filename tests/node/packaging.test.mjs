// The published layout agrees with the loader: every platform package under
// bindings-node/npm/ is the one js/native.js asks for on the machine its os/cpu/libc
// describe, and holds the addon file the release build names for it. (The tarballs
// themselves are packed, installed and called in tests/packaging/npm.sh.)

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";

import { REPO } from "./_mock.mjs";

const require = createRequire(import.meta.url);
const { platformSuffix } = require(path.join(REPO, "bindings-node", "js", "platform.js"));
const read = (file) => JSON.parse(readFileSync(file, "utf8"));
const main = read(path.join(REPO, "bindings-node", "package.json"));
const npmDir = path.join(REPO, "bindings-node", "npm");

test("each platform package is the one the loader picks on its platform", () => {
  const dirs = readdirSync(npmDir).sort();
  assert.deepEqual(dirs, ["darwin-arm64", "darwin-x64", "linux-arm64-gnu", "linux-x64-gnu", "win32-x64-msvc"]);
  for (const dir of dirs) {
    const pkg = read(path.join(npmDir, dir, "package.json"));
    const suffix = platformSuffix({ platform: pkg.os[0], arch: pkg.cpu[0], libc: pkg.libc?.[0] });
    assert.equal(suffix, dir);
    assert.equal(pkg.name, `${main.name}-${suffix}`);
    assert.equal(pkg.main, `${main.napi.binaryName}.${suffix}.node`);
    assert.deepEqual(pkg.files, [pkg.main], `${pkg.name} ships its addon and nothing else`);
    assert.equal(main.optionalDependencies[pkg.name], main.version);
  }
});

test("musl and unlisted platforms map to packages that are not published", () => {
  // The loader then says there is no prebuilt addon and how to build from source.
  assert.equal(platformSuffix({ platform: "linux", arch: "x64", libc: "musl" }), "linux-x64-musl");
  assert.equal(platformSuffix({ platform: "win32", arch: "arm64" }), "win32-arm64-msvc");
  assert.equal(main.optionalDependencies[`${main.name}-linux-x64-musl`], undefined);
});

test("the main package runs nothing on install and ships only its JS layer", () => {
  const installScripts = Object.keys(main.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s));
  assert.deepEqual(installScripts, []);
  assert.deepEqual(main.files, ["js/"]);
  // The source package (the repository's root package.json) exposes the same entry points.
  const source = read(path.join(REPO, "package.json"));
  const prefixed = JSON.parse(JSON.stringify(main.exports).replaceAll('"./js/', '"./bindings-node/js/'));
  assert.deepEqual(source.exports, prefixed);
  assert.equal(source.name, main.name);
  assert.equal(source.private, true, "the source package is never published");
});

test("every file the export map names is in the package (openai-node's subpaths included)", () => {
  const targets = JSON.stringify(main.exports).match(/"\.\/js\/[^"]+"/g).map((t) => JSON.parse(t));
  const generated = new Set(["./js/index.d.mts", "./js/langchain.d.mts"]); // written by scripts/mts.js on pack
  for (const target of targets) {
    if (generated.has(target)) continue;
    assert.ok(existsSync(path.join(REPO, "bindings-node", target)), `${target} is missing`);
  }
  for (const subpath of ["./helpers/zod", "./lib/ChatCompletionStream", "./resources/chat/completions"]) {
    assert.ok(main.exports[subpath]?.import && main.exports[subpath]?.require, `${subpath} is exported both ways`);
  }
});
