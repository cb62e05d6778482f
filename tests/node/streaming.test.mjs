// Streams: `for await`, metadata on the last chunk, usage chunks, early exit, abort through
// `controller` and through an AbortSignal (which cancels the upstream request), tee and
// toReadableStream; and aborting non-stream calls.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import OpenAI, { APIUserAbortError, OpenAIError, Stream } from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

const LONG_TEXT = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");
const ask = (content = "hi") => [{ role: "user", content }];
let mock;

useMock((m) => (mock = m));

const direct = () => new OpenAI(clientOptions(mock, { routing: false }));
/** 200 words at 20 ms each: 4 s if nobody stops it. */
const slowStream = () => mock.script({ models: { "gpt-4o-mini": { text: LONG_TEXT, chunk_delay_ms: 20 } } });

/**
 * Waits (at most 2 s) for the stream's usage record: the core writes it when the stream
 * ends or is dropped, so seeing it long before the 4 s answer could finish shows that the
 * upstream request was cancelled.
 */
async function recorded(client) {
  for (let i = 0; i < 200 && client.usage.records().length === 0; i++) await sleep(10);
  return client.usage.records();
}

describe("streams", () => {
  test("for await yields OpenAI-shaped chunks; the last carries kestrel metadata", async () => {
    const c = new OpenAI(clientOptions(mock));
    const stream = await c.chat.completions.create({ model: "gpt-4o", messages: ask("What is 2+2?"), stream: true });
    assert.ok(stream instanceof Stream);
    assert.ok(stream.controller instanceof AbortController);
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.ok(chunks.length > 2);
    assert.ok(chunks.every((ch) => ch.object === "chat.completion.chunk"));
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
    const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("");
    assert.match(text, /you said "What is 2\+2\?"/);
    assert.equal(chunks.at(-1).kestrel.tier, "economy");
    const [record] = c.usage.records();
    assert.equal(record.stream, true);
    assert.ok(record.completion_tokens > 0);
  });

  test("include_usage adds a final usage chunk", async () => {
    const stream = await direct().chat.completions.create({
      model: "gpt-4o-mini",
      messages: ask(),
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks.at(-1).choices, []);
    assert.ok(chunks.at(-1).usage.total_tokens > 0);
  });

  test("a streamed tool call arrives in deltas", async () => {
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: {} } } }];
    const stream = await direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask("weather?"), tools, stream: true });
    let args = "";
    let name;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name ??= tc.function?.name;
        args += tc.function?.arguments ?? "";
      }
    }
    assert.equal(name, "get_weather");
    assert.equal(typeof JSON.parse(args), "object");
  });

  test("controller.abort() mid-stream ends the loop and cancels the upstream request", async () => {
    await slowStream();
    const c = direct();
    const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    const seen = [];
    for await (const chunk of stream) {
      seen.push(chunk);
      if (seen.length === 3) stream.controller.abort();
    }
    assert.equal(seen.length, 3);
    const records = await recorded(c);
    assert.equal(records.length, 1);
    assert.equal(records[0].stream, true);
    assert.ok(records[0].completion_tokens < 100, "the answer was cut short");
  });

  test("an AbortSignal in the request options aborts a stream that waits for a chunk", async () => {
    await mock.script({ models: { "gpt-4o-mini": { text: LONG_TEXT, chunk_delay_ms: 5000 } } });
    const c = direct();
    const ac = new AbortController();
    const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true }, { signal: ac.signal });
    const seen = [];
    const consumed = (async () => {
      for await (const chunk of stream) seen.push(chunk);
    })();
    await sleep(50);
    ac.abort();
    await consumed; // would take 5 s per chunk if the pending pull were not cancelled
    assert.ok(seen.length <= 2, `${seen.length} chunks`); // the role chunk and the first token
    assert.ok(stream.controller.signal.aborted);
    assert.equal((await recorded(c)).length, 1);
  });

  test("breaking out of for await cancels the stream", async () => {
    await slowStream();
    const c = direct();
    const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break;
    }
    assert.ok(stream.controller.signal.aborted);
    assert.equal((await recorded(c)).length, 1);
  });

  test("a stream is consumed once; tee() splits it", async () => {
    const c = direct();
    const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    const [a, b] = stream.tee();
    const left = [];
    for await (const chunk of a) left.push(chunk);
    const right = [];
    for await (const chunk of b) right.push(chunk);
    assert.ok(left.length > 2);
    assert.deepEqual(right, left);

    const once = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    for await (const _ of once);
    await assert.rejects(async () => {
      for await (const _ of once);
    }, OpenAIError);
  });

  test("toReadableStream gives newline-separated JSON", async () => {
    const stream = await direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    const text = await new Response(stream.toReadableStream()).text();
    const chunks = text.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(chunks[0].object, "chat.completion.chunk");
    assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
  });
});

describe("aborting a call", () => {
  test("an AbortSignal rejects an in-flight call with APIUserAbortError", async () => {
    await mock.script({ default: { latency_ms: 5000 } });
    const c = direct();
    const ac = new AbortController();
    const pending = c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { signal: ac.signal });
    await sleep(50);
    ac.abort();
    const e = await pending.catch((err) => err);
    assert.ok(e instanceof APIUserAbortError && e instanceof OpenAI.APIError, String(e));
    assert.equal(e.message, "Request was aborted.");
    // The call was dropped, so the client records it (as a failure) right away.
    assert.equal((await mock.chatRequests()).length, 1);
  });

  test("an already aborted signal rejects before any I/O", async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { signal: ac.signal }), APIUserAbortError);
    await assert.rejects(
      direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true }, { signal: ac.signal }),
      APIUserAbortError,
    );
    assert.equal((await mock.chatRequests()).length, 0);
  });

  test("an abort while a stream opens rejects the create call", async () => {
    await mock.script({ default: { latency_ms: 5000 } });
    const ac = new AbortController();
    const pending = direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true }, { signal: ac.signal });
    await sleep(50);
    ac.abort();
    await assert.rejects(pending, APIUserAbortError);
  });

  test("a long-lived signal keeps no listener once calls and streams are over", async () => {
    const { getEventListeners } = await import("node:events");
    const ac = new AbortController();
    const c = direct();
    for (let i = 0; i < 3; i++) {
      await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { signal: ac.signal });
      const stream = await c.chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true }, { signal: ac.signal });
      for await (const _ of stream);
    }
    assert.equal(getEventListeners(ac.signal, "abort").length, 0);
  });

  test("a signal that fires after the answer changes nothing", async () => {
    const ac = new AbortController();
    const r = await direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask() }, { signal: ac.signal });
    ac.abort();
    assert.equal(r.object, "chat.completion");
  });
});
