package io.github.kestrelrouter

import io.github.kestrelrouter.ffi.ChunkStream
import io.github.kestrelrouter.ffi.KestrelCore
import java.util.stream.Stream
import java.util.stream.StreamSupport
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.runBlocking

/**
 * An embeddable LLM router with an OpenAI-shaped API: each chat request goes to the
 * cheapest capable model (the requested model is a ceiling), with failover, caching and
 * usage accounting, all done by Kestrel's Rust core in this process.
 *
 * [configJson] is the configuration the Python and Node packages take, as JSON (`api_key`,
 * `base_url`, `provider_keys`, `base_urls`, `from_env`, `max_retries`, `timeout`, `cache`,
 * `config_file`, ...); [KestrelConfig] builds the common part. Suspend functions for
 * Kotlin; the `...Blocking` variants for Java. Close the client to free it at once; it is
 * freed when garbage-collected otherwise.
 */
class KestrelClient(configJson: String) : AutoCloseable {
    constructor(config: KestrelConfig) : this(config.toJson())

    internal val core: KestrelCore = native { KestrelCore(configJson) }

    /** A completion, routed. The request is validated before any network call. */
    @JvmOverloads
    suspend fun chat(params: ChatCompletionCreateParams, options: RequestOptions? = null): ChatCompletion =
        native { core.chat(params, options) }

    /** A completion for an OpenAI JSON request body, answered as OpenAI JSON. */
    @JvmOverloads
    suspend fun chatJson(requestJson: String, optionsJson: String? = null): String =
        native { core.chatJson(requestJson, optionsJson) }

    /**
     * A streamed completion. The request is sent when the flow is collected; failover
     * happens before the first chunk, and the last chunk carries [ChatCompletionChunk.kestrel].
     * Cancelling the collector cancels the upstream request (usage is still recorded).
     */
    @JvmOverloads
    fun chatStream(params: ChatCompletionCreateParams, options: RequestOptions? = null): Flow<ChatCompletionChunk> =
        chunks { core.chatStream(params, options) }

    /** [chatStream] for an OpenAI JSON request body. */
    @JvmOverloads
    fun chatStreamJson(requestJson: String, optionsJson: String? = null): Flow<ChatCompletionChunk> =
        chunks { core.chatStreamJson(requestJson, optionsJson) }

    private fun chunks(open: suspend () -> ChunkStream): Flow<ChatCompletionChunk> = flow {
        val stream = native { open() }
        try {
            while (true) {
                val chunk = native { stream.next() } ?: break
                emit(chunk)
            }
        } finally {
            stream.cancel()
            stream.destroy()
        }
    }

    /** Where a request would go and why (tier, model, failover plan, expected cost), without calling anyone. */
    fun route(params: ChatCompletionCreateParams): RouteDecision = native { core.route(params) }

    /** What routing saved against always calling the requested model; one tenant or all. */
    @JvmOverloads
    fun savings(tenant: String? = null): SavingsReport = native { core.savings(tenant) }

    /** Requests per tier, cache and passthrough. */
    @JvmOverloads
    fun routing(tenant: String? = null): RoutingReport = native { core.routing(tenant) }

    /** What the cache did. */
    @JvmOverloads
    fun cacheStats(tenant: String? = null): CacheReport = native { core.cacheStats(tenant) }

    /**
     * A usage view as JSON, as the Python and Node packages return them: `savings`,
     * `routing`, `analytics`, `providers`, `records` (the latest [limit]), `tenants`, `cache`.
     */
    @JvmOverloads
    fun usageJson(view: String, tenant: String? = null, limit: Int = 100): String =
        native { core.usageJson(view, tenant, limit) }

    /** Each provider's circuit state, key standing and retired models, and whether it is configured. */
    fun health(): List<ProviderHealthInfo> = native { core.health() }

    /** The catalog models reachable now with the configured keys, as JSON. */
    fun modelsJson(): String = native { core.modelsJson() }

    /** Waits until every usage record so far is written to the JSONL sink or sent to the collector. */
    suspend fun flushUsage() = native { core.flushUsage() }

    /** Writes the recent usage records as CSV. */
    @JvmOverloads
    suspend fun exportCsv(path: String, tenant: String? = null) = native { core.exportCsv(path, tenant) }

    /** Drops every cached answer this client can see. */
    suspend fun clearCache() = native { core.clearCache() }

    /** Sets, rotates (a key) or removes (`null`) a provider's key. */
    fun setApiKey(provider: String, key: String?) = native { core.setApiKey(provider, key) }

    /** Points a provider at another base URL, in the form its own SDK takes it. */
    fun setBaseUrl(provider: String, url: String) = native { core.setBaseUrl(provider, url) }

    // --- blocking variants, for Java ---------------------------------------------------------

    /** [chat], blocking the calling thread (one plain native call: no coroutine machinery). */
    @JvmOverloads
    fun chatBlocking(params: ChatCompletionCreateParams, options: RequestOptions? = null): ChatCompletion =
        native { core.chatBlocking(params, options) }

    /** [chatJson], blocking the calling thread. */
    @JvmOverloads
    fun chatJsonBlocking(requestJson: String, optionsJson: String? = null): String =
        native { core.chatJsonBlocking(requestJson, optionsJson) }

    /**
     * [chatStream] as a `java.util.stream.Stream`, pulled on the calling thread; close it
     * (try-with-resources) to cancel the upstream request early.
     */
    @JvmOverloads
    fun chatStreamBlocking(params: ChatCompletionCreateParams, options: RequestOptions? = null): Stream<ChatCompletionChunk> {
        val stream = native { core.chatStreamBlocking(params, options) }
        val chunks = object : Iterator<ChatCompletionChunk> {
            private var next: ChatCompletionChunk? = null
            private var done = false

            override fun hasNext(): Boolean {
                if (next == null && !done) {
                    next = native { stream.nextBlocking() }
                    if (next == null) done = true
                }
                return next != null
            }

            override fun next(): ChatCompletionChunk {
                if (!hasNext()) throw NoSuchElementException()
                return next!!.also { next = null }
            }
        }
        val spliterator = java.util.Spliterators.spliteratorUnknownSize(chunks, java.util.Spliterator.ORDERED)
        return StreamSupport.stream(spliterator, false).onClose {
            stream.cancel()
            stream.destroy()
        }
    }

    /** [flushUsage], blocking the calling thread. */
    fun flushUsageBlocking() = runBlocking { flushUsage() }

    override fun close() = core.close()

    override fun toString(): String = "KestrelClient(${core.describe()})"

    companion object {
        /** The native library's version. */
        @JvmStatic
        fun nativeVersion(): String = io.github.kestrelrouter.ffi.version()
    }
}
