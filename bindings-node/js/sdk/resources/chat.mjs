// `kestrel-router/resources/chat`: openai-node's `openai/resources/chat`, re-exported so imports written for openai work unchanged.
export * from "openai/resources/chat";
