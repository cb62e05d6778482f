// openai-node's chat helpers on a Kestrel client: `chat.completions.stream(...)` and
// `chat.completions.runTools(...)`, plus the subpath imports (`kestrel-router/helpers/zod`,
// `kestrel-router/lib/ChatCompletionStream`, `kestrel-router/resources/...`). Each program
// runs with the official client and with Kestrel (routing off, so both reach the same model
// on the mock) and must see the same events, content, parsed objects, tool-call arguments
// and error classes.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";

import Official from "openai";
import * as officialZod from "openai/helpers/zod";
import { ChatCompletionStream as OfficialChatCompletionStream } from "openai/lib/ChatCompletionStream";
import { z } from "zod";

import OpenAI, * as kestrel from "kestrel-router";
import { zodFunction, zodResponseFormat } from "kestrel-router/helpers/zod";
import { ChatCompletionStream } from "kestrel-router/lib/ChatCompletionStream";
import * as completionsModule from "kestrel-router/resources/chat/completions";
import { PROVIDER_KEYS, clientOptions, useMock } from "./_mock.mjs";

const require = createRequire(import.meta.url);
const MODEL = "gpt-4o-mini";
const ask = (content) => [{ role: "user", content }];
const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"],
    },
  },
};
const Person = z.object({ name: z.string(), age: z.number() });
const EVENTS = [
  "connect",
  "chunk",
  "content.delta",
  "content.done",
  "refusal.delta",
  "refusal.done",
  "tool_calls.function.arguments.delta",
  "tool_calls.function.arguments.done",
  "logprobs.content.delta",
  "logprobs.content.done",
  "message",
  "chatCompletion",
  "finalContent",
  "finalMessage",
  "finalChatCompletion",
  "functionToolCall",
  "functionToolCallResult",
  "end",
];

let mock;
useMock((m) => (mock = m));

const official = () => new Official({ apiKey: PROVIDER_KEYS.openai, baseURL: mock.baseURL("openai"), maxRetries: 0 });
const direct = () => new OpenAI(clientOptions(mock, { routing: false }));

/**
 * JSON of a value without what differs between two requests (ids, timestamps, metadata)
 * and without null fields (a routed chunk leaves out `logprobs: null`, `refusal: null`).
 */
function plain(value) {
  return JSON.parse(JSON.stringify(value ?? null), (key, v) =>
    key === "id" || key === "created" || key === "kestrel" || key === "tool_call_id" || (key !== "" && v === null)
      ? undefined
      : v,
  );
}

/** Every event a runner emits, in order, with its first argument. */
function record(runner) {
  const events = [];
  for (const name of EVENTS) runner.on(name, (arg) => events.push([name, plain(arg)]));
  return events;
}

async function streamProgram(client, params) {
  const stream = client.chat.completions.stream({ model: MODEL, ...params });
  const events = record(stream);
  const final = await stream.finalChatCompletion();
  const message = final.choices[0].message;
  return {
    events,
    content: await stream.finalContent(),
    message: plain(await stream.finalMessage()),
    parsed: message.parsed,
    toolCalls: (message.tool_calls ?? []).map((c) => [c.function.name, c.function.arguments, c.function.parsed_arguments]),
    finish: final.choices[0].finish_reason,
    final,
  };
}

function same(got, expected) {
  const { final: _a, ...g } = got;
  const { final: _b, ...e } = expected;
  assert.deepEqual(g, e);
}

describe("chat.completions.stream", () => {
  test("text: the same events and content as openai-node", async () => {
    const expected = await streamProgram(official(), { messages: ask("hello there") });
    const got = await streamProgram(direct(), { messages: ask("hello there") });
    same(got, expected);
    const names = got.events.map(([n]) => n);
    assert.equal(names[0], "connect");
    assert.ok(names.includes("content.delta") && names.includes("content.done"));
    assert.equal(names.at(-1), "end");
    assert.equal(got.content, 'Mock answer from gpt-4o-mini: you said "hello there".');
    // The final completion keeps the routing metadata of the last chunk.
    assert.equal(got.final.kestrel.model, MODEL);
    assert.equal(expected.final.kestrel, undefined);
  });

  test("tool calls: the same argument events and final arguments", async () => {
    await mock.script({
      models: {
        [MODEL]: {
          tool_calls: [
            { name: "get_weather", arguments: { city: "Paris", unit: "celsius" } },
            { name: "get_weather", arguments: { city: "Lyon", unit: "fahrenheit" } },
          ],
        },
      },
    });
    const expected = await streamProgram(official(), { messages: ask("Paris and Lyon?"), tools: [WEATHER] });
    const got = await streamProgram(direct(), { messages: ask("Paris and Lyon?"), tools: [WEATHER] });
    same(got, expected);
    const names = got.events.map(([n]) => n);
    assert.equal(names.filter((n) => n === "tool_calls.function.arguments.done").length, 2);
    assert.ok(names.includes("tool_calls.function.arguments.delta"));
    assert.deepEqual(
      got.toolCalls.map(([, args]) => JSON.parse(args)),
      [
        { city: "Paris", unit: "celsius" },
        { city: "Lyon", unit: "fahrenheit" },
      ],
    );
    assert.equal(got.finish, "tool_calls");
  });

  test("structured output: zodResponseFormat is parsed as openai-node parses it", async () => {
    const expected = await streamProgram(official(), {
      messages: ask("Who?"),
      response_format: officialZod.zodResponseFormat(Person, "person"),
    });
    const got = await streamProgram(direct(), { messages: ask("Who?"), response_format: zodResponseFormat(Person, "person") });
    same(got, expected);
    assert.deepEqual(got.parsed, { name: "example", age: 1 });
    const formats = (await mock.chatRequests()).map((r) => r.body.response_format);
    assert.deepEqual(formats[0], formats[1]);
    assert.equal(formats[1].json_schema.name, "person");
  });

  test("strict zodFunction tools get parsed_arguments", async () => {
    const tool = (zod) => zod.zodFunction({ name: "lookup", parameters: Person });
    const expected = await streamProgram(official(), { messages: ask("Look up"), tools: [tool(officialZod)] });
    const got = await streamProgram(direct(), { messages: ask("Look up"), tools: [tool({ zodFunction })] });
    same(got, expected);
    assert.deepEqual(got.toolCalls[0][2], { name: "example", age: 1 });
  });

  const errorOf = async (client, behaviour, params = {}) => {
    await mock.script({ models: { [MODEL]: behaviour } });
    const stream = client.chat.completions.stream({ model: MODEL, messages: ask("one two three four five"), ...params });
    const deltas = [];
    stream.on("content.delta", ({ delta }) => deltas.push(delta));
    const error = await stream.finalChatCompletion().then(
      () => null,
      (e) => e,
    );
    return { error, deltas };
  };

  for (const [name, behaviour] of [
    ["cut mid-stream", { cut_after_chunks: 2 }],
    ["rate limited", { status: 429, error_message: "slow down" }],
    ["server error", { status: 500 }],
  ]) {
    test(`${name}: Kestrel's error of openai-node's class`, async () => {
      const expected = await errorOf(official(), behaviour);
      const got = await errorOf(direct(), behaviour);
      assert.ok(expected.error instanceof Official.OpenAIError, String(expected.error));
      const cls = kestrel[expected.error.constructor.name];
      assert.ok(cls && got.error instanceof cls, `${got.error} is not a ${expected.error.constructor.name}`);
      assert.equal(got.error.status, expected.error.status);
      assert.deepEqual(got.deltas, expected.deltas);
    });
  }

  test("a cut stream is Kestrel's APIConnectionError (openai-node wraps the socket error)", async () => {
    const { error } = await errorOf(direct(), { cut_after_chunks: 2 });
    assert.ok(error instanceof kestrel.APIConnectionError, String(error));
  });

  test("a structured answer cut by the length limit raises LengthFinishReasonError", async () => {
    const behaviour = { text: '{"name": "Al', finish_reason: "length" };
    const expected = await errorOf(official(), behaviour, { response_format: officialZod.zodResponseFormat(Person, "p") });
    const got = await errorOf(direct(), behaviour, { response_format: zodResponseFormat(Person, "p") });
    assert.equal(expected.error?.constructor.name, "LengthFinishReasonError");
    assert.ok(got.error instanceof kestrel.LengthFinishReasonError, String(got.error));
    assert.deepEqual(got.deltas, expected.deltas);
  });

  test("async iteration, abort and toReadableStream", async () => {
    const client = direct();
    const chunks = [];
    for await (const chunk of client.chat.completions.stream({ model: MODEL, messages: ask("hi") })) chunks.push(chunk);
    assert.equal(chunks[0].object, "chat.completion.chunk");
    assert.equal(chunks.at(-1).kestrel.model, MODEL);

    // A stream sent to a browser and read back there with the lib class.
    const source = client.chat.completions.stream({ model: MODEL, messages: ask("relay") });
    const readBack = ChatCompletionStream.fromReadableStream(source.toReadableStream());
    assert.equal(await readBack.finalContent(), 'Mock answer from gpt-4o-mini: you said "relay".');
    assert.equal(ChatCompletionStream, OfficialChatCompletionStream);

    await mock.script({ models: { [MODEL]: { text: "a b c d e f g h i j", chunk_delay_ms: 30 } } });
    const aborted = client.chat.completions.stream({ model: MODEL, messages: ask("stop") });
    aborted.on("content.delta", () => aborted.abort());
    await assert.rejects(aborted.finalChatCompletion(), kestrel.APIUserAbortError);
    assert.ok(aborted.aborted);
  });
});

async function runToolsProgram(client, zod, stream) {
  const calls = [];
  const runner = client.chat.completions.runTools({
    model: MODEL,
    stream,
    messages: ask("Weather in Paris?"),
    tools: [
      zod.zodFunction({
        name: "get_weather",
        parameters: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
        function: (args) => {
          calls.push(args);
          return `18 degrees ${args.unit} in ${args.city}`;
        },
      }),
    ],
  });
  const events = record(runner);
  const content = await runner.finalContent();
  return { events, content, calls, messages: plain(runner.messages), result: await runner.finalFunctionToolCallResult() };
}

describe("chat.completions.runTools", () => {
  for (const stream of [false, true]) {
    test(`${stream ? "streaming" : "plain"}: the same tool calls, messages and answer`, async () => {
      const expected = await runToolsProgram(official(), officialZod, stream);
      const got = await runToolsProgram(direct(), { zodFunction }, stream);
      assert.deepEqual(got, expected);
      assert.deepEqual(got.calls, [{ city: "example", unit: "celsius" }]);
      assert.equal(got.result, "18 degrees celsius in example");
      assert.match(got.content, /18 degrees celsius in example/);
      assert.equal((await mock.chatRequests()).length, 4, "two requests per client");
    });
  }

  test("every request of the loop is routed and recorded", async () => {
    const client = new OpenAI(clientOptions(mock));
    const runner = client.chat.completions.runTools({
      model: "gpt-4o",
      messages: ask("Weather?"),
      tools: [{ type: "function", function: { ...WEATHER.function, function: () => "sunny", parse: JSON.parse } }],
    });
    const final = await runner.finalChatCompletion();
    assert.equal(final.kestrel.requested_model, "gpt-4o");
    assert.equal(client.usage.records().length, 2);
  });
});

// A routed Response reaches the mock as a chat call (the core translates it): the checks
// are on openai-node's helper values; beside the official client, what only OpenAI serves
// goes to OpenAI unchanged.
describe("responses.stream and responses.parse", () => {
  const program = async (client, body) => {
    const stream = client.responses.stream({ model: MODEL, ...body });
    const types = [];
    stream.on("event", (e) => types.push(e.type));
    const final = await stream.finalResponse();
    return { types: types.filter((t, i) => i === 0 || t !== types[i - 1]), text: final.output_text };
  };

  test("what only OpenAI serves goes to OpenAI unchanged", async () => {
    const body = { input: "Today's news?", tools: [{ type: "web_search_preview" }] };
    const expected = await program(official(), body);
    await mock.clear();
    const got = await program(direct(), body);
    assert.deepEqual(got, expected);
    assert.deepEqual((await mock.requests()).map((r) => r.path), ["/openai/v1/responses"]);
  });

  test("stream: openai-node's ResponseStream events and final response", async () => {
    const stream = direct().responses.stream({ model: MODEL, input: "hello there" });
    const types = [];
    const deltas = [];
    stream.on("event", (e) => types.push(e.type));
    stream.on("response.output_text.delta", (e) => deltas.push(e));
    const final = await stream.finalResponse();
    assert.equal(types[0], "response.created");
    assert.equal(types.at(-1), "response.completed");
    assert.ok(deltas.length > 1);
    // openai-node's stream adds the text so far to each delta event.
    assert.equal(deltas.at(-1).snapshot, deltas.map((d) => d.delta).join(""));
    assert.equal(final.output_text, 'Mock answer from gpt-4o-mini: you said "hello there".');
    assert.equal(final.kestrel.model, MODEL);
  });

  test("parse and stream with zodTextFormat fill output_parsed", async () => {
    const { zodTextFormat } = await import("kestrel-router/helpers/zod");
    const client = direct();
    const text = { format: zodTextFormat(Person, "person") };
    const parsed = await client.responses.parse({ model: MODEL, input: "Who?", text });
    assert.deepEqual(parsed.output_parsed, { name: "example", age: 1 });
    assert.equal(parsed.kestrel.requested_model, MODEL);
    const final = await client.responses.stream({ model: MODEL, input: "Who?", text }).finalResponse();
    assert.deepEqual(final.output_parsed, { name: "example", age: 1 });
    const fmt = (await mock.chatRequests())[0].body.response_format;
    assert.equal(fmt.json_schema.name, "person");
  });

  test("errors are Kestrel's classes", async () => {
    await mock.script({ models: { [MODEL]: { status: 429, error_message: "slow down" } } });
    await assert.rejects(direct().responses.stream({ model: MODEL, input: "hi" }).finalResponse(), kestrel.RateLimitError);
  });
});

describe("subpath imports", () => {
  test("helpers, lib and resources modules are openai-node's, through ESM and CommonJS", () => {
    // Each module format gives openai-node's module of the same format.
    assert.equal(zodResponseFormat, officialZod.zodResponseFormat);
    assert.equal(require("kestrel-router/helpers/zod").zodFunction, require("openai/helpers/zod").zodFunction);
    assert.equal(
      require("kestrel-router/lib/ChatCompletionStream").ChatCompletionStream,
      require("openai/lib/ChatCompletionStream").ChatCompletionStream,
    );
    assert.equal(completionsModule.ChatCompletionStream, OfficialChatCompletionStream);
    assert.equal(typeof require("kestrel-router/lib/ChatCompletionRunner").ChatCompletionRunner, "function");
    assert.equal(typeof require("kestrel-router/lib/ChatCompletionStreamingRunner").ChatCompletionStreamingRunner, "function");
    assert.equal(typeof require("kestrel-router/resources/chat").Completions, "function");
    assert.equal(typeof require("kestrel-router/resources/responses/responses").Responses, "function");
    assert.ok(require("kestrel-router/resources/shared"));
  });
});
