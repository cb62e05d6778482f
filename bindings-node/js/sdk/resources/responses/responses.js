"use strict";
// `kestrel-router/resources/responses/responses`: openai-node's `openai/resources/responses/responses`, re-exported so imports written for openai work unchanged.
module.exports = require("openai/resources/responses/responses");
