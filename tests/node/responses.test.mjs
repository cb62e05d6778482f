// `client.responses.create` (the Responses API, routed through the core): Response objects
// with `output_text` as openai-node adds it, function tools and the function_call_output round
// trip by `previous_response_id`, streamed events, and the 404 for an unknown id.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import OpenAI, { NotFoundError, Stream } from "kestrel-router";
import OfficialOpenAI from "openai";
import { clientOptions, useMock } from "./_mock.mjs";

let mock;
useMock((m) => (mock = m));

const direct = () => new OpenAI(clientOptions(mock, { routing: false }));
const WEATHER = {
  type: "function",
  name: "get_weather",
  description: "Current weather for a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describe("responses", () => {
  test("create resolves to a Response with output_text and kestrel metadata", async () => {
    const r = await direct().responses.create({ model: "gpt-4o", input: "What is 2+2?", instructions: "Be terse." });
    assert.equal(r.object, "response");
    assert.match(r.id, /^resp_/);
    assert.equal(r.status, "completed");
    assert.equal(r.output[0].type, "message");
    assert.deepEqual(r.output[0].content[0].annotations, []);
    assert.equal(r.output_text, 'Mock answer from gpt-4o: you said "What is 2+2?".');
    assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
    assert.equal(r.kestrel.provider, "openai");
  });

  test("a function call and its output, by previous_response_id", async () => {
    const client = direct();
    const first = await client.responses.create({ model: "gpt-4o", input: "Weather in Paris?", tools: [WEATHER] });
    const call = first.output[0];
    assert.equal(call.type, "function_call");
    assert.equal(call.name, "get_weather");
    assert.ok(JSON.parse(call.arguments).city);
    const second = await client.responses.create({
      model: "gpt-4o",
      previous_response_id: first.id,
      tools: [WEATHER],
      input: [{ type: "function_call_output", call_id: call.call_id, output: "18 degrees, sunny" }],
    });
    assert.match(second.output_text, /18 degrees/);
  });

  test("stream: true yields Responses events in order", async () => {
    const stream = await direct().responses.create({ model: "gpt-4o", input: "What is 2+2?", stream: true });
    assert.ok(stream instanceof Stream);
    const events = [];
    for await (const e of stream) events.push(e);
    assert.equal(events[0].type, "response.created");
    assert.equal(events[1].type, "response.in_progress");
    assert.equal(events.at(-1).type, "response.completed");
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );
    const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
    assert.equal(text, events.at(-1).response.output_text);
    assert.equal(text, 'Mock answer from gpt-4o: you said "What is 2+2?".');
    assert.ok(events.at(-1).response.kestrel);
  });

  test("an unknown previous_response_id is OpenAI's to answer: its 404", async () => {
    // Not a response this client stored: OpenAI may hold it, so it is asked, as the SDK would.
    await assert.rejects(
      direct().responses.create({ model: "gpt-4o", input: "hi", previous_response_id: "resp_missing" }),
      (e) => e instanceof NotFoundError && e.status === 404 && /Previous response with id 'resp_missing' not found/.test(e.message),
    );
    assert.deepEqual(
      (await mock.requests()).map((r) => r.path),
      ["/openai/v1/responses"],
    );
  });
});

describe("what only OpenAI's Responses API serves", () => {
  const official = () => new OfficialOpenAI({ apiKey: "sk-test", baseURL: mock.baseURL("openai"), maxRetries: 0 });
  const cases = [
    { input: "Today's news?", tools: [{ type: "web_search" }] },
    { input: "Find the refund policy.", tools: [{ type: "file_search", vector_store_ids: ["vs_1"] }] },
    { input: [{ type: "item_reference", id: "msg_1" }] },
    { input: "Go on.", previous_response_id: "resp_mock" + "0".repeat(44) },
    { input: "Write an essay.", background: true },
  ];

  test("goes there unchanged, with the official SDK's answer", async () => {
    const client = direct();
    for (const body of cases) {
      const want = await official().responses.create({ model: "gpt-4o", ...body });
      await mock.clear();
      const got = await client.responses.create({ model: "gpt-4o", kestrel: { routing: false }, ...body });
      assert.deepEqual(
        got.output.map((o) => o.type),
        want.output.map((o) => o.type),
      );
      assert.deepEqual([got.status, got.output_text, got.usage], [want.status, want.output_text, want.usage]);
      const sent = await mock.requests();
      assert.deepEqual(
        sent.map((r) => r.path),
        ["/openai/v1/responses"],
      );
      assert.equal(sent[0].body.kestrel, undefined);
      assert.deepEqual(sent[0].body.input, body.input);
    }
    const records = client.usage.records().slice(-cases.length);
    assert.deepEqual([...new Set(records.map((r) => r.endpoint))], ["responses"]);
  });

  test("a stream is the SDK's", async () => {
    const body = { model: "gpt-4o", input: "Today's news?", tools: [{ type: "web_search_preview" }], stream: true };
    const types = async (s) => {
      const out = [];
      for await (const e of s) out.push(e.type);
      return out;
    };
    const want = await types(await official().responses.create(body));
    const got = await types(await direct().responses.create(body));
    assert.deepEqual(got, want);
    assert.equal(got.at(-1), "response.completed");
  });

  test("stored responses are the official client's: retrieve, inputItems, delete, cancel", async () => {
    const client = direct();
    const id = "resp_mock" + "1".repeat(44);
    assert.equal((await client.responses.retrieve(id)).id, id);
    const items = [];
    for await (const item of client.responses.inputItems.list(id)) items.push(item.id);
    assert.deepEqual(items, ["msg_in0"]);
    await client.responses.delete(id);
    assert.equal((await client.responses.cancel(id)).status, "cancelled");
    assert.deepEqual(
      (await mock.requests()).slice(-2).map((r) => [r.method, r.path]),
      [
        ["DELETE", `/openai/v1/responses/${id}`],
        ["POST", `/openai/v1/responses/${id}/cancel`],
      ],
    );
  });
});
