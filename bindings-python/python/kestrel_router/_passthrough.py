"""The APIs Kestrel does not route: models, embeddings, moderations, images, audio, files,
batches, fine-tuning, vector stores, legacy completions, uploads, ... and the generic
``client.get/post/put/patch/delete`` helpers.

They are served by the official ``openai`` client itself, built lazily with this client's
settings (key, base URL, timeout, retries, headers, organization, project, query,
``http_client``), so requests, retries, timeouts, pagination objects, binary answers and
multipart uploads are exactly the SDK's. Two things are added: errors come out as
Kestrel's classes of the same name (so one ``except kestrel_router.RateLimitError``
covers routed and passed-through calls), and every HTTP exchange is counted in the usage
ledger (endpoint, model, status, tokens when the answer reports them; never the content),
where the core prices it.
"""

from __future__ import annotations

import time

from . import _errors
from ._config import _dumps, _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Optional

    import httpx

    from ._base import _BaseClient

# The constructor settings the official client takes under the same names.
_SDK_ARGS = (
    "api_key",
    "admin_api_key",
    "organization",
    "project",
    "webhook_secret",
    "base_url",
    "websocket_base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "default_query",
    "http_client",
)
# Routed by Kestrel: never served by the official client.
_ROUTED = frozenset({"chat", "responses"})
_T0 = "kestrel_t0"


def sdk_client(client: _BaseClient, is_async: bool) -> Any:
    """The official client configured like ``client``, with the usage hooks attached."""
    try:
        import openai
    except ImportError as e:  # pragma: no cover - openai is a dependency of the package
        raise _errors.ConfigurationError(
            "this API is served by the official `openai` package: pip install openai"
        ) from e
    settings = client._settings
    kwargs = {k: settings[k] for k in _SDK_ARGS if settings.get(k) is not None}
    azure = settings.get("azure_sdk")
    if azure is not None:
        # An Azure client's own arguments (endpoint, version, deployment, credential) make
        # the official AzureOpenAI client, with the SDK's URL and auth rules.
        kwargs.pop("api_key", None)
        kwargs.pop("base_url", None)
        kwargs.update(azure)
    record = _recorder(client)
    hooks = _async_hooks(record) if is_async else _sync_hooks(record)
    http = kwargs.get("http_client")
    if http is None:
        factory = openai.DefaultAsyncHttpxClient if is_async else openai.DefaultHttpxClient
        kwargs["http_client"] = factory(event_hooks=hooks)
    else:
        for event, fns in hooks.items():
            http.event_hooks[event] = [*http.event_hooks.get(event, []), *fns]
    if azure is not None:
        cls: Any = openai.AsyncAzureOpenAI if is_async else openai.AzureOpenAI
    else:
        cls = openai.AsyncOpenAI if is_async else openai.OpenAI
    try:
        return cls(**kwargs)
    except openai.OpenAIError as e:
        raise convert(e) from e


def delegate(client: _BaseClient, name: str, is_async: bool) -> Any:
    """``client.<name>`` for an API Kestrel does not route."""
    missing = AttributeError(f"{type(client).__name__!r} object has no attribute {name!r}")
    if name.startswith("_") or name in _ROUTED:
        raise missing
    try:
        import openai
    except ImportError:  # pragma: no cover - openai is a dependency of the package
        raise missing from None
    # Only the official client's own attributes: probing any other name (`hasattr`)
    # never builds a client.
    if not hasattr(openai.AsyncOpenAI if is_async else openai.OpenAI, name):
        raise missing
    return wrap(getattr(official(client, is_async), name))


def official(client: _BaseClient, is_async: bool) -> Any:
    """The official client configured like ``client``, built on first use."""
    sdk = client.__dict__.get("_sdk")
    if sdk is None:
        sdk = sdk_client(client, is_async)
        client.__dict__["_sdk"] = sdk
    return sdk


def delegate_member(client: _BaseClient, resource: str, name: str, is_async: bool) -> Any:
    """``client.<resource>.<name>`` that Kestrel does not route (``responses.retrieve``,
    ``responses.input_items``, ``chat.completions.list``, ...): the official client's.
    ``resource`` is a dotted path (``chat.completions.with_raw_response``)."""
    if name.startswith("_"):
        raise AttributeError(f"{resource!r} has no attribute {name!r}")
    target = official(client, is_async)
    for part in resource.split("."):
        target = getattr(target, part)
    return wrap(getattr(target, name))


def official_create(
    client: _BaseClient,
    is_async: bool,
    resource: str,
    model: Any,
    params: dict[str, Any],
    max_retries: Optional[int],
    method: str = "create",
) -> Any:
    """``<resource>.create`` (or the SDK's ``stream``/``parse`` helper, ``method``) sent
    unchanged by the official client, for a request the core does not route (``params``
    holds every SDK argument; Kestrel's own are left out)."""
    sdk = official(client, is_async)
    if max_retries is not None:
        sdk = sdk.with_options(max_retries=max_retries)
    sent = {k: v for k, v in params.items() if v is not None}
    return getattr(wrap(getattr(sdk, resource)), method)(model=model, **sent)


def wrap(target: Any) -> Any:
    """SDK resources and methods with errors converted; everything else as it is."""
    module = type(target).__module__ or ""
    if module.startswith("openai.resources") or module == "openai._response":
        return _Resource(target)
    if callable(target) and not isinstance(target, type):
        return _method(target)
    return target


class _Resource:
    """An SDK resource (``client.audio``, ``client.audio.speech``, ...) whose methods
    raise Kestrel's error classes."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        return wrap(getattr(self._target, name))

    def __repr__(self) -> str:
        return repr(self._target)


def _method(fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        import asyncio

        import openai

        try:
            result = fn(*args, **kwargs)
        except openai.OpenAIError as e:
            raise convert(e) from e
        if asyncio.iscoroutine(result):
            return _awaiting(result)
        if type(result).__module__ == "openai._response" and type(result).__name__.endswith("ResponseContextManager"):
            # `with_streaming_response`: the request is made on entering the block.
            return _Converting(result)
        return result

    call.__name__ = getattr(fn, "__name__", "call")
    call.__doc__ = getattr(fn, "__doc__", None)
    return call


class _Converting:
    """The SDK's ``with_streaming_response`` context manager, whose errors (raised when the
    block is entered) are Kestrel's classes."""

    __slots__ = ("_target",)

    def __init__(self, target: Any) -> None:
        self._target = target

    def __enter__(self) -> Any:
        import openai

        try:
            return self._target.__enter__()
        except openai.OpenAIError as e:
            raise convert(e) from e

    def __exit__(self, *exc: Any) -> Any:
        return self._target.__exit__(*exc)

    async def __aenter__(self) -> Any:
        import openai

        try:
            return await self._target.__aenter__()
        except openai.OpenAIError as e:
            raise convert(e) from e

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._target.__aexit__(*exc)


async def _awaiting(coro: Any) -> Any:
    import openai

    try:
        return await coro
    except openai.OpenAIError as e:
        raise convert(e) from e


def convert(e: BaseException) -> BaseException:
    """The Kestrel error of the same class name as the SDK's, with its details."""
    import openai

    cls = getattr(_errors, type(e).__name__, None)
    if isinstance(e, openai.APIStatusError):
        target = cls if isinstance(cls, type) and issubclass(cls, _errors.APIStatusError) else _errors.APIStatusError
        out: Any = target(e.message, body=e.body, status_code=e.status_code)
        out.response = e.response
        out.request_id = e.request_id
    elif isinstance(e, openai.APITimeoutError):
        out = _errors.APITimeoutError()
    elif isinstance(e, openai.APIConnectionError):
        out = _errors.APIConnectionError(message=e.message)
    elif isinstance(e, openai.APIError):
        out = _errors.APIError(e.message, body=e.body)
    else:
        out = _errors.OpenAIError(str(e))
    out.provider = "openai"
    converted: BaseException = out
    return converted


# --- usage ------------------------------------------------------------------------------


def _recorder(client: _BaseClient) -> Callable[[httpx.Response, Optional[dict[str, Any]]], None]:
    native = client._shared.native
    tenant = client._settings.get("tenant")

    def record(response: httpx.Response, body: Optional[dict[str, Any]]) -> None:
        request = response.request
        t0 = request.extensions.get(_T0)
        call: dict[str, Any] = {
            "endpoint": _endpoint(request.url.path),
            "model": _model(request, body),
            "status": response.status_code,
            "latency_ms": (time.perf_counter() - t0) * 1000.0 if t0 else 0.0,
            "stream": "text/event-stream" in response.headers.get("content-type", ""),
        }
        # Only what a call made is spent: reading a stored completion or response back (GET)
        # also carries its `usage`, which was counted when it was made.
        usage = body.get("usage") if body and request.method == "POST" else None
        if isinstance(usage, dict):
            call["input_tokens"] = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
            call["output_tokens"] = _int(usage.get("completion_tokens", usage.get("output_tokens")))
        if tenant:
            call["tenant"] = tenant
        try:
            native.record_passthrough(_dumps(call))
        except Exception:  # noqa: BLE001 - counting must never fail the user's call
            pass

    return record


def _sync_hooks(record: Callable[..., None]) -> dict[str, list[Any]]:
    def on_request(request: httpx.Request) -> None:
        request.extensions[_T0] = time.perf_counter()

    def on_response(response: httpx.Response) -> None:
        body = None
        if _is_json(response):
            response.read()
            body = _parse(response.content)
        record(response, body)

    return {"request": [on_request], "response": [on_response]}


def _async_hooks(record: Callable[..., None]) -> dict[str, list[Any]]:
    async def on_request(request: httpx.Request) -> None:
        request.extensions[_T0] = time.perf_counter()

    async def on_response(response: httpx.Response) -> None:
        body = None
        if _is_json(response):
            await response.aread()
            body = _parse(response.content)
        record(response, body)

    return {"request": [on_request], "response": [on_response]}


def _is_json(response: httpx.Response) -> bool:
    return "application/json" in response.headers.get("content-type", "")


def _parse(content: bytes) -> Optional[dict[str, Any]]:
    try:
        body = _json().loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _endpoint(path: str) -> str:
    """`/v1/images/generations` → `images.generations`; ids (`file-abc`, `vs_1`) drop out."""
    parts = [p for p in path.split("/") if p]
    versions = [i for i, p in enumerate(parts) if p.startswith("v") and p[1:].isdigit()]
    if versions:
        parts = parts[versions[-1] + 1 :]
    elif "openai" in parts:
        # Azure: `/openai/deployments/NAME/embeddings`, `/openai/files`.
        parts = parts[parts.index("openai") + 1 :]
        if parts[:1] == ["deployments"]:
            parts = parts[2:]
    if not parts:
        return "root"
    name = parts[0]
    if len(parts) > 1 and parts[1].isalpha() and parts[1].islower():
        name += "." + parts[1]
    return name


def _model(request: httpx.Request, body: Optional[dict[str, Any]]) -> Optional[str]:
    if body and isinstance(body.get("model"), str):
        return str(body["model"])
    if "application/json" in request.headers.get("content-type", ""):
        sent = _parse(request.content)
        if sent and isinstance(sent.get("model"), str):
            return str(sent["model"])
    return None


def _int(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else 0
