// Tools: the model asks for a function call, we run it, and send the result back.
// Kestrel only routes tool requests to models that support tools.
//
//   OPENAI_API_KEY=sk-... npx tsx tools.ts    (in a project that ran `npm install <path to kestrel>`;
//   tests/node/examples.test.mjs compiles and runs it against the mock provider)
import OpenAI from "kestrel-router";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "kestrel-router";

const client = new OpenAI();

const tools: ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Get the current weather in a given city",
      parameters: {
        type: "object",
        properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
        required: ["city", "unit"],
      },
    },
  },
];

function getWeather(city: string, unit = "celsius"): string {
  return `18 degrees ${unit} and sunny in ${city}`;
}

const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "What's the weather like in Paris today?" }];
const first = await client.chat.completions.create({ model: "gpt-4o", messages, tools, tool_choice: "auto" });
const message = first.choices[0].message;
messages.push({ role: "assistant", content: message.content, tool_calls: message.tool_calls });
for (const call of message.tool_calls ?? []) {
  const args = JSON.parse(call.function.arguments) as { city: string; unit?: string };
  console.log(`tool call: ${call.function.name}(${call.function.arguments})`);
  messages.push({ role: "tool", tool_call_id: call.id, content: getWeather(args.city, args.unit) });
}
const final = await client.chat.completions.create({ model: "gpt-4o", messages, tools });
console.log(final.choices[0].message.content);
console.log(`answered by ${final.kestrel?.model} (${final.kestrel?.provider})`);
