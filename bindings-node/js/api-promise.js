"use strict";
// `APIPromise`: what `create()` returns, as openai-node's (`core/api-promise`): a Promise of
// the answer (with a non-enumerable `_request_id`) that also offers `.withResponse()` and
// `.asResponse()`. Kestrel's HTTP happens in Rust, so the fetch `Response` handed out is
// built from what the core carried up: the provider's status and response headers (never the
// request's, which hold keys) of the attempt that answered, with the OpenAI-shaped answer as
// its body (the JSON openai-node would have parsed, or for a stream the server-sent events).

/**
 * @typedef {object} Exchange
 * @property {any} data what `create()` resolves to
 * @property {object | null} info the core's ProviderResponse (status, headers, request_id,
 *   url, elapsed_ms, retries_taken), `null` for an answer from the cache
 * @property {string | undefined} text the answer's JSON, for a plain answer
 * @property {string} url where a cached answer would have gone
 */

/** Sets `_request_id` as openai-node does: not enumerable, so JSON and spreads skip it. */
function addRequestID(value, info) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.defineProperty(value, "_request_id", {
    value: info?.request_id ?? null,
    enumerable: false,
    configurable: true,
  });
}

/** The provider's headers as a fetch `Headers` (`content-type` added when it sent none). */
function headersOf(info, contentType) {
  const headers = new Headers();
  for (const pair of info?.headers ?? []) {
    if (Array.isArray(pair) && pair.length === 2) {
      try {
        headers.append(pair[0], pair[1]);
      } catch {
        // A header value fetch refuses (it allows less than HTTP does): left out.
      }
    }
  }
  if (!headers.has("content-type")) headers.set("content-type", contentType);
  return headers;
}

/** One chunk (or Responses event) as the server-sent event openai-node reads. */
function sseEvent(item, encoder) {
  const named = item && typeof item.type === "string" && "sequence_number" in item;
  return encoder.encode(`${named ? `event: ${item.type}\n` : ""}data: ${JSON.stringify(item)}\n\n`);
}

/** The stream's items as a byte stream of server-sent events (consumes the stream). */
function sseBody(stream, doneMarker) {
  const encoder = new TextEncoder();
  let iter;
  return new ReadableStream({
    start() {
      iter = stream[Symbol.asyncIterator]();
    },
    async pull(ctrl) {
      try {
        const { value, done } = await iter.next();
        if (!done) return ctrl.enqueue(sseEvent(value, encoder));
        if (doneMarker) ctrl.enqueue(encoder.encode("data: [DONE]\n\n"));
        ctrl.close();
      } catch (err) {
        ctrl.error(err);
      }
    },
    async cancel() {
      await iter?.return?.();
    },
  });
}

/**
 * A fetch `Response` for an exchange. `withBody: false` leaves a stream's body out (the
 * `Stream` in `data` reads it, as in openai-node's `withResponse()`).
 */
function responseOf(exchange, withBody) {
  const { data, info } = exchange;
  const streamed = exchange.text === undefined;
  const headers = headersOf(info, streamed ? "text/event-stream" : "application/json");
  let body = null;
  if (!streamed) body = exchange.text;
  else if (withBody) body = sseBody(data, exchange.doneMarker !== false);
  const response = new Response(body, { status: info?.status ?? 200, headers });
  // fetch's Response takes no URL; openai-node's has the one it called.
  Object.defineProperty(response, "url", { value: info?.url ?? exchange.url });
  return response;
}

class APIPromise extends Promise {
  /** @param {Promise<Exchange>} exchange */
  constructor(exchange) {
    // Resolved at once and never read: `then`, `catch` and `finally` go to the answer.
    super((resolve) => resolve(null));
    Object.defineProperty(this, "_exchange", { value: exchange, enumerable: false });
  }

  // Promise methods on this class build plain Promises, never another APIPromise.
  static get [Symbol.species]() {
    return Promise;
  }

  /** An APIPromise of `transform(data)`, keeping the same HTTP answer (openai-node's helper). */
  _thenUnwrap(transform) {
    return new APIPromise(
      this._exchange.then(async (x) => ({ ...x, data: addRequestID(await transform(x.data), x.info) })),
    );
  }

  /** The provider's answer as a fetch `Response`; its body is the answer (or the events). */
  asResponse() {
    return this._exchange.then((x) => responseOf(x, true));
  }

  /** The answer, the provider's answer as a `Response`, and the provider's request id. */
  withResponse() {
    return this._exchange.then((x) => ({
      data: x.data,
      response: responseOf(x, false),
      request_id: x.info?.request_id ?? null,
    }));
  }

  _parse() {
    if (!this._parsed) {
      Object.defineProperty(this, "_parsed", { value: this._exchange.then((x) => x.data), enumerable: false });
    }
    return this._parsed;
  }

  then(onfulfilled, onrejected) {
    return this._parse().then(onfulfilled, onrejected);
  }

  catch(onrejected) {
    return this._parse().catch(onrejected);
  }

  finally(onfinally) {
    return this._parse().finally(onfinally);
  }
}

module.exports = { APIPromise, addRequestID, headersOf };
