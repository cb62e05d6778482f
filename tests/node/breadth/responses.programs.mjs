// The Responses API, from openai-node's README and api.md: create (text, messages,
// instructions, tools, structured text, streaming, background, previous_response_id,
// conversation), retrieve, delete, cancel, input items, input token counts, compaction.

import { collect, programs } from "./_harness.mjs";

const FUNCTION = {
  type: "function",
  name: "get_weather",
  description: "Weather for a city.",
  strict: true,
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
};
const digest = (r) => [r.object, r.status, r.model, r.output.map((o) => o.type), r.output_text];
const STORED = "resp_mock" + "2".repeat(44);

programs({
  responsesCreate: async (c) => {
    const r = await c.responses.create({
      model: "gpt-4o",
      instructions: "You are a coding assistant that talks like a pirate",
      input: "Are semicolons optional in JavaScript?",
    });
    return [digest(r), r.usage.input_tokens > 0];
  },
  responsesInputMessages: async (c) => {
    const r = await c.responses.create({
      model: "gpt-4o",
      input: [
        { role: "developer", content: "Talk like a pirate." },
        { role: "user", content: [{ type: "input_text", text: "Are semicolons optional in JavaScript?" }] },
      ],
    });
    return digest(r);
  },
  responsesImageInput: async (c) => {
    const r = await c.responses.create({
      model: "gpt-4o",
      input: [{ role: "user", content: [{ type: "input_text", text: "What is in this image?" }, { type: "input_image", image_url: "https://example.invalid/otter.png" }] }],
    });
    return digest(r);
  },
  responsesBuiltinTools: async (c) => {
    const r = await c.responses.create({ model: "gpt-4o", input: "Today's news?", tools: [{ type: "web_search" }] });
    return digest(r);
  },
  responsesFunctionTool: async (c) => {
    const r = await c.responses.create({ model: "gpt-4o", input: "Weather in Paris?", tools: [FUNCTION], tool_choice: "auto" });
    return [r.output.map((o) => o.type), r.output.map((o) => o.name ?? null)];
  },
  responsesStructuredText: async (c) => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const r = await c.responses.create({ model: "gpt-4o", input: "A city", text: { format: { type: "json_schema", name: "city", strict: true, schema } } });
    return [r.status, Object.keys(JSON.parse(r.output_text))];
  },
  responsesStream: async (c) => {
    const stream = await c.responses.create({ model: "gpt-4o", input: "Write a haiku.", stream: true });
    const events = await collect(stream);
    const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
    return [events.slice(0, 2).map((e) => e.type), events.at(-1).type, text];
  },
  responsesPreviousResponseId: async (c) => {
    const first = await c.responses.create({ model: "gpt-4o", input: "Tell me a joke.", store: true });
    const second = await c.responses.create({ model: "gpt-4o", previous_response_id: first.id, input: "Explain why it is funny." });
    return [second.status, second.output_text, second.previous_response_id === first.id];
  },
  responsesBackground: async (c) => {
    const r = await c.responses.create({ model: "gpt-4o", input: "A long essay", background: true });
    return [r.status, r.background];
  },
  responsesConversation: async (c) => {
    const conv = await c.conversations.create({ metadata: { topic: "demo" } });
    const r = await c.responses.create({ model: "gpt-4o", input: "Hello", conversation: conv.id });
    return [r.status, r.output_text];
  },
  responsesRetrieveDeleteCancel: async (c) => {
    const got = await c.responses.retrieve(STORED);
    const cancelled = await c.responses.cancel(STORED);
    await c.responses.delete(STORED);
    return [got.id, got.status, cancelled.status];
  },
  responsesInputItems: async (c) => {
    return collect(c.responses.inputItems.list(STORED, { limit: 10, order: "asc" }), (i) => [i.type, i.id]);
  },
  responsesInputTokens: async (c) => {
    const r = await c.responses.inputTokens.count({ model: "gpt-4o", input: "Tell me a joke." });
    return [r.object, r.input_tokens > 0];
  },
  responsesCompact: async (c) => {
    const r = await c.responses.compact({ model: "gpt-4o", input: [{ role: "user", content: "Hi" }] });
    return [r.object, r.output.map((o) => o.type)];
  },
  responsesStreamHelper: async (c) => {
    const stream = c.responses.stream({ model: "gpt-4o", input: "Tell me a joke." });
    const kinds = new Set();
    for await (const e of stream) kinds.add(e.type);
    const final = await stream.finalResponse();
    return [[...kinds].filter((k) => k.startsWith("response.output_text")).sort(), final.status, final.output_text];
  },
  responsesWithResponse: async (c) => {
    const { data, response } = await c.responses.create({ model: "gpt-4o", input: "Hi" }).withResponse();
    return [response.status, data.output_text];
  },
});

programs(
  {
    responsesPreviousResponseUnknown: async (c) => {
      await c.responses.create({ model: "gpt-4o", previous_response_id: "resp_unknown", input: "Go on." });
    },
  },
  "NotFoundError",
);
