// Type-level tests of the chat helpers: `stream()` and `runTools()` keep openai-node's types
// (events, parsed content, runner results), and the subpath modules give openai-node's names.
import OpenAI from "kestrel-router";
import { zodFunction, zodResponseFormat, zodTextFormat } from "kestrel-router/helpers/zod";
import { ChatCompletionStream } from "kestrel-router/lib/ChatCompletionStream";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "kestrel-router/resources/chat/completions";
import { z } from "zod";

export async function checkStream(client: OpenAI): Promise<void> {
  const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Who?" }];
  const Person = z.object({ name: z.string(), age: z.number() });
  const stream = client.chat.completions.stream({ model: "gpt-4o", messages, response_format: zodResponseFormat(Person, "person") });
  stream.on("content.delta", ({ delta, snapshot }) => {
    const text: string = delta + snapshot;
    void text;
  });
  stream.on("tool_calls.function.arguments.done", ({ name, arguments: args }) => {
    const both: string = name + args;
    void both;
  });
  for await (const chunk of stream) {
    const delta: string | null | undefined = chunk.choices[0]?.delta.content;
    void delta;
  }
  const final = await stream.finalChatCompletion();
  const parsed: { name: string; age: number } | null = final.choices[0].message.parsed;
  const content: string | null = await stream.finalContent();
  const readable: ReadableStream = stream.toReadableStream();
  const back: ChatCompletionStream<null> = ChatCompletionStream.fromReadableStream(readable);
  void parsed, content, back;
  // @ts-expect-error the parsed type comes from the schema
  const wrong: { name: number } | null = final.choices[0].message.parsed;
  void wrong;
}

export async function checkRunTools(client: OpenAI): Promise<void> {
  const tool: ChatCompletionTool = { type: "function", function: { name: "noop", parameters: { type: "object" } } };
  void tool;
  const runner = client.chat.completions.runTools({
    model: "gpt-4o",
    messages: [{ role: "user", content: "Weather?" }],
    tools: [
      zodFunction({
        name: "get_weather",
        parameters: z.object({ city: z.string() }),
        function: (args: { city: string }) => `sunny in ${args.city}`,
      }),
    ],
  });
  const answer: string | null = await runner.finalContent();
  const streaming = client.chat.completions.runTools({
    model: "gpt-4o",
    stream: true,
    messages: [{ role: "user", content: "Weather?" }],
    tools: [{ type: "function", function: { name: "f", description: "f", parameters: {}, function: () => "ok", parse: JSON.parse } }],
  });
  streaming.on("content", (delta: string) => void delta);
  void answer;
}

export async function checkResponses(client: OpenAI): Promise<void> {
  const Person = z.object({ name: z.string() });
  const parsed = await client.responses.parse({ model: "gpt-4o", input: "Who?", text: { format: zodTextFormat(Person, "p") } });
  const name: string | undefined = parsed.output_parsed?.name;
  const stream = client.responses.stream({ model: "gpt-4o", input: "hi" });
  stream.on("response.output_text.delta", (e) => void e.delta);
  const final = await stream.finalResponse();
  const text: string = final.output_text;
  void name, text;
}
