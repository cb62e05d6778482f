"""``client.chat.completions``: create, stream and parse, sync and async."""

from __future__ import annotations

from .._errors import from_native
from .._native import NativeError
from .._streaming import AsyncStream, Stream
from .._parsing import finish as _finish_parse
from .._parsing import prepare as _prepare_parse
from .._types import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from .._config import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, Literal, Mapping, Optional, Union, overload

    from .._client import AsyncOpenAI, OpenAI
    from .._config import Messages, Timeout
else:

    def overload(f):
        return f


class Completions:
    """``client.chat.completions``."""

    __slots__ = ("_client",)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Stream[ChatCompletionChunk]: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]: ...

    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        """Creates a chat completion, routed to the cheapest capable model (``model`` is
        the ceiling). Every OpenAI argument (``temperature``, ``tools``,
        ``response_format``, ``stream_options``, ...) passes through into the request.

        ``kestrel={...}``: per-request routing options (``routing``, ``floor``,
        ``ceiling``, ``allow_providers``, ``deny_providers``, ``min_confidence``,
        ``tenant``), never sent to a provider. ``extra_body`` is merged into the request
        body. ``timeout`` / ``max_retries`` apply to this call. ``extra_headers`` and
        ``extra_query`` are accepted but not forwarded yet (use ``default_headers``).
        """
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries)
        options = self._client._auth(options)
        native = self._client._shared.native
        try:
            if stream:
                return Stream(native.stream(body, options), ChatCompletionChunk._construct)
            raw = native.chat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return ChatCompletion._construct(_json().loads(raw))

    def parse(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Any = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ParsedChatCompletion[Any]:
        """Structured outputs, as the SDK's ``parse``: ``response_format`` may be a pydantic
        class (sent as a strict JSON schema; ``choices[i].message.parsed`` is an instance),
        and ``tools`` may hold pydantic classes or ``pydantic_function_tool(...)`` (strict;
        ``tool_call.function.parsed_arguments`` is filled). Raises
        ``LengthFinishReasonError`` / ``ContentFilterFinishReasonError`` as the SDK does."""
        kwargs.pop("stream", None)
        fmt, tools, parse_model, strict_tools = _prepare_parse(response_format, tools)
        if fmt is not None:
            kwargs["response_format"] = fmt
        if tools is not None:
            kwargs["tools"] = tools
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries)
        options = self._client._auth(options)
        try:
            raw = self._client._shared.native.chat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        _finish_parse(completion, parse_model, strict_tools)
        return completion


class Chat:
    """``client.chat``."""

    __slots__ = ("completions",)

    def __init__(self, client: OpenAI) -> None:
        self.completions = Completions(client)


class AsyncCompletions:
    """``client.chat.completions`` of :class:`AsyncOpenAI`."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]: ...

    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        """As :meth:`Completions.create`, awaited; never blocks the event loop."""
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries)
        options = await self._client._aauth(options)
        native = self._client._shared.native
        try:
            if stream:
                return AsyncStream(await native.astream(body, options), ChatCompletionChunk._construct)
            raw = await native.achat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return ChatCompletion._construct(_json().loads(raw))

    async def parse(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Any = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ParsedChatCompletion[Any]:
        """As :meth:`Completions.parse`, awaited."""
        kwargs.pop("stream", None)
        fmt, tools, parse_model, strict_tools = _prepare_parse(response_format, tools)
        if fmt is not None:
            kwargs["response_format"] = fmt
        if tools is not None:
            kwargs["tools"] = tools
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries)
        options = await self._client._aauth(options)
        try:
            raw = await self._client._shared.native.achat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        _finish_parse(completion, parse_model, strict_tools)
        return completion


class AsyncChat:
    __slots__ = ("completions",)

    def __init__(self, client: AsyncOpenAI) -> None:
        self.completions = AsyncCompletions(client)
