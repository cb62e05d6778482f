"""``client.chat.completions``: create, stream and parse, sync and async."""

from __future__ import annotations

from .._errors import from_native
from .._native import NativeError
from .._response import (
    APIResponse,
    AsyncAPIResponse,
    AsyncResponseContextManager,
    LegacyAPIResponse,
    ResponseContextManager,
)
from .._http import parse_info, request_id_of
from .._streaming import AsyncStream, Stream
from .._parsing import finish as _finish_parse
from .._parsing import prepare as _prepare_parse
from .._types import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from .._config import _json
from .._passthrough import delegate_member

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Union, overload

    from .._base import _BaseClient
    from openai.lib._parsing import ResponseFormatT

    from .._chat_stream import AsyncChatCompletionStreamManager, ChatCompletionStreamManager
    from .._config import Messages, Timeout

    # What a call produced: the object `create` returns, the provider's HTTP answer (JSON
    # from the core) and, for a plain answer, its JSON text.
    _Sent = tuple[Any, Optional[str], Optional[str]]
else:

    def overload(f):
        return f


class Completions:
    """``client.chat.completions``."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.<name>`` for what Kestrel does not route."""
        return delegate_member(self._client, "chat.completions", name, is_async=False)

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
        body. ``timeout`` / ``max_retries`` apply to this call. ``extra_headers`` go with
        every provider request of this call; ``extra_query`` (over the client's
        ``default_query``) only to the provider of the requested model.
        """
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        result: Union[ChatCompletion, Stream[ChatCompletionChunk]] = self._send(body, options, bool(stream))[0]
        return result

    def _send(self, body: str, options: Optional[str], stream: bool, chunk: Callable[[Any], Any] = ChatCompletionChunk._construct) -> _Sent:
        options = self._client._auth(options)
        native = self._client._shared.native
        try:
            if stream:
                handle = native.stream(body, options)
                return Stream(handle, chunk), handle.response(), None
            raw, info = native.chat_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion = ChatCompletion._construct(_json().loads(raw))
        completion._request_id = request_id_of(info)
        return completion, info, raw

    @property
    def with_raw_response(self) -> CompletionsWithRawResponse:
        """``create`` returning the provider's raw answer (status, headers, request id);
        ``.parse()`` gives what ``create`` would have returned."""
        return CompletionsWithRawResponse(self)

    @property
    def with_streaming_response(self) -> CompletionsWithStreamingResponse:
        """``create`` as a context manager yielding an :class:`APIResponse`."""
        return CompletionsWithStreamingResponse(self)

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
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        options = self._client._auth(options)
        try:
            raw, info = self._client._shared.native.chat_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        completion._request_id = request_id_of(info)
        _finish_parse(completion, parse_model, strict_tools)
        return completion

    def stream(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Union[type[ResponseFormatT], Mapping[str, Any], None] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ChatCompletionStreamManager[ResponseFormatT]:
        """The SDK's streaming helper over a routed stream: ``with`` the result to get a
        ``ChatCompletionStream`` of the SDK's events (``chunk``, ``content.delta``,
        ``content.done``, ``tool_calls.function.arguments.delta/done``, ...), with
        ``get_final_completion()``, ``until_done()`` and ``current_completion_snapshot``.
        ``response_format`` and ``tools`` take pydantic classes as in :meth:`parse`; the
        final completion carries ``kestrel`` metadata. Arguments as :meth:`create`."""
        from .._chat_stream import ChatCompletionStreamManager, sdk_chunk

        body, options, sdk_format, sdk_tools = _stream_request(
            self._client, model, messages, response_format, tools, kwargs, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )

        def api_request() -> Any:
            return self._send(body, options, True, sdk_chunk)[0]

        return ChatCompletionStreamManager(api_request, response_format=sdk_format, input_tools=sdk_tools)


class Chat:
    """``client.chat``."""

    __slots__ = ("completions",)

    def __init__(self, client: _BaseClient) -> None:
        self.completions = Completions(client)


class AsyncCompletions:
    """``client.chat.completions`` of :class:`AsyncOpenAI`."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.<name>`` for what Kestrel does not route."""
        return delegate_member(self._client, "chat.completions", name, is_async=True)

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
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        result: Union[ChatCompletion, AsyncStream[ChatCompletionChunk]] = (await self._send(body, options, bool(stream)))[0]
        return result

    async def _send(self, body: str, options: Optional[str], stream: bool, chunk: Callable[[Any], Any] = ChatCompletionChunk._construct) -> _Sent:
        options = await self._client._aauth(options)
        native = self._client._shared.native
        try:
            if stream:
                handle = await native.astream(body, options)
                return AsyncStream(handle, chunk), handle.response(), None
            raw, info = await native.achat_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion = ChatCompletion._construct(_json().loads(raw))
        completion._request_id = request_id_of(info)
        return completion, info, raw

    @property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        """As :attr:`Completions.with_raw_response`, awaited."""
        return AsyncCompletionsWithRawResponse(self)

    @property
    def with_streaming_response(self) -> AsyncCompletionsWithStreamingResponse:
        """As :attr:`Completions.with_streaming_response`, with ``async with``."""
        return AsyncCompletionsWithStreamingResponse(self)

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
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        options = await self._client._aauth(options)
        try:
            raw, info = await self._client._shared.native.achat_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        completion._request_id = request_id_of(info)
        _finish_parse(completion, parse_model, strict_tools)
        return completion

    def stream(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Union[type[ResponseFormatT], Mapping[str, Any], None] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> AsyncChatCompletionStreamManager[ResponseFormatT]:
        """As :meth:`Completions.stream`, with ``async with`` / ``async for``."""
        from .._chat_stream import AsyncChatCompletionStreamManager, sdk_chunk

        body, options, sdk_format, sdk_tools = _stream_request(
            self._client, model, messages, response_format, tools, kwargs, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )

        async def api_request() -> Any:
            return (await self._send(body, options, True, sdk_chunk))[0]

        return AsyncChatCompletionStreamManager(api_request(), response_format=sdk_format, input_tools=sdk_tools)


class AsyncChat:
    __slots__ = ("completions",)

    def __init__(self, client: _BaseClient) -> None:
        self.completions = AsyncCompletions(client)


def _stream_request(
    client: _BaseClient,
    model: str,
    messages: Messages,
    response_format: Any,
    tools: Optional[Iterable[Any]],
    kwargs: dict[str, Any],
    extra_body: Optional[Mapping[str, object]],
    kestrel: Optional[Mapping[str, Any]],
    timeout: Optional[Timeout],
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, object]],
) -> tuple[str, Optional[str], Any, list[Any]]:
    """``stream()``'s request (body and call options, validated before any network call)
    and what the SDK's stream parses with: the response format (the SDK's "not given"
    when there is none) and the input tools."""
    from .._chat_stream import sdk_input_tools
    from .._sdk_streams import given

    kwargs.pop("stream", None)
    fmt, wire_tools, _, _ = _prepare_parse(response_format, tools)
    if fmt is not None:
        kwargs["response_format"] = fmt
    if wire_tools is not None:
        kwargs["tools"] = wire_tools
    body, options = client._request(model, messages, True, kwargs, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
    return body, options, given(response_format), sdk_input_tools(wire_tools)


# --- raw responses --------------------------------------------------------------------------


def _raw_args(client: _BaseClient, kwargs: dict[str, Any]) -> tuple[str, Optional[str], bool]:
    """``create``'s keyword arguments as the request body and call options."""
    kw = dict(kwargs)
    stream = bool(kw.pop("stream", None))
    model = kw.pop("model")
    messages = kw.pop("messages")
    extra_body = kw.pop("extra_body", None)
    kestrel = kw.pop("kestrel", None)
    timeout = kw.pop("timeout", None)
    max_retries = kw.pop("max_retries", None)
    extra_headers = kw.pop("extra_headers", None)
    extra_query = kw.pop("extra_query", None)
    body, options = client._request(
        model, messages, stream, kw, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query
    )
    return body, options, stream


def _chat_url(client: _BaseClient) -> str:
    return f"{(client.base_url or 'https://api.openai.com/v1').rstrip('/')}/chat/completions"


def _raw(cls: Any, client: _BaseClient, sent: _Sent, stream: bool, is_async: bool) -> Any:
    result, info, text = sent
    return cls(
        info=parse_info(info),
        parsed=result,
        content=text.encode() if text is not None else None,
        is_stream=stream,
        is_async=is_async,
        url=_chat_url(client),
    )


class CompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response``."""

    __slots__ = ("_completions",)

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.with_raw_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._completions._client, "chat.completions.with_raw_response", name, is_async=False)

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Optional[Literal[False]] = None, **kwargs: Any
    ) -> LegacyAPIResponse[ChatCompletion]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Literal[True], **kwargs: Any
    ) -> LegacyAPIResponse[Stream[ChatCompletionChunk]]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: bool, **kwargs: Any
    ) -> LegacyAPIResponse[Union[ChatCompletion, Stream[ChatCompletionChunk]]]: ...

    def create(self, **kwargs: Any) -> LegacyAPIResponse[Any]:
        """:meth:`Completions.create` (same arguments), as the raw response."""
        c = self._completions
        body, options, stream = _raw_args(c._client, kwargs)
        raw: LegacyAPIResponse[Any] = _raw(LegacyAPIResponse, c._client, c._send(body, options, stream), stream, False)
        return raw


class CompletionsWithStreamingResponse:
    """``client.chat.completions.with_streaming_response``."""

    __slots__ = ("_completions",)

    def __init__(self, completions: Completions) -> None:
        self._completions = completions

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.with_streaming_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._completions._client, "chat.completions.with_streaming_response", name, is_async=False)

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Optional[Literal[False]] = None, **kwargs: Any
    ) -> ResponseContextManager[APIResponse[ChatCompletion]]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Literal[True], **kwargs: Any
    ) -> ResponseContextManager[APIResponse[Stream[ChatCompletionChunk]]]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: bool, **kwargs: Any
    ) -> ResponseContextManager[APIResponse[Union[ChatCompletion, Stream[ChatCompletionChunk]]]]: ...

    def create(self, **kwargs: Any) -> ResponseContextManager[APIResponse[Any]]:
        """:meth:`Completions.create` (same arguments), called on entering the ``with``
        block, which yields the raw response and closes it on leaving."""
        c = self._completions

        def send() -> APIResponse[Any]:
            body, options, stream = _raw_args(c._client, kwargs)
            raw: APIResponse[Any] = _raw(APIResponse, c._client, c._send(body, options, stream), stream, False)
            return raw

        return ResponseContextManager(send)


class AsyncCompletionsWithRawResponse:
    """``AsyncOpenAI().chat.completions.with_raw_response``."""

    __slots__ = ("_completions",)

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.with_raw_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._completions._client, "chat.completions.with_raw_response", name, is_async=True)

    @overload
    async def create(
        self, *, model: str, messages: Messages, stream: Optional[Literal[False]] = None, **kwargs: Any
    ) -> LegacyAPIResponse[ChatCompletion]: ...

    @overload
    async def create(
        self, *, model: str, messages: Messages, stream: Literal[True], **kwargs: Any
    ) -> LegacyAPIResponse[AsyncStream[ChatCompletionChunk]]: ...

    @overload
    async def create(
        self, *, model: str, messages: Messages, stream: bool, **kwargs: Any
    ) -> LegacyAPIResponse[Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]]: ...

    async def create(self, **kwargs: Any) -> LegacyAPIResponse[Any]:
        """:meth:`AsyncCompletions.create` (same arguments), as the raw response."""
        c = self._completions
        body, options, stream = _raw_args(c._client, kwargs)
        sent = await c._send(body, options, stream)
        raw: LegacyAPIResponse[Any] = _raw(LegacyAPIResponse, c._client, sent, stream, True)
        return raw


class AsyncCompletionsWithStreamingResponse:
    """``AsyncOpenAI().chat.completions.with_streaming_response``."""

    __slots__ = ("_completions",)

    def __init__(self, completions: AsyncCompletions) -> None:
        self._completions = completions

    def __getattr__(self, name: str) -> Any:
        """The official client's ``chat.completions.with_streaming_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._completions._client, "chat.completions.with_streaming_response", name, is_async=True)

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Optional[Literal[False]] = None, **kwargs: Any
    ) -> AsyncResponseContextManager[AsyncAPIResponse[ChatCompletion]]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: Literal[True], **kwargs: Any
    ) -> AsyncResponseContextManager[AsyncAPIResponse[AsyncStream[ChatCompletionChunk]]]: ...

    @overload
    def create(
        self, *, model: str, messages: Messages, stream: bool, **kwargs: Any
    ) -> AsyncResponseContextManager[AsyncAPIResponse[Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]]]: ...

    def create(self, **kwargs: Any) -> AsyncResponseContextManager[AsyncAPIResponse[Any]]:
        """As :meth:`CompletionsWithStreamingResponse.create`, with ``async with``."""
        c = self._completions

        async def send() -> AsyncAPIResponse[Any]:
            body, options, stream = _raw_args(c._client, kwargs)
            sent = await c._send(body, options, stream)
            raw: AsyncAPIResponse[Any] = _raw(AsyncAPIResponse, c._client, sent, stream, True)
            return raw

        return AsyncResponseContextManager(send)
