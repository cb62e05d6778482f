"use strict";
// `kestrel-router/lib/ChatCompletionStreamingRunner`: openai-node's `openai/lib/ChatCompletionStreamingRunner`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/lib/ChatCompletionStreamingRunner");
