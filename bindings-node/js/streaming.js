"use strict";
// `Stream`: an async iterable of chat completion chunks, shaped like openai-node's Stream
// (`for await`, `controller`, `tee()`, `toReadableStream()`). Aborting `controller` (or
// the request's `signal`, or leaving a `for await` early) closes the native stream, which
// cancels the upstream request.

const { OpenAIError, fromNative } = require("./errors.js");

class Stream {
  /**
   * @param {() => AsyncIterator<any>} iterator
   * @param {AbortController} controller
   */
  constructor(iterator, controller) {
    this.iterator = iterator;
    this.controller = controller;
  }

  /**
   * Wraps a native stream; `controller.abort()` closes it; `onEnd` runs once it is over;
   * `parse` turns each JSON text into an item (`JSON.parse` unless given).
   */
  static _fromNative(native, controller, onEnd, parse = JSON.parse) {
    // The provider's answer that opened the stream (the core's JSON), read while the
    // native stream is open: `response` and `withResponse()` are built from it.
    const opened = native.response?.();
    let consumed = false;
    const close = () => native.close();
    controller.signal.addEventListener("abort", close, { once: true });
    async function* iterator() {
      if (consumed) {
        throw new OpenAIError("Cannot iterate over a consumed stream, use `.tee()` to split the stream.");
      }
      consumed = true;
      let done = false;
      try {
        while (!controller.signal.aborted) {
          let text;
          try {
            text = await native.next();
          } catch (e) {
            throw fromNative(e);
          }
          if (text === null) break;
          yield parse(text);
        }
        done = true;
      } finally {
        controller.signal.removeEventListener("abort", close);
        // Ended, or left early (break, throw, abort): the upstream request stops here.
        native.close();
        if (!done) controller.abort();
        onEnd?.();
      }
    }
    const stream = new Stream(iterator, controller);
    Object.defineProperty(stream, "_info", { value: opened ? JSON.parse(opened) : null, enumerable: false });
    return stream;
  }

  /**
   * The provider's answer that opened the stream as a fetch `Response` (status and headers
   * as it sent them; no body: iterate the stream), as openai-node's `stream.response`.
   */
  get response() {
    const { headersOf } = require("./api-promise.js");
    const info = this._info ?? null;
    const response = new Response(null, { status: info?.status ?? 200, headers: headersOf(info, "text/event-stream") });
    if (info?.url) Object.defineProperty(response, "url", { value: info.url });
    return response;
  }

  [Symbol.asyncIterator]() {
    return this.iterator();
  }

  /** Two independent streams over the same chunks, each consumable once. */
  tee() {
    const left = [];
    const right = [];
    const iterator = this.iterator();
    const teeIterator = (queue) => ({
      next: () => {
        if (queue.length === 0) {
          const result = iterator.next();
          left.push(result);
          right.push(result);
        }
        return queue.shift();
      },
    });
    return [
      new Stream(() => teeIterator(left), this.controller),
      new Stream(() => teeIterator(right), this.controller),
    ];
  }

  /** A ReadableStream of newline-separated JSON chunks (as openai-node makes it). */
  toReadableStream() {
    const self = this;
    let iter;
    const encoder = new TextEncoder();
    return new ReadableStream({
      async start() {
        iter = self[Symbol.asyncIterator]();
      },
      async pull(ctrl) {
        try {
          const { value, done } = await iter.next();
          if (done) return ctrl.close();
          ctrl.enqueue(encoder.encode(JSON.stringify(value) + "\n"));
        } catch (err) {
          ctrl.error(err);
        }
      },
      async cancel() {
        await iter.return?.();
      },
    });
  }
}

module.exports = { Stream };
