"""``client.responses.stream(...)`` and ``client.responses.parse(...)``, sync and async: the
OpenAI SDK's Responses helpers (``openai.lib.streaming.responses``: its events and
accumulation; its ``ParsedResponse`` parsing of ``text_format`` and strict tools) fed with
Kestrel's routed Responses. The final response carries ``kestrel`` and ``_request_id``, as
every routed answer does."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, cast

from openai._models import construct_type
from openai.lib._parsing._responses import TextFormatT, parse_response, type_to_text_format_param
from openai.lib._tools import ResponsesPydanticFunctionTool as _SDKResponsesFunctionTool
from openai.lib.streaming.responses import AsyncResponseStream as _SDKAsyncResponseStream
from openai.lib.streaming.responses import ResponseStream as _SDKResponseStream
from openai.types.responses import Response as _SDKResponse
from openai.types.responses import ResponseStreamEvent as _SDKResponseEvent

from ._response import AsyncResponseContextManager, ResponseContextManager
from ._sdk_streams import AsyncRoutedChunks, RoutedChunks, given, with_routing
from ._types import KestrelMetadata

if TYPE_CHECKING:
    from openai.types.responses import ParsedResponse

    from ._streaming import AsyncStream, Stream

__all__ = [
    "ResponseStream",
    "ResponseStreamManager",
    "AsyncResponseStream",
    "AsyncResponseStreamManager",
    "sdk_response_event",
    "responses_parse_args",
    "parsed_response",
]


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
    parsed = parse_response(text_format=given(text_format), input_tools=given(tools), response=response)
    return with_routing(parsed, routed.kestrel, routed._request_id)


# The SDK's response streams take `starting_after` (resuming a stored stream) since openai 1.99.
_STARTING_AFTER: dict[str, Any] = (
    {"starting_after": None} if "starting_after" in inspect.signature(_SDKResponseStream.__init__).parameters else {}
)


def _final_routed_response(stream: Any, routed: Any) -> Any:
    """The SDK stream's final response with Kestrel's metadata."""
    return with_routing(stream._state._completed_response, routed.kestrel, routed.request_id)


class ResponseStream(_SDKResponseStream[TextFormatT]):
    """The SDK's ``ResponseStream`` over a routed Responses stream: iterate it for the SDK's
    events (``response.output_text.delta`` with ``snapshot``, ``response.output_text.done``
    with ``parsed``, ...); ``get_final_response()`` and ``until_done()`` as in the SDK."""

    def __init__(self, *, raw_stream: Stream[Any], text_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=RoutedChunks(raw_stream), text_format=text_format,  # type: ignore[arg-type]
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


class ResponseStreamManager(ResponseContextManager[ResponseStream[TextFormatT]]):
    """What ``responses.stream(...)`` returns: ``with`` it to send the request and get the
    :class:`ResponseStream`; leaving the block closes the stream."""

    def __init__(self, api_request: Callable[[], Stream[Any]], *, text_format: Any, input_tools: Any) -> None:
        super().__init__(lambda: ResponseStream(raw_stream=api_request(), text_format=text_format, input_tools=input_tools))


class AsyncResponseStream(_SDKAsyncResponseStream[TextFormatT]):
    """As :class:`ResponseStream`, with ``async for`` and awaited methods."""

    def __init__(self, *, raw_stream: AsyncStream[Any], text_format: Any, input_tools: Any) -> None:
        super().__init__(raw_stream=AsyncRoutedChunks(raw_stream), text_format=text_format,  # type: ignore[arg-type]
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


class AsyncResponseStreamManager(AsyncResponseContextManager[AsyncResponseStream[TextFormatT]]):
    """As :class:`ResponseStreamManager`, with ``async with``."""

    def __init__(self, api_request: Awaitable[AsyncStream[Any]], *, text_format: Any, input_tools: Any) -> None:
        async def open_stream() -> AsyncResponseStream[TextFormatT]:
            return AsyncResponseStream(raw_stream=await api_request, text_format=text_format, input_tools=input_tools)

        super().__init__(open_stream)