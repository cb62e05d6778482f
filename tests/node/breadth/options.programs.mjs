// Client and request options, from openai-node's README: timeout, maxRetries,
// withOptions, per-request headers/query/body, defaultHeaders/defaultQuery, organization
// and project, the environment, baseURL, a custom fetch, fetchOptions, logLevel/logger.

import { MESSAGES, programs, withEnv } from "./_harness.mjs";

const ask = (c, options) => c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }, options);
const headersOf = (request, ...names) => Object.fromEntries(names.map((n) => [n, request.headers[n] ?? null]));

programs({
  optionWithOptions: async (c) => {
    const r = await ask(c.withOptions({ timeout: 20_000, maxRetries: 1 }));
    const copy = c.withOptions({ maxRetries: 5 });
    return [r.choices[0].message.content, copy.maxRetries, c.maxRetries];
  },
  optionWithOptionsOrganization: async (c, k) => {
    const copy = c.withOptions({ organization: "org-copy" });
    const r = await ask(copy);
    return [r.choices[0].message.content, copy.organization, (await k.lastSent("/chat/completions")).headers["openai-organization"]];
  },
  optionPerRequest: async (c, k) => {
    const r = await ask(c, { timeout: 20_000, maxRetries: 1, headers: { "X-Trace": "t1" }, query: { q: "1" } });
    const sent = await k.lastSent("/chat/completions");
    return [r.choices[0].message.content, sent.headers["x-trace"] ?? null, sent.query];
  },
  optionPerRequestOnPassthrough: async (c, k) => {
    await c.embeddings.create({ model: "text-embedding-3-small", input: "hi" }, { headers: { "X-Trace": "t2" }, query: { q: "2" }, timeout: 20_000 });
    const sent = await k.lastSent("/embeddings");
    return [sent.headers["x-trace"] ?? null, sent.query];
  },
  optionUndocumentedParams: async (c, k) => {
    // @ts-expect-error baz is not yet public
    const r = await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, baz: "undocumented option" });
    return [r.choices[0].message.content, (await k.lastSent("/chat/completions")).body.baz];
  },
  optionClientTimeoutAndRetries: async (c, k) => {
    const client = k.make({ timeout: 60_000, maxRetries: 2 });
    const r = await ask(client);
    return [r.choices[0].message.content, client.timeout, client.maxRetries];
  },
  optionDefaultHeadersQueryOrgProject: async (c, k) => {
    const client = k.make({ organization: "org-1", project: "proj-1", defaultHeaders: { "X-App": "a" }, defaultQuery: { v: "1" } });
    const r = await ask(client);
    await client.models.list();
    const chat = await k.lastSent("/chat/completions");
    const models = await k.lastSent("/models");
    const names = ["openai-organization", "openai-project", "x-app"];
    return [r.choices[0].message.content, client.organization, client.project, headersOf(chat, ...names), chat.query, headersOf(models, ...names), models.query];
  },
  optionAuthorizationHeader: async (c, k) => {
    await ask(c);
    const sent = await k.lastSent("/chat/completions");
    return [sent.headers.authorization, sent.headers["content-type"]];
  },
  optionEnvironment: async (c, k) => {
    return withEnv({ OPENAI_API_KEY: k.key, OPENAI_BASE_URL: k.baseURL, OPENAI_ORG_ID: "org-env", OPENAI_PROJECT_ID: "proj-env" }, async () => {
      const client = k.bare({ maxRetries: 0 });
      const r = await ask(client);
      const models = [];
      for await (const m of client.models.list()) models.push(m.id);
      return [r.choices[0].message.content, models, client.organization, client.project, client.baseURL];
    });
  },
  optionMissingApiKey: async (c, k) => {
    // openai-node refuses at construction, Kestrel (which may have other providers' keys) at
    // the first call: either way an OpenAIError naming the variable, before any request.
    return withEnv({ OPENAI_API_KEY: undefined }, async () => {
      try {
        await ask(k.bare({ baseURL: k.baseURL }));
      } catch (e) {
        return [e instanceof k.lib.OpenAIError, String(e.message).includes("OPENAI_API_KEY"), await k.sent()];
      }
    });
  },
  optionBaseURLTrailingSlash: async (c, k) => {
    const r = await ask(k.make({ baseURL: k.baseURL + "/" }));
    return r.choices[0].message.content;
  },
  optionCustomFetch: async (c, k) => {
    const seen = [];
    const client = k.make({
      fetch: async (url, init) => {
        seen.push(new URL(url).pathname);
        return fetch(url, init);
      },
    });
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return [ids, seen];
  },
  optionFetchOptions: async (c, k) => {
    const client = k.make({ fetchOptions: { redirect: "error", keepalive: false } });
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    return ids;
  },
  azureOpenAI: async (c, k) => {
    await k.mock.script({ azure_deployments: { big: "gpt-4o" } });
    const client = new k.lib.AzureOpenAI({ ...k.extras, endpoint: k.mock.url + "/azure/", apiVersion: "2024-10-21", apiKey: "az-key", maxRetries: 0 });
    const r = await client.chat.completions.create({ model: "big", messages: MESSAGES });
    const e = await client.embeddings.create({ model: "big", input: "hi" });
    const sent = (await k.sent()).map((x) => [x.path, x.query, x.headers["api-key"] ?? null]);
    return [r.choices[0].message.content, e.data.length, sent];
  },
  optionLogger: async (c, k) => {
    const lines = [];
    const logger = { debug: (m) => lines.push(["debug", m]), info: () => {}, warn: () => {}, error: () => {} };
    const client = k.make({ logLevel: "debug", logger });
    await client.models.list();
    return lines.some(([level, m]) => level === "debug" && /sending request|request/i.test(String(m)));
  },
});
