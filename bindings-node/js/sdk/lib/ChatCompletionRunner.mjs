// `kestrel-router/lib/ChatCompletionRunner`: openai-node's `openai/lib/ChatCompletionRunner`, re-exported so imports written for openai work unchanged.
export * from "openai/lib/ChatCompletionRunner";
