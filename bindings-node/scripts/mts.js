#!/usr/bin/env node
// Writes js/index.d.mts: the declarations of js/index.d.ts under the name TypeScript looks
// for when ESM code imports the package. Run by the checkout's build (`prepare`) and by
// `npm pack` of bindings-node (`prepack`), so the published package carries it.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const js = path.join(__dirname, "..", "js");
const header = "// Generated from index.d.ts by bindings-node/scripts/mts.js; the same declarations for ESM importers.\n";
fs.writeFileSync(path.join(js, "index.d.mts"), header + fs.readFileSync(path.join(js, "index.d.ts"), "utf8"));
