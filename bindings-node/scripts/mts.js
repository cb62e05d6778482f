#!/usr/bin/env node
// Writes js/index.d.mts and js/langchain.d.mts: the declarations of js/index.d.ts and
// js/langchain.d.ts under the names TypeScript looks for when ESM code imports the package
// (so @langchain/core's imports resolve to its ESM declarations, whose classes are not the
// CommonJS ones). Run by the checkout's build (`prepare`) and by `npm pack` of bindings-node
// (`prepack`), so the published package carries them.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const js = path.join(__dirname, "..", "js");
const header = (from) => `// Generated from ${from} by bindings-node/scripts/mts.js; the same declarations for ESM importers.\n`;
fs.writeFileSync(path.join(js, "index.d.mts"), header("index.d.ts") + fs.readFileSync(path.join(js, "index.d.ts"), "utf8"));
const langchain = fs.readFileSync(path.join(js, "langchain.d.ts"), "utf8").replace(/from "\.\/index\.js"/g, 'from "./index.mjs"');
fs.writeFileSync(path.join(js, "langchain.d.mts"), header("langchain.d.ts") + langchain);
