"use strict";
// `client.chat.completions`: create (plain or streamed) and parse, through the core.

const { fromNative, APIUserAbortError, OpenAIError } = require("../errors.js");
const { Stream } = require("../streaming.js");
const { validateInputTools, parseChatCompletion } = require("../parsing.js");
const { callOptions, hasCallOptions } = require("../config.js");
const { nextAbortId, rethrow, hidden, AUTHORIZED } = require("./shared.js");

class Completions {
  constructor(client) {
    hidden(this, "_client", client);
  }

  /**
   * A chat completion, routed. Resolves to a plain object shaped like OpenAI's plus
   * `kestrel` metadata; with `stream: true`, to a `Stream` of chunks. Unknown params pass
   * through to the provider. `options`: `{timeout (ms), maxRetries, signal}`.
   */
  create(body, options) {
    try {
      const client = this._client;
      // A credential fetched per request (Azure's token provider) joins the call's headers.
      if (client._authorize && !options?.[AUTHORIZED]) {
        return client._authorize(options).then((o) => this.create(body, { ...o, [AUTHORIZED]: true }));
      }
      const request = JSON.stringify(body);
      const opts = hasCallOptions(options) ? callOptions(options, client._callOptionsBase) : client._callOptions;
      const signal = options?.signal ?? undefined;
      if (signal?.aborted) return Promise.reject(new APIUserAbortError());
      if (body?.stream === true) return client._stream(request, opts, signal);
      if (!signal) return client._native.chat(request, opts).then(JSON.parse, rethrow);
      const native = client._native;
      const id = nextAbortId();
      const promise = native.chat(request, opts, id);
      const onAbort = () => native.abort(id);
      signal.addEventListener("abort", onAbort, { once: true });
      return promise.then(
        (text) => {
          signal.removeEventListener("abort", onAbort);
          return JSON.parse(text);
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
    return this.create(body, options).then((completion) => parseChatCompletion(completion, body));
  }
}

class Chat {
  constructor(client) {
    this.completions = new Completions(client);
  }
}

module.exports = { Chat, Completions };
