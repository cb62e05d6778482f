// `kestrel-router/resources/responses/responses`: openai-node's `openai/resources/responses/responses`, re-exported so imports written for openai work unchanged.
export * from "openai/resources/responses/responses";
