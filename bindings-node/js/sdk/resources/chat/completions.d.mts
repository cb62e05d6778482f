// `kestrel-router/resources/chat/completions`: openai-node's `openai/resources/chat/completions`, re-exported so imports written for openai work unchanged.
export * from "openai/resources/chat/completions";
