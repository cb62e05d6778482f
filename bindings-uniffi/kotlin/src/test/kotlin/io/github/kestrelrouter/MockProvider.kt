package io.github.kestrelrouter

import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.TimeUnit
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive

/**
 * The project's kestrel-mock (target/debug/kestrel-mock, or $KESTREL_MOCK_BIN), started once
 * for the test run on a loopback port, with its control API (see tests/mock/README.md).
 */
object MockProvider {
    private val http = HttpClient.newHttpClient()

    /** The OpenAI-compatible providers the tests configure, each under its own URL prefix. */
    private val prefixes = linkedMapOf(
        "openai" to "/openai/v1", "groq" to "/groq", "xai" to "/xai/v1",
        "mistral" to "/mistral", "together" to "/together/v1",
    )
    private val keys = mapOf(
        "openai" to "sk-test", "groq" to "gsk-test", "xai" to "xai-test",
        "mistral" to "mistral-test", "together" to "together-test",
    )

    val url: String by lazy { start() }

    private fun start(): String {
        val bin = System.getenv("KESTREL_MOCK_BIN") ?: System.getProperty("kestrel.mock")
            ?: error("set -Dkestrel.mock or KESTREL_MOCK_BIN to the kestrel-mock binary")
        val proc = ProcessBuilder(bin, "--port", "0").redirectError(ProcessBuilder.Redirect.INHERIT).start()
        Runtime.getRuntime().addShutdownHook(Thread {
            proc.destroy()
            proc.waitFor(5, TimeUnit.SECONDS)
        })
        val line = BufferedReader(InputStreamReader(proc.inputStream)).readLine()
        val match = Regex("kestrel-mock listening on (http://127\\.0\\.0\\.1:\\d+)").matchEntire(line ?: "")
            ?: error("unexpected first line from kestrel-mock: $line")
        return match.groupValues[1]
    }

    private fun send(method: String, path: String, body: String? = null): String {
        val publisher = body?.let { HttpRequest.BodyPublishers.ofString(it) } ?: HttpRequest.BodyPublishers.noBody()
        val req = HttpRequest.newBuilder(URI.create(url + path))
            .method(method, publisher)
            .header("content-type", "application/json")
            .build()
        val resp = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(resp.statusCode() in 200..299) { "$method $path: ${resp.statusCode()} ${resp.body()}" }
        return resp.body()
    }

    /** Empty script, empty request record: every test starts here. */
    fun reset() {
        script("{}")
        send("DELETE", "/_mock/requests")
    }

    /** Replaces the script (JSON, as tests/mock/README.md describes it). */
    fun script(json: String) {
        send("PUT", "/_mock/script", json)
    }

    /** The chat requests the providers received, in order: `{method, path, headers, body}`. */
    fun chatRequests(): List<JsonObject> =
        (Json.parseToJsonElement(send("GET", "/_mock/requests")) as JsonArray)
            .map { it.jsonObject }
            .filter { it["path"]!!.jsonPrimitive.content.endsWith("/chat/completions") }

    /** A Kestrel configuration wired to the mock, as the Python tests build it: nothing from the environment, no retries. */
    fun config(routing: Boolean = true): KestrelConfig {
        val b = KestrelConfig.builder()
            .apiKey(keys.getValue("openai"))
            .baseUrl(url + prefixes.getValue("openai"))
            .fromEnv(false)
            .maxRetries(0)
        for ((provider, prefix) in prefixes) {
            if (provider == "openai") continue
            b.providerKey(provider, keys.getValue(provider)).providerBaseUrl(provider, url + prefix)
        }
        if (!routing) b.put("routing", "false")
        return b.build()
    }
}
