// `kestrel-router/resources/shared`: openai-node's `openai/resources/shared`, re-exported so imports written for openai work unchanged.
export * from "openai/resources/shared";
