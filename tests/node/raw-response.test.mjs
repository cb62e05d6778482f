// Raw responses, request ids and error responses on routed calls, as openai-node has them:
// `.withResponse()` / `.asResponse()` on the promise `create()` returns, `_request_id` on
// answers, and `status` / `headers` / `requestID` / `error` on errors.

import assert from "node:assert/strict";
import { test } from "node:test";

import OpenAI, { APIPromise, InternalServerError, InvalidRequestError, RateLimitError } from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

const ask = (content = "hi") => [{ role: "user", content }];
/** The mock numbers its answers: `chatcmpl-mock-N` goes with `req_mock_N`. */
const seqOf = (id) => id.split("-").at(-1);
let mock;

useMock((m) => (mock = m));

const direct = (overrides) => new OpenAI(clientOptions(mock, { routing: false, ...overrides }));
const failure = (promise) => promise.then(() => assert.fail("expected a rejection"), (e) => e);

test("answers carry _request_id, not enumerable", async () => {
  const client = direct();
  const promise = client.chat.completions.create({ model: "gpt-4o-mini", messages: ask() });
  assert.ok(promise instanceof APIPromise && promise instanceof Promise);
  const r = await promise;
  assert.equal(r._request_id, `req_mock_${seqOf(r.id)}`);
  assert.ok(!Object.keys(r).includes("_request_id"));
  assert.ok(!JSON.stringify(r).includes("_request_id"));
});

test("withResponse gives the data, the provider's Response and the request id", async () => {
  const { data, response, request_id } = await direct()
    .chat.completions.create({ model: "gpt-4o-mini", messages: ask() })
    .withResponse();
  assert.ok(response instanceof Response);
  assert.equal(response.status, 200);
  assert.equal(request_id, response.headers.get("x-request-id"));
  assert.equal(request_id, data._request_id);
  assert.equal(response.headers.get("openai-organization"), "org-kestrel-mock");
  assert.equal(response.headers.get("x-ratelimit-remaining-requests"), "9999");
  assert.equal(response.headers.get("authorization"), null);
  assert.ok(response.url.endsWith("/openai/v1/chat/completions"), response.url);
  assert.equal((await response.json()).id, data.id);
  assert.ok(data.choices[0].message.content.startsWith("Mock answer"));
});

test("asResponse gives the Response alone, its body the answer", async () => {
  const response = await direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask() }).asResponse();
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /application\/json/);
  const body = await response.json();
  assert.equal(body.object, "chat.completion");
  assert.equal(response.headers.get("x-request-id"), `req_mock_${seqOf(body.id)}`);
});

test("a stream's raw response is its events; the stream knows its response", async () => {
  const client = direct();
  const response = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: ask(), stream: true })
    .asResponse();
  assert.match(response.headers.get("content-type"), /text\/event-stream/);
  const text = await response.text();
  const lines = text.split("\n").filter(Boolean);
  assert.equal(lines.at(-1), "data: [DONE]");
  const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice("data: ".length)));
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));

  const { data: stream, response: head, request_id } = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: ask(), stream: true })
    .withResponse();
  assert.ok(request_id?.startsWith("req_mock_"));
  assert.equal(head.headers.get("x-request-id"), request_id);
  assert.equal(stream.response.headers.get("x-request-id"), request_id);
  let content = "";
  for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? "";
  assert.ok(content.startsWith("Mock answer from gpt-4o-mini"));
});

test("retries: the error is the last attempt's answer", async () => {
  await mock.script({ models: { "gpt-4o-mini": { status: 429, retry_after: 0, error_message: "slow down" } } });
  const e = await failure(direct({ maxRetries: 1 }).chat.completions.create({ model: "gpt-4o-mini", messages: ask() }));
  assert.ok(e instanceof RateLimitError);
  assert.equal((await mock.chatRequests()).length, 2);
  assert.equal(e.status, 429);
  assert.ok(e.headers instanceof Headers);
  assert.equal(e.requestID, e.headers.get("x-request-id"));
  assert.ok(Number(e.requestID.split("_").at(-1)) >= 2, e.requestID);
  assert.equal(e.headers.get("retry-after"), "0");
  assert.equal(e.headers.get("x-ratelimit-limit-requests"), "10000");
  assert.equal(e.error.message, "slow down");
});

test("a success after retries has that attempt's request id", async () => {
  await mock.script({ models: { "gpt-4o-mini": [{ status: 503 }, { text: "second" }] } });
  const { data, request_id } = await direct({ maxRetries: 1 })
    .chat.completions.create({ model: "gpt-4o-mini", messages: ask() })
    .withResponse();
  assert.equal(data.choices[0].message.content, "second");
  assert.equal(request_id, `req_mock_${seqOf(data.id)}`);
});

test("Anthropic's request-id header is the request id", async () => {
  const client = direct({ providerKeys: { anthropic: "sk-ant-test" }, baseURLs: { anthropic: mock.url + "/anthropic" } });
  const { data, response, request_id } = await client.chat.completions
    .create({ model: "claude-3-5-haiku-latest", messages: ask() })
    .withResponse();
  assert.equal(request_id, response.headers.get("request-id"));
  assert.equal(data._request_id, request_id);
  assert.ok(response.url.endsWith("/v1/messages"));
  await mock.script({ models: { "claude-3-5-haiku-latest": { status: 529 } } });
  const e = await failure(client.chat.completions.create({ model: "claude-3-5-haiku-latest", messages: ask() }));
  assert.ok(e instanceof InternalServerError);
  assert.equal(e.requestID, e.headers.get("request-id"));
  assert.ok(e.requestID?.startsWith("req_mock_"));
});

test("Kestrel's own refusals have no provider headers", async () => {
  const e = await failure(direct().chat.completions.create({ model: "gpt-4o-mini", messages: [] }));
  assert.ok(e instanceof InvalidRequestError);
  assert.equal(e.status, 400);
  assert.equal(e.requestID, undefined);
});

test("a cached answer has no request id", async () => {
  const client = direct({ cache: { semantic: false } });
  const first = await client.chat.completions.create({ model: "gpt-4o-mini", messages: ask("cache me") });
  assert.ok(first._request_id);
  const { data, response, request_id } = await client.chat.completions
    .create({ model: "gpt-4o-mini", messages: ask("cache me") })
    .withResponse();
  assert.equal(data.kestrel.cache_layer, "exact");
  assert.equal(request_id, null);
  assert.equal(data._request_id, null);
  assert.equal(response.status, 200);
});

test("responses.create: _request_id, withResponse, asResponse of a stream", async () => {
  const client = direct();
  const r = await client.responses.create({ model: "gpt-4o-mini", input: "hi" });
  assert.ok(r._request_id?.startsWith("req_mock_"));
  const { data, response, request_id } = await client.responses.create({ model: "gpt-4o-mini", input: "hi" }).withResponse();
  assert.equal(data.object, "response");
  assert.equal(request_id, response.headers.get("x-request-id"));
  assert.equal(data._request_id, request_id);
  const raw = await client.responses.create({ model: "gpt-4o-mini", input: "hi", stream: true }).asResponse();
  const lines = (await raw.text()).split("\n").filter(Boolean);
  assert.equal(lines[0], "event: response.created");
  assert.equal(JSON.parse(lines.at(-1).slice("data: ".length)).type, "response.completed");
});

test("parse() keeps withResponse", async () => {
  const { data, request_id } = await direct()
    .chat.completions.parse({ model: "gpt-4o-mini", messages: ask() })
    .withResponse();
  assert.equal(data._request_id, request_id);
  assert.ok(request_id);
});

test("passthrough endpoints are the official client's: withResponse works", async () => {
  const client = direct();
  const { data, response, request_id } = await client.embeddings
    .create({ model: "text-embedding-3-small", input: "hi" })
    .withResponse();
  assert.ok(data.data[0].embedding.length > 0);
  assert.equal(response.status, 200);
  assert.equal(request_id, response.headers.get("x-request-id"));
  const raw = await client.embeddings.create({ model: "text-embedding-3-small", input: "hi" }).asResponse();
  assert.equal((await raw.json()).object, "list");
});
