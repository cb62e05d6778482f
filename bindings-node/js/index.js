"use strict";
// `require("kestrel-router")`: the OpenAI class, which also carries every export as a static
// member (like openai-node's default export): `const OpenAI = require("kestrel-router")`,
// `const { OpenAI, RateLimitError } = require("kestrel-router")` and `.default` all work.

const { OpenAI } = require("./client.js");
const { AzureOpenAI } = require("./azure.js");
const native = require("./native.js");

OpenAI.AzureOpenAI = AzureOpenAI;
OpenAI.version = native.version();
module.exports = OpenAI;
