"use strict";
// Loads the native addon, in this order:
// 1. `bindings-node/kestrel.node`, built from source: in a git checkout, `npm install` (the
//    checkout's `prepare` script) builds it with cargo. The published package never has it.
// 2. The prebuilt addon of this platform's package (`kestrel-router-linux-x64-gnu`, ...),
//    which npm installs from the main package's optionalDependencies (only the one whose
//    `os`, `cpu` and `libc` match), so installing from npm runs no script and no compiler.
// Otherwise it throws, saying which package was missing and how to build from source.

const fs = require("node:fs");
const path = require("node:path");
const { platformSuffix } = require("./platform.js");
const manifest = require("../package.json");

const REPOSITORY = "https://github.com/kestrel-router/kestrel";
const local = path.join(__dirname, "..", "kestrel.node");

function loadFile(file, what) {
  try {
    return require(file);
  } catch (e) {
    const err = new Error(`kestrel-router: cannot load ${what} (${e.message})`);
    err.cause = e;
    throw err;
  }
}

function load() {
  if (fs.existsSync(local)) {
    return loadFile(local, `the addon built from source, ${local}. Rebuild it: \`npm run build\` in the checkout`);
  }

  const suffix = platformSuffix();
  const name = `${manifest.name}-${suffix}`;
  let installed;
  try {
    installed = require(`${name}/package.json`);
  } catch (e) {
    if (e.code !== "MODULE_NOT_FOUND") throw e;
  }
  if (installed) {
    if (installed.version !== manifest.version) {
      throw new Error(
        `kestrel-router: ${name} is version ${installed.version} but kestrel-router is ${manifest.version}; ` +
          `the addon and its JS layer ship together: install ${name}@${manifest.version}.`,
      );
    }
    return loadFile(name, `the prebuilt addon ${name}`);
  }

  const prebuilt = Object.keys(manifest.optionalDependencies ?? {});
  const fromSource =
    `build from source instead: clone ${REPOSITORY} and run \`npm install /path/to/the/clone\` in your ` +
    "project (needs Rust, https://rustup.rs).";
  if (prebuilt.includes(name)) {
    throw new Error(
      `kestrel-router: its prebuilt addon for this platform, the optional dependency ${name}, is not installed. ` +
        "npm leaves optional dependencies out with --omit=optional, and a package-lock.json written on another " +
        "platform can lack it: run `npm install` again without --omit=optional (delete package-lock.json and " +
        `node_modules if that does not help), or add ${name}@${manifest.version} yourself; or ${fromSource}`,
    );
  }
  const list = prebuilt.map((p) => p.slice(manifest.name.length + 1)).join(", ");
  throw new Error(`kestrel-router: no prebuilt addon for ${suffix} (there are for ${list}); ${fromSource}`);
}

module.exports = load();
