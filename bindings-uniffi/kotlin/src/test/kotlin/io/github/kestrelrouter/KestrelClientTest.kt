package io.github.kestrelrouter

import io.github.kestrelrouter.ffi.ChatRole
import io.github.kestrelrouter.ffi.ResponseFormat
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.int
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The Kotlin API against the project's mock provider: every call shape and its failures. */
class KestrelClientTest {
    private lateinit var kc: KestrelClient

    @BeforeEach
    fun setUp() {
        MockProvider.reset()
        kc = KestrelClient(MockProvider.config())
    }

    @AfterEach
    fun tearDown() = kc.close()

    private fun ask(text: String) = ChatCompletionCreateParams(model = "gpt-4o", messages = listOf(ChatMessages.user(text)))

    private fun body(i: Int): JsonObject = MockProvider.chatRequests()[i]["body"]!!.jsonObject

    @Test
    fun `plain call is routed to a cheaper model and says so`() = runBlocking<Unit> {
        val r = kc.chat(ask("What is 2+2?"))
        val choice = r.choices.single()
        assertEquals("assistant", choice.message.role)
        assertEquals("Mock answer from ${r.model}: you said \"What is 2+2?\".", r.text)
        assertEquals("stop", choice.finishReason)
        val meta = r.kestrel!!
        assertEquals("gpt-4o", meta.requestedModel)
        assertEquals("economy", meta.tier)
        assertEquals(r.model, meta.model)
        assertNotEquals("gpt-4o", r.model)
        assertTrue(meta.savedUsd > 0.0)
        val usage = r.usage!!
        assertEquals(usage.promptTokens + usage.completionTokens, usage.totalTokens)
        val sent = MockProvider.chatRequests().single()["body"]!!.jsonObject
        assertEquals(meta.model, sent["model"]!!.jsonPrimitive.content)
        assertEquals(Json.parseToJsonElement("""[{"role":"user","content":"What is 2+2?"}]"""), sent["messages"])
        assertNull(sent["kestrel"])
        // The raw answer is the same completion as OpenAI JSON.
        assertEquals(r.id, Json.parseToJsonElement(r.rawJson).jsonObject["id"]!!.jsonPrimitive.content)
    }

    @Test
    fun `JSON in, JSON out`() = runBlocking<Unit> {
        val out = kc.chatJson("""{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"n":1}""")
        val r = Json.parseToJsonElement(out).jsonObject
        assertEquals("chat.completion", r["object"]!!.jsonPrimitive.content)
        assertEquals("gpt-4o", r["kestrel"]!!.jsonObject["requested_model"]!!.jsonPrimitive.content)
        assertEquals(1, body(0)["n"]!!.jsonPrimitive.int)
    }

    @Test
    fun `streaming yields chunks and Kestrel's account on the last`() = runBlocking<Unit> {
        val chunks = kc.chatStream(ask("What is 2+2?")).toList()
        assertTrue(chunks.size > 2)
        assertEquals("assistant", chunks.first().choices[0].delta.role)
        assertEquals("stop", chunks.last().choices[0].finishReason)
        val text = chunks.joinToString("") { c -> c.choices.firstOrNull()?.delta?.content ?: "" }
        assertEquals("Mock answer from ${chunks[0].model}: you said \"What is 2+2?\".", text)
        assertTrue(chunks.dropLast(1).all { it.kestrel == null })
        val meta = chunks.last().kestrel!!
        assertEquals("gpt-4o", meta.requestedModel)
        assertEquals(chunks[0].model, meta.model)
        assertEquals(true, body(0)["stream"]!!.jsonPrimitive.content.toBoolean())
    }

    @Test
    fun `a stream closed early stops and is still counted`() = runBlocking<Unit> {
        MockProvider.script("""{"models": {"gpt-4o-mini": {"text": "${"word ".repeat(200)}", "chunk_delay_ms": 2}}}""")
        val direct = KestrelClient(MockProvider.config(routing = false))
        direct.use {
            val first = it.chatStream(ChatCompletionCreateParams("gpt-4o-mini", listOf(ChatMessages.user("go")))).take(2).toList()
            assertEquals(2, first.size)
            it.flushUsage()
            assertEquals(1L, it.savings().requests)
        }
    }

    @Test
    fun `tools round trip`() = runBlocking<Unit> {
        val weather = ChatCompletionTool(
            name = "get_weather",
            description = "Current weather for a city.",
            parametersJson = """{"type":"object","properties":{"city":{"type":"string"},
                "unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}""",
        )
        val first = ChatCompletionCreateParams(
            model = "gpt-4o", messages = listOf(ChatMessages.user("What's the weather in Paris?")),
            tools = listOf(weather), toolChoice = "auto",
        )
        val r = kc.chat(first)
        val choice = r.choices.single()
        assertEquals("tool_calls", choice.finishReason)
        assertNull(choice.message.content)
        val call = choice.message.toolCalls.single()
        assertEquals("get_weather", call.function.name)
        assertTrue(call.id.startsWith("call_mock_"))
        assertEquals(Json.parseToJsonElement("""{"city":"example","unit":"celsius"}"""), Json.parseToJsonElement(call.function.arguments))
        assertEquals("get_weather", body(0)["tools"]!!.jsonArray[0].jsonObject["function"]!!.jsonObject["name"]!!.jsonPrimitive.content)

        val follow = kc.chat(first.copy(messages = first.messages + ChatMessages.assistant(choice.message) +
            ChatMessages.tool(call.id, "18C and sunny")))
        assertEquals("stop", follow.choices[0].finishReason)
        assertTrue(follow.text!!.contains("18C and sunny"))
        val sent = body(1)["messages"]!!.jsonArray
        assertEquals(call.id, sent[1].jsonObject["tool_calls"]!!.jsonArray[0].jsonObject["id"]!!.jsonPrimitive.content)
        assertEquals(Json.parseToJsonElement("""{"role":"tool","content":"18C and sunny","tool_call_id":"${call.id}"}"""), sent[2])
    }

    @Test
    fun `JSON mode and JSON schema`() = runBlocking<Unit> {
        val r = kc.chat(ask("Reply in JSON.").copy(responseFormat = ResponseFormat.JsonObject))
        assertTrue(Json.parseToJsonElement(r.text!!) is JsonObject)
        assertEquals(Json.parseToJsonElement("""{"type":"json_object"}"""), body(0)["response_format"])

        val schema = """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},
            "required":["name","age"],"additionalProperties":false}"""
        val s = kc.chat(ask("Who?").copy(responseFormat = ResponseFormat.JsonSchema("person", schema, true)))
        assertEquals(Json.parseToJsonElement("""{"name":"example","age":1}"""), Json.parseToJsonElement(s.text!!))
        val fmt = body(1)["response_format"]!!.jsonObject
        assertEquals("json_schema", fmt["type"]!!.jsonPrimitive.content)
        assertEquals("person", fmt["json_schema"]!!.jsonObject["name"]!!.jsonPrimitive.content)
    }

    @Test
    fun `a failed substitute fails over to the requested model`() = runBlocking<Unit> {
        val plan = kc.route(ask("What is 2+2?")).plan
        assertTrue(plan.size >= 2)
        MockProvider.script("""{"models": {"${plan[0]}": {"status": 503}}}""")
        val r = kc.chat(ask("What is 2+2?"))
        assertEquals("gpt-4o", r.model)
        assertEquals(plan.last(), r.model)
        assertEquals(2, r.kestrel!!.attempts)
        val record = Json.parseToJsonElement(kc.usageJson("records")).jsonArray.last().jsonObject
        val attempts = record["attempts"]!!.jsonArray.map { it.jsonObject }
        assertEquals(listOf(plan[0], plan.last()), attempts.map { it["model"]!!.jsonPrimitive.content })
        assertEquals("provider", attempts[0]["error"]!!.jsonPrimitive.content)
        assertEquals(503, attempts[0]["status"]!!.jsonPrimitive.int)
    }

    @Test
    fun `route is a dry run`() {
        val d = kc.route(ask("What is 2+2?"))
        assertEquals("gpt-4o", d.requestedModel)
        assertEquals("economy", d.tier)
        assertEquals(d.model, d.plan.first())
        assertEquals("gpt-4o", d.plan.last())
        assertTrue(d.estimatedCostUsd < d.baselineCostUsd)
        assertTrue(d.reasons.any { it.startsWith("chose ") })
        assertEquals(emptyList<JsonObject>(), MockProvider.chatRequests())
    }

    @Test
    fun `usage views count requests, savings and routing`() = runBlocking<Unit> {
        kc.chat(ask("What is 2+2?"))
        kc.chat(ask("What is the capital of France?").copy(extraJson = """{"kestrel": {"tenant": "acme"}}"""))
        val all = kc.savings()
        assertEquals(2L, all.requests)
        assertEquals(0L, all.errors)
        assertTrue(all.actualCostUsd < all.baselineCostUsd)
        assertEquals(all.baselineCostUsd - all.actualCostUsd, all.savedUsd, 1e-12)
        assertEquals(1L, kc.savings("acme").requests)
        val routing = kc.routing()
        assertEquals(2L, routing.economy + routing.standard + routing.premium + routing.cache + routing.passthrough)
        assertEquals(listOf("acme"), Json.parseToJsonElement(kc.usageJson("tenants")).jsonArray.map { it.jsonPrimitive.content })
        val records = Json.parseToJsonElement(kc.usageJson("records", limit = 1)).jsonArray
        assertEquals(1, records.size)
        // Usage records never carry the prompt or the completion.
        assertTrue("capital of France" !in records.toString() && "Mock answer" !in records.toString())
        val health = kc.health().associateBy { it.provider }
        assertTrue(health.getValue("openai").configured)
        assertEquals("closed", health.getValue("openai").state)
        assertTrue(!health.getValue("anthropic").configured)
    }

    @Test
    fun `provider errors raise the OpenAI classes with their facts`() = runBlocking<Unit> {
        MockProvider.script("""{"models": {"gpt-4o-mini": {"status": 429, "retry_after": 7, "error_message": "slow down"}}}""")
        KestrelClient(MockProvider.config(routing = false)).use { direct ->
            val e = assertThrows<RateLimitException> {
                runBlocking { direct.chat(ChatCompletionCreateParams("gpt-4o-mini", listOf(ChatMessages.user("hi")))) }
            }
            assertEquals(429, e.statusCode)
            assertEquals("rate_limited", e.kind)
            assertEquals("openai", e.provider)
            assertEquals(7.0, e.retryAfterSeconds)
            assertTrue(e.message!!.contains("slow down"), e.message)
            assertEquals(listOf(429), e.attempts.map { it.status })
        }
        MockProvider.script("""{"models": {"gpt-4o-mini": {"status": 401}}}""")
        KestrelClient(MockProvider.config(routing = false)).use { direct ->
            assertThrows<AuthenticationException> {
                runBlocking { direct.chat(ChatCompletionCreateParams("gpt-4o-mini", listOf(ChatMessages.user("hi")))) }
            }
        }
    }

    @Test
    fun `bad input is a typed error before any network call`() {
        val noTool = ChatCompletionCreateParams(
            model = "gpt-4o",
            messages = listOf(ChatMessages.user("hi"), ChatCompletionMessageParam(role = ChatRole.TOOL, content = "x")),
        )
        val e = assertThrows<InvalidRequestException> { runBlocking { kc.chat(noTool) } }
        assertEquals("messages[1].tool_call_id", e.param)
        assertEquals(400, e.statusCode)
        assertThrows<InvalidRequestException> { runBlocking { kc.chat(ask("hi").copy(maxCompletionTokens = -1)) } }
        assertThrows<InvalidRequestException> { runBlocking { kc.chatJson("""{"model": "gpt-4o"}""") } }
        assertThrows<InvalidRequestException> { kc.route(ask("hi").copy(extraJson = "[1]")) }
        assertThrows<InvalidRequestException> { runBlocking { kc.chat(ask("hi").copy(extraJson = """{"model": "x"}""")) } }
        assertThrows<ConfigurationException> { runBlocking { kc.chat(ask("hi"), RequestOptions(maxRetries = -1)) } }
        assertThrows<ConfigurationException> { kc.usageJson("nope") }
        assertEquals(emptyList<JsonObject>(), MockProvider.chatRequests())
        val c = assertThrows<ConfigurationException> { KestrelClient("""{"api_kee": "sk-x", "from_env": false}""") }
        assertTrue(c.message!!.contains("api_kee"), c.message)
        // Keys never show in a client's description or an error.
        KestrelClient(MockProvider.config()).use { assertTrue("sk-test" !in it.toString()) }
    }

    @Test
    fun `a stream cut after its first chunk raises StreamInterrupted`() = runBlocking<Unit> {
        MockProvider.script("""{"models": {"gpt-4o-mini": {"cut_after_chunks": 2}}}""")
        KestrelClient(MockProvider.config(routing = false)).use { direct ->
            val seen = mutableListOf<ChatCompletionChunk>()
            assertThrows<StreamInterruptedException> {
                runBlocking {
                    direct.chatStream(ChatCompletionCreateParams("gpt-4o-mini", listOf(ChatMessages.user("hi"))))
                        .collect { seen += it }
                }
            }
            assertTrue(seen.isNotEmpty())
        }
    }
}
