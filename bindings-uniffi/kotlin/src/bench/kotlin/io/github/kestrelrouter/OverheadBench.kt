package io.github.kestrelrouter

import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

/*
 * Per-call overhead of the Kotlin/JVM binding over the Rust client, in one process against
 * the loopback mock (release builds). Each round makes, back to back in a rotating order so
 * that load drift hits all alike:
 *   rust    Client::try_chat on the calling thread, timed inside Rust (the baseline)
 *   typed   KestrelClient.chat (records across JNA), from a coroutine
 *   blocking KestrelClient.chatBlocking (one blocking native call, as Java calls it)
 *   json    KestrelClient.chatJson (JSON text both ways), from a coroutine
 *   jsonBlocking KestrelClient.chatJsonBlocking
 *   ffi     version(): one crossing with no work behind it, the floor of any call
 * and prints the medians. Run: bash bench/uniffi_compare.sh [rounds]
 */

private const val REQUEST_JSON = """{"model":"gpt-4o","messages":[{"role":"user","content":"What is the capital of France?"}]}"""

private fun median(xs: MutableList<Long>): Double {
    xs.sort()
    return xs[xs.size / 2] / 1000.0
}

fun main(args: Array<String>) {
    val rounds = args.firstOrNull()?.toInt() ?: 2000
    val params = ChatCompletionCreateParams(
        model = "gpt-4o",
        messages = listOf(ChatMessages.user("What is the capital of France?")),
    )
    val client = KestrelClient(MockProvider.config())
    val samples = linkedMapOf<String, MutableList<Long>>(
        "rust" to mutableListOf(), "typed" to mutableListOf(), "blocking" to mutableListOf(), "json" to mutableListOf(),
        "jsonBlocking" to mutableListOf(), "ffi" to mutableListOf(),
    )
    fun timed(name: String, record: Boolean, call: () -> Unit) {
        val t = System.nanoTime()
        call()
        if (record) samples.getValue(name) += System.nanoTime() - t
    }
    runBlocking {
        val calls: List<Pair<String, suspend (Boolean) -> Unit>> = listOf(
            "rust" to { record -> val ns = client.core.benchRustChat(REQUEST_JSON); if (record) samples.getValue("rust") += ns },
            "typed" to { record -> val t = System.nanoTime(); client.chat(params); if (record) samples.getValue("typed") += System.nanoTime() - t },
            "blocking" to { record -> timed("blocking", record) { client.chatBlocking(params) } },
            "json" to { record -> val t = System.nanoTime(); client.chatJson(REQUEST_JSON); if (record) samples.getValue("json") += System.nanoTime() - t },
            "jsonBlocking" to { record -> timed("jsonBlocking", record) { client.chatJsonBlocking(REQUEST_JSON) } },
            "ffi" to { record -> timed("ffi", record) { io.github.kestrelrouter.ffi.version() } },
        )
        val warmup = rounds / 4
        for (i in 0 until warmup + rounds) {
            for (k in calls.indices) {
                val (_, call) = calls[(i + k) % calls.size]
                call(i >= warmup)
            }
        }
    }
    val rust = median(samples.getValue("rust"))
    println("kestrel-uniffi per-call overhead over the Rust client (median of $rounds rounds, loopback mock)")
    println("%-44s %10s %10s".format("call", "median", "overhead"))
    for ((name, label) in listOf(
        "rust" to "Rust Client::try_chat (baseline)",
        "typed" to "Kotlin chat() (suspend, typed records)",
        "blocking" to "Kotlin/Java chatBlocking() (typed records)",
        "json" to "Kotlin chatJson() (suspend, JSON text)",
        "jsonBlocking" to "Kotlin/Java chatJsonBlocking() (JSON text)",
        "ffi" to "one empty crossing: version()",
    )) {
        val m = median(samples.getValue(name))
        val over = if (name == "rust" || name == "ffi") "" else "%+.1f µs".format(m - rust)
        println("%-44s %8.1f µs %8s".format(label, m, over))
    }
    client.close()
    exitProcess(0)
}
