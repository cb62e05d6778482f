"""``client.responses``: the Responses API, routed through the core like chat.

``create`` returns a :class:`~kestrel_router.types.responses.Response` (attribute access,
``output_text`` as the SDK has it, ``kestrel`` metadata); with ``stream=True``, a stream of
typed events (``ResponseCreatedEvent`` ... ``ResponseCompletedEvent``). ``previous_response_id``
is expanded from the conversations this client stored, whichever provider answers next."""

from __future__ import annotations

from .._config import _json
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
from .._passthrough import delegate_member, official_create
from .._streaming import AsyncStream, Stream
from ..types.responses import Response, ResponseStreamEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable, Literal, Mapping, Optional, Tuple, Union, overload

    from openai.lib._parsing._responses import TextFormatT
    from openai.types.responses import ParsedResponse

    from .._base import _BaseClient
    from .._config import Timeout
    from .._responses_stream import AsyncResponseStreamManager, ResponseStreamManager

    # The object `create` returns, the provider's HTTP answer (core JSON), the answer's JSON.
    _Sent = Tuple[Any, Optional[str], Optional[str]]
else:

    def overload(f):
        return f

__all__ = ["Responses", "AsyncResponses"]


def _event(data: Any) -> ResponseStreamEvent:
    event: ResponseStreamEvent = ResponseStreamEvent._construct(data)
    return event


def _needs_openai(client: _BaseClient, body: str) -> bool:
    """Whether the core sends this request unchanged to OpenAI's Responses API instead of
    routing it (built-in tools, stored state, items only OpenAI knows)."""
    try:
        return client._shared.native.responses_passthrough(body) is not None
    except NativeError as e:
        raise from_native(e) from None


def _sdk_args(
    params: Mapping[str, Any],
    stream: Any,
    timeout: Any,
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, object]],
    extra_body: Optional[Mapping[str, object]],
) -> dict[str, Any]:
    """A ``create`` call's arguments as the official SDK takes them (``kestrel`` left out:
    a request that is not routed has no routing options)."""
    args = dict(params)
    args.update(stream=stream, timeout=timeout, extra_headers=extra_headers, extra_query=extra_query, extra_body=extra_body)
    return args


def _helper_request(
    client: _BaseClient,
    method: str,
    is_async: bool,
    model: str,
    text_format: Any,
    tools: Any,
    params: dict[str, Any],
    extra_body: Optional[Mapping[str, object]],
    kestrel: Optional[Mapping[str, Any]],
    timeout: Any,
    max_retries: Optional[int],
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, object]],
) -> Tuple[str, Optional[str], Any, Optional[Callable[[], Any]]]:
    """A ``stream``/``parse`` helper's request: the body and call options (``text_format``
    and the tools put in as the SDK's helpers send them), the tools the SDK's parser reads,
    and, for a request only OpenAI serves, the call of the official client's same helper."""
    from .._responses_stream import responses_parse_args

    params.pop("stream", None)
    sent = dict(params)
    input_tools = responses_parse_args(sent, text_format, tools)
    body, options = _body(client, model, method == "stream", sent, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
    if not _needs_openai(client, body):
        return body, options, input_tools, None
    args = dict(_sdk_args(params, None, timeout, extra_headers, extra_query, extra_body), text_format=text_format, tools=input_tools)
    return body, options, input_tools, lambda: official_create(client, is_async, "responses", model, args, max_retries, method=method)


def _body(
    client: Any,
    model: Any,
    stream: Any,
    params: Mapping[str, Any],
    extra_body: Optional[Mapping[str, Any]],
    kestrel: Optional[Mapping[str, Any]],
    timeout: Any,
    max_retries: Any,
    extra_headers: Optional[Mapping[str, str]],
    extra_query: Optional[Mapping[str, object]],
) -> Tuple[str, Optional[str]]:
    """The request body and call options as JSON: the client's chat body builder (policy,
    ``extra_body``, per-call options), without ``messages``."""
    body: str
    options: Optional[str]
    body, options = client._request(
        model, None, stream, params, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query, with_messages=False
    )
    return body, options


class Responses:
    """``client.responses``."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        model: str,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Response: ...

    @overload
    def create(
        self,
        *,
        model: str,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Stream[ResponseStreamEvent]: ...

    @overload
    def create(
        self,
        *,
        model: str,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Union[Response, Stream[ResponseStreamEvent]]: ...

    def create(
        self,
        *,
        model: str,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Union[Response, Stream[ResponseStreamEvent]]:
        """Creates a Response, routed to the cheapest capable model (``model`` is the
        ceiling): ``input``, ``instructions``, function ``tools``, ``tool_choice``,
        ``text={"format": ...}``, ``previous_response_id``, ``store``, ``metadata``, ...
        ``kestrel={...}`` takes per-request routing options, as chat does."""
        body, options = _body(self._client, model, stream, params, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        if _needs_openai(self._client, body):
            sdk_args = _sdk_args(params, stream, timeout, extra_headers, extra_query, extra_body)
            sent: Union[Response, Stream[ResponseStreamEvent]] = official_create(
                self._client, False, "responses", model, sdk_args, max_retries
            )
            return sent
        result: Union[Response, Stream[ResponseStreamEvent]] = self._send(body, options, bool(stream))[0]
        return result

    def __getattr__(self, name: str) -> Any:
        """The rest of the Responses API (``retrieve``, ``delete``, ``cancel``,
        ``input_items``, ...): responses stored on OpenAI's servers, so the official
        client's. (Responses Kestrel routed live in this client only, for
        ``previous_response_id``.)"""
        return delegate_member(self._client, "responses", name, is_async=False)

    def _send(self, body: str, options: Optional[str], stream: bool, event: Callable[[Any], Any] = _event) -> _Sent:
        options = self._client._auth(options)
        native = self._client._shared.native
        try:
            if stream:
                handle = native.responses_stream(body, options)
                return Stream(handle, event), handle.response(), None
            raw, info = native.responses_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        response = Response._construct(_json().loads(raw))
        response._request_id = request_id_of(info)
        return response, info, raw

    @property
    def with_raw_response(self) -> ResponsesWithRawResponse:
        """``create`` returning the provider's raw answer; ``.parse()`` gives the Response."""
        return ResponsesWithRawResponse(self)

    @property
    def with_streaming_response(self) -> ResponsesWithStreamingResponse:
        """``create`` as a context manager yielding an :class:`APIResponse`."""
        return ResponsesWithStreamingResponse(self)

    def stream(
        self,
        *,
        model: str,
        text_format: Optional[type[TextFormatT]] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> ResponseStreamManager[TextFormatT]:
        """The SDK's Responses streaming helper over a routed stream: ``with`` the result to
        get a ``ResponseStream`` of the SDK's events, with ``get_final_response()`` (a
        ``ParsedResponse``: ``output_parsed`` from ``text_format``, strict tools'
        ``parsed_arguments``, and ``kestrel``) and ``until_done()``."""
        from .._responses_stream import ResponseStreamManager, sdk_response_event
        from .._sdk_streams import given

        body, options, input_tools, official = _helper_request(
            self._client, "stream", False, model, text_format, tools, params, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )
        if official is not None:
            return official()  # type: ignore[no-any-return]

        def api_request() -> Any:
            return self._send(body, options, True, sdk_response_event)[0]

        return ResponseStreamManager(api_request, text_format=given(text_format), input_tools=given(input_tools))

    def parse(
        self,
        *,
        model: str,
        text_format: Optional[type[TextFormatT]] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> ParsedResponse[TextFormatT]:
        """A routed Response parsed as the SDK's ``responses.parse`` parses it:
        ``output_parsed`` (an instance of ``text_format``) and strict function tools'
        ``parsed_arguments``; the SDK's ``ParsedResponse`` type, with ``kestrel``."""
        from .._responses_stream import parsed_response

        body, options, input_tools, official = _helper_request(
            self._client, "parse", False, model, text_format, tools, params, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )
        if official is not None:
            return official()  # type: ignore[no-any-return]
        routed, _, raw = self._send(body, options, False)
        parsed: ParsedResponse[TextFormatT] = parsed_response(raw or "{}", text_format, input_tools, routed)
        return parsed


class AsyncResponses:
    """``client.responses`` of :class:`AsyncOpenAI`."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Response: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> AsyncStream[ResponseStreamEvent]: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Union[Response, AsyncStream[ResponseStreamEvent]]: ...

    async def create(
        self,
        *,
        model: str,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> Union[Response, AsyncStream[ResponseStreamEvent]]:
        """As :meth:`Responses.create`, awaited; never blocks the event loop."""
        body, options = _body(self._client, model, stream, params, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
        if _needs_openai(self._client, body):
            sdk_args = _sdk_args(params, stream, timeout, extra_headers, extra_query, extra_body)
            sent: Union[Response, AsyncStream[ResponseStreamEvent]] = await official_create(
                self._client, True, "responses", model, sdk_args, max_retries
            )
            return sent
        result: Union[Response, AsyncStream[ResponseStreamEvent]] = (await self._send(body, options, bool(stream)))[0]
        return result

    def __getattr__(self, name: str) -> Any:
        """As :meth:`Responses.__getattr__`, with the official ``AsyncOpenAI``."""
        return delegate_member(self._client, "responses", name, is_async=True)

    async def _send(self, body: str, options: Optional[str], stream: bool, event: Callable[[Any], Any] = _event) -> _Sent:
        options = await self._client._aauth(options)
        native = self._client._shared.native
        try:
            if stream:
                handle = await native.aresponses_stream(body, options)
                return AsyncStream(handle, event), handle.response(), None
            raw, info = await native.aresponses_raw(body, options)
        except NativeError as e:
            raise from_native(e) from None
        response = Response._construct(_json().loads(raw))
        response._request_id = request_id_of(info)
        return response, info, raw

    @property
    def with_raw_response(self) -> AsyncResponsesWithRawResponse:
        """As :attr:`Responses.with_raw_response`, awaited."""
        return AsyncResponsesWithRawResponse(self)

    @property
    def with_streaming_response(self) -> AsyncResponsesWithStreamingResponse:
        """As :attr:`Responses.with_streaming_response`, with ``async with``."""
        return AsyncResponsesWithStreamingResponse(self)

    def stream(
        self,
        *,
        model: str,
        text_format: Optional[type[TextFormatT]] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> AsyncResponseStreamManager[TextFormatT]:
        """As :meth:`Responses.stream`, with ``async with`` / ``async for``."""
        from .._responses_stream import AsyncResponseStreamManager, sdk_response_event
        from .._sdk_streams import given

        body, options, input_tools, official = _helper_request(
            self._client, "stream", True, model, text_format, tools, params, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )
        if official is not None:
            return official()  # type: ignore[no-any-return]

        async def api_request() -> Any:
            return (await self._send(body, options, True, sdk_response_event))[0]

        return AsyncResponseStreamManager(api_request(), text_format=given(text_format), input_tools=given(input_tools))

    async def parse(
        self,
        *,
        model: str,
        text_format: Optional[type[TextFormatT]] = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **params: Any,
    ) -> ParsedResponse[TextFormatT]:
        """As :meth:`Responses.parse`, awaited."""
        from .._responses_stream import parsed_response

        body, options, input_tools, official = _helper_request(
            self._client, "parse", True, model, text_format, tools, params, extra_body, kestrel, timeout, max_retries,
            extra_headers, extra_query,
        )
        if official is not None:
            return await official()  # type: ignore[no-any-return]
        routed, _, raw = await self._send(body, options, False)
        parsed: ParsedResponse[TextFormatT] = parsed_response(raw or "{}", text_format, input_tools, routed)
        return parsed



# --- raw responses --------------------------------------------------------------------------


def _raw_args(client: _BaseClient, kwargs: Mapping[str, Any]) -> Tuple[str, Optional[str], bool]:
    kw = dict(kwargs)
    stream = bool(kw.pop("stream", None))
    model = kw.pop("model")
    extra_body = kw.pop("extra_body", None)
    kestrel = kw.pop("kestrel", None)
    timeout = kw.pop("timeout", None)
    max_retries = kw.pop("max_retries", None)
    extra_headers = kw.pop("extra_headers", None)
    extra_query = kw.pop("extra_query", None)
    body, options = _body(client, model, stream, kw, extra_body, kestrel, timeout, max_retries, extra_headers, extra_query)
    return body, options, stream


def _raw(cls: Any, client: _BaseClient, sent: _Sent, stream: bool, is_async: bool) -> Any:
    result, info, text = sent
    return cls(
        info=parse_info(info),
        parsed=result,
        content=text.encode() if text is not None else None,
        is_stream=stream,
        is_async=is_async,
        url=f"{(client.base_url or 'https://api.openai.com/v1').rstrip('/')}/responses",
        done_marker=False,
    )


class ResponsesWithRawResponse:
    """``client.responses.with_raw_response``."""

    __slots__ = ("_responses",)

    def __init__(self, responses: Responses) -> None:
        self._responses = responses

    def __getattr__(self, name: str) -> Any:
        """The official client's ``responses.with_raw_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._responses._client, "responses.with_raw_response", name, is_async=False)

    def create(self, *, model: str, **kwargs: Any) -> LegacyAPIResponse[Union[Response, Stream[ResponseStreamEvent]]]:
        """:meth:`Responses.create` (same arguments), as the raw response."""
        r = self._responses
        body, options, stream = _raw_args(r._client, {"model": model, **kwargs})
        raw: LegacyAPIResponse[Any] = _raw(LegacyAPIResponse, r._client, r._send(body, options, stream), stream, False)
        return raw


class ResponsesWithStreamingResponse:
    """``client.responses.with_streaming_response``."""

    __slots__ = ("_responses",)

    def __init__(self, responses: Responses) -> None:
        self._responses = responses

    def __getattr__(self, name: str) -> Any:
        """The official client's ``responses.with_streaming_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._responses._client, "responses.with_streaming_response", name, is_async=False)

    def create(
        self, *, model: str, **kwargs: Any
    ) -> ResponseContextManager[APIResponse[Union[Response, Stream[ResponseStreamEvent]]]]:
        """:meth:`Responses.create`, called on entering the ``with`` block."""
        r = self._responses

        def send() -> APIResponse[Any]:
            body, options, stream = _raw_args(r._client, {"model": model, **kwargs})
            raw: APIResponse[Any] = _raw(APIResponse, r._client, r._send(body, options, stream), stream, False)
            return raw

        return ResponseContextManager(send)


class AsyncResponsesWithRawResponse:
    """``AsyncOpenAI().responses.with_raw_response``."""

    __slots__ = ("_responses",)

    def __init__(self, responses: AsyncResponses) -> None:
        self._responses = responses

    def __getattr__(self, name: str) -> Any:
        """The official client's ``responses.with_raw_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._responses._client, "responses.with_raw_response", name, is_async=True)

    async def create(
        self, *, model: str, **kwargs: Any
    ) -> LegacyAPIResponse[Union[Response, AsyncStream[ResponseStreamEvent]]]:
        """:meth:`AsyncResponses.create`, as the raw response."""
        r = self._responses
        body, options, stream = _raw_args(r._client, {"model": model, **kwargs})
        sent = await r._send(body, options, stream)
        raw: LegacyAPIResponse[Any] = _raw(LegacyAPIResponse, r._client, sent, stream, True)
        return raw


class AsyncResponsesWithStreamingResponse:
    """``AsyncOpenAI().responses.with_streaming_response``."""

    __slots__ = ("_responses",)

    def __init__(self, responses: AsyncResponses) -> None:
        self._responses = responses

    def __getattr__(self, name: str) -> Any:
        """The official client's ``responses.with_streaming_response.<name>`` for what Kestrel does not route."""
        return delegate_member(self._responses._client, "responses.with_streaming_response", name, is_async=True)

    def create(
        self, *, model: str, **kwargs: Any
    ) -> AsyncResponseContextManager[AsyncAPIResponse[Union[Response, AsyncStream[ResponseStreamEvent]]]]:
        """:meth:`AsyncResponses.create`, called on entering the ``async with`` block."""
        r = self._responses

        async def send() -> AsyncAPIResponse[Any]:
            body, options, stream = _raw_args(r._client, {"model": model, **kwargs})
            sent = await r._send(body, options, stream)
            raw: AsyncAPIResponse[Any] = _raw(AsyncAPIResponse, r._client, sent, stream, True)
            return raw

        return AsyncResponseContextManager(send)
