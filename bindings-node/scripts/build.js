#!/usr/bin/env node
// Builds the native addon (bindings-node/kestrel.node) from source; `npm install` runs it.
//
// Users get `napi build --release` through @napi-rs/cli: an optimized addon, no prebuilt
// download. With KESTREL_NODE_DEV=1 (or CI=true) it builds the dev profile with plain
// `cargo build -p kestrel-node` into the workspace's target/ instead, reusing what
// `cargo build --workspace` already compiled: `napi build` always passes `--target`,
// which puts its artifacts in another directory and would compile every crate twice.
// KESTREL_NODE_SKIP_BUILD=1 skips the build (an addon you built yourself is used).
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const addon = path.join(root, "bindings-node", "kestrel.node");
const manifest = path.join(root, "bindings-node", "Cargo.toml");
const truthy = (v) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
  if (r.error) {
    console.error(`kestrel: cannot run ${cmd}: ${r.error.message}`);
    if (cmd === "cargo") console.error("kestrel: building the native addon needs Rust (https://rustup.rs)");
    process.exit(1);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// ESM importers get the same declarations under the .d.mts name TypeScript looks for.
const dts = path.join(root, "bindings-node", "js", "index.d.ts");
const header = "// Generated from index.d.ts by bindings-node/scripts/build.js; the same declarations for ESM importers.\n";
fs.writeFileSync(path.join(root, "bindings-node", "js", "index.d.mts"), header + fs.readFileSync(dts, "utf8"));


// A packed copy (`npm install --install-links <path>`, a tarball) holds only the crates the
// addon needs: keep the workspace's member list to those, or cargo refuses to start.
const workspace = path.join(root, "Cargo.toml");
const manifestText = fs.readFileSync(workspace, "utf8");
const members = /members\s*=\s*\[([^\]]*)\]/.exec(manifestText);
if (members) {
  const listed = [...members[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const present = listed.filter((m) => fs.existsSync(path.join(root, m, "Cargo.toml")));
  if (present.length !== listed.length) {
    const list = present.map((m) => JSON.stringify(m)).join(", ");
    fs.writeFileSync(workspace, manifestText.replace(members[0], `members = [${list}]`));
  }
}

if (truthy(process.env.KESTREL_NODE_SKIP_BUILD)) {
  if (!fs.existsSync(addon)) console.warn(`kestrel: KESTREL_NODE_SKIP_BUILD is set and ${addon} does not exist`);
  process.exit(0);
}

const dev = truthy(process.env.KESTREL_NODE_DEV) || truthy(process.env.CI);
if (dev) {
  run("cargo", ["build", "-p", "kestrel-node", "--manifest-path", manifest]);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(root, process.env.CARGO_TARGET_DIR)
    : path.join(root, "target");
  const lib = { win32: "kestrel_node.dll", darwin: "libkestrel_node.dylib" }[process.platform] ?? "libkestrel_node.so";
  // Copy to a temporary name, then rename: a running process keeps its mapping of the old file.
  const tmp = `${addon}.${process.pid}.tmp`;
  fs.copyFileSync(path.join(targetDir, "debug", lib), tmp);
  fs.renameSync(tmp, addon);
} else {
  const napi = require.resolve("@napi-rs/cli/package.json", { paths: [root] });
  const cli = path.join(path.dirname(napi), require(napi).bin.napi ?? "dist/cli.js");
  run(process.execPath, [
    cli,
    "build",
    "--release",
    "--manifest-path",
    manifest,
    "--package-json-path",
    path.join(root, "package.json"),
    "--output-dir",
    path.join(root, "bindings-node"),
    "--dts",
    "native.d.ts",
  ]);
}
