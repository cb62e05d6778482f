"use strict";
// `kestrel-router/resources/chat`: openai-node's `openai/resources/chat`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/resources/chat");
