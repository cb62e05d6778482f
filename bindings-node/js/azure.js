"use strict";
// `AzureOpenAI`: openai-node's Azure client over Kestrel. The constructor takes
// openai-node's `AzureClientOptions`, reads the same environment variables and throws the
// same errors when they are missing or conflicting (src/azure.ts); the Azure resource is
// then the client's only provider. Chat and Responses go through the core, which
// addresses deployments (core/src/providers/azure.rs) and routes among the `deployments`
// given, the requested deployment's model as the ceiling; every other API is the official
// AzureOpenAI client's (passthrough.js).
//
// The token provider (`azureADTokenProvider`) is awaited here before every request and its
// token travels as that call's `Authorization` header: the core never calls back into JS.

const { OpenAI } = require("./client.js");
const { OpenAIError } = require("./errors.js");

const env = (name) => {
  const v = process.env[name]?.trim();
  return v ? v : undefined;
};

/** Options only the Azure constructor takes; the rest are the OpenAI client's. */
const AZURE_ONLY = ["apiVersion", "endpoint", "deployment", "deployments", "azureADTokenProvider"];

/**
 * The core's `azure` settings and the official client's options, checked in the order and
 * with the messages of openai-node's `AzureOpenAI` constructor.
 */
function resolve(options) {
  const o = { ...options };
  if (o.baseURL === undefined) o.baseURL = env("OPENAI_BASE_URL");
  if (o.apiKey === undefined) o.apiKey = env("AZURE_OPENAI_API_KEY");
  if (o.apiVersion === undefined) o.apiVersion = env("OPENAI_API_VERSION");
  const { baseURL, apiKey, apiVersion, azureADTokenProvider } = o;
  let { endpoint } = o;
  if (!apiVersion) {
    throw new OpenAIError(
      "The OPENAI_API_VERSION environment variable is missing or empty; either provide it, or instantiate the AzureOpenAI client with an apiVersion option, like new AzureOpenAI({ apiVersion: 'My API Version' }).",
    );
  }
  if (!azureADTokenProvider && !apiKey) {
    throw new OpenAIError(
      "Missing credentials. Please pass one of `apiKey` and `azureADTokenProvider`, or set the `AZURE_OPENAI_API_KEY` environment variable.",
    );
  }
  if (azureADTokenProvider && apiKey) {
    throw new OpenAIError(
      "The `apiKey` and `azureADTokenProvider` arguments are mutually exclusive; only one can be passed at a time.",
    );
  }
  if (!baseURL) {
    if (!endpoint) endpoint = process.env["AZURE_OPENAI_ENDPOINT"];
    if (!endpoint) {
      throw new OpenAIError(
        "Must provide one of the `baseURL` or `endpoint` arguments, or the `AZURE_OPENAI_ENDPOINT` environment variable",
      );
    }
  } else if (endpoint) {
    throw new OpenAIError("baseURL and endpoint are mutually exclusive");
  }
  const core = { api_version: apiVersion };
  if (baseURL) core.base_url = String(baseURL);
  else core.endpoint = endpoint;
  if (o.deployment) core.deployment = o.deployment;
  if (o.deployments) core.deployments = { ...o.deployments };
  if (typeof azureADTokenProvider === "function") core.token_per_call = true;
  else core.api_key = apiKey;
  const sdk = { apiVersion, ...(baseURL ? { baseURL } : { endpoint }) };
  if (o.deployment) sdk.deployment = o.deployment;
  if (azureADTokenProvider) sdk.azureADTokenProvider = azureADTokenProvider;
  else sdk.apiKey = apiKey;
  return { core, sdk };
}

class AzureOpenAI extends OpenAI {
  /**
   * An Azure client; no network I/O happens here. openai-node's options (`endpoint`,
   * `apiVersion`, `deployment`, `apiKey`, `azureADTokenProvider`, `baseURL`, ...) and
   * environment variables, plus `deployments: { [model]: deployment }`: the deployments
   * routing chooses among (see index.d.ts), and Kestrel's routing, cache and usage options.
   */
  constructor(options = {}) {
    const { core, sdk } = resolve(options);
    const rest = { ...options };
    for (const k of [...AZURE_ONLY, "apiKey", "baseURL"]) delete rest[k];
    super({ ...rest, azure: core });
    Object.defineProperty(this, "_azureOptions", { value: { ...options }, enumerable: false });
    Object.defineProperty(this, "_azureSdk", { value: sdk, enumerable: false });
    this.apiVersion = core.api_version;
    this.deploymentName = options.deployment;
    this.apiKey = sdk.apiKey ?? null;
    this.baseURL = core.base_url ?? `${String(core.endpoint).replace(/\/+$/, "")}/openai`;
    if (typeof options.azureADTokenProvider === "function") {
      const provider = options.azureADTokenProvider;
      Object.defineProperty(this, "_authorize", {
        enumerable: false,
        value: async (callOptions) => {
          const token = await provider();
          if (typeof token !== "string" || !token) {
            throw new OpenAIError(`Expected 'azureADTokenProvider' argument to return a string but it returned ${token}`);
          }
          return { ...callOptions, headers: { ...callOptions?.headers, Authorization: `Bearer ${token}` } };
        },
      });
    }
  }

  /** A copy with other options (a new client over the same resource). */
  withOptions(options = {}) {
    return new AzureOpenAI({ ...this._azureOptions, ...options });
  }

  /** Catalog model → deployment: the deployments routing chooses among. */
  get deployments() {
    return { ...(this._azureOptions.deployments ?? {}) };
  }
}

module.exports = { AzureOpenAI };
