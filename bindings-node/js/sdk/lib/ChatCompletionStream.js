"use strict";
// `kestrel-router/lib/ChatCompletionStream`: openai-node's `openai/lib/ChatCompletionStream`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/lib/ChatCompletionStream");
