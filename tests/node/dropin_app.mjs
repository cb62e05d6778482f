// Ordinary openai-node code, written exactly as one writes it for `openai`.
//
// dropin.test.mjs runs this module twice: as is, and with its `import OpenAI from "openai";`
// line replaced by `import OpenAI from "kestrel-router";`. Nothing else changes. The environment
// supplies OPENAI_API_KEY and OPENAI_BASE_URL (pointing at the mock provider), as it would
// in production.

import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";

const MODEL = "gpt-4o-mini";

function getWeather(city, unit = "celsius") {
  return `18 degrees ${unit} and sunny in ${city}`;
}

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get the current weather in a given city",
      parameters: {
        type: "object",
        properties: {
          city: { type: "string", description: "The city, e.g. Paris" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
        },
        required: ["city", "unit"],
      },
    },
  },
];

export async function plain() {
  const client = new OpenAI();
  return await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "What is 2+2?" },
    ],
    temperature: 0,
  });
}

export async function streaming() {
  const client = new OpenAI();
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Say this is a test" }],
    stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  return chunks;
}

export async function streamingWithUsage() {
  const client = new OpenAI();
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Count to three" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

export async function abortStream() {
  const client = new OpenAI();
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Tell me a long story" }],
    stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (chunks.length === 2) stream.controller.abort();
  }
  return chunks;
}

export async function abortCall() {
  const client = new OpenAI({ maxRetries: 0 });
  const controller = new AbortController();
  const pending = client.chat.completions.create(
    { model: MODEL, messages: [{ role: "user", content: "hi" }] },
    { signal: controller.signal },
  );
  setTimeout(() => controller.abort(), 20);
  try {
    await pending;
    return "ok";
  } catch (e) {
    return e instanceof OpenAI.APIUserAbortError ? `aborted: ${e.message}` : `other: ${e.constructor.name}`;
  }
}

export async function tools() {
  const client = new OpenAI({ maxRetries: 0 });
  const messages = [{ role: "user", content: "What's the weather like in Paris today?" }];
  const response = await client.chat.completions.create({ model: MODEL, messages, tools: TOOLS, tool_choice: "auto" });
  const message = response.choices[0].message;
  messages.push(message);
  for (const toolCall of message.tool_calls) {
    const args = JSON.parse(toolCall.function.arguments);
    messages.push({ role: "tool", tool_call_id: toolCall.id, content: getWeather(args.city, args.unit) });
  }
  const final = await client.chat.completions.create({ model: MODEL, messages, tools: TOOLS });
  return [response, final];
}

export async function jsonMode() {
  const client = new OpenAI();
  const response = await client.chat.completions.create({
    model: MODEL,
    response_format: { type: "json_object" },
    messages: [
      { role: "system", content: "You are a helpful assistant designed to output JSON." },
      { role: "user", content: "Who won the world series in 2020?" },
    ],
  });
  return [response, JSON.parse(response.choices[0].message.content)];
}

export async function jsonSchema() {
  const client = new OpenAI();
  const response = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: "user", content: "Extract: Alice is 30." }],
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "person",
        strict: true,
        schema: {
          type: "object",
          properties: { name: { type: "string" }, age: { type: "integer" } },
          required: ["name", "age"],
          additionalProperties: false,
        },
      },
    },
  });
  return JSON.parse(response.choices[0].message.content);
}

export async function errors() {
  const client = new OpenAI({ maxRetries: 0 });
  try {
    await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "hi" }] });
  } catch (e) {
    if (e instanceof OpenAI.RateLimitError) return ["rate_limited", e.status, e.code, e.message, typeof e.error];
    if (e instanceof OpenAI.AuthenticationError) return ["auth", e.status, e.code, e.message, typeof e.error];
    if (e instanceof OpenAI.NotFoundError) return ["not_found", e.status, e.code, e.message, typeof e.error];
    if (e instanceof OpenAI.InternalServerError) return ["server", e.status, e.code, e.message, typeof e.error];
    if (e instanceof OpenAI.APIError) return ["api_error", e.status, e.code, e.message, typeof e.error];
    throw e;
  }
  return ["ok"];
}

export async function concurrent() {
  const client = new OpenAI();
  const all = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `n${i}` }] }),
    ),
  );
  return all.map((c) => c.choices[0].message.content);
}

const CalendarEvent = z.object({
  name: z.string(),
  date: z.string(),
  participants: z.array(z.string()),
});

export async function structured() {
  const client = new OpenAI();
  const completion = await client.chat.completions.parse({
    model: MODEL,
    messages: [
      { role: "system", content: "Extract the event information." },
      { role: "user", content: "Alice and Bob are going to a science fair on Friday." },
    ],
    response_format: zodResponseFormat(CalendarEvent, "event"),
  });
  return completion.choices[0].message.parsed;
}
