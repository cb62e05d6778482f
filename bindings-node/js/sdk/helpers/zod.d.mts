// `kestrel-router/helpers/zod`: openai-node's `openai/helpers/zod`, re-exported so imports written for openai work unchanged.
export * from "openai/helpers/zod";
