// `kestrel-router/lib/ChatCompletionStream`: openai-node's `openai/lib/ChatCompletionStream`, re-exported so imports written for openai work unchanged.
export * from "openai/lib/ChatCompletionStream";
