"""Error classes, shaped like the OpenAI SDK's, and the one place native errors map onto them.

The native module raises a single ``NativeError`` whose args are
``(kind, message, status, body_json, retry_after_s, provider, field, attempts_json,
response_json)``;
:func:`from_native` turns it into the class an OpenAI SDK user expects
(``openai.RateLimitError`` -> :class:`RateLimitError`, ...). Kestrel's own failures
(no eligible model, a stream cut after its first chunk, a bad configuration) derive from
:class:`KestrelError`, itself an :class:`APIError`, so ``except openai.APIError``-style
handlers keep catching everything.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, Optional

__all__ = [
    "OpenAIError",
    "APIError",
    "APIStatusError",
    "APIConnectionError",
    "APITimeoutError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "KestrelError",
    "NoEligibleModelError",
    "StreamInterruptedError",
    "InvalidRequestError",
    "ConfigurationError",
    "LengthFinishReasonError",
    "ContentFilterFinishReasonError",
]


class OpenAIError(Exception):
    """Base of every error this package raises (the OpenAI SDK's base class name)."""


class APIError(OpenAIError):
    """A failed request. ``body`` is the provider's error object (``{"message", "type",
    "param", "code"}``) when there was one; ``code``, ``param`` and ``type`` are read from it.

    Kestrel adds ``kind`` (the native error kind, e.g. ``"rate_limited"``), ``provider``
    (the provider that failed, when one was involved) and ``attempts``: every provider call
    the request made, in order (``{"provider", "model", "latency_ms", "error", "status"}``),
    so a routed call's substitutes and retries can be seen.
    """

    message: str
    request: None
    body: object | None
    code: Optional[str] = None
    param: Optional[str] = None
    type: Optional[str] = None
    kind: str | None = None
    provider: str | None = None
    attempts: list[dict[str, Any]] = []

    def __init__(self, message: str, request: object = None, *, body: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = None  # Kestrel makes its HTTP requests in Rust; there is no httpx.Request.
        self.body = body
        if isinstance(body, dict):
            code = body.get("code")
            self.code = str(code) if code is not None else None
            param = body.get("param")
            self.param = param if isinstance(param, str) else None
            typ = body.get("type")
            self.type = typ if isinstance(typ, str) else None
        else:
            self.code = None
            self.param = None
            self.type = None

    def __str__(self) -> str:
        return self.message


class _WithResponse(APIError):
    """An error that is an HTTP answer: ``response`` is the provider's, as the SDK's
    ``httpx.Response`` (status, headers and body as the provider sent them), built on first
    access from what the core carried up; for an answer Kestrel made itself (a request it
    refused) it holds that status and body, with no provider headers."""

    status_code: int
    request_id: str | None
    _response: Any = None
    # The core's ProviderResponse (status, headers, request_id, url, body), when a
    # provider answered.
    _response_info: dict[str, Any] | None = None

    @property
    def response(self) -> Any:
        if self._response is None:
            from ._http import build_http_response

            info = self._response_info
            raw = info.get("body") if info else None
            if isinstance(raw, str):
                content = raw.encode()
            elif self.body is not None:
                import json

                content = json.dumps({"error": self.body} if isinstance(self.body, dict) else self.body).encode()
            else:
                content = b""
            self._response = build_http_response(info, content=content, status=self.status_code)
        return self._response

    @response.setter
    def response(self, value: Any) -> None:
        self._response = value


class APIResponseValidationError(_WithResponse):
    """The provider answered with a body that is not a valid completion."""

    def __init__(self, message: str | None = None, *, body: object | None = None, status_code: int = 200) -> None:
        super().__init__(message or "Data returned by API invalid for expected schema.", body=body)
        self.status_code = status_code
        self.request_id = None


class APIStatusError(_WithResponse):
    """The provider answered with a 4xx or 5xx status (or Kestrel refused the request
    with one). ``response`` is the provider's final answer (after failover and retries)
    as an ``httpx.Response``; ``request_id`` its request id (``x-request-id``,
    Anthropic's ``request-id``)."""

    def __init__(
        self,
        message: str,
        *,
        response: object = None,
        body: object | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, body=body)
        self._response = response
        if status_code is None:
            status_code = getattr(type(self), "status_code", 500)
        self.status_code = status_code
        self.request_id = None


class APIConnectionError(APIError):
    """The provider could not be reached, or the connection broke."""

    def __init__(self, *, message: str = "Connection error.", request: object = None) -> None:
        super().__init__(message, body=None)


class APITimeoutError(APIConnectionError):
    """The provider did not answer within the timeout."""

    def __init__(self, request: object = None, *, message: str = "Request timed out.") -> None:
        super().__init__(message=message)


class BadRequestError(APIStatusError):
    status_code: Literal[400] = 400


class AuthenticationError(APIStatusError):
    status_code: Literal[401] = 401


class PermissionDeniedError(APIStatusError):
    status_code: Literal[403] = 403


class NotFoundError(APIStatusError):
    status_code: Literal[404] = 404


class ConflictError(APIStatusError):
    status_code: Literal[409] = 409


class UnprocessableEntityError(APIStatusError):
    status_code: Literal[422] = 422


class RateLimitError(APIStatusError):
    """HTTP 429 on every candidate tried. ``retry_after`` is the provider's ``Retry-After``
    in seconds, when it sent one."""

    status_code: Literal[429] = 429
    retry_after: float | None = None


class InternalServerError(APIStatusError):
    pass


class KestrelError(APIError):
    """Base of the failures that come from Kestrel itself rather than a provider."""


class NoEligibleModelError(KestrelError):
    """No configured, healthy model can serve the request within the routing policy
    (unknown model and no provider for it, every provider denied or without a key...)."""


class StreamInterruptedError(APIConnectionError, KestrelError):
    """A stream broke after its first chunk: Kestrel never fails over mid-answer (that
    would splice two answers), so the stream ends with this error instead."""

    def __init__(self, *, message: str = "The stream was interrupted.", request: object = None) -> None:
        super().__init__(message=message)


class ConfigurationError(KestrelError, ValueError):
    """The client configuration (or a per-call option) is invalid: unknown provider,
    malformed provider/model spec, non-positive timeout, ..."""


class InvalidRequestError(BadRequestError):
    """Kestrel refused the request before sending it anywhere (HTTP 400 semantics);
    ``param`` is the path of the offending field, e.g. ``messages[2].tool_call_id``."""

    def __init__(self, message: str, *, param: str | None = None, body: object | None = None) -> None:
        if body is None:
            body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
        super().__init__(message, body=body, status_code=400)
        if param is not None:
            self.param = param
        self.kind = "invalid_request"


class LengthFinishReasonError(OpenAIError):
    """``parse()`` could not parse the answer: the length limit cut it off."""

    completion: Any

    def __init__(self, *, completion: Any) -> None:
        message = "Could not parse response content as the length limit was reached"
        if getattr(completion, "usage", None):
            message += f" - {completion.usage}"
        super().__init__(message)
        self.completion = completion


class ContentFilterFinishReasonError(OpenAIError):
    """``parse()`` could not parse the answer: the content filter stopped it."""

    completion: Any

    def __init__(self, *, completion: Any = None) -> None:
        super().__init__("Could not parse response content as the request was rejected by the content filter")
        self.completion = completion


# --- the mapping ----------------------------------------------------------------------------

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _parse_body(body_json: object) -> object | None:
    if not isinstance(body_json, str) or not body_json:
        return None
    import json

    try:
        parsed: object = json.loads(body_json)
        return parsed
    except ValueError:
        return body_json


def from_native(exc: BaseException) -> APIError:
    """Maps a ``kestrel_router._native.NativeError`` onto the OpenAI-style class for it."""
    args: tuple[Any, ...] = tuple(exc.args) + (None,) * 9
    kind, message, status, body_json, retry_after, provider, field, attempts_json, response_json = args[:9]
    kind = str(kind) if kind is not None else "internal"
    message = str(message) if message is not None else kind
    full_body = _parse_body(body_json)
    # Like the SDK: `.body` is the `error` object of `{"error": {...}}` bodies.
    body = full_body.get("error", full_body) if isinstance(full_body, dict) else full_body
    err: APIError

    if kind == "config":
        # Kestrel's own configuration errors (unknown provider, bad option values).
        err = ConfigurationError(message)
    elif kind == "invalid_request":
        err = InvalidRequestError(message, param=field)
    elif kind == "no_eligible_model":
        err = NoEligibleModelError(message)
    elif kind == "stream_interrupted":
        err = StreamInterruptedError(message=message)
    elif kind == "timeout":
        err = APITimeoutError(message=message)
    elif kind == "connection":
        err = APIConnectionError(message=message)
    elif kind == "provider" and isinstance(status, int) and (status == 0 or 200 <= status < 300):
        # A 2xx answer (or event stream) whose body is not a valid completion.
        err = APIResponseValidationError(message, body=body, status_code=status)
    elif isinstance(status, int) and status >= 400:
        detail = body.get("message") if isinstance(body, dict) else None
        text = f"Error code: {status} - {detail if isinstance(detail, str) and detail else message}"
        cls = _BY_STATUS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
        err = cls(text, body=body, status_code=status)
        if isinstance(err, RateLimitError) and isinstance(retry_after, (int, float)):
            err.retry_after = float(retry_after)
    elif kind == "internal":
        err = KestrelError(message)
    else:
        err = APIError(message, body=body)

    if err.kind is None:
        err.kind = kind
    err.provider = provider if isinstance(provider, str) else None
    attempts = _parse_body(attempts_json)
    err.attempts = attempts if isinstance(attempts, list) else []
    if isinstance(err, _WithResponse):
        info = _parse_body(response_json)
        if isinstance(info, dict):
            err._response_info = info
            rid = info.get("request_id")
            err.request_id = rid if isinstance(rid, str) else None
    return err
