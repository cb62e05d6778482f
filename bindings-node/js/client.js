"use strict";
// `OpenAI`: openai-node's client shape over one native Kestrel client. Every request goes
// through the Rust core in this process: validated, routed to the cheapest capable model
// (the requested model is a ceiling), sent to that provider, and recorded in the usage
// ledger that `client.usage` reads. This layer only translates options and shapes.

const { NativeClient } = require("./native.js");
const errors = require("./errors.js");
const { Stream } = require("./streaming.js");

const { validateInputTools, parseChatCompletion } = require("./parsing.js");

const { fromNative, ConfigurationError, APIUserAbortError, NotFoundError, OpenAIError } = errors;

/** Ids for abortable calls (per process; the addon maps each to its in-flight call). */
let lastAbortId = 0;
function nextAbortId() {
  lastAbortId = lastAbortId >= 0xfffffff0 ? 1 : lastAbortId + 1;
  return lastAbortId;
}

const rethrow = (e) => {
  throw fromNative(e);
};

/** Milliseconds (openai-node's unit) to seconds (the core's). */
function seconds(ms, name) {
  if (ms === undefined || ms === null) return undefined;
  if (typeof ms !== "number" || !(ms > 0) || !Number.isFinite(ms)) {
    throw new ConfigurationError(`${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return ms / 1000;
}

function retries(n, name) {
  if (n === undefined || n === null) return undefined;
  if (!Number.isInteger(n) || n < 0) {
    throw new ConfigurationError(`${name} must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `{maxEntries: 1}` → `{max_entries: 1}`, recursively (cache settings). */
function snakeKeys(value) {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (value === null || typeof value !== "object") return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[snake(k)] = snakeKeys(v);
  return out;
}

/** openai-node's options that configure its own HTTP stack: accepted and ignored (Kestrel's lives in Rust). */
const SDK_ONLY = new Set([
  "organization",
  "project",
  "defaultQuery",
  "dangerouslyAllowBrowser",
  "fetch",
  "fetchOptions",
  "httpAgent",
  "logLevel",
  "logger",
  "webhookSecret",
]);
/** camelCase names whose snake_case is not the mechanical one. */
const RENAMED = { baseURL: "base_url", baseURLs: "base_urls" };
/** Maps keyed by the caller's own names (providers, headers): kept as given, values as strings. */
const NAME_MAPS = new Set(["providerKeys", "baseURLs", "defaultHeaders"]);
/** Specs in the catalog's own (snake_case) shape: passed as they are. */
const SPECS = new Set(["providers", "models"]);

/** A map's entries as strings; `null` values (openai-node: "remove this header") left out. */
function strings(map) {
  const out = {};
  for (const [k, v] of Object.entries(map ?? {})) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * The core's `ClientConfig` JSON for constructor options (see index.d.ts, ClientOptions):
 * the same options, snake_case, with milliseconds turned into seconds. The core checks
 * names and values, and names any it does not know.
 */
function config(o) {
  const cfg = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || SDK_ONLY.has(k)) continue;
    cfg[RENAMED[k] ?? snake(k)] = NAME_MAPS.has(k) ? strings(v) : SPECS.has(k) ? v : snakeKeys(v);
  }
  if (cfg.timeout !== undefined) cfg.timeout = seconds(o.timeout, "timeout");
  if (cfg.max_retries !== undefined) cfg.max_retries = retries(o.maxRetries, "maxRetries");
  if (o.breaker?.cooldown !== undefined) cfg.breaker.cooldown = seconds(o.breaker.cooldown, "breaker.cooldown");
  if (typeof o.apiKey !== "string") delete cfg.api_key;
  if (o.cache === false) delete cfg.cache;
  if (o.report === false) cfg.report = { enabled: false };
  return cfg;
}

/**
 * The core's `CallOptions` JSON for openai-node's per-request options over a client's own
 * (`base`, from `withOptions`), or undefined when neither sets anything.
 */
function callOptions(options, base) {
  const timeout = seconds(options?.timeout, "timeout") ?? base?.timeout;
  const maxRetries = retries(options?.maxRetries, "maxRetries") ?? base?.max_retries;
  if (timeout === undefined && maxRetries === undefined) return undefined;
  return JSON.stringify({ timeout, max_retries: maxRetries });
}

/** A property left out of JSON, `util.inspect` and enumeration (clients hold keys). */
function hidden(obj, name, value) {
  Object.defineProperty(obj, name, { value, enumerable: false, writable: true, configurable: true });
}

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
      const request = JSON.stringify(body);
      const opts =
        options && (options.timeout != null || options.maxRetries != null)
          ? callOptions(options, client._callOptionsBase)
          : client._callOptions;
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

function toModel(spec) {
  return { id: spec.id, object: "model", created: 0, owned_by: spec.provider, ...spec };
}

class Models {
  constructor(client) {
    hidden(this, "_client", client);
  }

  /**
   * The catalog models reachable with the configured keys, as an OpenAI model page. Like
   * openai-node's PagePromise, the Promise itself can be iterated with `for await`.
   */
  list() {
    let promise;
    try {
      const data = JSON.parse(this._client._native.models()).map(toModel);
      const page = {
        object: "list",
        data,
        [Symbol.asyncIterator]: async function* () {
          yield* data;
        },
      };
      promise = Promise.resolve(page);
    } catch (e) {
      promise = Promise.reject(fromNative(e));
    }
    promise[Symbol.asyncIterator] = async function* () {
      yield* (await promise).data;
    };
    return promise;
  }

  /** One reachable model by id; rejects with NotFoundError otherwise. */
  async retrieve(model) {
    const page = await this.list();
    const found = page.data.find((m) => m.id === model);
    if (found) return found;
    const message = `The model \`${model}\` does not exist or you do not have access to it.`;
    throw new NotFoundError(404, { message, type: "invalid_request_error", param: null, code: "model_not_found" }, message, new Headers());
  }
}

class Usage {
  constructor(client) {
    hidden(this, "_client", client);
  }

  _view(view, tenant, limit) {
    try {
      return JSON.parse(this._client._native.usage(view, tenant ?? undefined, limit ?? undefined));
    } catch (e) {
      throw fromNative(e);
    }
  }

  /** Requests, baseline cost (what the requested models would have cost), actual cost, savings. */
  savings(tenant) {
    return this._view("savings", tenant);
  }

  /** How requests were distributed over tiers and models. */
  routing(tenant) {
    return this._view("routing", tenant);
  }

  /** Per-model requests, tokens, cost and latency. */
  analytics(tenant) {
    return this._view("analytics", tenant);
  }

  /** Per-provider requests, errors and latency. */
  providers(tenant) {
    return this._view("providers", tenant);
  }

  /** The most recent usage records, newest last. */
  records(options = {}) {
    return this._view("records", options.tenant, options.limit);
  }

  /** Cache hits (exact, semantic), misses, bypasses, hit rate and what hits saved. */
  cache(tenant) {
    return this._view("cache", tenant);
  }

  /** The tenants usage was recorded for. */
  tenants() {
    return this._view("tenants");
  }

  /** Writes the recent usage records to a CSV file. */
  exportCsv(path, tenant) {
    try {
      return this._client._native.exportCsv(String(path), tenant ?? undefined).catch(rethrow);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /** Writes one self-contained HTML report (savings over time, routing, models, providers,
   * tenants, CSV download); resolves to the number of records in it. */
  report(path) {
    try {
      return this._client._native.usageReport(String(path)).catch(rethrow);
    } catch (e) {
      return Promise.reject(fromNative(e));
    }
  }

  /** The usage reporter's counters (sent, pending, spooled, dropped, last_error), or null
   * when reporting is off. */
  reporter() {
    const raw = this._client._native.reporterStats();
    return raw === null || raw === undefined ? null : JSON.parse(raw);
  }

  /** Resolves once every record so far is in the JSONL file and sent to the collector or
   * spooled to disk (when those are configured). */
  flush() {
    return this._client._native.flushUsage().catch(rethrow);
  }
}

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
    this._callOptions = shared?.callOptions;
    this._callOptionsBase = shared?.callOptions ? JSON.parse(shared.callOptions) : undefined;
    this.apiKey = typeof options.apiKey === "string" ? options.apiKey : (process.env.OPENAI_API_KEY ?? null);
    this.baseURL = options.baseURL ?? process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1";
    this.timeout = options.timeout ?? OpenAI.DEFAULT_TIMEOUT;
    this.maxRetries = options.maxRetries ?? 2;
    this.organization = options.organization ?? null;
    this.project = options.project ?? null;
    this.chat = new Chat(this);
    this.models = new Models(this);
    this.usage = new Usage(this);
    // Keys stay out of console.log / util.inspect output.
    Object.defineProperty(this, "apiKey", { enumerable: false, writable: true });
    Object.defineProperty(this, "_native", { enumerable: false });
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
    const opts = callOptions({ timeout: merged.timeout, maxRetries: merged.maxRetries });
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
for (const [name, value] of Object.entries(errors)) if (name !== "fromNative") OpenAI[name] = value;

module.exports = { OpenAI, Stream, config, callOptions };
