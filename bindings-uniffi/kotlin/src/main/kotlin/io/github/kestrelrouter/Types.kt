package io.github.kestrelrouter

import io.github.kestrelrouter.ffi.ChatRole

// The generated records, under this package for Kotlin users (Java imports them from
// io.github.kestrelrouter.ffi). Names follow the OpenAI Java SDK where it has one.
typealias ChatCompletion = io.github.kestrelrouter.ffi.ChatCompletion
typealias ChatCompletionChoice = io.github.kestrelrouter.ffi.ChatCompletionChoice
typealias ChatCompletionMessage = io.github.kestrelrouter.ffi.ChatCompletionMessage
typealias ChatCompletionMessageToolCall = io.github.kestrelrouter.ffi.ChatCompletionMessageToolCall
typealias ChatCompletionChunk = io.github.kestrelrouter.ffi.ChatCompletionChunk
typealias ChatCompletionCreateParams = io.github.kestrelrouter.ffi.ChatCompletionCreateParams
typealias ChatCompletionMessageParam = io.github.kestrelrouter.ffi.ChatCompletionMessageParam
typealias ChatCompletionTool = io.github.kestrelrouter.ffi.ChatCompletionTool
typealias CompletionUsage = io.github.kestrelrouter.ffi.CompletionUsage
typealias FunctionCall = io.github.kestrelrouter.ffi.FunctionCall
typealias KestrelInfo = io.github.kestrelrouter.ffi.KestrelInfo
typealias ResponseFormat = io.github.kestrelrouter.ffi.ResponseFormat
typealias RequestOptions = io.github.kestrelrouter.ffi.RequestOptions
typealias RouteDecision = io.github.kestrelrouter.ffi.RouteDecision
typealias SavingsReport = io.github.kestrelrouter.ffi.SavingsReport
typealias RoutingReport = io.github.kestrelrouter.ffi.RoutingReport
typealias CacheReport = io.github.kestrelrouter.ffi.CacheReport
typealias ProviderHealthInfo = io.github.kestrelrouter.ffi.ProviderHealthInfo
typealias AttemptInfo = io.github.kestrelrouter.ffi.AttemptInfo

/** Messages by role, as one-liners (`ChatMessages.user("Hi")`). */
object ChatMessages {
    @JvmStatic fun system(text: String) = ChatCompletionMessageParam(role = ChatRole.SYSTEM, content = text)

    @JvmStatic fun developer(text: String) = ChatCompletionMessageParam(role = ChatRole.DEVELOPER, content = text)

    @JvmStatic fun user(text: String) = ChatCompletionMessageParam(role = ChatRole.USER, content = text)

    @JvmStatic fun assistant(text: String) = ChatCompletionMessageParam(role = ChatRole.ASSISTANT, content = text)

    /** The assistant's turn as the answer returned it (tool calls included), for the next request's history. */
    @JvmStatic fun assistant(message: ChatCompletionMessage) = ChatCompletionMessageParam(
        role = ChatRole.ASSISTANT,
        content = message.content,
        toolCalls = message.toolCalls,
    )

    /** A tool's result, answering the call [toolCallId]. */
    @JvmStatic fun tool(toolCallId: String, text: String) =
        ChatCompletionMessageParam(role = ChatRole.TOOL, content = text, toolCallId = toolCallId)
}

/** The text of the first choice, or `null` (Kotlin convenience). */
val ChatCompletion.text: String? get() = choices.firstOrNull()?.message?.content

/**
 * Builds [ChatCompletionCreateParams] step by step, as the OpenAI Java SDK's builder does
 * (`ChatParams.builder().model("gpt-4o").addUserMessage("Hi").build()`); Kotlin code can
 * use the record's named arguments instead.
 */
class ChatParams private constructor() {
    private var model: String? = null
    private val messages = mutableListOf<ChatCompletionMessageParam>()
    private val tools = mutableListOf<ChatCompletionTool>()
    private var temperature: Double? = null
    private var topP: Double? = null
    private var maxCompletionTokens: Int? = null
    private var toolChoice: String? = null
    private var responseFormat: ResponseFormat? = null
    private var seed: Long? = null
    private var user: String? = null
    private var extraJson: String? = null

    fun model(model: String) = apply { this.model = model }
    fun addMessage(message: ChatCompletionMessageParam) = apply { messages += message }
    fun addSystemMessage(text: String) = addMessage(ChatMessages.system(text))
    fun addUserMessage(text: String) = addMessage(ChatMessages.user(text))
    fun addAssistantMessage(text: String) = addMessage(ChatMessages.assistant(text))
    fun addTool(tool: ChatCompletionTool) = apply { tools += tool }

    /** A function tool; [parametersJson] is its JSON Schema. */
    @JvmOverloads
    fun addFunctionTool(name: String, parametersJson: String, description: String? = null) =
        addTool(ChatCompletionTool(name = name, description = description, parametersJson = parametersJson))

    fun temperature(value: Double) = apply { temperature = value }
    fun topP(value: Double) = apply { topP = value }
    fun maxCompletionTokens(value: Int) = apply { maxCompletionTokens = value }

    /** `"none"`, `"auto"`, `"required"` or a function name. */
    fun toolChoice(value: String) = apply { toolChoice = value }
    fun responseFormat(value: ResponseFormat) = apply { responseFormat = value }
    fun jsonMode() = responseFormat(io.github.kestrelrouter.ffi.ResponseFormat.JsonObject)
    fun seed(value: Long) = apply { seed = value }
    fun user(value: String) = apply { user = value }

    /** Any other field of the OpenAI request body, as a JSON object. */
    fun extraJson(value: String) = apply { extraJson = value }

    fun build(): ChatCompletionCreateParams = ChatCompletionCreateParams(
        model = requireNotNull(model) { "model is required" },
        messages = messages.toList(),
        temperature = temperature,
        topP = topP,
        maxCompletionTokens = maxCompletionTokens,
        tools = tools.toList(),
        toolChoice = toolChoice,
        responseFormat = responseFormat,
        seed = seed,
        user = user,
        extraJson = extraJson,
    )

    companion object {
        @JvmStatic fun builder() = ChatParams()
    }
}
