// What the breadth programs run on: a registry of programs and the kit each gets.
//
// A program is `async (client, kit) => digest`: `client` is the library's `OpenAI` pointed
// at the mock; `kit` builds other clients of the same library, has the library's exports
// (`kit.lib.toFile`, `kit.lib.APIError`, ...) and reads what reached the mock. It returns a
// plain digest (fields, bytes, class names), so the run with the official `openai` and the
// run with `kestrel-router` compare by deep equality; ids and timestamps the mock mints per
// request are left out. A program documented to fail is registered with `raises` and passes
// when it throws that SDK error class.

import * as SDK from "openai";
import * as KESTREL from "kestrel-router";
import { PROVIDER_KEYS } from "../_mock.mjs";

export const MESSAGES = [{ role: "user", content: "Say this is a test" }];
export const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city.",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/** name → { fn, raises } */
export const PROGRAMS = {};

/** Registers programs: `{ name: fn }`; `raises`: the SDK error class they end with. */
export function programs(table, raises = null) {
  for (const [name, fn] of Object.entries(table)) {
    if (PROGRAMS[name]) throw new Error(`two programs named ${name}`);
    PROGRAMS[name] = { fn, raises };
  }
}

export const collect = async (iterable, f = (x) => x) => {
  const out = [];
  for await (const x of iterable) out.push(f(x));
  return out;
};

export const LIBRARIES = { openai: SDK, kestrel: KESTREL };

export class Kit {
  constructor(label, mock) {
    this.label = label;
    this.lib = LIBRARIES[label];
    this.mock = mock;
    this.key = PROVIDER_KEYS.openai;
    this.baseURL = mock.baseURL("openai");
    // Kestrel's client answers with the requested model (routing is tested elsewhere).
    this.extras = label === "kestrel" ? { routing: false } : {};
  }

  get isKestrel() {
    return this.label === "kestrel";
  }

  /** An `OpenAI` of this library on the mock, with `overrides`; no retries. */
  make(overrides = {}) {
    const base = { apiKey: this.key, baseURL: this.baseURL, maxRetries: 0, ...this.extras };
    if (this.isKestrel) base.fromEnv = false;
    return new this.lib.OpenAI({ ...base, ...overrides });
  }

  /** `new lib.OpenAI(options)` with nothing added but Kestrel's `routing: false`. */
  bare(options = {}) {
    return new this.lib.OpenAI({ ...this.extras, ...options });
  }

  /** The requests the mock received whose path ends with `pathEnd`. */
  async sent(pathEnd = "") {
    return (await this.mock.requests()).filter((r) => r.path.endsWith(pathEnd));
  }

  async lastSent(pathEnd = "") {
    return (await this.sent(pathEnd)).at(-1);
  }
}

/** Sets environment variables (`undefined` removes one) around `fn`. */
export async function withEnv(values, fn) {
  const saved = {};
  for (const [k, v] of Object.entries(values)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The SDK's name for an error: the first class in its ancestry that openai-node exports. */
export function sdkClass(e) {
  for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    const name = p.constructor?.name;
    if (name && typeof SDK[name] === "function") return name;
  }
  return e?.constructor?.name;
}

/** ["ok", digest], ["error", [class, status]] for an SDK error, or ["crash", text]. */
export async function run(name, client, kit) {
  try {
    return ["ok", await PROGRAMS[name].fn(client, kit)];
  } catch (e) {
    if (e instanceof SDK.OpenAIError || e instanceof KESTREL.OpenAIError) return ["error", [sdkClass(e), e?.status ?? null]];
    return ["crash", `${e?.constructor?.name}: ${e?.message}`];
  }
}

/** Whether a program ran as documented: to the end, or to its documented error. */
export function passed(name, outcome) {
  const { raises } = PROGRAMS[name];
  if (!raises) return outcome[0] === "ok";
  return outcome[0] === "error" && outcome[1][0] === raises;
}
