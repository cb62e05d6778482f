"use strict";
// Error classes shaped like openai-node's (same names, constructors, fields and messages),
// and the one place native errors map onto them (`fromNative`).
//
// The addon rejects with an Error whose message is a JSON object of facts:
// {kestrel_error, kind, message, status, body, retry_after, provider, field, attempts,
// response}; `response` is the provider's HTTP answer the error comes from (status,
// response headers, request_id, url, body).
// Kestrel's own failures (no eligible model, a stream cut after its first chunk, a bad
// configuration) derive from KestrelError, itself an APIError, so `instanceof APIError`
// handlers keep catching everything.

class OpenAIError extends Error {}

class APIError extends OpenAIError {
  /**
   * @param {number | undefined} status
   * @param {object | undefined} error the provider's error object ({message, type, param, code})
   * @param {string | undefined} message
   * @param {Headers | undefined} headers
   */
  constructor(status, error, message, headers) {
    super(APIError.makeMessage(status, error, message));
    this.status = status;
    this.headers = headers;
    this.requestID = headers?.get?.("x-request-id") ?? undefined;
    this.error = error;
    this.code = error?.code;
    this.param = error?.param;
    this.type = error?.type;
    /** Kestrel's error kind (e.g. "rate_limited"), when the error came from Kestrel. */
    this.kind = undefined;
    /** The provider that failed, when one was involved. */
    this.provider = undefined;
  }

  static makeMessage(status, error, message) {
    const msg = error?.message
      ? typeof error.message === "string"
        ? error.message
        : JSON.stringify(error.message)
      : error
        ? JSON.stringify(error)
        : message;
    if (status && msg) return `${status} ${msg}`;
    if (status) return `${status} status code (no body)`;
    if (msg) return msg;
    return "(no status code or body)";
  }

  /** The class openai-node picks for a status (same rules). */
  static generate(status, errorResponse, message, headers) {
    if (!status || !headers) {
      return new APIConnectionError({ message, cause: errorResponse instanceof Error ? errorResponse : undefined });
    }
    const error = errorResponse?.error;
    const Cls = classForStatus(status);
    return new Cls(status, error, message, headers);
  }
}

class APIUserAbortError extends APIError {
  constructor({ message } = {}) {
    super(undefined, undefined, message || "Request was aborted.", undefined);
  }
}

class APIConnectionError extends APIError {
  constructor({ message, cause } = {}) {
    super(undefined, undefined, message || "Connection error.", undefined);
    if (cause) this.cause = cause;
  }
}

class APIConnectionTimeoutError extends APIConnectionError {
  constructor({ message } = {}) {
    super({ message: message ?? "Request timed out." });
  }
}

class BadRequestError extends APIError {}
class AuthenticationError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class ConflictError extends APIError {}
class UnprocessableEntityError extends APIError {}
class RateLimitError extends APIError {}
class InternalServerError extends APIError {}

class LengthFinishReasonError extends OpenAIError {
  constructor() {
    super("Could not parse response content as the length limit was reached");
  }
}

class ContentFilterFinishReasonError extends OpenAIError {
  constructor() {
    super("Could not parse response content as the request was rejected by the content filter");
  }
}

/** Base of the failures that come from Kestrel itself rather than a provider. */
class KestrelError extends APIError {
  constructor(message, status) {
    super(status, undefined, message, undefined);
  }
}

/** No configured, healthy model can serve the request within the routing policy. */
class NoEligibleModelError extends KestrelError {}

/** The client configuration (or a per-call option) is invalid. */
class ConfigurationError extends KestrelError {}

/**
 * A stream broke after its first chunk: Kestrel never fails over mid-answer (that would
 * splice two answers), so the stream ends with this error instead.
 */
class StreamInterruptedError extends APIConnectionError {}

/**
 * Kestrel refused the request before sending it anywhere (HTTP 400 semantics); `param`
 * is the path of the offending field, e.g. `messages[2].tool_call_id`.
 */
class InvalidRequestError extends BadRequestError {
  constructor(message, param) {
    super(400, { message, type: "invalid_request_error", param: param ?? null, code: null }, undefined, undefined);
  }
}

function classForStatus(status) {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 422:
      return UnprocessableEntityError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? InternalServerError : APIError;
  }
}

function decode(e) {
  const text = e?.message;
  if (typeof text !== "string" || !text.startsWith('{"kestrel_error":true')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A Python-style option name (`base_url`) as openai-node spells it (`baseURL`). */
function camelOption(name) {
  return name.replace(/_([a-z])/g, (_m, c) => c.toUpperCase()).replace(/^baseUrl/, "baseURL");
}

/** Maps an addon error onto the openai-node class for it; other errors pass unchanged. */
function fromNative(e) {
  const { headersOf } = require("./api-promise.js");
  if (e instanceof OpenAIError) return e;
  const f = decode(e);
  if (!f) return e;
  const { kind, message, status, provider, field } = f;
  // Like openai-node: `.error` is the `error` object of `{"error": {...}}` bodies.
  const body = f.body != null && typeof f.body === "object" && "error" in f.body ? f.body.error : (f.body ?? undefined);
  let err;
  switch (kind) {
    case "aborted":
      err = new APIUserAbortError();
      break;
    case "config":
      // The core names options as Python does (`tier_floor`, `api_key`); say them as they
      // are given here (`tierFloor`, `apiKey`).
      err = new ConfigurationError(
        message
          .replace(/(client configuration: )([a-z_.]+)/, (_, head, path) => head + camelOption(path))
          .replace(/`([a-z]+(?:_[a-z]+)+)`/g, (_, name) => "`" + camelOption(name) + "`"),
      );
      break;
    case "invalid_request":
      err = new InvalidRequestError(message, field);
      break;
    case "no_eligible_model":
      err = new NoEligibleModelError(message);
      break;
    case "stream_interrupted":
      err = new StreamInterruptedError({ message });
      break;
    case "timeout":
      err = new APIConnectionTimeoutError({ message });
      break;
    case "connection":
      err = new APIConnectionError({ message });
      break;
    default:
      if (typeof status === "number" && status >= 400) {
        // The provider's final answer (after failover and retries): its headers as sent.
        const headers = f.response ? headersOf(f.response, "application/json") : new Headers();
        if (typeof f.retry_after === "number" && !headers.has("retry-after")) {
          headers.set("retry-after", String(f.retry_after));
        }
        const error = body !== undefined && body !== null && typeof body === "object" ? body : undefined;
        err = new (classForStatus(status))(status, error, message, headers);
        // The provider's request id, whichever header carries it (Anthropic: `request-id`).
        if (f.response) err.requestID = f.response.request_id ?? null;
      } else if (kind === "internal") {
        err = new KestrelError(message);
      } else {
        err = new APIError(typeof status === "number" && status > 0 ? status : undefined, undefined, message, undefined);
      }
  }
  err.kind = kind;
  err.provider = typeof provider === "string" ? provider : undefined;
  // Every provider call the request made, in order (substitutes and retries included).
  err.attempts = Array.isArray(f.attempts) ? f.attempts : [];
  return err;
}

/**
 * An error an openai-node helper runner (`ChatCompletionStream`, the tool runners,
 * `ResponseStream`) would emit, as this package's class: the runner wraps errors that are
 * not openai-node's in its own `OpenAIError` (the original as `cause`) and raises its own
 * abort and finish-reason errors.
 */
function fromRunner(error) {
  if (error instanceof OpenAIError) return error;
  const cause = error?.cause;
  if (cause instanceof OpenAIError && cause.message === error.message) return cause;
  const name = error?.constructor?.name;
  if (name === "APIUserAbortError") return new APIUserAbortError();
  if (name === "LengthFinishReasonError") return new LengthFinishReasonError();
  if (name === "ContentFilterFinishReasonError") return new ContentFilterFinishReasonError();
  return error;
}

module.exports = {
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
  fromNative,
  fromRunner,
};
