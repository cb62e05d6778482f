"use strict";
// Constructor and per-call options as the core's JSON: the same option names in snake_case,
// milliseconds as seconds. The core (`ClientConfig`, `CallOptions`) checks them.

const { ConfigurationError } = require("./errors.js");

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

/** openai-node's options that configure its own HTTP stack: they reach the official client
 * that serves the APIs Kestrel does not route (passthrough.js), not Kestrel's (in Rust).
 * `defaultQuery` reaches routed calls too, as each call's query (callOptions). */
const SDK_ONLY = new Set([
  "defaultQuery",
  "dangerouslyAllowBrowser",
  "fetch",
  "fetchOptions",
  "httpAgent",
  "logLevel",
  "logger",
  "webhookSecret",
  "adminAPIKey",
]);
/** camelCase names whose snake_case is not the mechanical one. */
const RENAMED = { baseURL: "base_url", baseURLs: "base_urls" };
/** Maps keyed by the caller's own names (providers, headers): kept as given, values as strings. */
const NAME_MAPS = new Set(["providerKeys", "baseURLs", "defaultHeaders"]);
/** Specs in the catalog's own (snake_case) shape: passed as they are. */
const SPECS = new Set(["providers", "models", "azure"]);

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
  const headers = options?.headers ? strings(options.headers) : undefined;
  // The call's query over the client's `defaultQuery`; the core sends it to the requested
  // model's provider only.
  const query = options?.query || base?.query ? { ...base?.query, ...strings(options?.query) } : undefined;
  if (timeout === undefined && maxRetries === undefined && headers === undefined && query === undefined) return undefined;
  return JSON.stringify({ timeout, max_retries: maxRetries, headers, query });
}

/** Whether per-request `options` set anything the core takes per call. */
function hasCallOptions(options) {
  return (
    !!options && (options.timeout != null || options.maxRetries != null || options.headers != null || options.query != null)
  );
}

module.exports = { config, callOptions, hasCallOptions, seconds, retries };
