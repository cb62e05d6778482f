"""The OpenAI SDK's stream helpers over routed streams, sync and async:
``client.chat.completions.stream(...)`` (``openai.lib.streaming.chat``) and
``client.responses.stream(...)`` / ``client.responses.parse(...)``
(``openai.lib.streaming.responses``, ``openai.lib._parsing``). The SDK's own classes make the
events, accumulate and parse; they are fed with Kestrel's routed chunks and events.

Kestrel adds only the source of the chunks (the core's routed stream, as SDK objects) and
its routing metadata: ``stream.kestrel`` once the last chunk has arrived, and ``kestrel`` /
``_request_id`` on the final completion or response, as on every other answer. Errors are
Kestrel's (the SDK's class names); a cut or filtered structured answer raises Kestrel's
``LengthFinishReasonError`` / ``ContentFilterFinishReasonError`` as ``parse()`` does.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Generic, Iterator, Optional, TypeVar, cast

import openai
from openai._models import construct_type
from openai.lib._parsing import ResponseFormatT
from openai.lib._parsing._responses import TextFormatT, parse_response, type_to_text_format_param
from openai.lib._tools import PydanticFunctionTool as _SDKFunctionTool
from openai.lib._tools import ResponsesPydanticFunctionTool as _SDKResponsesFunctionTool
from openai.lib.streaming.chat import AsyncChatCompletionStream as _SDKAsyncStream
from openai.lib.streaming.chat import ChatCompletionStream as _SDKStream
from openai.lib.streaming.responses import AsyncResponseStream as _SDKAsyncResponseStream
from openai.lib.streaming.responses import ResponseStream as _SDKResponseStream
from openai.types.chat import ChatCompletionChunk as _SDKChunk
from openai.types.responses import Response as _SDKResponse
from openai.types.responses import ResponseStreamEvent as _SDKResponseEvent

from ._errors import ContentFilterFinishReasonError, LengthFinishReasonError
from ._parsing import PydanticFunctionTool
from ._streaming import AsyncStream, Stream
from ._types import KestrelMetadata

if TYPE_CHECKING:
    from types import TracebackType

    from openai.lib.streaming.chat import ChatCompletionStreamEvent
    from openai.types.chat import ParsedChatCompletion
    from openai.types.responses import ParsedResponse

__all__ = [
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "ResponseStream",
    "ResponseStreamManager",
    "AsyncResponseStream",
    "AsyncResponseStreamManager",
    "sdk_chunk",
    "sdk_input_tools",
    "sdk_response_event",
    "responses_parse_args",
    "parsed_response",
]


def sdk_chunk(data: Any) -> _SDKChunk:
    """A routed chunk (the core's JSON) as the SDK's ``ChatCompletionChunk``; the last one
    keeps Kestrel's metadata as ``chunk.kestrel``."""
    meta = data.pop("kestrel", None) if isinstance(data, dict) else None
    chunk = cast(_SDKChunk, construct_type(type_=_SDKChunk, value=data))
    if meta is not None:
        chunk.kestrel = KestrelMetadata._construct(meta)  # type: ignore[attr-defined]
    return chunk


def sdk_input_tools(tools: Optional[list[Any]]) -> list[Any]:
    """The tools as the SDK's parser reads them: Kestrel's ``pydantic_function_tool`` (a tool
    dict holding its class) becomes the SDK's (whose ``function`` holds it)."""
    converted: list[Any] = []
    for tool in tools or []:
        if isinstance(tool, PydanticFunctionTool):
            tool = {**tool, "function": _SDKFunctionTool(tool["function"], tool.model)}
        converted.append(tool)
    return converted


def sdk_response_event(data: Any) -> Any:
    """A routed Responses event (the core's JSON) as the SDK's event type; the final
    response keeps Kestrel's metadata as ``event.response.kestrel``."""
    response = data.get("response") if isinstance(data, dict) else None
    meta = response.pop("kestrel", None) if isinstance(response, dict) else None
    event: Any = construct_type(type_=_SDKResponseEvent, value=data)
    if meta is not None:
        event.response.kestrel = KestrelMetadata._construct(meta)
    return event


def _sdk_response_tools(tools: Any) -> Any:
    """Responses tools as the SDK sends and parses them: a chat-shaped
    ``pydantic_function_tool`` (Kestrel's or the SDK's) becomes the SDK's Responses tool."""
    if tools is None:
        return None
    converted: list[Any] = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        model = getattr(tool, "model", None) or getattr(function, "model", None)
        if function is not None and model is not None:
            tool = _SDKResponsesFunctionTool(
                {
                    "type": "function",
                    "name": function["name"],
                    "description": function.get("description"),
                    "parameters": function["parameters"],
                    "strict": True,
                },
                model,
            )
        converted.append(tool)
    return converted


def responses_parse_args(params: dict[str, Any], text_format: Any, tools: Any) -> Any:
    """Puts ``text_format`` (a pydantic class, as ``text.format``) and the tools into
    ``params`` as the SDK's ``responses.parse``/``stream`` send them; returns the tools the
    SDK's parser reads."""
    if text_format is not None:
        text = dict(params.get("text") or {})
        if "format" in text:
            raise TypeError("Cannot mix and match text.format with text_format")
        text["format"] = type_to_text_format_param(text_format)
        params["text"] = text
    tools = _sdk_response_tools(tools)
    if tools is not None:
        params["tools"] = tools
    return tools


def parsed_response(raw: str, text_format: Any, tools: Any, routed: Any) -> ParsedResponse[Any]:
    """A routed Response's JSON as the SDK's ``ParsedResponse`` (``output_parsed``, tool
    calls' ``parsed_arguments``), with the metadata of ``routed`` (Kestrel's Response)."""
    import json

    data = json.loads(raw)
    data.pop("kestrel", None)
    response = cast(_SDKResponse, construct_type(type_=_SDKResponse, value=data))
    parsed = parse_response(text_format=_given(text_format), input_tools=_given(tools), response=response)
    return _with_routing(parsed, routed.kestrel, routed._request_id)


def _given(value: Any) -> Any:
    return openai.NOT_GIVEN if value is None else value


def _kestrel_error(e: openai.OpenAIError) -> BaseException:
    """The SDK parser's finish-reason errors as Kestrel's classes (those ``parse()`` raises)."""
    if isinstance(e, openai.LengthFinishReasonError):
        return LengthFinishReasonError(completion=e.completion)
    if isinstance(e, openai.ContentFilterFinishReasonError):
        return ContentFilterFinishReasonError(completion=getattr(e, "completion", None))
    return e


_Answer = TypeVar("_Answer")


def _with_routing(answer: _Answer, kestrel: Optional[KestrelMetadata], request_id: Optional[str]) -> _Answer:
    """The final completion or response with Kestrel's metadata, as routed answers have it."""
    answer.kestrel = kestrel  # type: ignore[attr-defined]
    answer._request_id = request_id  # type: ignore[attr-defined]
    return answer


class _RoutedChunks:
    """A routed :class:`Stream` in the shape the SDK's stream reads: iterable, with a
    ``response`` to close."""

    def __init__(self, routed: Stream[_SDKChunk]) -> None:
        self._routed = routed
        self.response = self

    def __iter__(self) -> Iterator[_SDKChunk]:
        return iter(self._routed)

    def close(self) -> None:
        self._routed.close()


class _AsyncRoutedChunks:
    """As :class:`_RoutedChunks`, for :class:`AsyncStream`."""

    def __init__(self, routed: AsyncStream[_SDKChunk]) -> None:
        self._routed = routed
        self.response = self

    def __aiter__(self) -> AsyncIterator[_SDKChunk]:
        return self._routed.__aiter__()

    async def aclose(self) -> None:
        await self._routed.close()


class ChatCompletionStream(_SDKStream[ResponseFormatT]):
    """The SDK's ``ChatCompletionStream`` over a routed stream: iterate it for events
    (``chunk``, ``content.delta``, ``content.done``, ``tool_calls.function.arguments.*``,
    ``refusal.*``, ``logprobs.*``); ``get_final_completion()``, ``until_done()``,
    ``current_completion_snapshot`` as in the SDK."""

    def __init__(self, *, raw_stream: Stream[_SDKChunk], response_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=_RoutedChunks(raw_stream), response_format=response_format,  # type: ignore[arg-type]
                         input_tools=input_tools)
        self._routed = raw_stream

    @property
    def kestrel(self) -> Optional[KestrelMetadata]:
        """Kestrel's routing and cost metadata, set once the last chunk has arrived."""
        return self._routed.kestrel

    def __stream__(self) -> Iterator[ChatCompletionStreamEvent[ResponseFormatT]]:
        try:
            yield from super().__stream__()
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as e:
            raise _kestrel_error(e) from None

    def get_final_completion(self) -> ParsedChatCompletion[ResponseFormatT]:
        """Reads the stream to its end and returns the accumulated, parsed completion, with
        Kestrel's ``kestrel`` metadata."""
        try:
            completion = super().get_final_completion()
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as e:
            raise _kestrel_error(e) from None
        return _with_routing(completion, self._routed.kestrel, self._routed.request_id)


class ChatCompletionStreamManager(Generic[ResponseFormatT]):
    """What ``chat.completions.stream(...)`` returns: ``with`` it to send the request and get
    the :class:`ChatCompletionStream`; leaving the block closes the stream (cancelling the
    upstream request if it is still running)."""

    def __init__(self, api_request: Callable[[], Stream[_SDKChunk]], *, response_format: Any, input_tools: Any) -> None:
        self._api_request = api_request
        self._response_format = response_format
        self._input_tools = input_tools
        self._stream: Optional[ChatCompletionStream[ResponseFormatT]] = None

    def __enter__(self) -> ChatCompletionStream[ResponseFormatT]:
        self._stream = ChatCompletionStream(
            raw_stream=self._api_request(), response_format=self._response_format, input_tools=self._input_tools
        )
        return self._stream

    def __exit__(
        self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncChatCompletionStream(_SDKAsyncStream[ResponseFormatT]):
    """As :class:`ChatCompletionStream`, with ``async for`` and awaited methods."""

    def __init__(self, *, raw_stream: AsyncStream[_SDKChunk], response_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=_AsyncRoutedChunks(raw_stream), response_format=response_format,  # type: ignore[arg-type]
                         input_tools=input_tools)
        self._routed = raw_stream

    @property
    def kestrel(self) -> Optional[KestrelMetadata]:
        """Kestrel's routing and cost metadata, set once the last chunk has arrived."""
        return self._routed.kestrel

    async def __stream__(self) -> AsyncIterator[ChatCompletionStreamEvent[ResponseFormatT]]:
        try:
            async for event in super().__stream__():
                yield event
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as e:
            raise _kestrel_error(e) from None

    async def get_final_completion(self) -> ParsedChatCompletion[ResponseFormatT]:
        """As :meth:`ChatCompletionStream.get_final_completion`, awaited."""
        try:
            completion = await super().get_final_completion()
        except (openai.LengthFinishReasonError, openai.ContentFilterFinishReasonError) as e:
            raise _kestrel_error(e) from None
        return _with_routing(completion, self._routed.kestrel, self._routed.request_id)


class AsyncChatCompletionStreamManager(Generic[ResponseFormatT]):
    """As :class:`ChatCompletionStreamManager`, with ``async with``."""

    def __init__(
        self, api_request: Awaitable[AsyncStream[_SDKChunk]], *, response_format: Any, input_tools: Any
    ) -> None:
        self._api_request = api_request
        self._response_format = response_format
        self._input_tools = input_tools
        self._stream: Optional[AsyncChatCompletionStream[ResponseFormatT]] = None

    async def __aenter__(self) -> AsyncChatCompletionStream[ResponseFormatT]:
        self._stream = AsyncChatCompletionStream(
            raw_stream=await self._api_request, response_format=self._response_format, input_tools=self._input_tools
        )
        return self._stream

    async def __aexit__(
        self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._stream is not None:
            await self._stream.close()


# The SDK's response streams take `starting_after` (resuming a stored stream) since openai 1.99.
_STARTING_AFTER: dict[str, Any] = (
    {"starting_after": None} if "starting_after" in inspect.signature(_SDKResponseStream.__init__).parameters else {}
)


def _final_routed_response(stream: Any, routed: Any) -> Any:
    """The SDK stream's final response with Kestrel's metadata."""
    return _with_routing(stream._state._completed_response, routed.kestrel, routed.request_id)


class ResponseStream(_SDKResponseStream[TextFormatT]):
    """The SDK's ``ResponseStream`` over a routed Responses stream: iterate it for the SDK's
    events (``response.output_text.delta`` with ``snapshot``, ``response.output_text.done``
    with ``parsed``, ...); ``get_final_response()`` and ``until_done()`` as in the SDK."""

    def __init__(self, *, raw_stream: Stream[Any], text_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=_RoutedChunks(raw_stream), text_format=text_format,  # type: ignore[arg-type]
                         input_tools=input_tools, **_STARTING_AFTER)
        self._routed = raw_stream

    @property
    def kestrel(self) -> Optional[KestrelMetadata]:
        """Kestrel's routing and cost metadata, set once the last event has arrived."""
        return self._routed.kestrel

    def get_final_response(self) -> ParsedResponse[TextFormatT]:
        """Reads the stream to its end and returns the parsed response, with ``kestrel``."""
        super().get_final_response()
        final: ParsedResponse[TextFormatT] = _final_routed_response(self, self._routed)
        return final


class ResponseStreamManager(Generic[TextFormatT]):
    """What ``responses.stream(...)`` returns: ``with`` it to send the request and get the
    :class:`ResponseStream`; leaving the block closes the stream."""

    def __init__(self, api_request: Callable[[], Stream[Any]], *, text_format: Any, input_tools: Any) -> None:
        self._api_request = api_request
        self._text_format = text_format
        self._input_tools = input_tools
        self._stream: Optional[ResponseStream[TextFormatT]] = None

    def __enter__(self) -> ResponseStream[TextFormatT]:
        self._stream = ResponseStream(
            raw_stream=self._api_request(), text_format=self._text_format, input_tools=self._input_tools
        )
        return self._stream

    def __exit__(
        self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncResponseStream(_SDKAsyncResponseStream[TextFormatT]):
    """As :class:`ResponseStream`, with ``async for`` and awaited methods."""

    def __init__(self, *, raw_stream: AsyncStream[Any], text_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=_AsyncRoutedChunks(raw_stream), text_format=text_format,  # type: ignore[arg-type]
                         input_tools=input_tools, **_STARTING_AFTER)
        self._routed = raw_stream

    @property
    def kestrel(self) -> Optional[KestrelMetadata]:
        """Kestrel's routing and cost metadata, set once the last event has arrived."""
        return self._routed.kestrel

    async def get_final_response(self) -> ParsedResponse[TextFormatT]:
        """As :meth:`ResponseStream.get_final_response`, awaited."""
        await super().get_final_response()
        final: ParsedResponse[TextFormatT] = _final_routed_response(self, self._routed)
        return final


class AsyncResponseStreamManager(Generic[TextFormatT]):
    """As :class:`ResponseStreamManager`, with ``async with``."""

    def __init__(self, api_request: Awaitable[AsyncStream[Any]], *, text_format: Any, input_tools: Any) -> None:
        self._api_request = api_request
        self._text_format = text_format
        self._input_tools = input_tools
        self._stream: Optional[AsyncResponseStream[TextFormatT]] = None

    async def __aenter__(self) -> AsyncResponseStream[TextFormatT]:
        self._stream = AsyncResponseStream(
            raw_stream=await self._api_request, text_format=self._text_format, input_tools=self._input_tools
        )
        return self._stream

    async def __aexit__(
        self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
