// `kestrel-router/lib/ChatCompletionStreamingRunner`: openai-node's `openai/lib/ChatCompletionStreamingRunner`, re-exported so imports written for openai work unchanged.
export * from "openai/lib/ChatCompletionStreamingRunner";
