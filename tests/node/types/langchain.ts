// Type-level tests of langchain.d.ts (as ESM importers get it, langchain.d.mts): ChatKestrel
// is a BaseChatModel of @langchain/core's ESM build, usable wherever LangChain takes one.
import OpenAI from "kestrel-router";
import type { KestrelMeta } from "kestrel-router";
import { ChatKestrel } from "kestrel-router/langchain";
import type { ChatKestrelCallOptions, ChatKestrelFields } from "kestrel-router/langchain";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, HumanMessage, type AIMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";

export async function check(): Promise<void> {
  const client = new OpenAI({ apiKey: "sk", fromEnv: false });
  const model = new ChatKestrel({ model: "gpt-4o", client, temperature: 0, maxTokens: 100, kestrel: { tenant: "acme" } });
  new ChatKestrel({ clientOptions: { providerKeys: { groq: "g" }, routing: true } });
  new ChatKestrel("gpt-4o", { streaming: true });
  // @ts-expect-error the client is Kestrel's OpenAI class
  new ChatKestrel({ client: { chat: {} } });
  // @ts-expect-error tiers are a closed set
  new ChatKestrel({ kestrel: { floor: "gold" } });
  const fields: ChatKestrelFields = { model: "gpt-4o-mini", stopSequences: ["\n"] };
  void fields;

  const asBase: BaseChatModel = model;
  void asBase;

  const msg: AIMessageChunk = await model.invoke([new HumanMessage("What is 2+2?")]);
  const meta: KestrelMeta | undefined = msg.response_metadata.kestrel as KestrelMeta | undefined;
  const inputTokens: number | undefined = msg.usage_metadata?.input_tokens;
  void meta, inputTokens;
  await model.invoke("hi", { model: "gpt-4o-mini", kestrel: { routing: false }, stop: ["x"] });
  // @ts-expect-error per-call kestrel options are typed
  await model.invoke("hi", { kestrel: { routing: "no" } });

  for await (const chunk of await model.stream("Tell me a story")) {
    const text: string = chunk.text;
    void text;
  }
  const many: AIMessageChunk[] = await model.batch(["a", "b"]);
  void many;

  const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
    name: "get_weather",
    description: "The weather in a city",
    schema: z.object({ city: z.string() }),
  });
  const withTools = model.bindTools([weather, { type: "function", function: { name: "f", parameters: {} } }], { tool_choice: "any" });
  const called: AIMessageChunk = await withTools.invoke("weather in Paris?");
  const name: string | undefined = called.tool_calls?.[0]?.name;
  void name;

  const person = z.object({ name: z.string(), age: z.number() });
  const structured = model.withStructuredOutput(person, { method: "functionCalling" });
  const p: { name: string; age: number } = await structured.invoke("Bob is 3");
  void p;
  const raw = model.withStructuredOutput(person, { includeRaw: true });
  const r: { raw: AIMessage | AIMessageChunk | unknown; parsed: { name: string; age: number } } = await raw.invoke("Bob is 3");
  void r;
  const fromJsonSchema = model.withStructuredOutput({ title: "person", type: "object", properties: { name: { type: "string" } } }, { method: "jsonMode" });
  const obj: Record<string, any> = await fromJsonSchema.invoke("Bob");
  void obj;

  const options: ChatKestrelCallOptions = { tool_choice: "get_weather", parallel_tool_calls: false, seed: 1 };
  void options;
  const ls = model.getLsParams({ model: "gpt-4o-mini" } as ChatKestrel["ParsedCallOptions"]);
  const modelName: string | undefined = ls.ls_model_name;
  void modelName;
  const savings = model.usage.savings();
  void savings;
}
