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
from ._azure import AsyncAzureOpenAI, AzureOpenAI, MutuallyExclusiveAuthError
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
organization: "str | None" = None
project: "str | None" = None
webhook_secret: "str | None" = None
base_url: "str | None" = None
timeout: "float | None" = None
max_retries: "int | None" = None
default_headers: "dict[str, str] | None" = None
default_query: "dict[str, object] | None" = None
http_client: "object | None" = None

_MODULE_SETTINGS = (
    "api_key",
    "organization",
    "project",
    "webhook_secret",
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "default_query",
    "http_client",
)
# `http_client=DefaultHttpxClient(...)`, as the SDK's README shows.
_SDK_HTTP_CLIENTS = ("DefaultHttpxClient", "DefaultAsyncHttpxClient", "DefaultAioHttpClient")
_module_client: "OpenAI | None" = None
_module_settings: "tuple[object, ...] | None" = None

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from openai import DefaultAioHttpClient as DefaultAioHttpClient
    from openai import DefaultAsyncHttpxClient as DefaultAsyncHttpxClient
    from openai import DefaultHttpxClient as DefaultHttpxClient

    from .resources.chat import Chat
    from .resources.usage import Usage
    from .resources.kestrel import Kestrel
    from .resources.responses import Responses

    chat: Chat
    responses: Responses
    kestrel: Kestrel
    usage: Usage

    def __getattr__(name: str) -> Any: ...

else:

    def __getattr__(name):
        if name in _SDK_HTTP_CLIENTS:
            # The official client's httpx defaults, for `http_client=` (it serves the APIs
            # Kestrel passes through).
            import openai

            return getattr(openai, name)
        # Only names a client answers to build the client: probes such as `__path__` or
        # `hasattr(kestrel_router, "x")` never do.
        if not name.startswith("_") and (name in ("chat", "responses", "kestrel", "usage") or _sdk_has(name)):
            return getattr(_load_client(), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _sdk_has(name: str) -> bool:
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency of the package
        return False
    return hasattr(openai.OpenAI, name)


def _load_client() -> OpenAI:
    """The client behind `kestrel.chat` & co: built from the module's settings (and the
    environment) on first use, rebuilt when any of them changes, as `openai`'s is."""
    global _module_client, _module_settings
    values = {name: globals()[name] for name in _MODULE_SETTINGS}
    # Dicts compare by content, an http_client by identity.
    settings = tuple(
        tuple(sorted(v.items())) if isinstance(v, dict) else id(v) if name == "http_client" else v
        for name, v in values.items()
    )
    if _module_client is None or settings != _module_settings:
        _module_client = OpenAI(**values)
        _module_settings = settings
    return _module_client


__all__ = [
    "__version__",
    "types",
    "OpenAI",
    "AsyncOpenAI",
    "AzureOpenAI",
    "AsyncAzureOpenAI",
    "MutuallyExclusiveAuthError",
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
