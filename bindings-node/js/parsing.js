"use strict";
// `chat.completions.parse()`: openai-node's structured-output parsing over a routed
// completion. Works with openai-node's helpers (`zodResponseFormat`, `zodFunction` from
// "openai/helpers/zod"): they mark a response format or tool as auto-parseable with a
// non-enumerable `$parseRaw`, which is not serialized into the request and is used here.

const { ContentFilterFinishReasonError, LengthFinishReasonError, OpenAIError } = require("./errors.js");

const isAutoParseableTool = (tool) => tool?.$brand === "auto-parseable-tool";

/** Only strict function tools can be parsed (openai-node's rule). */
function validateInputTools(tools) {
  for (const tool of tools ?? []) {
    if (tool.type !== "function") {
      throw new OpenAIError(`Currently only \`function\` tool types support auto-parsing; Received \`${tool.type}\``);
    }
    if (tool.function.strict !== true) {
      throw new OpenAIError(
        `The \`${tool.function.name}\` tool is not marked with \`strict: true\`. Only strict function tools can be auto-parsed`,
      );
    }
  }
}

function parseResponseFormat(params, content) {
  const format = params.response_format;
  if (format?.type !== "json_schema") return null;
  return typeof format.$parseRaw === "function" ? format.$parseRaw(content) : JSON.parse(content);
}

function parseToolCall(params, toolCall) {
  const tool = params.tools?.find((t) => t?.function?.name === toolCall.function.name);
  const parsed = isAutoParseableTool(tool)
    ? tool.$parseRaw(toolCall.function.arguments)
    : tool?.function?.strict
      ? JSON.parse(toolCall.function.arguments)
      : null;
  return { ...toolCall, function: { ...toolCall.function, parsed_arguments: parsed } };
}

/** A completion with `message.parsed` and each tool call's `parsed_arguments` filled in. */
function parseChatCompletion(completion, params) {
  const choices = completion.choices.map((choice) => {
    if (choice.finish_reason === "length") throw new LengthFinishReasonError();
    if (choice.finish_reason === "content_filter") throw new ContentFilterFinishReasonError();
    const message = choice.message;
    for (const call of message.tool_calls ?? []) {
      if (call.type !== "function") {
        throw new OpenAIError(`Currently only \`function\` tool calls are supported; Received \`${call.type}\``);
      }
    }
    return {
      ...choice,
      message: {
        ...message,
        ...(message.tool_calls ? { tool_calls: message.tool_calls.map((c) => parseToolCall(params, c)) } : undefined),
        parsed: message.content && !message.refusal ? parseResponseFormat(params, message.content) : null,
      },
    };
  });
  return { ...completion, choices };
}

module.exports = { validateInputTools, parseChatCompletion };
