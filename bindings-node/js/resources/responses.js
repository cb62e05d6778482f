"use strict";
// `client.responses`: the Responses API, routed through the core like chat. `create` resolves
// to a Response object (with `output_text`, as openai-node adds it); with `stream: true`, to a
// `Stream` of Responses events (`response.created` ... `response.completed`).

const { fromNative, APIUserAbortError } = require("../errors.js");
const { Stream } = require("../streaming.js");
const { callOptions, hasCallOptions } = require("../config.js");
const { nextAbortId, hidden, withKestrelErrors, AUTHORIZED } = require("./shared.js");
const { APIPromise, addRequestID } = require("../api-promise.js");
const { delegateMember, official, wrap } = require("../passthrough.js");

/** Sets `output_text`: every `output_text` part of every message, joined (openai-node's `addOutputText`). */
function addOutputText(response) {
  const texts = [];
  for (const item of response.output ?? []) {
    if (item.type !== "message") continue;
    for (const part of item.content ?? []) if (part.type === "output_text") texts.push(part.text);
  }
  response.output_text = texts.join("");
  return response;
}

/** Parses one event; the final response of `response.completed` (and friends) gets `output_text`. */
function parseEvent(text) {
  const event = JSON.parse(text);
  if (event.response && event.response.object === "response") addOutputText(event.response);
  return event;
}

class Responses {
  constructor(client) {
    hidden(this, "_client", client);
    // The rest of the Responses API (`retrieve`, `delete`, `cancel`, `inputItems`, ...):
    // responses stored on OpenAI's servers, so the official client's (passthrough.js).
    return new Proxy(this, {
      get: (target, prop, receiver) =>
        prop in target ? Reflect.get(target, prop, receiver) : delegateMember(target._client, "responses", prop),
    });
  }

  /**
   * A Response, routed to the cheapest capable model (`model` is the ceiling). `input`,
   * `instructions`, function `tools`, `text.format`, `previous_response_id` (expanded from
   * the conversations this client stored) and the rest pass through the core.
   * `options`: `{timeout (ms), maxRetries, signal}`.
   */
  create(body, options) {
    if (this._needsOpenAI(body)) {
      // What only OpenAI's Responses API serves (its stored state, built-in tools, items
      // only it knows; the core decides) goes unchanged through the official client.
      const { kestrel: _routing, ...sent } = body;
      const sdk = official(this._client);
      return wrap(sdk.responses, sdk).create(sent, options);
    }
    return new APIPromise(this._exchange(body, options));
  }

  /**
   * openai-node's Responses streaming helper (its `ResponseStream`: events,
   * `finalResponse()`, `text_format` parsing) over a routed stream.
   */
  stream(body, options) {
    const { ResponseStream } = require("openai/lib/responses/ResponseStream");
    return withKestrelErrors(ResponseStream.createResponse(this._client, body, options));
  }

  /**
   * `create()`, then openai-node's Responses parsing: `output_parsed` (from `text.format`,
   * e.g. `zodTextFormat`) and strict function calls' `parsed_arguments`.
   */
  parse(body, options) {
    const { parseResponse } = require("openai/lib/ResponsesParser");
    return this.create(body, options)._thenUnwrap((response) => parseResponse(response, body));
  }

  /** Whether the core routes this request; a malformed one is routed (to fail there). */
  _needsOpenAI(body) {
    try {
      return this._client._native.responsesPassthrough(JSON.stringify(body)) != null;
    } catch {
      return false;
    }
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
      const url = `${String(client.baseURL).replace(/\/+$/, "")}/responses`;
      if (signal?.aborted) return Promise.reject(new APIUserAbortError());
      const native = client._native;
      const id = signal ? nextAbortId() : undefined;
      const onAbort = signal ? () => native.abort(id) : undefined;
      if (signal) signal.addEventListener("abort", onAbort, { once: true });
      const done = () => {
        if (signal) signal.removeEventListener("abort", onAbort);
      };
      if (body?.stream === true) {
        return native.responsesStream(request, opts, id).then(
          (handle) => {
            done();
            const controller = new AbortController();
            let stream;
            if (!signal) stream = Stream._fromNative(handle, controller, undefined, parseEvent);
            else {
              const forward = () => controller.abort();
              if (signal.aborted) controller.abort();
              else signal.addEventListener("abort", forward, { once: true });
              const onEnd = () => signal.removeEventListener("abort", forward);
              stream = Stream._fromNative(handle, controller, onEnd, parseEvent);
            }
            return { data: stream, info: stream._info, url, doneMarker: false };
          },
          (e) => {
            done();
            throw fromNative(e);
          },
        );
      }
      return native.responsesRaw(request, opts, id).then(
        (raw) => {
          done();
          const info = raw.response ? JSON.parse(raw.response) : null;
          return { data: addRequestID(addOutputText(JSON.parse(raw.body)), info), info, text: raw.body, url };
        },
        (e) => {
          done();
          throw fromNative(e);
        },
      );
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }
}

module.exports = { Responses, addOutputText };
