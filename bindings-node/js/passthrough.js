"use strict";
// The APIs Kestrel does not route: models, embeddings, moderations, images, audio, files, batches,
// fineTuning, vectorStores, legacy completions, uploads, ... and the generic
// `client.get/post/put/patch/delete` helpers.
//
// They are served by the official `openai` client itself, built lazily with this client's
// options (apiKey, baseURL, timeout, maxRetries, defaultHeaders, defaultQuery, organization,
// project, fetch, fetchOptions), so requests, retries, timeouts, pagination, binary answers
// and uploads are exactly openai-node's. Two things are added: errors come out as Kestrel's
// classes of the same name, and every HTTP exchange is counted in the usage ledger
// (endpoint, model, status, tokens when the answer reports them; never the content), where
// the core prices it.

const errors = require("./errors.js");

/** Routed by Kestrel: never served by the official client. */
const ROUTED = new Set(["chat", "responses", "then", "toJSON", "constructor"]);
/** The official client's options Kestrel's constructor takes under the same names. */
const SDK_OPTIONS = [
  "apiKey",
  "adminAPIKey",
  "organization",
  "project",
  "webhookSecret",
  "baseURL",
  "timeout",
  "maxRetries",
  "defaultHeaders",
  "defaultQuery",
  "fetchOptions",
  "dangerouslyAllowBrowser",
  "logLevel",
  "logger",
];

let sdkModule;
let sdkNames;

function loadSdk() {
  if (sdkModule === undefined) {
    try {
      sdkModule = require("openai");
    } catch {
      sdkModule = null;
    }
  }
  return sdkModule;
}

/** The names an official client answers to (its resources and methods), read once. */
function officialNames() {
  if (sdkNames) return sdkNames;
  const sdk = loadSdk();
  sdkNames = new Set();
  if (!sdk) return sdkNames;
  const Cls = sdk.OpenAI ?? sdk.default;
  const probe = new Cls({ apiKey: "probe", baseURL: "http://127.0.0.1:9" });
  for (let o = probe; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (!name.startsWith("_")) sdkNames.add(name);
  }
  return sdkNames;
}

/** `client.<name>` for an API Kestrel does not route, or `undefined` for no such API. */
function delegate(client, name) {
  if (typeof name !== "string" || name.startsWith("_") || ROUTED.has(name)) return undefined;
  if (!officialNames().has(name)) return undefined;
  const sdk = official(client);
  return wrap(sdk[name], sdk);
}

/** The official client configured like `client`, built on first use. */
function official(client) {
  if (!client._sdk) {
    Object.defineProperty(client, "_sdk", { value: officialClient(client), enumerable: false });
  }
  return client._sdk;
}

/** `client.<resource>.<name>` that Kestrel does not route (`responses.retrieve`,
 * `responses.inputItems`, `chat.completions.list`, ...): the official client's, or
 * `undefined`. `resource` is a dotted path (`chat.completions`). */
function delegateMember(client, resource, name) {
  if (typeof name !== "string" || name.startsWith("_") || ROUTED.has(name)) return undefined;
  const res = resource.split(".").reduce((o, part) => o[part], official(client));
  return name in res ? wrap(res[name], res) : undefined;
}

function officialClient(client) {
  const sdk = loadSdk();
  const opts = {};
  for (const k of SDK_OPTIONS) if (client._options[k] !== undefined) opts[k] = client._options[k];
  opts.fetch = countingFetch(client, client._options.fetch ?? globalThis.fetch);
  let Cls = sdk.OpenAI ?? sdk.default;
  if (client._azureSdk) {
    // An Azure client's endpoint, version, deployment and credential make the official
    // AzureOpenAI client, with openai-node's URL and auth rules.
    delete opts.apiKey;
    delete opts.baseURL;
    Object.assign(opts, client._azureSdk);
    Cls = sdk.AzureOpenAI;
  }
  try {
    return new Cls(opts);
  } catch (e) {
    throw convert(e);
  }
}

/** Resources are wrapped so their methods raise Kestrel's classes; values pass as they are. */
function wrap(value, owner) {
  if (typeof value === "function") return wrapMethod(value, owner);
  if (value && typeof value === "object" && value._client !== undefined) {
    return new Proxy(value, { get: (t, p) => (typeof p === "symbol" ? t[p] : wrap(t[p], t)) });
  }
  return value;
}

function wrapMethod(fn, owner) {
  return function call(...args) {
    let result;
    try {
      result = fn.apply(owner, args);
    } catch (e) {
      throw convert(e);
    }
    return isThenable(result) ? convertingPromise(result) : result;
  };
}

const isThenable = (v) => v !== null && typeof v === "object" && typeof v.then === "function";

/** An APIPromise (or PagePromise) whose rejections are Kestrel's classes; `withResponse()`,
 * `asResponse()` and async iteration keep working. */
function convertingPromise(promise) {
  return new Proxy(promise, {
    get(target, prop) {
      if (prop === "then") return (ok, fail) => target.then(ok, (e) => (fail ? fail(convert(e)) : Promise.reject(convert(e))));
      if (prop === "catch") return (fail) => target.then(undefined, (e) => fail(convert(e)));
      if (prop === "finally") return (f) => target.then(undefined, (e) => Promise.reject(convert(e))).finally(f);
      const v = target[prop];
      if (typeof v !== "function") return v;
      return (...args) => {
        const out = v.apply(target, args);
        return isThenable(out) && typeof prop === "string" ? out.then(undefined, (e) => Promise.reject(convert(e))) : out;
      };
    },
  });
}

/** The Kestrel error of the same class name as openai-node's, with its details. */
function convert(e) {
  const sdk = loadSdk();
  if (!sdk || !(e instanceof sdk.OpenAIError) || e instanceof errors.OpenAIError) return e;
  const Cls = errors[e.constructor.name];
  let out;
  if (e instanceof sdk.APIConnectionTimeoutError) out = new errors.APIConnectionTimeoutError({ message: e.message });
  else if (e instanceof sdk.APIUserAbortError) out = new errors.APIUserAbortError({ message: e.message });
  else if (e instanceof sdk.APIConnectionError) out = new errors.APIConnectionError({ message: e.message, cause: e.cause });
  else if (e instanceof sdk.APIError) {
    const Status = typeof Cls === "function" && Cls.prototype instanceof errors.APIError ? Cls : errors.APIError;
    out = new Status(e.status, e.error, e.message, e.headers);
  } else out = new errors.OpenAIError(e.message);
  out.provider = "openai";
  out.cause = e;
  return out;
}

/** The caller's fetch, timing each exchange and counting it in the ledger before the
 * SDK sees the answer. A JSON answer is read from a copy first (the SDK reads it whole
 * anyway); binary and streamed answers are counted without their body. */
function countingFetch(client, fetchImpl) {
  return async (url, init) => {
    const t0 = performance.now();
    const res = await fetchImpl(url, init);
    const type = res.headers.get("content-type") ?? "";
    const body = type.includes("application/json") ? await res.clone().json().catch(() => undefined) : undefined;
    try {
      record(client, String(url), init, res, type, body, performance.now() - t0);
    } catch {
      // Counting must never fail the caller's request.
    }
    return res;
  };
}

function record(client, url, init, res, type, body, latencyMs) {
  let sent;
  if (typeof init?.body === "string") {
    try {
      sent = JSON.parse(init.body);
    } catch {}
  }
  // Only what a call made is spent: reading a stored completion or response back (GET) also
  // carries its `usage`, which was counted when it was made.
  const method = (init?.method ?? "GET").toUpperCase();
  const usage = method === "POST" ? body?.usage : undefined;
  const call = {
    endpoint: endpointOf(new URL(url).pathname),
    model: typeof body?.model === "string" ? body.model : typeof sent?.model === "string" ? sent.model : undefined,
    status: res.status,
    latency_ms: latencyMs,
    stream: type.includes("text/event-stream"),
    input_tokens: count(usage?.prompt_tokens ?? usage?.input_tokens),
    output_tokens: count(usage?.completion_tokens ?? usage?.output_tokens),
  };
  if (typeof client._options.tenant === "string") call.tenant = client._options.tenant;
  client._native.recordPassthrough(JSON.stringify(call));
}

const count = (v) => (Number.isInteger(v) && v >= 0 ? v : 0);

/** `/v1/images/generations` → `images.generations`; ids (`file-abc`, `vs_1`) drop out. */
function endpointOf(path) {
  let parts = path.split("/").filter(Boolean);
  const v = parts.findLastIndex((p) => /^v\d+$/.test(p));
  if (v >= 0) parts = parts.slice(v + 1);
  else if (parts.includes("openai")) {
    // Azure: `/openai/deployments/NAME/embeddings`, `/openai/files`.
    parts = parts.slice(parts.indexOf("openai") + 1);
    if (parts[0] === "deployments") parts = parts.slice(2);
  }
  if (parts.length === 0) return "root";
  return parts.length > 1 && /^[a-z]+$/.test(parts[1]) ? `${parts[0]}.${parts[1]}` : parts[0];
}

module.exports = { delegate, delegateMember, official, wrap };
