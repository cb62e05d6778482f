// Errors: openai-node's classes, fields and messages for every provider status, and
// Kestrel's own failures, as named exports and as statics of the default export.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConfigurationError,
  InternalServerError,
  InvalidRequestError,
  KestrelError,
  NoEligibleModelError,
  NotFoundError,
  OpenAIError,
  PermissionDeniedError,
  RateLimitError,
  StreamInterruptedError,
} from "kestrel-router";
import { clientOptions, useMock } from "./_mock.mjs";

const ask = (content = "hi") => [{ role: "user", content }];
let mock;

useMock((m) => (mock = m));

/** Routing off: the request goes to the scripted model, and failures are not failed over. */
const direct = (overrides) => new OpenAI(clientOptions(mock, { routing: false, ...overrides }));
const failure = (promise) => promise.then(() => assert.fail("expected a rejection"), (e) => e);

describe("provider statuses map onto openai-node's classes", () => {
  const cases = [
    [400, BadRequestError, "BadRequestError"],
    [401, AuthenticationError, "AuthenticationError"],
    [403, PermissionDeniedError, "PermissionDeniedError"],
    [404, NotFoundError, "NotFoundError"],
    [429, RateLimitError, "RateLimitError"],
    [500, InternalServerError, "InternalServerError"],
    [503, InternalServerError, "InternalServerError"],
  ];
  for (const [status, Cls, name] of cases) {
    test(`${status} → ${name}`, async () => {
      await mock.script({ default: { status, error_message: `boom ${status}`, error_code: "some_code" } });
      const e = await failure(direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask() }));
      assert.ok(e instanceof Cls, `${e.constructor.name}: ${e.message}`);
      assert.ok(e instanceof OpenAI[name], "the default export's static is the same class");
      assert.ok(e instanceof APIError && e instanceof OpenAIError && e instanceof Error);
      assert.equal(e.constructor.name, name);
      assert.equal(e.status, status);
      assert.equal(e.message, `${status} boom ${status}`);
      assert.equal(e.error.message, `boom ${status}`);
      assert.equal(e.code, "some_code");
      assert.equal(e.provider, "openai");
      assert.ok(e.headers instanceof Headers);
    });
  }

  test("a 429's Retry-After is in the headers", async () => {
    await mock.script({ default: { status: 429, retry_after: 7 } });
    const e = await failure(direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask() }));
    assert.ok(e instanceof RateLimitError);
    assert.equal(e.headers.get("retry-after"), "7");
    assert.equal(e.kind, "rate_limited");
  });

  test("a transient failure fails over to the next candidate", async () => {
    await mock.script({ models: { "ministral-3b-latest": { status: 503 } } });
    const c = new OpenAI(clientOptions(mock));
    const r = await c.chat.completions.create({ model: "gpt-4o", messages: ask("What is 2+2?") });
    assert.ok(r.kestrel.attempts >= 2, JSON.stringify(r.kestrel));
    assert.notEqual(r.model, "ministral-3b-latest");
  });
});

describe("Kestrel's own failures", () => {
  test("a malformed request is refused before any I/O", async () => {
    const e = await failure(direct().chat.completions.create({ model: "gpt-4o", messages: [{ role: "tool", content: "x" }] }));
    assert.ok(e instanceof InvalidRequestError && e instanceof BadRequestError);
    assert.equal(e.status, 400);
    assert.match(e.param, /messages\[0\]/);
    assert.equal((await mock.chatRequests()).length, 0);
  });

  test("missing messages is a BadRequestError", async () => {
    const e = await failure(direct().chat.completions.create({ model: "gpt-4o" }));
    assert.ok(e instanceof BadRequestError, e.constructor.name);
  });

  test("no provider for the model", async () => {
    const c = new OpenAI({ fromEnv: false, apiKey: "sk-test", baseURL: mock.baseURL("openai") });
    const e = await failure(
      c.chat.completions.create({ model: "gpt-4o", messages: ask(), kestrel: { allow_providers: ["anthropic"] } }),
    );
    assert.ok(e instanceof NoEligibleModelError && e instanceof KestrelError && e instanceof APIError);
  });

  test("a missing key names the variable to set", async () => {
    // Anthropic has no key here: as with the official SDK, the error says where one goes.
    const c = new OpenAI({ fromEnv: false, apiKey: "sk-test", baseURL: mock.baseURL("openai"), routing: false });
    const e = await failure(c.chat.completions.create({ model: "claude-sonnet-4", messages: ask() }));
    assert.ok(e instanceof ConfigurationError, e.constructor.name);
    assert.match(e.message, /ANTHROPIC_API_KEY/);
    // ... and the option as openai-node spells it.
    assert.match(e.message, /`apiKey`/);
    assert.match(e.message, /`providerKeys`/);
    assert.doesNotMatch(e.message, /api_key/);
  });

  test("a bad configuration throws ConfigurationError", () => {
    assert.throws(() => new OpenAI({ fromEnv: false, defaultHeaders: { "bad header\n": "x" } }), ConfigurationError);
  });

  test("an unreachable provider is an APIConnectionError", async () => {
    const c = new OpenAI({ fromEnv: false, apiKey: "sk-test", baseURL: "http://127.0.0.1:9/v1", routing: false, maxRetries: 0 });
    const e = await failure(c.chat.completions.create({ model: "gpt-4o", messages: ask() }));
    assert.ok(e instanceof APIConnectionError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, undefined);
  });

  test("a slow provider is an APIConnectionTimeoutError", async () => {
    await mock.script({ default: { latency_ms: 2000 } });
    const e = await failure(direct({ timeout: 100 }).chat.completions.create({ model: "gpt-4o-mini", messages: ask() }));
    assert.ok(e instanceof APIConnectionTimeoutError && e instanceof APIConnectionError, e.constructor.name);
  });

  test("a stream cut after its first chunk ends with StreamInterruptedError", async () => {
    await mock.script({ default: { cut_after_chunks: 2 } });
    const stream = await direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true });
    const seen = [];
    const e = await (async () => {
      try {
        for await (const c of stream) seen.push(c);
      } catch (err) {
        return err;
      }
      assert.fail("the stream ended without an error");
    })();
    assert.ok(e instanceof StreamInterruptedError && e instanceof APIConnectionError, e.constructor.name);
    assert.ok(seen.length >= 2, `${seen.length} chunks before the cut`);
  });

  test("a failed stream open rejects the create call", async () => {
    await mock.script({ default: { status: 401 } });
    await assert.rejects(direct().chat.completions.create({ model: "gpt-4o-mini", messages: ask(), stream: true }), AuthenticationError);
  });
});

describe("error classes construct like openai-node's", () => {
  test("messages and fields", () => {
    assert.equal(new APIUserAbortError().message, "Request was aborted.");
    assert.equal(new APIConnectionError({}).message, "Connection error.");
    assert.equal(new APIConnectionTimeoutError().message, "Request timed out.");
    const e = new RateLimitError(429, { message: "slow down", code: "rate_limit_exceeded", type: "requests" }, undefined, new Headers());
    assert.equal(e.message, "429 slow down");
    assert.equal(e.code, "rate_limit_exceeded");
    assert.equal(e.type, "requests");
    assert.equal(new APIError(500, undefined, undefined, undefined).message, "500 status code (no body)");
    assert.ok(APIError.generate(404, { error: { message: "x" } }, undefined, new Headers()) instanceof NotFoundError);
    assert.ok(APIError.generate(undefined, undefined, "down", undefined) instanceof APIConnectionError);
  });
});
