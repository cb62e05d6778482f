// Chat Completions, from openai-node's README (usage, streaming, tools, JSON mode,
// .withResponse(), .asResponse(), request ids, AbortController) and api.md (stored
// completions and their messages).

import { MESSAGES, WEATHER, collect, programs } from "./_harness.mjs";

const ask = (c, extra = {}) => c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, ...extra });

programs({
  chatCreate: async (c) => {
    const r = await ask(c);
    const m = r.choices[0].message;
    return [r.object, r.model, m.role, m.content, r.choices[0].finish_reason, r.usage.total_tokens];
  },
  chatCreateWithOptions: async (c, k) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "developer", content: "Talk like a pirate." }, ...MESSAGES],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      seed: 7,
      n: 1,
      stop: ["\n\n"],
      user: "u-1",
      metadata: { app: "breadth" },
      store: false,
      frequency_penalty: 0.1,
      presence_penalty: 0.1,
      logit_bias: { 50256: -100 },
      service_tier: "auto",
      prompt_cache_key: "k1",
      safety_identifier: "s1",
      reasoning_effort: "low",
      verbosity: "low",
    });
    return [r.choices[0].message.content, Object.keys((await k.lastSent("/chat/completions")).body).sort()];
  },
  chatSystemAndHistory: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello." },
        { role: "user", content: "What is 2+2?" },
      ],
    });
    return r.choices[0].message.content;
  },
  chatContentPartsImage: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What's in this image?" },
            { type: "image_url", image_url: { url: "https://example.invalid/otter.png", detail: "low" } },
          ],
        },
      ],
    });
    return r.choices[0].message.content;
  },
  chatStream: async (c) => {
    const stream = await ask(c, { stream: true });
    const chunks = await collect(stream);
    return [chunks[0].object, chunks.map((ch) => ch.choices[0]?.delta?.content || "").join(""), chunks.at(-1).choices[0].finish_reason];
  },
  chatStreamUsage: async (c) => {
    const chunks = await collect(await ask(c, { stream: true, stream_options: { include_usage: true } }));
    return [chunks.at(-1).choices, chunks.at(-1).usage.completion_tokens > 0];
  },
  chatStreamBreakEarly: async (c) => {
    const stream = await ask(c, { stream: true });
    let first;
    for await (const chunk of stream) {
      first = chunk;
      break;
    }
    return first.choices[0].delta.role;
  },
  chatStreamAbortController: async (c) => {
    const stream = await ask(c, { stream: true });
    // Aborting ends the loop without an error (chunks already read may still arrive).
    let first = null;
    for await (const chunk of stream) {
      first ??= chunk.choices[0]?.delta?.role;
      stream.controller.abort();
    }
    return first;
  },
  chatStreamTee: async (c) => {
    const [a, b] = (await ask(c, { stream: true })).tee();
    const text = async (s) => (await collect(s, (ch) => ch.choices[0]?.delta?.content || "")).join("");
    return [await text(a), await text(b)];
  },
  chatStreamToReadableStream: async (c) => {
    const stream = await ask(c, { stream: true });
    const body = stream.toReadableStream();
    const decoder = new TextDecoder();
    let lines = "";
    for await (const bytes of body) lines += decoder.decode(bytes);
    return lines.trim().split("\n").map((l) => JSON.parse(l).object);
  },
  chatTools: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [WEATHER],
      tool_choice: "auto",
    });
    const call = r.choices[0].message.tool_calls[0];
    return [r.choices[0].finish_reason, call.type, call.function.name, Object.keys(JSON.parse(call.function.arguments)).sort()];
  },
  chatToolChoiceNamed: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Anything" }],
      tools: [WEATHER],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    return r.choices[0].message.tool_calls[0].function.name;
  },
  chatToolResultRoundTrip: async (c) => {
    const messages = [{ role: "user", content: "Weather in Paris?" }];
    const first = await c.chat.completions.create({ model: "gpt-4o", messages, tools: [WEATHER] });
    const call = first.choices[0].message.tool_calls[0];
    const second = await c.chat.completions.create({
      model: "gpt-4o",
      tools: [WEATHER],
      messages: [...messages, first.choices[0].message, { role: "tool", tool_call_id: call.id, content: '{"temp_c": 21}' }],
    });
    return [second.choices[0].finish_reason, second.choices[0].message.content];
  },
  chatStreamToolCalls: async (c) => {
    const stream = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [WEATHER],
      stream: true,
    });
    const names = [];
    for await (const ch of stream) for (const tc of ch.choices[0]?.delta?.tool_calls ?? []) if (tc.function?.name) names.push(tc.function.name);
    return names;
  },
  chatJsonMode: async (c) => {
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "A JSON object, please" }],
      response_format: { type: "json_object" },
    });
    return typeof JSON.parse(r.choices[0].message.content);
  },
  chatJsonSchema: async (c) => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const r = await c.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "A city" }],
      response_format: { type: "json_schema", json_schema: { name: "city", schema, strict: true } },
    });
    return Object.keys(JSON.parse(r.choices[0].message.content));
  },
  chatParse: async (c) => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"], additionalProperties: false };
    const r = await c.chat.completions.parse({
      model: "gpt-4o",
      messages: [{ role: "user", content: "solve 8x + 31 = 2" }],
      response_format: { type: "json_schema", json_schema: { name: "math", schema, strict: true } },
    });
    return [Object.keys(r.choices[0].message.parsed), r.choices[0].message.refusal ?? null];
  },
  chatWithResponse: async (c) => {
    const { data, response, request_id } = await ask(c).withResponse();
    return [response.status, response.headers.get("content-type").split(";")[0], request_id === response.headers.get("x-request-id"), data.choices[0].message.content];
  },
  chatAsResponse: async (c) => {
    const response = await ask(c).asResponse();
    const body = await response.json();
    return [response.status, response.ok, body.object, body.choices[0].message.content];
  },
  chatStreamWithResponse: async (c) => {
    const { data: stream, response } = await ask(c, { stream: true }).withResponse();
    const text = (await collect(stream, (ch) => ch.choices[0]?.delta?.content || "")).join("");
    return [response.status, response.headers.get("content-type").split(";")[0], text];
  },
  chatRequestId: async (c) => {
    const r = await ask(c);
    return typeof r._request_id === "string" && r._request_id.startsWith("req_");
  },
  chatConcurrent: async (c) => {
    const rs = await Promise.all([0, 1, 2].map((i) => c.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: `n${i}` }] })));
    return rs.map((r) => r.choices[0].message.content);
  },
  chatStreamHelper: async (c) => {
    const stream = c.chat.completions.stream({ model: "gpt-4o", messages: MESSAGES });
    const final = await stream.finalChatCompletion();
    return final.choices[0].message.content;
  },
  // --- stored completions (api.md) ------------------------------------------------------------
  chatStoredRetrieveUpdateDelete: async (c) => {
    const got = await c.chat.completions.retrieve("chatcmpl-abc");
    const updated = await c.chat.completions.update("chatcmpl-abc", { metadata: { topic: "otters" } });
    const deleted = await c.chat.completions.delete("chatcmpl-abc");
    return [got.id, got.choices[0].message.content, updated.metadata, deleted.object, deleted.deleted];
  },
  chatStoredListPages: async (c) => {
    const page = await c.chat.completions.list({ limit: 2, model: "gpt-4o-mini", order: "asc" });
    const next = page.hasNextPage() ? await page.getNextPage() : null;
    const every = await collect(c.chat.completions.list({ limit: 2 }), (x) => x.id);
    return [page.data.map((x) => x.id), page.hasNextPage(), next?.data.map((x) => x.id), every];
  },
  chatStoredMessages: async (c, k) => {
    const messages = await collect(c.chat.completions.messages.list("chatcmpl-abc", { limit: 5 }), (m) => [m.id, m.role, m.content]);
    return [messages, (await k.lastSent("/messages")).query];
  },
});

programs(
  {
    chatAbortSignal: async (c) => {
      const ac = new AbortController();
      ac.abort();
      await c.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }, { signal: ac.signal });
    },
  },
  "APIUserAbortError",
);
