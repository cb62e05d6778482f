"use strict";
// `require("kestrel-router")`: the OpenAI class, which also carries every export as a static
// member (like openai-node's default export): `const OpenAI = require("kestrel-router")`,
// `const { OpenAI, RateLimitError } = require("kestrel-router")` and `.default` all work.

const { OpenAI } = require("./client.js");
const { AzureOpenAI } = require("./azure.js");
const native = require("./native.js");

OpenAI.AzureOpenAI = AzureOpenAI;
OpenAI.version = native.version();
/** openai-node's `toFile` (uploads for files, audio and images, which its client sends);
 * the official package is loaded on first use. */
OpenAI.toFile = function toFile(value, name, options) {
  return require("openai").toFile(value, name, options);
};
module.exports = OpenAI;
