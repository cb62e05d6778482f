// The kestrel-mock process and its control API, shared by the Node tests (the same
// helper as tests/python/_mock.py). The binary comes from $KESTREL_MOCK_BIN (default:
// <repo>/target/debug/kestrel-mock; build it with `cargo build -p kestrel-mock`).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, beforeEach } from "node:test";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MOCK_BIN = process.env.KESTREL_MOCK_BIN ?? path.join(REPO, "target", "debug", "kestrel-mock");

/** Each provider gets its own prefix on the one server, as its SDK takes the base URL. */
export const PROVIDER_PREFIXES = {
  openai: "/openai/v1",
  groq: "/groq",
  xai: "/xai/v1",
  mistral: "/mistral",
  together: "/together/v1",
};
export const PROVIDER_KEYS = {
  openai: "sk-test",
  groq: "gsk-test",
  xai: "xai-test",
  mistral: "mistral-test",
  together: "together-test",
};

export class Mock {
  constructor(proc, url) {
    this.proc = proc;
    this.url = url;
  }

  /** Starts kestrel-mock on a free loopback port; resolves once it printed its URL. */
  static async start() {
    if (!existsSync(MOCK_BIN)) {
      throw new Error(`mock binary not found at ${MOCK_BIN}: run \`cargo build -p kestrel-mock\` or set KESTREL_MOCK_BIN`);
    }
    const proc = spawn(MOCK_BIN, ["--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = createInterface({ input: proc.stdout });
    const first = await new Promise((resolve, reject) => {
      lines.once("line", resolve);
      proc.once("exit", (code) => reject(new Error(`kestrel-mock exited with ${code} before printing its URL`)));
    });
    lines.close();
    const m = /^kestrel-mock listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
    if (!m) {
      proc.kill();
      throw new Error(`unexpected first line from kestrel-mock: ${JSON.stringify(first)}`);
    }
    return new Mock(proc, m[1]);
  }

  async stop() {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once("exit", resolve));
    this.proc.kill();
    await exited;
  }

  async control(method, route, body) {
    const r = await fetch(this.url + route, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok) throw new Error(`mock ${method} ${route}: ${r.status} ${await r.text()}`);
    const text = await r.text();
    return text ? JSON.parse(text) : null;
  }

  /** Replaces the script (see tests/mock/README.md). */
  script(script = {}) {
    return this.control("PUT", "/_mock/script", script);
  }

  /** Sets one model's behaviour, queue (array) or cycle (`{cycle: [...]}`), leaving the rest
   * of the script alone; that model's queue starts over. */
  setModel(model, steps) {
    return this.control("PUT", `/_mock/models/${encodeURI(model)}`, steps);
  }

  /** Back to the script's default for `model`. */
  removeModel(model) {
    return this.control("DELETE", `/_mock/models/${encodeURI(model)}`);
  }

  requests() {
    return this.control("GET", "/_mock/requests");
  }

  async chatRequests() {
    return (await this.requests()).filter((r) => r.path.endsWith("/chat/completions"));
  }

  clear() {
    return this.control("DELETE", "/_mock/requests");
  }

  /** An empty script and an empty request record, for the next test. */
  async reset() {
    await this.script({});
    await this.clear();
  }

  baseURL(provider) {
    return this.url + PROVIDER_PREFIXES[provider];
  }
}

/**
 * One mock for the whole test file, started before its first test, reset before each one
 * and stopped after the last; `set` receives it once started.
 */
export function useMock(set) {
  let mock;
  before(async () => {
    mock = await Mock.start();
    set(mock);
  });
  after(async () => {
    await mock?.stop();
  });
  beforeEach(async () => {
    await mock.reset();
  });
}

/** The providers the client tests configure: OpenAI and its compatible family. */
export const CLIENT_PROVIDERS = ["openai", "groq", "xai", "mistral", "together"];

/**
 * Kestrel client options for the mock: OpenAI as openai-node takes it, the other
 * OpenAI-compatible providers through providerKeys/baseURLs, nothing from the
 * environment, no retries.
 */
export function clientOptions(mock, overrides = {}) {
  const baseURLs = {};
  const providerKeys = {};
  for (const p of CLIENT_PROVIDERS.slice(1)) {
    baseURLs[p] = mock.baseURL(p);
    providerKeys[p] = PROVIDER_KEYS[p];
  }
  return {
    apiKey: PROVIDER_KEYS.openai,
    baseURL: mock.baseURL("openai"),
    baseURLs,
    providerKeys,
    fromEnv: false,
    maxRetries: 0,
    ...overrides,
  };
}
