"use strict";
// Loads the addon that `npm install` built (bindings-node/kestrel.node).

const path = require("node:path");

const file = path.join(__dirname, "..", "kestrel.node");
let native;
try {
  native = require(file);
} catch (e) {
  const err = new Error(
    `kestrel: cannot load the native addon ${file} (${e.message}). ` +
      "It is built from source on install: run `npm rebuild kestrel` (needs Rust, https://rustup.rs).",
  );
  err.cause = e;
  throw err;
}

module.exports = native;
