// `client.responses.create` (the Responses API, routed through the core): Response objects
// with `output_text` as openai-node adds it, function tools and the function_call_output round
// trip by `previous_response_id`, streamed events, and the 404 for an unknown id.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";

import OpenAI, { NotFoundError, Stream } from "kestrel-router";
import { Mock, clientOptions } from "./_mock.mjs";

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

  test("an unknown previous_response_id is a 404 before any call", async () => {
    await assert.rejects(
      direct().responses.create({ model: "gpt-4o", input: "hi", previous_response_id: "resp_missing" }),
      (e) => e instanceof NotFoundError && e.status === 404 && /Previous response with id 'resp_missing' not found/.test(e.message),
    );
    assert.deepEqual(await mock.requests(), []);
  });
});
