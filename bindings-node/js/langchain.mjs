// `import { ChatKestrel } from "kestrel-router/langchain"`: ChatKestrel over @langchain/core's
// ESM build, so its messages, tools and runnables are the ones ESM callers import (the
// CommonJS build's classes are distinct; see langchain_model.js).
import * as chatModels from "@langchain/core/language_models/chat_models";
import * as base from "@langchain/core/language_models/base";
import * as structuredOutput from "@langchain/core/language_models/structured_output";
import * as messages from "@langchain/core/messages";
import * as outputs from "@langchain/core/outputs";
import * as outputParsers from "@langchain/core/output_parsers";
import * as openaiTools from "@langchain/core/output_parsers/openai_tools";
import * as runnables from "@langchain/core/runnables";
import * as functionCalling from "@langchain/core/utils/function_calling";
import * as types from "@langchain/core/utils/types";
import * as jsonSchema from "@langchain/core/utils/json_schema";
import * as standardSchema from "@langchain/core/utils/standard_schema";
import * as errors from "@langchain/core/errors";

import model from "./langchain_model.js";

export const ChatKestrel = model.makeChatKestrel({
  ...chatModels,
  ...base,
  ...structuredOutput,
  ...messages,
  ...outputs,
  ...outputParsers,
  ...openaiTools,
  ...runnables,
  ...functionCalling,
  ...types,
  ...jsonSchema,
  ...standardSchema,
  ContextOverflowError: errors.ContextOverflowError,
});
