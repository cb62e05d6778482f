"use strict";
// `kestrel-router/resources/chat/completions`: openai-node's `openai/resources/chat/completions`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/resources/chat/completions");
