"use strict";
// `OpenAI`: openai-node's client shape over one native Kestrel client. Every request goes
// through the Rust core in this process: validated, routed to the cheapest capable model
// (the requested model is a ceiling), sent to that provider, and recorded in the usage
// ledger that `client.usage` reads. This layer only translates options and shapes.

const { NativeClient } = require("./native.js");
const errors = require("./errors.js");

const { fromNative } = errors;
const { Stream } = require("./streaming.js");
const { config, callOptions } = require("./config.js");
const { nextAbortId, rethrow, hidden } = require("./resources/shared.js");
const { Chat } = require("./resources/chat.js");
const { Kestrel } = require("./resources/kestrel.js");
const { Responses } = require("./resources/responses.js");
const { Usage } = require("./resources/usage.js");
const { delegate } = require("./passthrough.js");

const SHARED = Symbol("kestrel.shared");

/** Native clients still reachable, flushed once when the event loop empties (`beforeExit`),
 * so records queued for the JSONL sink or the collector are not lost at exit. */
const LIVE = new Set();
const FORGET = new FinalizationRegistry((ref) => LIVE.delete(ref));
let exitFlush = null;
process.on("beforeExit", () => {
  if (exitFlush || LIVE.size === 0) return; // flushed already: let the process exit
  exitFlush = Promise.all([...LIVE].map((ref) => ref.deref()?.flushUsage().catch(() => {})));
});

/** `fetch`, `fetchOptions` and `httpAgent` configure openai-node's HTTP stack, which serves
 * only the APIs Kestrel passes through: routed calls' HTTP is Kestrel's (in Rust). Said once
 * per process rather than silently dropped. */
let warnedHttpOptions = false;
function warnUnroutedHttpOptions(options) {
  const given = ["fetch", "fetchOptions", "httpAgent"].filter((k) => options[k] !== undefined);
  if (given.length === 0 || warnedHttpOptions) return;
  warnedHttpOptions = true;
  process.emitWarning(
    `${given.join(", ")} configure the official client that serves the APIs Kestrel passes through ` +
      "(embeddings, files, ...); routed chat and Responses calls use Kestrel's own HTTP client, which " +
      "takes proxies from HTTPS_PROXY / ALL_PROXY",
    { code: "KESTREL_HTTP_OPTIONS" },
  );
}

class OpenAI {
  /**
   * A client; no network I/O happens here. Provider keys and base URLs come from the
   * environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...) unless `fromEnv: false`.
   */
  constructor(options = {}, shared = undefined) {
    hidden(this, "_options", { ...options });
    if (shared && shared[SHARED]) {
      this._native = shared.native;
    } else {
      warnUnroutedHttpOptions(options);
      try {
        this._native = new NativeClient(JSON.stringify(config(options)));
        const ref = new WeakRef(this._native);
        LIVE.add(ref);
        FORGET.register(this._native, ref);
      } catch (e) {
        throw fromNative(e);
      }
    }
    /** Per-call options a `withOptions` copy applies to every call (JSON, and parsed). */
    this._callOptions = shared?.callOptions ?? callOptions({ query: options.defaultQuery });
    this._callOptionsBase = this._callOptions ? JSON.parse(this._callOptions) : undefined;
    this.apiKey = typeof options.apiKey === "string" ? options.apiKey : (process.env.OPENAI_API_KEY ?? null);
    this.baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1";
    this.timeout = options.timeout ?? OpenAI.DEFAULT_TIMEOUT;
    this.maxRetries = options.maxRetries ?? 2;
    // As openai-node reports them: given, else (unless `fromEnv: false`) the environment's.
    const env = (name) => (options.fromEnv === false ? undefined : process.env[name] || undefined);
    this.organization = options.organization ?? env("OPENAI_ORG_ID") ?? null;
    this.project = options.project ?? env("OPENAI_PROJECT_ID") ?? null;
    this.chat = new Chat(this);
    this.responses = new Responses(this);
    this.kestrel = new Kestrel(this);
    this.usage = new Usage(this);
    // Keys stay out of console.log / util.inspect output.
    Object.defineProperty(this, "apiKey", { enumerable: false, writable: true });
    Object.defineProperty(this, "_native", { enumerable: false });
    // The APIs Kestrel does not route (models, embeddings, images, audio, files, ...) are the
    // official client's, configured like this one and counted in `usage` (passthrough.js).
    return new Proxy(this, {
      get: (target, prop, receiver) => (prop in target ? Reflect.get(target, prop, receiver) : delegate(target, prop)),
    });
  }

  /**
   * A copy with other options. Only `timeout`/`maxRetries` changed: the copy shares this
   * client's native client (usage, health, keys) and applies them per call; otherwise a
   * new client is built.
   */
  withOptions(options = {}) {
    const perCall = Object.keys(options).every((k) => k === "timeout" || k === "maxRetries");
    const merged = { ...this._options, ...options };
    if (!perCall) return new OpenAI(merged);
    const opts = callOptions({ timeout: merged.timeout, maxRetries: merged.maxRetries, query: merged.defaultQuery });
    return new OpenAI(merged, { [SHARED]: true, native: this._native, callOptions: opts });
  }

  /** The routing decision for a request, without calling any provider. */
  route(body) {
    try {
      return JSON.parse(this._native.route(JSON.stringify(body)));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Records how the answer to `requestId` (the response's `id`) went: "good", "bad" or a
   * score from 0 to 1. False when feedback is off or the request is unknown or was
   * routed at premium. */
  feedback(requestId, outcome) {
    if (typeof outcome !== "string" && typeof outcome !== "number") {
      throw new TypeError('outcome must be "good", "bad" or a score from 0 to 1');
    }
    try {
      return this._native.feedback(String(requestId), String(outcome));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Each provider's circuit state and whether it is configured. */
  health() {
    try {
      return JSON.parse(this._native.health());
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Drops every cached answer this client can see (with Redis: every entry under its prefix). */
  clearCache() {
    try {
      return this._native.clearCache().catch(rethrow);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /** Sets or rotates a provider's key (`null` removes it). */
  setApiKey(provider, key) {
    try {
      this._native.setApiKey(provider, key ?? undefined);
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Points a provider at another base URL (in the form its own SDK takes it). */
  setBaseURL(provider, url) {
    try {
      this._native.setBaseUrl(provider, String(url));
    } catch (e) {
      throw fromNative(e);
    }
  }

  _stream(request, opts, signal) {
    const native = this._native;
    const id = signal ? nextAbortId() : undefined;
    const onAbort = signal ? () => native.abort(id) : undefined;
    if (signal) signal.addEventListener("abort", onAbort, { once: true });
    return native.stream(request, opts, id).then(
      (handle) => {
        if (signal) signal.removeEventListener("abort", onAbort);
        const controller = new AbortController();
        if (!signal) return Stream._fromNative(handle, controller);
        // The caller's signal aborts the stream until it is over (then the listener goes,
        // so a long-lived signal does not collect one per stream).
        const forward = () => controller.abort();
        if (signal.aborted) controller.abort();
        else signal.addEventListener("abort", forward, { once: true });
        return Stream._fromNative(handle, controller, () => signal.removeEventListener("abort", forward));
      },
      (e) => {
        if (signal) signal.removeEventListener("abort", onAbort);
        throw fromNative(e);
      },
    );
  }

  [Symbol.for("nodejs.util.inspect.custom")]() {
    return `OpenAI <kestrel ${this._native.describe()}>`;
  }
}

OpenAI.DEFAULT_TIMEOUT = 600000;
OpenAI.OpenAI = OpenAI;
OpenAI.default = OpenAI;
OpenAI.Stream = Stream;
OpenAI.APIPromise = require("./api-promise.js").APIPromise;
for (const [name, value] of Object.entries(errors)) if (name !== "fromNative") OpenAI[name] = value;
// openai-node's resource classes on the class (`OpenAI.Chat`, `OpenAI.Embeddings`, ...), as
// index.d.ts declares them: the official package's own, loaded when first read.
for (const name of ["Completions", "Chat", "Embeddings", "Files", "Images", "Audio", "Moderations", "Models",
  "FineTuning", "VectorStores", "Beta", "Batches", "Uploads", "Responses"]) {
  Object.defineProperty(OpenAI, name, { get: () => require("openai").OpenAI[name], configurable: true });
}

module.exports = { OpenAI, Stream, config, callOptions };
