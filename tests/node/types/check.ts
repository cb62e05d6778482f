// Type-level tests of index.d.ts: what must compile does, and each line that must not
// carries an expect-error directive (tsc fails if such a line compiles).
import OpenAI, { APIError, APIPromise, AzureOpenAI, RateLimitError, Stream } from "kestrel-router";
import type { ChatCompletion, ChatCompletionChunk, ClientOptions, Response, ResponseStreamEvent } from "kestrel-router";

export async function check(): Promise<void> {
  const client = new OpenAI({ apiKey: "sk", baseURL: "http://x", timeout: 1000, maxRetries: 1, providerKeys: { groq: "g" } });
  new OpenAI({ cache: true });
  new OpenAI({ cache: { semantic: true, maxEntries: 100, redisUrl: "redis://localhost" } });
  // @ts-expect-error tiers are a closed set
  new OpenAI({ tierFloor: "gold" });
  // @ts-expect-error the timeout is a number of milliseconds
  new OpenAI({ timeout: "10s" });

  const r: ChatCompletion = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
  const content: string | null = r.choices[0].message.content;
  const saved: number | undefined = r.kestrel?.saved_usd;
  void content, saved;
  // @ts-expect-error a non-stream call does not give a stream
  const notStream: Stream<ChatCompletionChunk> = await client.chat.completions.create({ model: "gpt-4o", messages: [] });
  void notStream;

  // The APIs passed through to the official client keep its types.
  const emb = await client.embeddings.create({ model: "text-embedding-3-small", input: "hi" });
  const vector: number[] = emb.data[0].embedding;
  void vector;
  // @ts-expect-error embeddings take an input
  await client.embeddings.create({ model: "text-embedding-3-small" });

  const s = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], stream: true });
  const stream: Stream<ChatCompletionChunk> = s;
  for await (const chunk of stream) {
    const delta: string | null | undefined = chunk.choices[0]?.delta.content;
    void delta;
  }
  s.controller.abort();

  // @ts-expect-error roles are a closed set
  await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "robot", content: "hi" }] });
  // @ts-expect-error a tool message needs tool_call_id
  await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "tool", content: "x" }] });
  // Unknown params pass through.
  await client.chat.completions.create({ model: "gpt-4o", messages: [], some_new_param: 1 }, { signal: new AbortController().signal });

  try {
    await client.chat.completions.create({ model: "gpt-4o", messages: [] });
  } catch (e) {
    if (e instanceof OpenAI.RateLimitError) {
      const status: 429 = e.status;
      const retryAfter: string | null = e.headers.get("retry-after");
      void status, retryAfter;
    }
    if (e instanceof APIError) {
      const status: number | undefined = e.status;
      void status;
    }
  }
  const rl: typeof RateLimitError = OpenAI.RateLimitError;
  void rl;

  const savings = client.usage.savings();
  const pct: number = savings.savings_pct;
  const records = client.usage.records({ limit: 5 });
  const model: string = records[0].model;
  await client.usage.exportCsv("/tmp/usage.csv");
  void pct, model;
  const opts: ClientOptions = { routing: false, tenant: "acme" };
  void opts;
}

// parse() infers the parsed type from openai-node's zodResponseFormat helper.
import { zodResponseFormat } from "openai/helpers/zod";
import { z } from "zod";

export async function checkParse(client: OpenAI): Promise<void> {
  const Event = z.object({ name: z.string(), participants: z.array(z.string()) });
  const r = await client.chat.completions.parse({
    model: "gpt-4o",
    messages: [{ role: "user", content: "Alice and Bob meet on Friday." }],
    response_format: zodResponseFormat(Event, "event"),
  });
  const parsed = r.choices[0].message.parsed;
  if (parsed) {
    const names: string[] = parsed.participants;
    // @ts-expect-error the parsed type is the schema's
    const wrong: number = parsed.name;
    void names, wrong;
  }
  const plain = await client.chat.completions.parse({ model: "gpt-4o", messages: [] });
  const nothing: null = plain.choices[0].message.parsed;
  void nothing;

  // The Responses API: a Response (with output_text), or a stream of events.
  const resp: Response = await client.responses.create({
    model: "gpt-4o",
    input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }],
    tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
    text: { format: { type: "json_schema", name: "person", schema: { type: "object" } } },
  });
  const text: string = resp.output_text;
  for (const item of resp.output) {
    if (item.type === "function_call") {
      const callId: string = item.call_id;
      void callId;
    }
  }
  void text;
  const events: Stream<ResponseStreamEvent> = await client.responses.create({ model: "gpt-4o", input: "hi", stream: true });
  for await (const e of events) {
    if (e.type === "response.output_text.delta") {
      const d: string = e.delta;
      void d;
    }
  }
  // @ts-expect-error function tools are flat in the Responses API: no `function` wrapper
  await client.responses.create({ model: "gpt-4o", input: "hi", tools: [{ type: "function", function: { name: "f" } }] });
}

// openai-node's namespace types, for code annotated against `openai`.
export function namespaceTypes(): void {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "hi" }];
  const tool: OpenAI.ChatCompletionTool = { type: "function", function: { name: "f", parameters: {} } };
  const model: OpenAI.ChatModel = "gpt-4o";
  const params: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = { model, messages, tools: [tool] };
  // @ts-expect-error a message needs a role
  const bad: OpenAI.Chat.ChatCompletionMessageParam = { content: "hi" };
  void params, bad;
}

export function catalog(client: OpenAI): string[] {
  return client.kestrel.models().filter((m) => m.tier === "economy").map((m) => m.id);
}

export async function checkAzure(): Promise<void> {
  const az = new AzureOpenAI({
    endpoint: "https://r.openai.azure.com",
    apiVersion: "2024-10-21",
    azureADTokenProvider: async () => "token",
    deployments: { "gpt-4o": "big", "gpt-4o-mini": "mini" },
    deployment: "big",
    cache: true,
  });
  const r = await az.chat.completions.create({ model: "big", messages: [{ role: "user", content: "hi" }] });
  const used: string | undefined = r.kestrel?.model;
  const version: string = az.apiVersion;
  void used, version, az.embeddings.create({ model: "emb", input: "x" });
  // @ts-expect-error Azure clients have one provider: no providerKeys
  new AzureOpenAI({ providerKeys: { groq: "g" } });
  // @ts-expect-error the token provider returns a promise of a string
  new AzureOpenAI({ azureADTokenProvider: () => 1 });
}

// Raw responses and request ids, as openai-node types them.
export async function checkRawResponses(client: OpenAI): Promise<void> {
  const messages = [{ role: "user" as const, content: "hi" }];
  const r = await client.chat.completions.create({ model: "gpt-4o", messages });
  const rid: string | null | undefined = r._request_id;
  void rid;
  const promise: APIPromise<ChatCompletion> = client.chat.completions.create({ model: "gpt-4o", messages });
  const { data, response, request_id } = await promise.withResponse();
  const completion: ChatCompletion = data;
  const status: number = response.status;
  const header: string | null = response.headers.get("x-request-id");
  const id: string | null = request_id;
  void completion, status, header, id;
  const raw: globalThis.Response = await client.chat.completions.create({ model: "gpt-4o", messages }).asResponse();
  void raw;
  const streamed = await client.chat.completions.create({ model: "gpt-4o", messages, stream: true }).withResponse();
  const chunks: Stream<ChatCompletionChunk> = streamed.data;
  const opened: globalThis.Response = chunks.response;
  void opened;
  const resp = await client.responses.create({ model: "gpt-4o", input: "hi" }).withResponse();
  const responseId: string = resp.data.id;
  void responseId;
  // @ts-expect-error withResponse gives the data, not a bare Response
  const wrong: globalThis.Response = (await promise.withResponse()).data;
  void wrong;
  try {
    await client.chat.completions.create({ model: "gpt-4o", messages });
  } catch (e) {
    if (e instanceof APIError) {
      const s: number | undefined = e.status;
      const h: Headers | undefined = e.headers;
      const q: string | null | undefined = e.requestID;
      void s, h, q;
    }
  }
}

export function feedback(client: OpenAI): boolean {
  const fb = new OpenAI({ apiKey: "k", feedback: true, feedbackAutomatic: true, feedbackState: "/tmp/fb.json" });
  void fb;
  // @ts-expect-error outcomes are "good", "bad" or a score
  client.feedback("id", "meh");
  return client.feedback("id", "good") && client.feedback("id", 0.5);
}
