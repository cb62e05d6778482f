package io.github.kestrelrouter

import io.github.kestrelrouter.ffi.AttemptInfo
import io.github.kestrelrouter.ffi.InternalException
import io.github.kestrelrouter.ffi.KestrelException as Native

/*
 * The error classes of Kestrel's Python and Node packages (themselves the OpenAI SDK's),
 * with the JVM's `Exception` suffix, and the one place the native error enum maps onto
 * them. Catch `APIStatusException` for any HTTP status, `APIConnectionException` for
 * network failures, `KestrelException` for Kestrel's own, `OpenAIException` for all.
 */

/** Base of every error Kestrel raises (the OpenAI SDK's base class name). */
open class OpenAIException(message: String, cause: Throwable? = null) : RuntimeException(message, cause)

/**
 * A failed request. [kind] is the core's error kind (`"rate_limited"`, ...), [provider] the
 * provider that failed, [attempts] every provider call the request made, in order, so a
 * routed call's substitutes and retries can be seen. [bodyJson] is the provider's error
 * object (`{"message", "type", "param", "code"}`) when it sent one.
 */
open class APIException(
    message: String,
    val kind: String,
    val provider: String? = null,
    val bodyJson: String? = null,
    val attempts: List<AttemptInfo> = emptyList(),
    cause: Throwable? = null,
) : OpenAIException(message, cause)

/** The provider answered with a 4xx or 5xx status (or Kestrel refused the request with one). */
open class APIStatusException(
    message: String,
    val statusCode: Int,
    kind: String,
    provider: String?,
    bodyJson: String?,
    attempts: List<AttemptInfo>,
    cause: Throwable?,
) : APIException(message, kind, provider, bodyJson, attempts, cause)

class BadRequestException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 400, "bad_request", p, b, a, c)

class AuthenticationException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 401, "authentication", p, b, a, c)

class PermissionDeniedException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 403, "permission_denied", p, b, a, c)

class NotFoundException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 404, "not_found", p, b, a, c)

class ConflictException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 409, "bad_request", p, b, a, c)

class UnprocessableEntityException internal constructor(m: String, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, 422, "bad_request", p, b, a, c)

/** HTTP 429 on every candidate tried; [retryAfterSeconds] is the provider's `Retry-After`. */
class RateLimitException internal constructor(
    m: String, p: String?, b: String?, val retryAfterSeconds: Double?, a: List<AttemptInfo>, c: Throwable?,
) : APIStatusException(m, 429, "rate_limited", p, b, a, c)

class InternalServerException internal constructor(m: String, s: Int, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIStatusException(m, s, "provider", p, b, a, c)

/**
 * Kestrel refused the request before sending it anywhere (HTTP 400 semantics); [param] is
 * the path of the offending field, e.g. `messages[2].tool_call_id`.
 */
class InvalidRequestException internal constructor(m: String, val param: String?, c: Throwable?) :
    APIStatusException(m, 400, "invalid_request", null, null, emptyList(), c)

/** The provider could not be reached, or the connection broke. */
open class APIConnectionException internal constructor(
    m: String, kind: String, p: String?, a: List<AttemptInfo>, c: Throwable?,
) : APIException(m, kind, p, null, a, c)

/** The provider did not answer within the timeout. */
class APITimeoutException internal constructor(m: String, p: String?, a: List<AttemptInfo>, c: Throwable?) :
    APIConnectionException(m, "timeout", p, a, c)

/**
 * A stream broke after its first chunk: Kestrel never fails over mid-answer (that would
 * splice two answers), so the stream ends with this error instead.
 */
class StreamInterruptedException internal constructor(m: String, p: String?, c: Throwable?) :
    APIConnectionException(m, "stream_interrupted", p, emptyList(), c)

/** The provider answered 2xx with a body that is not a valid completion. */
class APIResponseValidationException internal constructor(
    m: String, val statusCode: Int, p: String?, b: String?, a: List<AttemptInfo>, c: Throwable?,
) : APIException(m, "provider", p, b, a, c)

/** Base of the failures that come from Kestrel itself rather than a provider. */
open class KestrelException internal constructor(m: String, kind: String, a: List<AttemptInfo>, c: Throwable?) :
    APIException(m, kind, null, null, a, c)

/** No configured, healthy model can serve the request within the routing policy. */
class NoEligibleModelException internal constructor(m: String, a: List<AttemptInfo>, c: Throwable?) :
    KestrelException(m, "no_eligible_model", a, c)

/** The client configuration (or a per-call option) is invalid. */
class ConfigurationException internal constructor(m: String, c: Throwable?) : KestrelException(m, "config", emptyList(), c)

/** Maps the native error (or a caught panic) onto its class. */
internal fun translate(e: Throwable): Throwable = when (e) {
    is Native.Configuration -> ConfigurationException(e.reason, e)
    is Native.InvalidRequest -> InvalidRequestException(e.reason, e.param, e)
    is Native.NoEligibleModel -> NoEligibleModelException(e.reason, e.attempts, e)
    is Native.StreamInterrupted -> StreamInterruptedException(e.reason, e.provider, e)
    is Native.ApiTimeout -> APITimeoutException(e.reason, e.provider, e.attempts, e)
    is Native.ApiConnection -> APIConnectionException(e.reason, "connection", e.provider, e.attempts, e)
    is Native.ApiResponseValidation ->
        APIResponseValidationException(e.reason, e.status, e.provider, e.bodyJson, e.attempts, e)
    is Native.BadRequest -> BadRequestException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.Authentication -> AuthenticationException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.PermissionDenied -> PermissionDeniedException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.NotFound -> NotFoundException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.Conflict -> ConflictException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.UnprocessableEntity -> UnprocessableEntityException(e.reason, e.provider, e.bodyJson, e.attempts, e)
    is Native.RateLimit ->
        RateLimitException(e.reason, e.provider, e.bodyJson, e.retryAfterSeconds, e.attempts, e)
    is Native.InternalServer -> InternalServerException(e.reason, e.status, e.provider, e.bodyJson, e.attempts, e)
    is Native.ApiStatus ->
        APIStatusException(e.reason, e.status, "bad_request", e.provider, e.bodyJson, e.attempts, e)
    is Native.Internal -> KestrelException(e.reason, "internal", emptyList(), e)
    is InternalException -> KestrelException(e.message ?: "internal error", "internal", emptyList(), e)
    else -> e
}

/** Runs a native call, raising the mapped class on failure. */
internal inline fun <T> native(call: () -> T): T =
    try {
        call()
    } catch (e: Native) {
        throw translate(e)
    } catch (e: InternalException) {
        throw translate(e)
    }
