"""``client.chat.completions.stream(...)``, sync and async: the OpenAI SDK's own streaming
helper (``openai.lib.streaming.chat``: its events, accumulation and parsing) fed with
Kestrel's routed chunks.

Kestrel adds only the source of the chunks (the core's routed stream, as SDK chunk
objects) and its routing metadata: ``stream.kestrel`` once the last chunk has arrived, and
``kestrel`` / ``_request_id`` on the final completion, as on every other answer. Errors
are Kestrel's (the SDK's class names); a cut or filtered structured answer raises
Kestrel's ``LengthFinishReasonError`` / ``ContentFilterFinishReasonError`` as ``parse()``
does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Iterator, Optional, cast

import openai
from openai._models import construct_type
from openai.lib._parsing import ResponseFormatT
from openai.lib._tools import PydanticFunctionTool as _SDKFunctionTool
from openai.lib.streaming.chat import AsyncChatCompletionStream as _SDKAsyncStream
from openai.lib.streaming.chat import ChatCompletionStream as _SDKStream
from openai.types.chat import ChatCompletionChunk as _SDKChunk

from ._errors import ContentFilterFinishReasonError, LengthFinishReasonError
from ._parsing import PydanticFunctionTool
from ._response import AsyncResponseContextManager, ResponseContextManager
from ._sdk_streams import AsyncRoutedChunks, RoutedChunks, with_routing
from ._types import KestrelMetadata

if TYPE_CHECKING:
    from openai.lib.streaming.chat import ChatCompletionStreamEvent
    from openai.types.chat import ParsedChatCompletion

    from ._streaming import AsyncStream, Stream

__all__ = [
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "sdk_chunk",
    "sdk_input_tools",
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


def _kestrel_error(e: openai.OpenAIError) -> BaseException:
    """The SDK parser's finish-reason errors as Kestrel's classes (those ``parse()`` raises)."""
    if isinstance(e, openai.LengthFinishReasonError):
        return LengthFinishReasonError(completion=e.completion)
    if isinstance(e, openai.ContentFilterFinishReasonError):
        return ContentFilterFinishReasonError(completion=getattr(e, "completion", None))
    return e


class ChatCompletionStream(_SDKStream[ResponseFormatT]):
    """The SDK's ``ChatCompletionStream`` over a routed stream: iterate it for events
    (``chunk``, ``content.delta``, ``content.done``, ``tool_calls.function.arguments.*``,
    ``refusal.*``, ``logprobs.*``); ``get_final_completion()``, ``until_done()``,
    ``current_completion_snapshot`` as in the SDK."""

    def __init__(self, *, raw_stream: Stream[_SDKChunk], response_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=RoutedChunks(raw_stream), response_format=response_format,  # type: ignore[arg-type]
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
        return with_routing(completion, self._routed.kestrel, self._routed.request_id)


class ChatCompletionStreamManager(ResponseContextManager[ChatCompletionStream[ResponseFormatT]]):
    """What ``chat.completions.stream(...)`` returns: ``with`` it to send the request and get
    the :class:`ChatCompletionStream`; leaving the block closes the stream (cancelling the
    upstream request if it is still running)."""

    def __init__(self, api_request: Callable[[], Stream[_SDKChunk]], *, response_format: Any, input_tools: Any) -> None:
        super().__init__(lambda: ChatCompletionStream(
            raw_stream=api_request(), response_format=response_format, input_tools=input_tools))


class AsyncChatCompletionStream(_SDKAsyncStream[ResponseFormatT]):
    """As :class:`ChatCompletionStream`, with ``async for`` and awaited methods."""

    def __init__(self, *, raw_stream: AsyncStream[_SDKChunk], response_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=AsyncRoutedChunks(raw_stream), response_format=response_format,  # type: ignore[arg-type]
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
        return with_routing(completion, self._routed.kestrel, self._routed.request_id)


class AsyncChatCompletionStreamManager(AsyncResponseContextManager[AsyncChatCompletionStream[ResponseFormatT]]):
    """As :class:`ChatCompletionStreamManager`, with ``async with``."""

    def __init__(
        self, api_request: Awaitable[AsyncStream[_SDKChunk]], *, response_format: Any, input_tools: Any
    ) -> None:
        async def open_stream() -> AsyncChatCompletionStream[ResponseFormatT]:
            return AsyncChatCompletionStream(
                raw_stream=await api_request, response_format=response_format, input_tools=input_tools)

        super().__init__(open_stream)