// `import OpenAI, { OpenAI, RateLimitError } from "kestrel-router"`: ESM over the CommonJS build.
import kestrel from "./index.js";

export const {
  OpenAI,
  AzureOpenAI,
  Stream,
  APIPromise,
  OpenAIError,
  APIError,
  APIUserAbortError,
  APIConnectionError,
  APIConnectionTimeoutError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  RateLimitError,
  InternalServerError,
  LengthFinishReasonError,
  ContentFilterFinishReasonError,
  KestrelError,
  NoEligibleModelError,
  ConfigurationError,
  StreamInterruptedError,
  InvalidRequestError,
  toFile,
  version,
} = kestrel;

export default kestrel;
