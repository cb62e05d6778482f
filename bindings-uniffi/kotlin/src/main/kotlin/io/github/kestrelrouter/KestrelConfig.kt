package io.github.kestrelrouter

import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject

/**
 * The common client settings, turned into the JSON configuration the core takes (the same
 * names as the Python and Node constructors; the core validates them). Anything else goes
 * in [extra] as raw JSON values, e.g. `extra["cache"] = "true"`.
 */
class KestrelConfig private constructor(private val b: Builder) {
    fun toJson(): String = buildJsonObject {
        b.apiKey?.let { put("api_key", it) }
        b.baseUrl?.let { put("base_url", it) }
        if (b.providerKeys.isNotEmpty()) putJsonObject("provider_keys") { b.providerKeys.forEach { (k, v) -> put(k, v) } }
        if (b.baseUrls.isNotEmpty()) putJsonObject("base_urls") { b.baseUrls.forEach { (k, v) -> put(k, v) } }
        b.fromEnv?.let { put("from_env", it) }
        b.maxRetries?.let { put("max_retries", it) }
        b.timeoutSeconds?.let { put("timeout", it) }
        b.failoverAttempts?.let { put("failover_attempts", it) }
        b.tenant?.let { put("tenant", it) }
        b.configFile?.let { put("config_file", it) }
        b.extra.forEach { (k, v) -> put(k, kotlinx.serialization.json.Json.parseToJsonElement(v)) }
    }.toString()

    /** Fluent settings; unset ones keep the core's defaults. */
    class Builder internal constructor() {
        internal var apiKey: String? = null
        internal var baseUrl: String? = null
        internal val providerKeys = linkedMapOf<String, String>()
        internal val baseUrls = linkedMapOf<String, String>()
        internal var fromEnv: Boolean? = null
        internal var maxRetries: Int? = null
        internal var timeoutSeconds: Double? = null
        internal var failoverAttempts: Int? = null
        internal var tenant: String? = null
        internal var configFile: String? = null
        internal val extra = linkedMapOf<String, String>()

        /** The OpenAI key, as the SDK's `apiKey` takes it. */
        fun apiKey(key: String) = apply { apiKey = key }
        /** The OpenAI base URL, as the SDK's `baseUrl` takes it. */
        fun baseUrl(url: String) = apply { baseUrl = url }
        fun providerKey(provider: String, key: String) = apply { providerKeys[provider] = key }
        fun providerBaseUrl(provider: String, url: String) = apply { baseUrls[provider] = url }
        /** Read keys and base URLs from the environment (default true). */
        fun fromEnv(on: Boolean) = apply { fromEnv = on }
        fun maxRetries(n: Int) = apply { maxRetries = n }
        fun timeoutSeconds(s: Double) = apply { timeoutSeconds = s }
        fun failoverAttempts(n: Int) = apply { failoverAttempts = n }
        fun tenant(name: String) = apply { tenant = name }
        /** A TOML file of providers and models merged over the catalog. */
        fun configFile(path: String) = apply { configFile = path }
        /** Any other configuration field, as a JSON value (`"true"`, `"{\"semantic\": false}"`). */
        fun put(name: String, json: String) = apply { extra[name] = json }
        fun build() = KestrelConfig(this)
    }

    companion object {
        @JvmStatic fun builder() = Builder()
    }
}
