"""Kestrel: an embeddable LLM router with the OpenAI SDK's shape.

    from kestrel_router import OpenAI         # was: from openai import OpenAI
    client = OpenAI()
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}])
    print(r.choices[0].message.content, r.kestrel.model, r.kestrel.saved_usd)
    print(client.usage.savings())

The requested model is a ceiling: each request goes to the cheapest model that can
handle it, on any provider with a key. ``import kestrel_router as openai`` works for ordinary
OpenAI SDK code (chat completions, streaming, tools, JSON mode, asyncio).
"""

from . import types
from ._client import NOT_GIVEN, AsyncOpenAI, NotGiven, OpenAI
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ContentFilterFinishReasonError,
    InternalServerError,
    InvalidRequestError,
    KestrelError,
    LengthFinishReasonError,
    NoEligibleModelError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    StreamInterruptedError,
    UnprocessableEntityError,
)
from ._native import __version__
from ._parsing import pydantic_function_tool
from ._response import APIResponse, AsyncAPIResponse
from ._streaming import AsyncStream, Stream

Client = OpenAI
AsyncClient = AsyncOpenAI

# --- the module-level client, as the SDK has it: `kestrel.chat.completions.create(...)` ----

api_key: "str | None" = None
base_url: "str | None" = None
timeout: "float | None" = None
max_retries: "int | None" = None
default_headers: "dict[str, str] | None" = None
organization: "str | None" = None
project: "str | None" = None

_module_client: "OpenAI | None" = None
_module_settings: "tuple[object, ...] | None" = None

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ._client import Chat, Models, Usage

    chat: Chat
    models: Models
    usage: Usage
else:

    def __getattr__(name):
        if name in ("chat", "models", "usage"):
            return getattr(_load_client(), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _load_client() -> OpenAI:
    """The client behind `kestrel.chat` & co: built from the module's `api_key`,
    `base_url`, ... (and the environment) on first use, rebuilt when they change."""
    global _module_client, _module_settings
    settings = (api_key, base_url, timeout, max_retries, tuple(sorted((default_headers or {}).items())))
    if _module_client is None or settings != _module_settings:
        _module_client = OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries,
                                default_headers=default_headers)
        _module_settings = settings
    return _module_client


__all__ = [
    "__version__",
    "types",
    "OpenAI",
    "AsyncOpenAI",
    "Client",
    "AsyncClient",
    "Stream",
    "AsyncStream",
    "APIResponse",
    "AsyncAPIResponse",
    "NOT_GIVEN",
    "NotGiven",
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
    "pydantic_function_tool",
]
