// Type-level test of langchain.d.ts as CommonJS code gets it: ChatKestrel is a BaseChatModel of
// @langchain/core's CommonJS build (langchain.ts checks the ESM side).
import langchain = require("../../../bindings-node/js/langchain.js");
import chatModels = require("@langchain/core/language_models/chat_models");
import messages = require("@langchain/core/messages");

export async function checkCjs(): Promise<void> {
  const model = new langchain.ChatKestrel({ model: "gpt-4o", clientOptions: { fromEnv: false } });
  const asBase: chatModels.BaseChatModel = model;
  void asBase;
  const msg: messages.AIMessageChunk = await model.invoke([new messages.HumanMessage("hi")]);
  void msg;
  // @ts-expect-error routing options are typed
  new langchain.ChatKestrel({ kestrel: { ceiling: "gold" } });
}
