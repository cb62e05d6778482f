"use strict";
// `client.chat.completions`: create (plain or streamed) and parse, through the core.

const { fromNative, APIUserAbortError, OpenAIError } = require("../errors.js");
const { Stream } = require("../streaming.js");
const { validateInputTools, parseChatCompletion } = require("../parsing.js");
const { callOptions, hasCallOptions } = require("../config.js");
const { nextAbortId, rethrow, hidden, withKestrelErrors, AUTHORIZED } = require("./shared.js");
const { APIPromise, addRequestID } = require("../api-promise.js");
const { delegateMember } = require("../passthrough.js");

class Completions {
  constructor(client) {
    hidden(this, "_client", client);
    // Stored completions (`retrieve`, `update`, `list`, `delete`, `messages`): kept on
    // OpenAI's servers, so the official client's (passthrough.js).
    return new Proxy(this, {
      get: (target, prop, receiver) =>
        prop in target ? Reflect.get(target, prop, receiver) : delegateMember(target._client, "chat.completions", prop),
    });
  }

  /**
   * A chat completion, routed. Resolves to a plain object shaped like OpenAI's plus
   * `kestrel` metadata and `_request_id`; with `stream: true`, to a `Stream` of chunks.
   * Unknown params pass through to the provider. `options`: `{timeout (ms), maxRetries,
   * signal}`. The result is an `APIPromise`: `.withResponse()` / `.asResponse()` give the
   * provider's status and headers, as openai-node does.
   */
  create(body, options) {
    return new APIPromise(this._exchange(body, options));
  }

  /** The call behind `create()`: the answer and the provider's HTTP answer (an Exchange). */
  _exchange(body, options) {
    try {
      const client = this._client;
      // A credential fetched per request (Azure's token provider) joins the call's headers.
      if (client._authorize && !options?.[AUTHORIZED]) {
        return client._authorize(options).then((o) => this._exchange(body, { ...o, [AUTHORIZED]: true }));
      }
      const request = JSON.stringify(body);
      const opts = hasCallOptions(options) ? callOptions(options, client._callOptionsBase) : client._callOptions;
      const signal = options?.signal ?? undefined;
      const url = `${String(client.baseURL).replace(/\/+$/, "")}/chat/completions`;
      if (signal?.aborted) return Promise.reject(new APIUserAbortError());
      if (body?.stream === true) {
        return client._stream(request, opts, signal).then((stream) => ({ data: stream, info: stream._info, url }));
      }
      const native = client._native;
      const exchanged = (raw) => {
        const info = raw.response ? JSON.parse(raw.response) : null;
        return { data: addRequestID(JSON.parse(raw.body), info), info, text: raw.body, url };
      };
      if (!signal) return native.chatRaw(request, opts).then(exchanged, rethrow);
      const id = nextAbortId();
      const promise = native.chatRaw(request, opts, id);
      const onAbort = () => native.abort(id);
      signal.addEventListener("abort", onAbort, { once: true });
      return promise.then(
        (raw) => {
          signal.removeEventListener("abort", onAbort);
          return exchanged(raw);
        },
        (e) => {
          signal.removeEventListener("abort", onAbort);
          throw fromNative(e);
        },
      );
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /**
   * `create()`, then openai-node's structured-output parsing: `message.parsed` (from a
   * `json_schema` response format, or `zodResponseFormat`) and `parsed_arguments` of
   * strict tool calls (or `zodFunction` tools).
   */
  parse(body, options) {
    try {
      validateInputTools(body?.tools);
      if (body?.stream === true) throw new OpenAIError("`parse()` does not stream; use `create({stream: true})`");
    } catch (e) {
      return Promise.reject(e);
    }
    return this.create(body, options)._thenUnwrap((completion) => parseChatCompletion(completion, body));
  }

  /**
   * openai-node's streaming helper (its own `ChatCompletionStream`: events `chunk`,
   * `content.delta`, `tool_calls.function.arguments.*`, ..., `finalChatCompletion()`,
   * `finalContent()`, `toReadableStream()`), driving this client's routed `create()`.
   * The final completion keeps the last chunk's `kestrel` metadata.
   */
  stream(body, options) {
    const { ChatCompletionStream } = require("openai/lib/ChatCompletionStream");
    return withKestrelErrors(ChatCompletionStream.createChatCompletion(this._client, body, options));
  }

  /**
   * openai-node's tool-calling loop (`ChatCompletionRunner`, or with `stream: true`
   * `ChatCompletionStreamingRunner`): calls the tools' `function`s and sends their results
   * back until the model answers, every request routed through this client.
   */
  runTools(body, options) {
    if (body?.stream) {
      const { ChatCompletionStreamingRunner } = require("openai/lib/ChatCompletionStreamingRunner");
      return withKestrelErrors(ChatCompletionStreamingRunner.runTools(this._client, body, options));
    }
    const { ChatCompletionRunner } = require("openai/lib/ChatCompletionRunner");
    return withKestrelErrors(ChatCompletionRunner.runTools(this._client, body, options));
  }
}

class Chat {
  constructor(client) {
    this.completions = new Completions(client);
  }
}

module.exports = { Chat, Completions };
