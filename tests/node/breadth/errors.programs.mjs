// Errors, from openai-node's README ("Handling errors", "Retries", "Timeouts"): the
// APIError subclass per status, its fields, connection errors, timeouts, and retries of
// 429/5xx answers, for routed (chat) and passed-through calls alike.

import { MESSAGES, programs } from "./_harness.mjs";

const ask = (c, options) => c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }, options);

for (const [status, error] of [
  [400, "BadRequestError"],
  [401, "AuthenticationError"],
  [403, "PermissionDeniedError"],
  [404, "NotFoundError"],
  [409, "ConflictError"],
  [422, "UnprocessableEntityError"],
  [429, "RateLimitError"],
  [500, "InternalServerError"],
  [503, "InternalServerError"],
]) {
  programs(
    {
      [`errorStatus${status}`]: async (c, k) => {
        await k.mock.setModel("gpt-4o", { status });
        await ask(c);
      },
    },
    error,
  );
}

programs({ errorEmptyMessages: async (c) => c.chat.completions.create({ model: "gpt-4o", messages: [] }) }, "BadRequestError");
programs({ errorNotFoundPassthrough: async (c) => c.images.generate({ model: "gpt-image-missing", prompt: "a kestrel" }) }, "NotFoundError");
programs(
  {
    errorAuthenticationRouted: async (c, k) => {
      await k.mock.script({ require_key: k.key });
      await ask(k.make({ apiKey: "sk-wrong" }));
    },
    errorAuthenticationPassthrough: async (c, k) => {
      await k.mock.script({ require_key: k.key });
      await k.make({ apiKey: "sk-wrong" }).files.list();
    },
  },
  "AuthenticationError",
);
programs(
  {
    errorConnection: async (c, k) => ask(k.make({ baseURL: "http://127.0.0.1:9/v1" })),
    errorConnectionPassthrough: async (c, k) => k.make({ baseURL: "http://127.0.0.1:9/v1" }).models.list(),
  },
  "APIConnectionError",
);
programs(
  {
    errorTimeout: async (c, k) => {
      await k.mock.setModel("gpt-4o", { latency_ms: 3000 });
      await ask(k.make({ timeout: 300 }));
    },
    errorTimeoutPerRequest: async (c, k) => {
      await k.mock.setModel("gpt-4o", { latency_ms: 3000 });
      await ask(c, { timeout: 300 });
    },
  },
  "APIConnectionTimeoutError",
);
programs({
  errorFields: async (c, k) => {
    await k.mock.setModel("gpt-4o", { status: 429, error_message: "Slow down", error_code: "rate_limit_exceeded" });
    try {
      await ask(c);
    } catch (err) {
      return [
        err instanceof k.lib.APIError,
        err instanceof k.lib.OpenAIError,
        err instanceof k.lib.OpenAI.APIError,
        err.status,
        err.code,
        err.type,
        err.param ?? null,
        err.error?.message,
        err.requestID?.startsWith("req_"),
        typeof err.headers?.get === "function" ? err.headers.get("x-request-id")?.startsWith("req_") : err.headers?.["x-request-id"]?.startsWith("req_"),
      ];
    }
  },
  errorFieldsPassthrough: async (c, k) => {
    try {
      await c.images.generate({ model: "gpt-image-missing", prompt: "a kestrel" });
    } catch (err) {
      return [err.status, err.code, err.type, err instanceof k.lib.NotFoundError, err.requestID?.startsWith("req_")];
    }
  },
  errorConnectionFields: async (c, k) => {
    try {
      await ask(k.make({ baseURL: "http://127.0.0.1:9/v1" }));
    } catch (err) {
      return [err instanceof k.lib.APIError, err instanceof k.lib.APIConnectionTimeoutError, err.status ?? null, await k.sent()];
    }
  },
  retriesThenSuccess: async (c, k) => {
    await k.mock.setModel("gpt-4o", [{ status: 429, retry_after: 0 }, { status: 500, retry_after: 0 }, { text: "third time" }]);
    const r = await ask(k.make({ maxRetries: 2 }));
    return [r.choices[0].message.content, (await k.sent("/chat/completions")).length];
  },
  retriesPerRequest: async (c, k) => {
    await k.mock.setModel("gpt-4o", [{ status: 503, retry_after: 0 }, { text: "ok now" }]);
    const r = await ask(c, { maxRetries: 1 });
    return [r.choices[0].message.content, (await k.sent("/chat/completions")).length];
  },
  errorNoRetryOn400: async (c, k) => {
    await k.mock.setModel("gpt-4o", [{ status: 400 }, { text: "never" }]);
    try {
      await ask(k.make({ maxRetries: 3 }));
    } catch (e) {
      if (!(e instanceof k.lib.BadRequestError)) throw e;
    }
    return (await k.sent("/chat/completions")).length;
  },
});
programs(
  {
    retriesExhausted: async (c, k) => {
      await k.mock.setModel("gpt-4o", { status: 429, retry_after: 0 });
      await ask(k.make({ maxRetries: 1 }));
    },
  },
  "RateLimitError",
);
