// ChatKestrel (kestrel-router/langchain) against the mock: LangChain JS's standard chat-model
// tests, ported to node:test, then what is Kestrel's own (routing metadata, per-call model and
// routing options, retries left to the client, both module systems).
//
// Why ported: @langchain/standard-tests is private to the langchainjs monorepo (not on npm)
// and drives jest's or vitest's `expect`. Each test below keeps its assertions. A test the
// mock's canned answers (or ChatOpenAI's own semantics, which ChatKestrel follows) cannot
// satisfy runs as `todo` with the reason, and a companion test shows @langchain/openai's
// ChatOpenAI failing the same assertions on the same mock.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, beforeEach, describe, test } from "node:test";

import OpenAI, { RateLimitError } from "kestrel-router";
import { ChatKestrel } from "kestrel-router/langchain";
import { ChatOpenAI } from "@langchain/openai";
import { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage, getBufferString } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnableLambda } from "@langchain/core/runnables";
import { StructuredTool, tool } from "@langchain/core/tools";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { concat } from "@langchain/core/utils/stream";
import { z } from "zod/v3";
import { z as z4 } from "zod";

import { Mock, PROVIDER_KEYS, clientOptions } from "./_mock.mjs";

const require = createRequire(import.meta.url);
let mock;

before(async () => {
  mock = await Mock.start();
});
after(async () => {
  await mock?.stop();
});
beforeEach(async () => {
  await mock.reset();
});

/** The standard suites' constructor arguments (ChatModelUnitTests adds the same). */
const STANDARD_ARGS = { temperature: 0, maxTokens: 100, timeout: 60000, stopSequences: [], maxRetries: 2 };

const kestrel = (fields = {}) =>
  new ChatKestrel({ model: "gpt-4o", client: new OpenAI(clientOptions(mock)), ...STANDARD_ARGS, ...fields });
const chatOpenAI = (fields = {}) =>
  new ChatOpenAI({
    model: "gpt-4o",
    apiKey: PROVIDER_KEYS.openai,
    configuration: { baseURL: mock.baseURL("openai") },
    ...STANDARD_ARGS,
    maxRetries: 0,
    ...fields,
  });

// ---------------------------------------------------------------------------------------
// Fixtures of the standard suites

const adderSchema = z
  .object({
    a: z.number().int().describe("The first integer to add."),
    b: z.number().int().describe("The second integer to add."),
  })
  .describe("Add two integers");

class AdderTool extends StructuredTool {
  name = "AdderTool";
  description = adderSchema.description ?? "description";
  schema = adderSchema;
  async _call(input) {
    return JSON.stringify({ result: input.a + input.b });
  }
}

const person = z
  .object({
    name: z.string().describe("Name of the person"),
    age: z.number().int().positive().describe("Age of the person"),
  })
  .describe("A person");

class PersonTool extends StructuredTool {
  name = "PersonTool";
  description = person.description ?? "description";
  schema = person;
  async _call(input) {
    return JSON.stringify(input);
  }
}

const MATH_ADDITION_PROMPT = ChatPromptTemplate.fromMessages([
  ["system", "You are bad at math and must ALWAYS call the {toolName} function."],
  ["human", "What is the sum of 1836281973 and 19973286?"],
]);

const FUNCTION_ID = "abc123";
const TEST_IMAGE_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
const TEST_AUDIO_BASE64 = "UklGRigAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAAABkYXRhAgAAAAEA";

/** The standard suites' TestCallbackHandler: records the extra params of each chat model start. */
class TestCallbackHandler extends BaseCallbackHandler {
  name = "TestCallbackHandler";
  _extraParams = [];
  tokens = [];
  ends = [];
  get extraParams() {
    return this._extraParams.reduce(Object.assign, {});
  }
  handleChatModelStart(_llm, _messages, _runId, _parentRunId, extraParams, _tags, metadata) {
    if (extraParams) this._extraParams.push({ ...extraParams, metadata });
  }
  handleLLMNewToken(token) {
    this.tokens.push(token);
  }
  handleLLMEnd(output) {
    this.ends.push(output);
  }
}

async function collect(stream) {
  let full;
  let count = 0;
  for await (const chunk of stream) {
    assert.ok(chunk instanceof AIMessageChunk);
    count += 1;
    full = full === undefined ? chunk : concat(full, chunk);
  }
  return { full, count };
}

// ---------------------------------------------------------------------------------------
// ChatModelUnitTests

describe("standard unit tests (ChatModelUnitTests)", () => {
  test("testChatModelInit", () => {
    assert.ok(kestrel());
  });

  test("testChatModelInitApiKey", () => {
    const model = new ChatKestrel({ ...STANDARD_ARGS, apiKey: "test", clientOptions: { fromEnv: false } });
    assert.ok(model);
    assert.equal(model.client.apiKey, "test");
  });

  test("testChatModelInitStreaming", () => {
    assert.equal(kestrel({ streaming: true }).streaming, true);
  });

  test("testChatModelWithBindTools", () => {
    assert.ok(kestrel().bindTools([new PersonTool()]));
  });

  test("testChatModelWithStructuredOutput", () => {
    assert.ok(kestrel().withStructuredOutput(person));
  });

  test("testStandardParams", () => {
    const params = kestrel().getLsParams({});
    assert.deepEqual(Object.keys(params).sort(), ["ls_max_tokens", "ls_model_name", "ls_model_type", "ls_provider", "ls_stop", "ls_temperature"]);
  });

  test("testInvokeThrowsWithAbortedSignal", async () => {
    await assert.rejects(kestrel().invoke([new HumanMessage("hello")], { signal: AbortSignal.abort() }));
    assert.equal((await mock.chatRequests()).length, 0, "no request leaves");
  });

  test("testStreamReturnsEarlyWithAbortedSignal", async () => {
    const chunks = [];
    try {
      for await (const chunk of await kestrel().stream([new HumanMessage("hello")], { signal: AbortSignal.abort() })) chunks.push(chunk);
      assert.equal(chunks.length, 0);
    } catch {
      // Throwing is the other accepted outcome.
    }
  });
});

// ---------------------------------------------------------------------------------------
// ChatModelIntegrationTests

/**
 * The integration tests, each `(make) => Promise<void>` over a model factory so the same body
 * runs against ChatKestrel and, where marked, ChatOpenAI. `mock`: why the mock cannot pass it.
 */
const INTEGRATION = {
  async testInvoke(make) {
    const result = await make().invoke("Hello");
    assert.ok(result instanceof AIMessage);
    assert.equal(typeof result.text, "string");
    assert.notEqual(result.text, "");
  },

  async testStream(make) {
    let chars = 0;
    let count = 0;
    for await (const token of await make().stream("Hello")) {
      count += 1;
      assert.ok(token instanceof AIMessageChunk);
      assert.equal(typeof token.content, "string");
      chars += token.content.length;
    }
    assert.ok(count > 0);
    assert.ok(chars > 0);
  },

  async testBatch(make) {
    const results = await make().batch(["Hello", "Hey"]);
    assert.equal(results.length, 2);
    for (const result of results) {
      assert.ok(result instanceof AIMessage);
      assert.notEqual(result.text, "");
    }
  },

  async testStreamEvents(make) {
    const events = [];
    for await (const event of make().streamEvents("Hello", { version: "v2" })) events.push(event);
    assert.ok(events.length >= 3);
    assert.equal(events[0].event, "on_chat_model_start");
    assert.equal(events.at(-1).event, "on_chat_model_end");
    assert.equal(events[Math.floor(events.length / 2)].event, "on_chat_model_stream");
    const streamed = events.filter((e) => e.event === "on_chat_model_stream").map((e) => e.data.chunk.content).join("");
    assert.equal(events.at(-1).data.output.content, streamed);
  },

  async testConversation(make) {
    const result = await make().invoke([new HumanMessage("hello"), new AIMessage("hello"), new HumanMessage("how are you")]);
    assert.ok(result instanceof AIMessage);
    assert.notEqual(result.text, "");
  },

  async testDoubleMessageConversation(make) {
    const result = await make().invoke([
      new SystemMessage("hello"),
      new SystemMessage("hello"),
      new HumanMessage("hello"),
      new HumanMessage("hello"),
      new AIMessage("hello"),
      new AIMessage("hello"),
      new HumanMessage("how are you"),
    ]);
    assert.ok(result instanceof AIMessage);
    assert.notEqual(result.text, "");
  },

  async testUsageMetadata(make) {
    const result = await make().invoke("Hello");
    assert.ok(result instanceof AIMessage);
    for (const key of ["input_tokens", "output_tokens", "total_tokens"]) assert.equal(typeof result.usage_metadata[key], "number");
    assert.equal(typeof result.response_metadata.model, "string");
    assert.notEqual(result.response_metadata.model, "");
  },

  async testUsageMetadataStreaming(make) {
    const { full } = await collect(await make().stream("Hello"));
    for (const key of ["input_tokens", "output_tokens", "total_tokens"]) assert.equal(typeof full.usage_metadata?.[key], "number");
  },

  async testStopSequence(make) {
    const result = await make().invoke("hi", { stop: ["you"] });
    assert.ok(result instanceof AIMessage);
    assert.notEqual(result.content, undefined);
    const custom = await make({ stop: ["you"] }).invoke("hi");
    assert.ok(custom instanceof AIMessage);
    assert.notEqual(custom.content, undefined);
  },

  async testToolCalling(make) {
    const result = await make().bindTools([new AdderTool()]).invoke("What is the value of adderTool(1, 2)? Use the tool.");
    assert.ok(result instanceof AIMessage);
    assert.equal(result.tool_calls.length, 1);
    const [call] = result.tool_calls;
    assert.equal(call.name, "AdderTool");
    assert.deepEqual(call.args, { a: 1, b: 2 });
    assert.equal(call.id, FUNCTION_ID);
    assert.equal(call.type, "tool_call");
  },

  async testBindToolsWithRunnableToolLike(make) {
    const runnableLike = RunnableLambda.from(() => {}).asTool({
      name: "math_addition",
      description: adderSchema.description,
      schema: adderSchema,
    });
    const result = await MATH_ADDITION_PROMPT.pipe(make().bindTools([runnableLike])).invoke({ toolName: "math_addition" });
    assert.equal(result.tool_calls.length, 1);
    const [call] = result.tool_calls;
    assert.equal(call.name, "math_addition");
    assert.equal(typeof call.args.a, "number");
    assert.equal(typeof call.args.b, "number");
    assert.ok(call.id);
    assert.equal(call.type, "tool_call");
  },

  async testBindToolsWithOpenAIFormattedTools(make) {
    const model = make().bindTools([
      { type: "function", function: { name: "math_addition", description: adderSchema.description, parameters: toJsonSchema(adderSchema) } },
    ]);
    const result = await MATH_ADDITION_PROMPT.pipe(model).invoke({ toolName: "math_addition" });
    assert.equal(result.tool_calls[0].name, "math_addition");
  },

  async testToolMessageHistoriesStringContent(make) {
    const adder = new AdderTool();
    const args = { a: 1, b: 2 };
    const result = await make()
      .bindTools([adder])
      .invoke([
        new HumanMessage("What is 1 + 2"),
        new AIMessage({ content: "", tool_calls: [{ name: adder.name, args, id: FUNCTION_ID, type: "tool_call" }] }),
        new ToolMessage(await adder.invoke(args), FUNCTION_ID, adder.name),
      ]);
    assert.ok(result instanceof AIMessage);
    assert.notEqual(result.content, undefined);
  },

  async testToolMessageHistoriesListContent(make) {
    const adder = new AdderTool();
    const args = { a: 1, b: 2 };
    const result = await make()
      .bindTools([adder])
      .invoke([
        new HumanMessage("What is 1 + 2"),
        new AIMessage({
          content: [
            { type: "text", text: "some text" },
            { type: "tool_use", id: FUNCTION_ID, name: adder.name, input: args },
          ],
          tool_calls: [{ name: adder.name, args, id: FUNCTION_ID, type: "tool_call" }],
        }),
        new ToolMessage(await adder.invoke(args), FUNCTION_ID, adder.name),
      ]);
    assert.ok(result instanceof AIMessage);
    assert.notEqual(result.content, undefined);
  },

  async testStructuredFewShotExamples(make) {
    const adder = new AdderTool();
    const args = { a: 1, b: 2 };
    const output = await adder.invoke(args);
    const result = await make()
      .bindTools([adder])
      .invoke([
        new HumanMessage("What is 1 + 2"),
        new AIMessage({ content: "", tool_calls: [{ name: adder.name, args, id: FUNCTION_ID, type: "tool_call" }] }),
        new ToolMessage(output, FUNCTION_ID, adder.name),
        new AIMessage(output),
        new HumanMessage("What is 3 + 4"),
      ]);
    assert.ok(result instanceof AIMessage);
  },

  async testWithStructuredOutput(make) {
    const handler = new TestCallbackHandler();
    const result = await MATH_ADDITION_PROMPT.pipe(make().withStructuredOutput(adderSchema, { name: "math_addition" })).invoke(
      { toolName: "math_addition" },
      { callbacks: [handler] },
    );
    assert.equal(typeof result.a, "number");
    assert.equal(typeof result.b, "number");
    const format = handler.extraParams.options.ls_structured_output_format;
    assert.equal(format?.kwargs?.method, "functionCalling");
    assert.deepEqual(format?.schema, toJsonSchema(adderSchema));
  },

  async testWithStructuredOutputIncludeRaw(make) {
    const handler = new TestCallbackHandler();
    const model = make().withStructuredOutput(adderSchema, { includeRaw: true, name: "math_addition" });
    const result = await MATH_ADDITION_PROMPT.pipe(model).invoke({ toolName: "math_addition" }, { callbacks: [handler] });
    assert.ok(result.raw instanceof AIMessage);
    assert.equal(typeof result.parsed.a, "number");
    assert.equal(typeof result.parsed.b, "number");
    const format = handler.extraParams.options.ls_structured_output_format;
    assert.equal(format?.kwargs?.method, "functionCalling");
    assert.deepEqual(format?.schema, toJsonSchema(adderSchema));
  },

  async testCacheComplexMessageTypes(make) {
    const model = make({ cache: true });
    const human = new HumanMessage({ content: [{ type: "text", text: "Hello there!" }] });
    const prompt = getBufferString([human]);
    const key = model._getSerializedCacheKeyParametersForCall({});
    await model.invoke([human]);
    const cached = await model.cache.lookup(prompt, key);
    assert.ok(cached);
    assert.equal(cached.length, 1);
    const again = await model.invoke([human]);
    assert.deepEqual(again, cached[0].message);
    assert.deepEqual(await model.cache.lookup(prompt, key), cached);
  },

  async testStreamTokensWithToolCalls(make) {
    const stream = await MATH_ADDITION_PROMPT.pipe(make().bindTools([new AdderTool()])).stream({ toolName: "math_addition" });
    const { full } = await collect(stream);
    assert.ok(full.tool_calls?.[0]);
    assert.ok(full.usage_metadata?.input_tokens > 0);
    assert.ok(full.usage_metadata?.output_tokens > 0);
  },

  async testModelCanUseToolUseAIMessage(make) {
    const weather = weatherTool();
    const model = make().bindTools([weather]);
    const messages = [new HumanMessage("What's the weather like in San Francisco right now? Use the 'get_current_weather' tool to find the answer.")];
    const result = await model.invoke(messages);
    assert.equal(result.tool_calls[0]?.name, "get_current_weather");
    messages.push(result);
    const [call] = result.tool_calls;
    messages.push(new ToolMessage({ tool_call_id: call.id ?? "", name: call.name, content: await weather.invoke(call.args) }));
    assert.notEqual((await model.invoke(messages)).content, "");
  },

  async testModelCanUseToolUseAIMessageWithStreaming(make) {
    const weather = weatherTool();
    const model = make().bindTools([weather]);
    const messages = [new HumanMessage("What's the weather like in San Francisco right now? Use the 'get_current_weather' tool to find the answer.")];
    const { full } = await collect(await model.stream(messages));
    assert.equal(full.tool_calls[0]?.name, "get_current_weather");
    messages.push(full);
    const [call] = full.tool_calls;
    messages.push(new ToolMessage({ tool_call_id: call.id ?? "", name: call.name, content: await weather.invoke(call.args) }));
    const { full: final } = await collect(await model.stream(messages));
    assert.notEqual(final.content, "");
  },

  async testInvokeMoreComplexTools(make) {
    const complex = z.object({
      decision: z.enum(["UseAPI", "UseFallback"]),
      explanation: z.string(),
      apiDetails: z.object({
        serviceName: z.string(),
        endpointName: z.string(),
        parameters: z.record(z.unknown()),
        extractionPath: z.string(),
      }),
    });
    const prompt = ChatPromptTemplate.fromMessages([
      ["system", "You're a helpful assistant. Always use the {toolName} tool."],
      ["human", "I want to use the UseAPI because it's faster. Service name: {serviceName}"],
    ]);
    const result = await prompt.pipe(make().withStructuredOutput(complex, { name: "service_tool" })).invoke({
      toolName: "service_tool",
      serviceName: "MyService",
    });
    assert.ok(result.decision);
    assert.ok(result.explanation);
    assert.equal(typeof result.apiDetails, "object");
  },

  async testParallelToolCalling(make) {
    const model = make().bindTools([weatherTool(), timeTool()]);
    const prompt =
      "What's the weather and current time in San Francisco?\n" +
      "Ensure you ALWAYS call the 'get_current_weather' tool for weather and 'get_current_time' tool for time.";
    const result = await model.invoke(prompt);
    assert.ok(result.tool_calls.length >= 2);
    assert.ok(result.tool_calls.find((c) => c.name === "get_current_weather"));
    assert.ok(result.tool_calls.find((c) => c.name === "get_current_time"));
  },

  // The history half of testParallelToolCalling (onlyVerifyHistory).
  async testParallelToolCallResultsInHistory(make) {
    const model = make().bindTools([weatherTool(), timeTool()]);
    const prompt = "What's the weather and current time in San Francisco?";
    const result = await model.invoke([
      new HumanMessage(prompt),
      new AIMessage({
        content: "",
        tool_calls: [
          { name: "get_current_weather", id: "get_current_weather_id", args: { location: "San Francisco" }, type: "tool_call" },
          { name: "get_current_time", id: "get_current_time_id", args: { location: "San Francisco" }, type: "tool_call" },
        ],
      }),
      new ToolMessage({ name: "get_current_weather", tool_call_id: "get_current_weather_id", content: "24 degrees with hail." }),
      new ToolMessage({ name: "get_current_time", tool_call_id: "get_current_time_id", content: "12:02 PM." }),
    ]);
    assert.equal((result.tool_calls ?? []).length, 0);
    assert.notEqual(result.content, "");
  },

  async testModelCanAcceptStructuredToolParamsSchema(make) {
    const params = { name: "get_current_weather", description: "Get the current weather", schema: z.object({ location: z.string() }) };
    const result = await make().bindTools([params]).invoke("What's the weather like in San Francisco today?");
    assert.ok(result.tool_calls.length >= 1);
    assert.equal(result.tool_calls[0].name, "get_current_weather");
    assert.ok("location" in result.tool_calls[0].args);
  },

  async testStreamTools(make) {
    const params = { name: "get_current_weather", description: "Get the current weather", schema: z.object({ location: z.string() }) };
    const { full } = await collect(await make().bindTools([params]).stream("What's the weather like in San Francisco today?"));
    assert.ok(full.tool_calls.length >= 1);
    assert.equal(full.tool_calls[0].name, "get_current_weather");
    assert.ok("location" in full.tool_calls[0].args);
  },

  async testStandardTextContentBlocks(make) {
    const msg = new HumanMessage({ content: [{ type: "text", source_type: "text", text: "Hello from a text content block!" }] });
    assert.notEqual((await make().invoke([msg])).text, "");
  },

  async testStandardImageContentBlocks(make) {
    for (const block of [
      { type: "image", source_type: "url", url: "https://example.com/red-disc.png" },
      { type: "image", source_type: "base64", data: TEST_IMAGE_BASE64, mime_type: "image/png" },
      { type: "image", source_type: "url", url: `data:image/png;base64,${TEST_IMAGE_BASE64}` },
    ]) {
      assert.notEqual((await make().invoke([new HumanMessage({ content: [block] })])).text, "");
    }
  },

  async testStandardAudioContentBlocks(make) {
    for (const block of [
      { type: "audio", source_type: "base64", data: TEST_AUDIO_BASE64, mime_type: "audio/wav" },
      { type: "audio", source_type: "url", url: `data:audio/wav;base64,${TEST_AUDIO_BASE64}`, mime_type: "audio/wav" },
    ]) {
      assert.notEqual((await make().invoke([new HumanMessage({ content: [block] })])).text, "");
    }
  },

  async testStandardFileContentBlocks(make) {
    const block = {
      type: "file",
      source_type: "url",
      url: "data:text/plain;base64,SGVsbG8sIFdvcmxkIQ==",
      mime_type: "text/plain",
      metadata: { filename: "hello.txt" },
    };
    assert.notEqual((await make().invoke([new HumanMessage({ content: [block] })])).text, "");
  },
};

function weatherTool() {
  return tool(() => "The weather in San Francisco is 70 degrees and sunny.", {
    name: "get_current_weather",
    description: "Get the current weather for a location.",
    schema: z.object({ location: z.string().describe("The location to get the weather for.") }),
  });
}

function timeTool() {
  return tool(() => "no-op", {
    name: "get_current_time",
    description: "Get the current time in a given location",
    schema: z.object({ location: z.string().describe("The city name, e.g. San Francisco") }),
  });
}

/** Tests ChatKestrel cannot pass here, and why; ChatOpenAI must fail each on the same mock. */
const KNOWN = {
  testToolCalling:
    "mock: its canned tool call fills every integer with 1 and makes up the id (call_mock_N_0), the test wants the arguments (1, 2) and id abc123",
  testParallelToolCalling: "mock: it answers with one call to the first tool, the test wants both tools called",
  testWithStructuredOutput:
    "ChatOpenAI's semantics: ls_structured_output_format.kwargs.method is 'json_schema' (gpt-4o's default) or 'function_calling', and its schema carries a title; the test wants 'functionCalling' and the bare schema",
  testWithStructuredOutputIncludeRaw: "ChatOpenAI's semantics: as testWithStructuredOutput",
};

describe("standard integration tests (ChatModelIntegrationTests), ChatKestrel on the mock", () => {
  for (const [name, run] of Object.entries(INTEGRATION)) {
    test(name, KNOWN[name] ? { todo: KNOWN[name] } : {}, () => run(kestrel));
  }
});

describe("ChatOpenAI fails the tests marked above on the same mock", () => {
  for (const name of Object.keys(KNOWN)) {
    test(name, async () => {
      await assert.rejects(INTEGRATION[name](chatOpenAI), (e) => e instanceof assert.AssertionError);
      await mock.reset();
      // ... and ChatKestrel fails them with the same kind of error, nothing else.
      await assert.rejects(INTEGRATION[name](kestrel), (e) => e instanceof assert.AssertionError);
    });
  }
});
