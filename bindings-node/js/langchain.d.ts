// Types of `kestrel-router/langchain`: ChatKestrel, a LangChain chat model over Kestrel's
// OpenAI client. (langchain.d.mts, for ESM importers, is generated from this file by
// scripts/mts.js, so each module system gets @langchain/core's declarations of its own build.)

import type { AIMessageChunk, BaseMessage } from "@langchain/core/messages";
import type { BaseChatModel, BaseChatModelCallOptions, BaseChatModelParams, LangSmithParams } from "@langchain/core/language_models/chat_models";
import type { BaseLanguageModelInput, StructuredOutputMethodOptions, ToolDefinition } from "@langchain/core/language_models/base";
import type { Runnable, RunnableToolLike } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { InteropZodType } from "@langchain/core/utils/types";
import type { SerializableSchema } from "@langchain/core/utils/standard_schema";
import type { ChatGenerationChunk, ChatResult } from "@langchain/core/outputs";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type {
  ChatCompletionCreateParamsBase,
  ChatCompletionToolChoiceOption,
  ClientOptions,
  KestrelMeta,
  KestrelRequestOptions,
  OpenAI,
  RequestOptions,
  ResponseFormat,
} from "./index.js";

/** What `bindTools` takes: OpenAI tool definitions, LangChain tools, zod-schema tools, runnables as tools. */
export type ChatKestrelToolType =
  | ToolDefinition
  | StructuredToolInterface
  | RunnableToolLike
  | Record<string, any>;

export interface ChatKestrelCallOptions extends BaseChatModelCallOptions {
  tools?: ChatKestrelToolType[];
  /** `"auto"`, `"none"`, `"required"` (or `"any"`), a tool's name, or OpenAI's object form. */
  tool_choice?: ChatCompletionToolChoiceOption | "any" | string;
  parallel_tool_calls?: boolean;
  /** Strict JSON-schema tools (OpenAI's `strict`). */
  strict?: boolean;
  response_format?: ResponseFormat | { type: "json_schema"; json_schema: { name: string; description?: string; schema: InteropZodType | Record<string, unknown>; strict?: boolean | null } };
  seed?: number;
  stream_options?: { include_usage?: boolean };
  /** The requested model for this call only (the ceiling Kestrel routes under). */
  model?: string;
  /** Kestrel's routing options for this call, over the model's `kestrel` option. */
  kestrel?: KestrelRequestOptions;
  reasoning?: { effort?: "minimal" | "low" | "medium" | "high" | null };
  reasoning_effort?: "minimal" | "low" | "medium" | "high";
  service_tier?: ChatCompletionCreateParamsBase["service_tier"];
  promptCacheKey?: string;
  verbosity?: "low" | "medium" | "high";
  prediction?: ChatCompletionCreateParamsBase["prediction"];
  audio?: ChatCompletionCreateParamsBase["audio"];
  modalities?: Array<"text" | "audio">;
  /** Per-call options of the Kestrel client (`timeout` in ms, `maxRetries`, ...). */
  options?: RequestOptions;
}

export interface ChatKestrelFields extends BaseChatModelParams {
  /** The requested model: the most expensive one Kestrel may route to (default "gpt-4o"). */
  model?: string;
  /** @deprecated Use `model`. */
  modelName?: string;
  /** A Kestrel client to share (its usage ledger, cache and health); else one is built. */
  client?: OpenAI;
  /** Options of the client built when none is given (`providerKeys`, `routing`, `cache`, ...). */
  clientOptions?: ClientOptions;
  /** ChatOpenAI's names for the built client's OpenAI key and options. */
  apiKey?: string;
  configuration?: ClientOptions;
  /** Kestrel's routing options sent with every request. */
  kestrel?: KestrelRequestOptions;
  temperature?: number;
  topP?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  n?: number;
  logitBias?: Record<string, number>;
  maxTokens?: number;
  maxCompletionTokens?: number;
  stop?: string[];
  stopSequences?: string[];
  user?: string;
  /** Per-attempt time limit in milliseconds. */
  timeout?: number;
  /** The Kestrel client's retries (LangChain's own retry loop stays off). */
  maxRetries?: number;
  logprobs?: boolean;
  topLogprobs?: number;
  /** `invoke` streams under the hood, so token callbacks fire. */
  streaming?: boolean;
  /** Ask for usage when streaming, so streamed messages carry `usage_metadata` (default true). */
  streamUsage?: boolean;
  /** Other request params sent with every call. */
  modelKwargs?: Record<string, unknown>;
  supportsStrictToolCalling?: boolean;
  reasoning?: { effort?: "minimal" | "low" | "medium" | "high" | null };
  service_tier?: ChatCompletionCreateParamsBase["service_tier"];
  verbosity?: "low" | "medium" | "high";
  modalities?: Array<"text" | "audio">;
  audio?: ChatCompletionCreateParamsBase["audio"];
  promptCacheKey?: string;
}

/** `response_metadata` of ChatKestrel's messages (a stream's concatenation has the same). */
export interface ChatKestrelResponseMetadata {
  model_provider?: "openai";
  model_name?: string;
  finish_reason?: string;
  system_fingerprint?: string;
  usage?: Record<string, unknown>;
  /** Where Kestrel sent the call and what it cost. */
  kestrel?: KestrelMeta;
  [key: string]: unknown;
}

/**
 * A LangChain chat model that sends each call through Kestrel: routed to the cheapest model
 * able to answer (`model` is the ceiling), failed over, cached and recorded by the client.
 * Behaves as @langchain/openai's ChatOpenAI (Chat Completions); `response_metadata.kestrel`
 * holds the routing decision and cost.
 */
export declare class ChatKestrel<CallOptions extends ChatKestrelCallOptions = ChatKestrelCallOptions> extends BaseChatModel<CallOptions, AIMessageChunk> {
  static lc_name(): string;
  constructor(fields?: ChatKestrelFields);
  constructor(model: string, fields?: Omit<ChatKestrelFields, "model">);
  model: string;
  modelName: string;
  client: OpenAI;
  kestrel?: KestrelRequestOptions;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  stopSequences?: string[];
  timeout?: number;
  maxRetries?: number;
  streaming: boolean;
  streamUsage: boolean;
  modelKwargs: Record<string, unknown>;
  /** The client's usage views (`savings()`, `routing()`, `records()`, ...). */
  get usage(): OpenAI["usage"];
  _llmType(): string;
  getLsParams(options: this["ParsedCallOptions"]): LangSmithParams;
  /** The request body (without `messages`) a call with these options sends. */
  invocationParams(options?: this["ParsedCallOptions"], extra?: { streaming?: boolean }): Omit<ChatCompletionCreateParamsBase, "messages">;
  _identifyingParams(): Record<string, unknown>;
  identifyingParams(): Record<string, unknown>;
  _generate(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): Promise<ChatResult>;
  _streamResponseChunks(messages: BaseMessage[], options: this["ParsedCallOptions"], runManager?: CallbackManagerForLLMRun): AsyncGenerator<ChatGenerationChunk>;
  bindTools(tools: ChatKestrelToolType[], kwargs?: Partial<CallOptions>): Runnable<BaseLanguageModelInput, AIMessageChunk, CallOptions>;
  withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: InteropZodType<RunOutput> | SerializableSchema<RunOutput> | Record<string, any>,
    config?: StructuredOutputMethodOptions<boolean>,
  ): Runnable<BaseLanguageModelInput, RunOutput> | Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
}
