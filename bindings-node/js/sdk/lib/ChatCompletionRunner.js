"use strict";
// `kestrel-router/lib/ChatCompletionRunner`: openai-node's `openai/lib/ChatCompletionRunner`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/lib/ChatCompletionRunner");
