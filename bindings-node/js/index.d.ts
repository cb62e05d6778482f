// Types of the `kestrel` npm package: openai-node's client surface for chat completions,
// plus Kestrel's options, response metadata and usage views. Field names follow the wire
// format (snake_case) exactly as openai-node's types do.
import { OpenAI as Official } from "openai";

// ---------------------------------------------------------------------------------------
// Requests

export type Tier = "economy" | "standard" | "premium";

export interface ChatCompletionContentPartText {
  type: "text";
  text: string;
}

export interface ChatCompletionContentPartImage {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}

export interface ChatCompletionContentPartInputAudio {
  type: "input_audio";
  input_audio: { data: string; format: "wav" | "mp3" };
}

export interface ChatCompletionContentPartFile {
  type: "file";
  file: { file_data?: string; file_id?: string; filename?: string };
}

export interface ChatCompletionContentPartRefusal {
  type: "refusal";
  refusal: string;
}

export type ChatCompletionContentPart =
  | ChatCompletionContentPartText
  | ChatCompletionContentPartImage
  | ChatCompletionContentPartInputAudio
  | ChatCompletionContentPartFile;

export interface ChatCompletionSystemMessageParam {
  role: "system";
  content: string | Array<ChatCompletionContentPartText>;
  name?: string;
}

export interface ChatCompletionDeveloperMessageParam {
  role: "developer";
  content: string | Array<ChatCompletionContentPartText>;
  name?: string;
}

export interface ChatCompletionUserMessageParam {
  role: "user";
  content: string | Array<ChatCompletionContentPart>;
  name?: string;
}

export interface ChatCompletionMessageFunctionToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool call in a response or in an assistant message sent back. */
export type ChatCompletionMessageToolCall = ChatCompletionMessageFunctionToolCall;

export interface ChatCompletionAssistantMessageParam {
  role: "assistant";
  content?: string | Array<ChatCompletionContentPartText | ChatCompletionContentPartRefusal> | null;
  name?: string;
  refusal?: string | null;
  tool_calls?: Array<ChatCompletionMessageToolCall>;
  audio?: { id: string } | null;
  function_call?: { name: string; arguments: string } | null;
}

export interface ChatCompletionToolMessageParam {
  role: "tool";
  content: string | Array<ChatCompletionContentPartText>;
  tool_call_id: string;
}

export interface ChatCompletionFunctionMessageParam {
  role: "function";
  content: string | null;
  name: string;
}

export type ChatCompletionMessageParam =
  | ChatCompletionDeveloperMessageParam
  | ChatCompletionSystemMessageParam
  | ChatCompletionUserMessageParam
  | ChatCompletionAssistantMessageParam
  | ChatCompletionToolMessageParam
  | ChatCompletionFunctionMessageParam;

export interface FunctionDefinition {
  name: string;
  description?: string;
  /** A JSON Schema object. */
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

export interface ChatCompletionFunctionTool {
  type: "function";
  function: FunctionDefinition;
}

export type ChatCompletionTool = ChatCompletionFunctionTool;

export type ChatCompletionToolChoiceOption =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; function: { name: string } };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export interface ChatCompletionStreamOptions {
  include_usage?: boolean;
  include_obfuscation?: boolean;
}

/** Per-request routing options, sent as the body's `kestrel` field. */
export interface KestrelRequestOptions {
  /** `false` sends this request to the model it names. */
  routing?: boolean;
  floor?: Tier;
  ceiling?: Tier;
  allow_providers?: string[];
  deny_providers?: string[];
  min_confidence?: number;
  /** The tenant this request's usage is recorded under (and its cache namespace). */
  tenant?: string;
  /** `false` skips the cache for this request; `"refresh"` stores a new answer. */
  cache?: boolean | "refresh";
}

export interface ChatCompletionCreateParamsBase {
  /** The model asked for: a ceiling, Kestrel may answer with a cheaper capable one. */
  model: string;
  messages: Array<ChatCompletionMessageParam>;
  stream?: boolean | null;
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  seed?: number | null;
  stop?: string | null | Array<string>;
  temperature?: number | null;
  top_p?: number | null;
  tools?: Array<ChatCompletionTool>;
  tool_choice?: ChatCompletionToolChoiceOption;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  stream_options?: ChatCompletionStreamOptions | null;
  user?: string;
  metadata?: Record<string, string> | null;
  store?: boolean | null;
  reasoning_effort?: "minimal" | "low" | "medium" | "high" | null;
  service_tier?: "auto" | "default" | "flex" | "scale" | "priority" | null;
  modalities?: Array<"text" | "audio"> | null;
  prediction?: { type: "content"; content: string | Array<ChatCompletionContentPartText> } | null;
  audio?: { voice: string; format: "wav" | "aac" | "mp3" | "flac" | "opus" | "pcm16" } | null;
  verbosity?: "low" | "medium" | "high" | null;
  web_search_options?: Record<string, unknown>;
  /** Kestrel's per-request routing options. */
  kestrel?: KestrelRequestOptions;
  /** Unknown params pass through to the provider. */
  [key: string]: unknown;
}

export interface ChatCompletionCreateParamsNonStreaming extends ChatCompletionCreateParamsBase {
  stream?: false | null;
}

export interface ChatCompletionCreateParamsStreaming extends ChatCompletionCreateParamsBase {
  stream: true;
}

export type ChatCompletionCreateParams = ChatCompletionCreateParamsNonStreaming | ChatCompletionCreateParamsStreaming;

/** openai-node's per-request options (the second argument of `create`). */
export interface RequestOptions {
  /** Per-attempt time limit in milliseconds. */
  timeout?: number;
  /** Retry passes over the failover plan when every candidate failed transiently. */
  maxRetries?: number;
  /** Aborting it rejects an in-flight call with APIUserAbortError, or ends a stream; the upstream request is cancelled. */
  signal?: AbortSignal | null;
  /** Sent with this call's provider requests, over `defaultHeaders`. */
  headers?: Record<string, string | null | undefined>;
  /** Query parameters for this call, over `defaultQuery`: sent to the requested model's provider only. */
  query?: Record<string, string | number | boolean | null | undefined>;
  idempotencyKey?: string;
}

// ---------------------------------------------------------------------------------------
// Responses

export interface Scores {
  reasoning: number;
  output_complexity: number;
  domain_specificity: number;
  instruction_nuance: number;
  error_tolerance: number;
}

/** Where Kestrel sent a request and what it cost (on responses and on a stream's last chunk). */
/** Python's name for `Scores`. */
export type RoutingScores = Scores;
/** Python's name for `KestrelMeta`. */
export type KestrelMetadata = KestrelMeta;

export interface KestrelMeta {
  requested_model: string;
  model: string;
  provider: string;
  tier: Tier | null;
  scores: Scores | null;
  confidence: number | null;
  reasons: string[];
  cost_usd: number;
  /** What the requested model would have cost. */
  baseline_cost_usd: number;
  saved_usd: number;
  cache_hit: boolean;
  cache_layer?: string | null;
  attempts: number;
  latency_ms: number;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number };
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  };
}

export interface ChatCompletionTokenLogprob {
  token: string;
  bytes: Array<number> | null;
  logprob: number;
  top_logprobs: Array<{ token: string; bytes: Array<number> | null; logprob: number }>;
}

export interface ChatCompletionMessage {
  role: "assistant";
  content: string | null;
  refusal: string | null;
  tool_calls?: Array<ChatCompletionMessageToolCall>;
  annotations?: Array<unknown>;
  audio?: { id: string; data: string; expires_at: number; transcript: string } | null;
  function_call?: { name: string; arguments: string } | null;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason;
  logprobs: { content: Array<ChatCompletionTokenLogprob> | null; refusal: Array<ChatCompletionTokenLogprob> | null } | null;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<ChatCompletionChoice>;
  usage?: CompletionUsage;
  system_fingerprint?: string;
  service_tier?: "auto" | "default" | "flex" | "scale" | "priority" | null;
  /** Kestrel's routing metadata. */
  kestrel?: KestrelMeta;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: {
    role?: "developer" | "system" | "user" | "assistant" | "tool";
    content?: string | null;
    refusal?: string | null;
    tool_calls?: Array<ChatCompletionChunkToolCall>;
    function_call?: { name?: string; arguments?: string };
  };
  finish_reason: FinishReason | null;
  logprobs?: { content: Array<ChatCompletionTokenLogprob> | null; refusal: Array<ChatCompletionTokenLogprob> | null } | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<ChatCompletionChunkChoice>;
  usage?: CompletionUsage | null;
  system_fingerprint?: string;
  service_tier?: "auto" | "default" | "flex" | "scale" | "priority" | null;
  /** Kestrel's routing metadata, on the last chunk. */
  kestrel?: KestrelMeta;
}

/** A streamed completion: consume with `for await`; `controller.abort()` cancels it. */
export declare class Stream<Item> implements AsyncIterable<Item> {
  constructor(iterator: () => AsyncIterator<Item>, controller: AbortController);
  controller: AbortController;
  /**
   * The provider's answer that opened the stream: status and response headers as it sent
   * them (its body is not readable here: iterate the stream).
   */
  readonly response: globalThis.Response;
  [Symbol.asyncIterator](): AsyncIterator<Item>;
  /** Two independent streams over the same items. */
  tee(): [Stream<Item>, Stream<Item>];
  /** Newline-separated JSON items as bytes. */
  toReadableStream(): ReadableStream<Uint8Array>;
}

export interface Model {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  provider: string;
  tier: Tier;
  input_per_mtok: number;
  output_per_mtok: number;
  context_window: number;
  max_output: number;
  tools: boolean;
  vision: boolean;
  json_mode: boolean;
  json_schema: boolean;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Usage

export interface Savings {
  requests: number;
  errors: number;
  cache_hits: number;
  baseline_cost_usd: number;
  actual_cost_usd: number;
  saved_usd: number;
  savings_pct: number;
}

export interface RoutingMix {
  economy: number;
  standard: number;
  premium: number;
  cache: number;
  passthrough: number;
  [key: string]: unknown;
}

export interface ModelAnalytics {
  model: string;
  provider: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
  baseline_cost_usd: number;
  [key: string]: unknown;
}

export type ErrorKind =
  | "invalid_request"
  | "authentication"
  | "permission_denied"
  | "not_found"
  | "bad_request"
  | "rate_limited"
  | "timeout"
  | "connection"
  | "provider"
  | "no_eligible_model"
  | "stream_interrupted";

export interface ProviderStats {
  provider: string;
  attempts: number;
  successes: number;
  errors: Partial<Record<ErrorKind, number>>;
  failovers: number;
  latency_p50_ms: number;
  latency_p95_ms: number;
  latency_p99_ms: number;
  [key: string]: unknown;
}

export interface UsageAttempt {
  provider: string;
  model: string;
  latency_ms: number;
  error: ErrorKind | null;
  /** The HTTP status of a failed call, when the provider answered. */
  status?: number;
}

export interface UsageRecord {
  seq: number;
  timestamp_ms: number;
  /** The tenant; absent when the request had none. */
  tenant?: string;
  requested_model: string;
  model: string;
  provider: string;
  tier: Tier | null;
  cache_hit: boolean;
  /** What the cache did; absent when the client has no cache. */
  cache?: "exact" | "semantic" | "miss" | "bypass";
  stream: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  baseline_cost_usd: number;
  latency_ms: number;
  attempts: UsageAttempt[];
  error: ErrorKind | null;
  /** For APIs passed through unrouted: `"embeddings"`, `"images.generations"`, ... */
  endpoint?: string;
  [key: string]: unknown;
}

export interface ProviderHealth {
  provider: string;
  configured: boolean;
  state: "closed" | "open" | "half_open";
  consecutive_failures: number;
  retry_in_ms: number | null;
  /** The provider refused the key (401/403): no substitutes go there until it is replaced. */
  key_rejected: boolean;
  /** Models the provider answered 404 model_not_found for: no longer routed to. */
  retired_models: string[];
}

export interface RouteDecision {
  requested_model: string;
  model: string;
  provider: string;
  tier: Tier | null;
  scores: Scores | null;
  confidence: number | null;
  reasons: string[];
  /** The failover plan, in order: `provider/model`. */
  plan: string[];
  input_tokens: number;
  expected_output_tokens: number;
  estimated_cost_usd: number;
  baseline_cost_usd: number;
  saved_usd: number;
}

/** The usage ledger: every request's record and its aggregates, in this process. */
export declare class Usage {
  /** Requests, baseline cost (what the requested models would have cost), actual cost, savings. */
  savings(tenant?: string): Savings;
  /** How requests were distributed over tiers. */
  routing(tenant?: string): RoutingMix;
  /** Per-model requests, tokens and cost. */
  analytics(tenant?: string): ModelAnalytics[];
  /** Per-provider attempts, errors and latency. */
  providers(tenant?: string): ProviderStats[];
  /** The most recent records, oldest first (at most `limit`, default 100). */
  records(options?: { tenant?: string; limit?: number }): UsageRecord[];
  /** Cache hits (exact, semantic), misses, bypasses, hit rate and what hits saved. */
  cache(tenant?: string): CacheStats;
  tenants(): string[];
  /** Writes the recent records as CSV. */
  exportCsv(path: string, tenant?: string): Promise<void>;
  /** Resolves once every record so far is in the JSONL file, if one is configured. */
  flush(): Promise<void>;
  /** Writes one self-contained HTML report; resolves to the number of records in it. */
  report(path: string): Promise<number>;
  /** The usage reporter's counters, or null when reporting is off. */
  reporter(): ReporterStats | null;
}

// ---------------------------------------------------------------------------------------
// Client

/**
 * Kestrel's cache (Stage 0): repeated and reworded requests answered at no provider cost,
 * never with another question's answer. `true` turns it on with defaults. Per request:
 * `kestrel: { cache: false }` skips it, `kestrel: { cache: "refresh" }` stores a new answer.
 */
export interface CacheOptions {
  /** Let a reworded final user message share an answer (default true). */
  semantic?: boolean;
  /** Least cosine similarity for a semantic hit, among what the guard allows (default 0.8). */
  threshold?: number;
  /** How long an answer stays servable, in seconds (default 3600). */
  ttl?: number;
  /** Entries kept in memory (default 10,000). */
  maxEntries?: number;
  /** Bytes kept in memory (default 256 MiB). */
  maxBytes?: number;
  /** Requests with a higher temperature bypass the cache (default 1.0). */
  maxTemperature?: number;
  /** Cache requests that carry tool results (default false). */
  cacheToolResults?: boolean;
  /** Share the cache through this Redis server instead of process memory. */
  redisUrl?: string;
  /** Prefix of every Redis key, one per deployment (default "kestrel"). */
  redisPrefix?: string;
  /** Longest wait for Redis, in seconds; slower is a miss (default 0.1). */
  redisTimeout?: number;
  /** Embed with this model of `embeddingProvider`'s `/embeddings` instead of offline. */
  embeddingModel?: string;
  /** Default "openai". */
  embeddingProvider?: string;
  /**
   * Embed in-process with the sentence model in this directory (all-MiniLM-L6-v2:
   * `config.json`, `tokenizer.json`, `model.safetensors`), offline; see the README.
   */
  embeddingPath?: string;
  /**
   * Check each semantic hit with the sentence-pair model in this directory: it reads both
   * messages together and refuses what they do not both ask (swapped roles, singular vs
   * plural); see the README.
   */
  pairModelPath?: string;
  /** Least agreement, in both orders, for the pair model to serve a hit (default 0.25). */
  pairThreshold?: number;
}

/** Uploading usage metrics (never prompts, answers or keys) to a collector. */
export interface ReportOptions {
  /** The collector, e.g. `https://metrics.example.com/v1/usage` (or KESTREL_REPORT_URL). */
  url?: string;
  /** Sent as a Bearer token (or KESTREL_REPORT_KEY). */
  key?: string;
  /** Records per upload (default 500). */
  batchSize?: number;
  /** Longest a record waits before an upload, in seconds (default 5). */
  interval?: number;
  /** Records held in memory before they spill to the spool (default 10,000). */
  queueCapacity?: number;
  /** Where unsent batches wait on disk, replayed in order (also by the next process). */
  spoolDir?: string;
  /** Upload a hash of the tenant instead of its name. */
  hashTenant?: boolean;
  /** Per upload, in seconds. */
  timeout?: number;
  /** Longest wait between retries, in seconds. */
  maxBackoff?: number;
}

/** The reporter's counters: `client.usage.reporter()`. */
export interface ReporterStats {
  sent: number;
  pending: number;
  spooled: number;
  /** Non-zero only if the disk itself failed (a warning is logged). */
  dropped: number;
  last_error: string | null;
}

/** What the cache did: `client.usage.cache()`. */
export interface CacheStats {
  exact_hits: number;
  semantic_hits: number;
  misses: number;
  bypasses: number;
  /** hits / (hits + misses). */
  hit_rate: number;
  /** The baseline cost of every answer served from the cache. */
  saved_usd: number;
}

/** A provider spec, shaped like the catalog's `[[provider]]` entries. */
export interface ProviderSpec {
  name: string;
  api?: string;
  base_url?: string;
  chat_path?: string;
  key_env?: string[];
  base_url_env?: string[];
  key_optional?: boolean;
  model_prefixes?: string[];
  [key: string]: unknown;
}

/** A model spec, shaped like the catalog's `[[model]]` entries. */
export interface ModelSpec {
  id: string;
  provider: string;
  tier: Tier;
  input_per_mtok: number;
  output_per_mtok: number;
  [key: string]: unknown;
}

export interface ClientOptions {
  /** OpenAI's key; defaults to `process.env.OPENAI_API_KEY` (with `fromEnv`). */
  apiKey?: string | null;
  /** OpenAI's base URL; defaults to `process.env.OPENAI_BASE_URL` (with `fromEnv`). */
  baseURL?: string | null;
  /** Longest silence allowed from a provider, in milliseconds. */
  timeout?: number;
  /** Extra passes over the failover plan when every candidate failed transiently. */
  maxRetries?: number;
  /** Sent with every provider request. */
  defaultHeaders?: Record<string, string | null | undefined>;
  /** Sent to OpenAI as `OpenAI-Organization` / `OpenAI-Project` (env OPENAI_ORG_ID / OPENAI_PROJECT_ID). */
  organization?: string | null;
  project?: string | null;
  /** Query parameters for every call: a routed call sends them to the requested model's provider only. */
  defaultQuery?: Record<string, string | undefined>;
  dangerouslyAllowBrowser?: boolean;
  /** Used by the APIs passed through to openai-node's client; routed calls go through Kestrel's own HTTP stack (it honours HTTPS_PROXY). */
  fetch?: unknown;
  fetchOptions?: unknown;
  httpAgent?: unknown;
  logLevel?: string;
  logger?: unknown;
  webhookSecret?: string | null;
  /** The admin key for OpenAI's organization APIs (`client.admin...`, checkpoint permissions), served by openai-node's client. */
  adminAPIKey?: string | null;

  /** `{provider: key}` for other providers, e.g. `{groq: "gsk-..."}`. */
  providerKeys?: Record<string, string>;
  /** `{provider: url}`, each as that provider's own SDK takes it. */
  baseURLs?: Record<string, string>;
  /** Extra providers (any OpenAI-compatible endpoint) merged over the catalog. */
  providers?: ProviderSpec[];
  /** Extra or overridden models merged over the catalog. */
  models?: ModelSpec[];
  /** A TOML file of providers and models. */
  configFile?: string;
  /** `false` sends every request to the model it names (usage is still recorded). */
  routing?: boolean;
  tierFloor?: Tier;
  tierCeiling?: Tier;
  allowProviders?: string | string[];
  denyProviders?: string | string[];
  /** Below it the router keeps a request one tier higher. */
  minConfidence?: number;
  /** Which scorer decides the tier: the logistic regression trained on the labelled
   * sets (default) or the hand-set rules. */
  scorer?: "heuristic" | "learned";
  /** A learned model file (`kestrel eval --train` on your own labelled requests) used
   * instead of the shipped weights; implies the learned scorer. */
  learnedModel?: string;
  /** For a hard request, how many points (0-100 quality scale) a substitute may score
   * below the requested model (default 5); `false` or `"off"` turns the rule off. */
  maxQualityDrop?: number | false | "off";
  /** Ask each configured provider which models the key may use (its model listing,
   * once per key, before the first request) and route only to those. */
  discoverModels?: boolean;
  /** The tenant usage is recorded under. */
  tenant?: string;
  /** Read provider keys and base URLs from the environment (default true). */
  fromEnv?: boolean;
  /** Append every usage record to this JSONL file. */
  usageJsonl?: string;
  /** How many recent records `usage.records()` keeps. */
  recentRecords?: number;
  /** The circuit breaker: failures before a provider is skipped, cool-down in ms. */
  breaker?: { failureThreshold?: number; cooldown?: number };
  /** Cheaper substitutes tried (once each) before the requested model; default 1. */
  failoverAttempts?: number;
  /** Kestrel's response cache. */
  cache?: boolean | CacheOptions;
  /** Upload usage metrics to a collector; `false` keeps reporting off even with KESTREL_REPORT_URL set. */
  report?: false | ReportOptions;
  /** Learn from `client.feedback(requestId, outcome)`: a request category whose answers
   * below premium keep failing is served one tier higher until good outcomes bring it back. */
  feedback?: boolean;
  /** Also count automatic signals as bad outcomes (a retried request, unparsable JSON
   * answers or tool arguments, a `length` finish); implies `feedback`. */
  feedbackAutomatic?: boolean;
  /** A file keeping what feedback learned, and the requests still awaiting an outcome,
   * across restarts; implies `feedback`. */
  feedbackState?: string;
}

export interface ParsedFunctionToolCall extends ChatCompletionMessageFunctionToolCall {
  function: { name: string; arguments: string; /** Parsed for strict or auto-parseable tools, else null. */ parsed_arguments?: unknown };
}

export interface ParsedChatCompletionMessage<ParsedT> extends ChatCompletionMessage {
  /** The content parsed by the request's `json_schema` response format. */
  parsed: ParsedT | null;
  tool_calls?: Array<ParsedFunctionToolCall>;
}

export interface ParsedChoice<ParsedT> extends ChatCompletionChoice {
  message: ParsedChatCompletionMessage<ParsedT>;
}

export interface ParsedChatCompletion<ParsedT> extends ChatCompletion {
  choices: Array<ParsedChoice<ParsedT>>;
}

/** What `parse()` yields for a request: the output type of an auto-parseable response format (openai-node's `zodResponseFormat`), else `null`. */
export type ExtractParsedContentFromParams<Params extends ChatCompletionCreateParamsBase> =
  Params["response_format"] extends { __output: infer ParsedT } ? ParsedT : null;

/** An answer with the provider's request id, as openai-node types it (`_request_id` is not enumerable). */
export type WithRequestID<T> = T extends Array<any> | globalThis.Response | Stream<any> | AsyncIterable<any>
  ? T
  : T extends Record<string, any>
    ? T & { _request_id?: string | null }
    : T;

/**
 * What `create()` returns, as openai-node's: a Promise of the answer that also gives the
 * provider's HTTP answer (status, response headers, request id) of the attempt that answered.
 */
export declare class APIPromise<T> extends Promise<WithRequestID<T>> {
  /**
   * The provider's answer as a fetch `Response`; its body is the OpenAI-shaped answer (the
   * JSON, or for a stream the server-sent events).
   */
  asResponse(): Promise<globalThis.Response>;
  /** The answer, the provider's answer as a `Response`, and the provider's request id. */
  withResponse(): Promise<{ data: T; response: globalThis.Response; request_id: string | null }>;
}

export declare class Completions {
  /**
   * `create()` plus openai-node's structured-output parsing (`message.parsed`,
   * `parsed_arguments`); takes openai-node's `zodResponseFormat` / `zodFunction` helpers.
   */
  parse<Params extends ChatCompletionCreateParamsNonStreaming, ParsedT = ExtractParsedContentFromParams<Params>>(
    body: Params,
    options?: RequestOptions,
  ): APIPromise<ParsedChatCompletion<ParsedT>>;
  /** A routed chat completion. */
  create(body: ChatCompletionCreateParamsNonStreaming, options?: RequestOptions): APIPromise<ChatCompletion>;
  /** A routed chat completion, streamed. */
  create(body: ChatCompletionCreateParamsStreaming, options?: RequestOptions): APIPromise<Stream<ChatCompletionChunk>>;
  create(
    body: ChatCompletionCreateParamsBase,
    options?: RequestOptions,
  ): APIPromise<Stream<ChatCompletionChunk> | ChatCompletion>;
  /**
   * openai-node's streaming helper (`ChatCompletionStream`: `.on("content.delta", ...)`,
   * `for await`, `finalChatCompletion()`, `finalContent()`, `toReadableStream()`) over a
   * routed stream. The final completion also carries `kestrel` metadata.
   */
  stream: OfficialChatCompletions["stream"];
  /**
   * openai-node's tool-calling loop (`ChatCompletionRunner`; with `stream: true`,
   * `ChatCompletionStreamingRunner`), every request routed.
   */
  runTools: OfficialChatCompletions["runTools"];
}

type OfficialChatCompletions = OfficialClient["chat"]["completions"];

export declare class Chat {
  completions: Completions;
}

// --- Responses API (openai-node's `responses.create`), routed like chat ---------------------

export type ResponseInputContent =
  | { type: "input_text"; text: string }
  | { type: "input_image"; image_url?: string; file_id?: string; detail?: "low" | "high" | "auto" }
  | { type: "input_file"; file_data?: string; file_id?: string; filename?: string }
  | { type: "output_text"; text: string; annotations?: unknown[] }
  | { type: "refusal"; refusal: string };

export type ResponseInputItem =
  | {
      type?: "message";
      role: "user" | "assistant" | "system" | "developer";
      content: string | ResponseInputContent[];
      id?: string;
      status?: string;
    }
  | { type: "function_call"; call_id: string; name: string; arguments: string; id?: string; status?: string }
  | { type: "function_call_output"; call_id: string; output: string | ResponseInputContent[]; id?: string };

/** A function tool in the Responses shape: flat, `name` beside `type`. */
export interface ResponseFunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

export type ResponseFormatTextConfig =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null };

export interface ResponseCreateParamsBase {
  model: string;
  input?: string | ResponseInputItem[];
  instructions?: string | null;
  tools?: ResponseFunctionTool[];
  tool_choice?: "none" | "auto" | "required" | { type: "function"; name: string };
  text?: { format?: ResponseFormatTextConfig };
  temperature?: number | null;
  top_p?: number | null;
  max_output_tokens?: number | null;
  previous_response_id?: string | null;
  /** Whether this response may be followed up by `previous_response_id` (default true). */
  store?: boolean | null;
  metadata?: Record<string, string> | null;
  parallel_tool_calls?: boolean | null;
  stream?: boolean | null;
  /** Kestrel's per-request routing options; never sent to a provider. */
  kestrel?: KestrelRequestOptions;
  [key: string]: unknown;
}
export interface ResponseCreateParamsNonStreaming extends ResponseCreateParamsBase {
  stream?: false | null;
}
export interface ResponseCreateParamsStreaming extends ResponseCreateParamsBase {
  stream: true;
}

export interface ResponseOutputText {
  type: "output_text";
  text: string;
  annotations: unknown[];
  logprobs?: unknown[];
}
export interface ResponseOutputRefusal {
  type: "refusal";
  refusal: string;
}
export interface ResponseOutputMessage {
  type: "message";
  id: string;
  role: "assistant";
  status: "in_progress" | "completed" | "incomplete";
  content: Array<ResponseOutputText | ResponseOutputRefusal>;
}
export interface ResponseFunctionToolCall {
  type: "function_call";
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: "in_progress" | "completed" | "incomplete";
}
export type ResponseOutputItem = ResponseOutputMessage | ResponseFunctionToolCall;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export interface Response {
  id: string;
  object: "response";
  created_at: number;
  status: "completed" | "failed" | "in_progress" | "incomplete";
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: ResponseOutputItem[];
  /** Every `output_text` part joined, as openai-node adds it. */
  output_text: string;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  temperature: number | null;
  text: { format?: ResponseFormatTextConfig };
  tool_choice: unknown;
  tools: ResponseFunctionTool[];
  top_p: number | null;
  truncation: "auto" | "disabled";
  usage?: ResponseUsage | null;
  metadata: Record<string, string>;
  store: boolean;
  /** Where Kestrel sent the request and what it cost; set on finished responses. */
  kestrel?: KestrelMetadata;
}

interface ResponseEventBase {
  sequence_number: number;
}
export type ResponseStreamEvent =
  | (ResponseEventBase & { type: "response.created" | "response.in_progress"; response: Response })
  | (ResponseEventBase & { type: "response.completed" | "response.incomplete" | "response.failed"; response: Response })
  | (ResponseEventBase & { type: "response.output_item.added" | "response.output_item.done"; output_index: number; item: ResponseOutputItem })
  | (ResponseEventBase & {
      type: "response.content_part.added" | "response.content_part.done";
      item_id: string;
      output_index: number;
      content_index: number;
      part: ResponseOutputText | ResponseOutputRefusal;
    })
  | (ResponseEventBase & {
      type: "response.output_text.delta";
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
      logprobs: unknown[];
    })
  | (ResponseEventBase & {
      type: "response.output_text.done";
      item_id: string;
      output_index: number;
      content_index: number;
      text: string;
      logprobs: unknown[];
    })
  | (ResponseEventBase & {
      type: "response.refusal.delta";
      item_id: string;
      output_index: number;
      content_index: number;
      delta: string;
    })
  | (ResponseEventBase & {
      type: "response.refusal.done";
      item_id: string;
      output_index: number;
      content_index: number;
      refusal: string;
    })
  | (ResponseEventBase & { type: "response.function_call_arguments.delta"; item_id: string; output_index: number; delta: string })
  | (ResponseEventBase & {
      type: "response.function_call_arguments.done";
      item_id: string;
      output_index: number;
      name: string;
      arguments: string;
    })
  | (ResponseEventBase & { type: "error"; code: string | null; message: string; param: string | null });

/** The official client's type, for the APIs Kestrel passes through to it. */
type OfficialClient = import("openai").OpenAI;
type OfficialResponses = OfficialClient["responses"];

/**
 * `client.responses`: `create` is routed unless the request needs OpenAI's own Responses API
 * (built-in tools, stored state, `background`, items only it knows: then sent unchanged by
 * the official client); the rest (`retrieve`, `delete`, `cancel`, `inputItems`, ...) is the
 * official client's.
 */
export declare class Responses {
  retrieve: OfficialResponses["retrieve"];
  delete: OfficialResponses["delete"];
  cancel: OfficialResponses["cancel"];
  compact: OfficialResponses["compact"];
  inputItems: OfficialResponses["inputItems"];
  /** A routed Response (the requested model is the ceiling). */
  create(body: ResponseCreateParamsNonStreaming, options?: RequestOptions): APIPromise<Response>;
  /** A routed Response, as a stream of Responses events. */
  create(body: ResponseCreateParamsStreaming, options?: RequestOptions): APIPromise<Stream<ResponseStreamEvent>>;
  create(body: ResponseCreateParamsBase, options?: RequestOptions): APIPromise<Stream<ResponseStreamEvent> | Response>;
  /** openai-node's Responses streaming helper (`ResponseStream`) over a routed stream. */
  stream: OfficialResponses["stream"];
  /** A routed Response parsed as openai-node's `responses.parse` does (`output_parsed`). */
  parse: OfficialResponses["parse"];
}

/** `client.kestrel`: Kestrel's own views beside the SDK's surface (local, synchronous). */
export declare class Kestrel {
  /** The catalog models reachable with the configured keys, with their routing facts. */
  models(): Model[];
  /** One reachable catalog model by id or alias; throws NotFoundError otherwise. */
  model(id: string): Model;
}


/** A drop-in for openai-node's `OpenAI` whose chat completions are routed by Kestrel. */
export declare class OpenAI {
  constructor(options?: ClientOptions);
  apiKey: string | null;
  baseURL: string;
  /** Milliseconds. */
  timeout: number;
  maxRetries: number;
  organization: string | null;
  project: string | null;
  chat: Chat;
  /** Kestrel's catalog (tiers, prices, lifecycle); `models` is the server's list. */
  kestrel: Kestrel;
  usage: Usage;
  /** The Responses API, routed like chat. */
  responses: Responses;
  // The APIs Kestrel does not route: the official client's own resources (configured
  // like this client, errors as Kestrel's classes, each exchange counted in `usage`).
  models: OfficialClient["models"];
  embeddings: OfficialClient["embeddings"];
  moderations: OfficialClient["moderations"];
  images: OfficialClient["images"];
  audio: OfficialClient["audio"];
  files: OfficialClient["files"];
  batches: OfficialClient["batches"];
  fineTuning: OfficialClient["fineTuning"];
  vectorStores: OfficialClient["vectorStores"];
  completions: OfficialClient["completions"];
  uploads: OfficialClient["uploads"];
  beta: OfficialClient["beta"];
  get: OfficialClient["get"];
  post: OfficialClient["post"];
  put: OfficialClient["put"];
  patch: OfficialClient["patch"];
  delete: OfficialClient["delete"];
  /** A copy with other options; with only `timeout`/`maxRetries` changed it shares this client's usage and health. */
  withOptions(options: Partial<ClientOptions>): OpenAI;
  /** The routing decision for a request, without calling any provider. */
  route(body: ChatCompletionCreateParamsBase): RouteDecision;
  /** Records how the answer to `requestId` (the response's `id`) went: "good", "bad" or a
   * score from 0 to 1. False when feedback is off or the request is unknown or was routed
   * at premium. */
  feedback(requestId: string, outcome: "good" | "bad" | number): boolean;
  /** Each provider's circuit state and whether it is configured. */
  health(): ProviderHealth[];
  /** Drops every cached answer this client can see (with Redis: under its prefix). */
  clearCache(): Promise<void>;
  /** Sets or rotates a provider's key; `null` removes it. */
  setApiKey(provider: string, key: string | null): void;
  setBaseURL(provider: string, url: string): void;

  static DEFAULT_TIMEOUT: number;
  static OpenAI: typeof OpenAI;
  static AzureOpenAI: typeof AzureOpenAI;
  static toFile: typeof import("openai").toFile;
  static default: typeof OpenAI;
  static Stream: typeof Stream;
  static APIPromise: typeof APIPromise;
  static OpenAIError: typeof OpenAIError;
  static APIError: typeof APIError;
  static APIUserAbortError: typeof APIUserAbortError;
  static APIConnectionError: typeof APIConnectionError;
  static APIConnectionTimeoutError: typeof APIConnectionTimeoutError;
  static BadRequestError: typeof BadRequestError;
  static AuthenticationError: typeof AuthenticationError;
  static PermissionDeniedError: typeof PermissionDeniedError;
  static NotFoundError: typeof NotFoundError;
  static ConflictError: typeof ConflictError;
  static UnprocessableEntityError: typeof UnprocessableEntityError;
  static RateLimitError: typeof RateLimitError;
  static InternalServerError: typeof InternalServerError;
  static LengthFinishReasonError: typeof LengthFinishReasonError;
  static ContentFilterFinishReasonError: typeof ContentFilterFinishReasonError;
  static KestrelError: typeof KestrelError;
  static NoEligibleModelError: typeof NoEligibleModelError;
  static ConfigurationError: typeof ConfigurationError;
  static StreamInterruptedError: typeof StreamInterruptedError;
  static InvalidRequestError: typeof InvalidRequestError;
}

/**
 * openai-node's `AzureClientOptions` (same names, environment variables and errors), plus
 * Kestrel's routing, cache and usage options. The Azure resource is the client's only
 * provider.
 */
export interface AzureClientOptions
  extends Omit<ClientOptions, "apiKey" | "baseURL" | "providerKeys" | "baseURLs" | "providers" | "organization" | "project"> {
  /** Defaults to `process.env.OPENAI_API_VERSION`. */
  apiVersion?: string | undefined;
  /** `https://NAME.openai.azure.com`; defaults to `process.env.AZURE_OPENAI_ENDPOINT`. */
  endpoint?: string | undefined;
  /** Every call goes to this deployment (the routing ceiling), whatever `model` says. */
  deployment?: string | undefined;
  /** Defaults to `process.env.AZURE_OPENAI_API_KEY`; sent as `api-key`. */
  apiKey?: string | undefined;
  /** Called before every request; its token is sent as `Authorization: Bearer`. */
  azureADTokenProvider?: (() => Promise<string>) | undefined;
  /** Instead of `endpoint`: `…/openai` (or `…/openai/deployments/NAME`). */
  baseURL?: string | undefined;
  /**
   * Catalog model → the deployment serving it (`{"gpt-4o": "prod-4o", "gpt-4o-mini":
   * "prod-mini"}`): the deployments the router chooses among, the requested deployment's
   * model as the ceiling. Without it, calls go to the deployment they name, counted.
   */
  deployments?: Record<string, string>;
}

/** A drop-in for openai-node's `AzureOpenAI` whose chat and Responses calls are routed among its deployments. */
export declare class AzureOpenAI extends OpenAI {
  constructor(options?: AzureClientOptions);
  apiVersion: string;
  deploymentName: string | undefined;
  /** Catalog model → deployment, as configured. */
  readonly deployments: Record<string, string>;
  withOptions(options: Partial<AzureClientOptions>): AzureOpenAI;
}

// ---------------------------------------------------------------------------------------
// Errors (openai-node's classes, fields and messages)

/** The provider's error object, when it sent one. */
export interface ErrorObject {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | null;
  [key: string]: unknown;
}

export declare class OpenAIError extends Error {}

export declare class APIError<
  TStatus extends number | undefined = number | undefined,
  THeaders extends Headers | undefined = Headers | undefined,
  TError extends object | undefined = object | undefined,
> extends OpenAIError {
  constructor(status: TStatus, error: TError, message: string | undefined, headers: THeaders);
  /** HTTP status of the response that caused the error. */
  readonly status: TStatus;
  /**
   * The provider's response headers, as it sent them on its final answer (after failover
   * and retries); empty for an error Kestrel raised itself.
   */
  readonly headers: THeaders;
  /** The provider's error object. */
  readonly error: TError;
  readonly code: string | null | undefined;
  readonly param: string | null | undefined;
  readonly type: string | undefined;
  /** The provider's request id (`x-request-id`, Anthropic's `request-id`). */
  readonly requestID: string | null | undefined;
  /** Kestrel's error kind, e.g. `"rate_limited"`. */
  kind: ErrorKind | "config" | "aborted" | "internal" | undefined;
  /** The provider that failed, when one was involved. */
  provider: string | undefined;
  /** Every provider call the request made, in order (substitutes and retries included). */
  attempts: UsageAttempt[];
  static makeMessage(status: number | undefined, error: any, message: string | undefined): string;
  static generate(
    status: number | undefined,
    errorResponse: object | undefined,
    message: string | undefined,
    headers: Headers | undefined,
  ): APIError;
}

export declare class APIUserAbortError extends APIError<undefined, undefined, undefined> {
  constructor(options?: { message?: string });
}

export declare class APIConnectionError extends APIError<undefined, undefined, undefined> {
  constructor(options?: { message?: string; cause?: Error });
}

export declare class APIConnectionTimeoutError extends APIConnectionError {
  constructor(options?: { message?: string });
}

export declare class BadRequestError extends APIError<400, Headers, ErrorObject | undefined> {}
export declare class AuthenticationError extends APIError<401, Headers, ErrorObject | undefined> {}
export declare class PermissionDeniedError extends APIError<403, Headers, ErrorObject | undefined> {}
export declare class NotFoundError extends APIError<404, Headers, ErrorObject | undefined> {}
export declare class ConflictError extends APIError<409, Headers, ErrorObject | undefined> {}
export declare class UnprocessableEntityError extends APIError<422, Headers, ErrorObject | undefined> {}
export declare class RateLimitError extends APIError<429, Headers, ErrorObject | undefined> {}
export declare class InternalServerError extends APIError<number, Headers, ErrorObject | undefined> {}

export declare class LengthFinishReasonError extends OpenAIError {
  constructor();
}

export declare class ContentFilterFinishReasonError extends OpenAIError {
  constructor();
}

/** Base of the failures that come from Kestrel itself rather than a provider. */
export declare class KestrelError extends APIError<number | undefined, undefined, undefined> {
  constructor(message: string, status?: number);
}

/** No configured, healthy model can serve the request within the routing policy. */
export declare class NoEligibleModelError extends KestrelError {}

/** The client configuration (or a per-call option) is invalid. */
export declare class ConfigurationError extends KestrelError {}

/** A stream broke after its first chunk (Kestrel never fails over mid-answer). */
export declare class StreamInterruptedError extends APIConnectionError {}

/** Kestrel refused the request before sending it anywhere; `param` names the field. */
export declare class InvalidRequestError extends BadRequestError {
  constructor(message: string, param?: string | null);
}

/** The native addon's version. */
export declare const version: string;

/** openai-node's `toFile`, for uploads (files, audio, images); loads `openai` on first use. */
export declare const toFile: typeof import("openai").toFile;

/**
 * openai-node's type namespace, so annotations written against `openai`
 * (`OpenAI.Chat.ChatCompletionMessageParam`, `OpenAI.ChatCompletionTool`, `OpenAI.Embedding`,
 * `OpenAI.ChatModel`, ...) compile unchanged. These are the official package's own types
 * (a peer dependency); answers Kestrel routes also carry `kestrel` metadata, which the
 * top-level types of this module (`ChatCompletion`, ...) declare.
 */
export declare namespace OpenAI {
  export import Completions = Official.Completions;
  export import Chat = Official.Chat;
  export import Embeddings = Official.Embeddings;
  export import Files = Official.Files;
  export import Images = Official.Images;
  export import Audio = Official.Audio;
  export import Moderations = Official.Moderations;
  export import Models = Official.Models;
  export import FineTuning = Official.FineTuning;
  export import VectorStores = Official.VectorStores;
  export import Beta = Official.Beta;
  export import Batches = Official.Batches;
  export import Uploads = Official.Uploads;
  export import Responses = Official.Responses;
  export type ChatCompletion = Official.ChatCompletion;
  export type ChatCompletionAssistantMessageParam = Official.ChatCompletionAssistantMessageParam;
  export type ChatCompletionChunk = Official.ChatCompletionChunk;
  export type ChatCompletionContentPart = Official.ChatCompletionContentPart;
  export type ChatCompletionContentPartImage = Official.ChatCompletionContentPartImage;
  export type ChatCompletionContentPartText = Official.ChatCompletionContentPartText;
  export type ChatCompletionDeveloperMessageParam = Official.ChatCompletionDeveloperMessageParam;
  export type ChatCompletionFunctionTool = Official.ChatCompletionFunctionTool;
  export type ChatCompletionMessage = Official.ChatCompletionMessage;
  export type ChatCompletionMessageParam = Official.ChatCompletionMessageParam;
  export type ChatCompletionMessageToolCall = Official.ChatCompletionMessageToolCall;
  export type ChatCompletionNamedToolChoice = Official.ChatCompletionNamedToolChoice;
  export type ChatCompletionRole = Official.ChatCompletionRole;
  export type ChatCompletionStreamOptions = Official.ChatCompletionStreamOptions;
  export type ChatCompletionSystemMessageParam = Official.ChatCompletionSystemMessageParam;
  export type ChatCompletionTokenLogprob = Official.ChatCompletionTokenLogprob;
  export type ChatCompletionTool = Official.ChatCompletionTool;
  export type ChatCompletionToolChoiceOption = Official.ChatCompletionToolChoiceOption;
  export type ChatCompletionToolMessageParam = Official.ChatCompletionToolMessageParam;
  export type ChatCompletionUserMessageParam = Official.ChatCompletionUserMessageParam;
  export type ChatCompletionCreateParams = Official.ChatCompletionCreateParams;
  export type ChatCompletionCreateParamsNonStreaming = Official.ChatCompletionCreateParamsNonStreaming;
  export type ChatCompletionCreateParamsStreaming = Official.ChatCompletionCreateParamsStreaming;
  export type Completion = Official.Completion;
  export type CompletionUsage = Official.CompletionUsage;
  export type CompletionCreateParams = Official.CompletionCreateParams;
  export type CreateEmbeddingResponse = Official.CreateEmbeddingResponse;
  export type Embedding = Official.Embedding;
  export type EmbeddingModel = Official.EmbeddingModel;
  export type EmbeddingCreateParams = Official.EmbeddingCreateParams;
  export type FileObject = Official.FileObject;
  export type FileDeleted = Official.FileDeleted;
  export type FilePurpose = Official.FilePurpose;
  export type FileCreateParams = Official.FileCreateParams;
  export type Image = Official.Image;
  export type ImagesResponse = Official.ImagesResponse;
  export type ImageGenerateParams = Official.ImageGenerateParams;
  export type Moderation = Official.Moderation;
  export type ModerationCreateResponse = Official.ModerationCreateResponse;
  export type ModerationCreateParams = Official.ModerationCreateParams;
  export type Model = Official.Model;
  export type ModelDeleted = Official.ModelDeleted;
  export type Batch = Official.Batch;
  export type BatchCreateParams = Official.BatchCreateParams;
  export type ChatModel = Official.ChatModel;
  export type FunctionDefinition = Official.FunctionDefinition;
  export type FunctionParameters = Official.FunctionParameters;
  export type Metadata = Official.Metadata;
  export type ResponseFormatJSONObject = Official.ResponseFormatJSONObject;
  export type ResponseFormatJSONSchema = Official.ResponseFormatJSONSchema;
  export type ResponseFormatText = Official.ResponseFormatText;
  export type Reasoning = Official.Reasoning;
  export type ReasoningEffort = Official.ReasoningEffort;
}

export default OpenAI;
