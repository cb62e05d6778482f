#!/usr/bin/env node
// Builds the native addon from source into bindings-node/kestrel.node, where js/native.js
// looks first. It is the `prepare` script of the repository's root package.json, so npm runs
// it for `npm install` in a checkout, for `npm install /path/to/checkout` from another project
// and for git URLs; the published package (bindings-node/package.json) has no such script and
// takes a prebuilt platform package instead.
//
// Plain cargo, so nothing but Rust is needed: `cargo build --release -p kestrel-node`.
// KESTREL_NODE_DEV=1 (or CI=true) builds the dev profile instead, reusing what
// `cargo build --workspace` already compiled in target/ (scripts/test.sh does this).
// KESTREL_NODE_SKIP_BUILD=1 skips the build (an addon you built yourself is used).
"use strict";

const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const addon = path.join(root, "bindings-node", "kestrel.node");
const manifest = path.join(root, "bindings-node", "Cargo.toml");
const truthy = (v) => v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";

require("./mts.js");

if (truthy(process.env.KESTREL_NODE_SKIP_BUILD)) {
  if (!fs.existsSync(addon)) console.warn(`kestrel-router: KESTREL_NODE_SKIP_BUILD is set and ${addon} does not exist`);
  process.exit(0);
}

const dev = truthy(process.env.KESTREL_NODE_DEV) || truthy(process.env.CI);
const args = ["build", "-p", "kestrel-node", "--manifest-path", manifest, "--message-format=json-render-diagnostics"];
if (!dev) args.push("--release");
console.error(`kestrel-router: building the native addon from source (cargo ${dev ? "dev" : "release"} profile)`);
// stdout carries cargo's JSON messages (the artifact's path); diagnostics go to stderr.
const r = spawnSync("cargo", args, {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
  encoding: "utf8",
  maxBuffer: 256 * 1024 * 1024,
  shell: process.platform === "win32",
});
if (r.error) {
  console.error(`kestrel-router: cannot run cargo (${r.error.message}); building from source needs Rust: https://rustup.rs`);
  process.exit(1);
}
if (r.status !== 0) process.exit(r.status ?? 1);

const artifact = r.stdout
  .split("\n")
  .filter((line) => line.startsWith("{"))
  .map((line) => JSON.parse(line))
  .find((m) => m.reason === "compiler-artifact" && m.target.name === "kestrel_node" && m.target.kind.includes("cdylib"));
const lib = artifact?.filenames.find((f) => /\.(so|dylib|dll)$/.test(f));
if (!lib) {
  console.error("kestrel-router: cargo built kestrel-node but reported no cdylib");
  process.exit(1);
}
// Copy to a temporary name, then rename: a running process keeps its mapping of the old file.
const tmp = `${addon}.${process.pid}.tmp`;
fs.copyFileSync(lib, tmp);
fs.renameSync(tmp, addon);
