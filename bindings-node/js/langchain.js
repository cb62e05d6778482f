"use strict";
// `require("kestrel-router/langchain")`: ChatKestrel over @langchain/core's CommonJS build
// (an optional peer dependency: only this entry point needs it).

let lc;
try {
  lc = {
    ...require("@langchain/core/language_models/chat_models"),
    ...require("@langchain/core/language_models/base"),
    ...require("@langchain/core/language_models/structured_output"),
    ...require("@langchain/core/messages"),
    ...require("@langchain/core/outputs"),
    ...require("@langchain/core/output_parsers"),
    ...require("@langchain/core/output_parsers/openai_tools"),
    ...require("@langchain/core/runnables"),
    ...require("@langchain/core/utils/function_calling"),
    ...require("@langchain/core/utils/types"),
    ...require("@langchain/core/utils/json_schema"),
    ...require("@langchain/core/utils/standard_schema"),
    ContextOverflowError: require("@langchain/core/errors").ContextOverflowError,
  };
} catch (e) {
  if (e?.code !== "MODULE_NOT_FOUND" && e?.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e;
  throw new Error(
    `kestrel-router/langchain needs @langchain/core >= 1.1.30: npm install @langchain/core (${e.message.split("\n")[0]})`,
    { cause: e },
  );
}

const { makeChatKestrel } = require("./langchain_model.js");

const ChatKestrel = makeChatKestrel(lc);
module.exports = { ChatKestrel };
