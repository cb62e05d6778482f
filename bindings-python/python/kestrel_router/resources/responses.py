"""``client.responses``: the Responses API, routed through the core like chat.

``create`` returns a :class:`~kestrel_router.types.responses.Response` (attribute access,
``output_text`` as the SDK has it, ``kestrel`` metadata); with ``stream=True``, a stream of
typed events (``ResponseCreatedEvent`` ... ``ResponseCompletedEvent``). ``previous_response_id``
is expanded from the conversations this client stored, whichever provider answers next."""

from __future__ import annotations

from .._config import _json
from .._errors import from_native
from .._native import NativeError
from .._streaming import AsyncStream, Stream
from ..types.responses import Response, ResponseStreamEvent

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal, Mapping, Optional, Tuple, Union, overload

    from .._client import AsyncOpenAI, OpenAI
    from .._config import Timeout
else:

    def overload(f):
        return f

__all__ = ["Responses", "AsyncResponses"]


def _event(data: Any) -> ResponseStreamEvent:
    event: ResponseStreamEvent = ResponseStreamEvent._construct(data)
    return event


def _body(
    client: Any,
    model: Any,
    stream: Any,
    params: Mapping[str, Any],
    extra_body: Optional[Mapping[str, Any]],
    kestrel: Optional[Mapping[str, Any]],
    timeout: Any,
    max_retries: Any,
) -> Tuple[str, Optional[str]]:
    """The request body and call options as JSON: the client's chat body builder (policy,
    ``extra_body``, per-call options), without ``messages``."""
    body, options = client._request(model, None, stream, params, extra_body, kestrel, timeout, max_retries)
    data = _json().loads(body)
    data.pop("messages", None)
    return _json().dumps(data), options


class Responses:
    """``client.responses``."""

    __slots__ = ("_client",)

    def __init__(self, client: OpenAI) -> None:
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
        body, options = _body(self._client, model, stream, params, extra_body, kestrel, timeout, max_retries)
        options = self._client._auth(options)
        native = self._client._shared.native
        try:
            if stream:
                return Stream(native.responses_stream(body, options), _event)
            raw = native.responses(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return Response._construct(_json().loads(raw))


class AsyncResponses:
    """``client.responses`` of :class:`AsyncOpenAI`."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncOpenAI) -> None:
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

    async def create(  # type: ignore[misc]
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
        body, options = _body(self._client, model, stream, params, extra_body, kestrel, timeout, max_retries)
        options = await self._client._aauth(options)
        native = self._client._shared.native
        try:
            if stream:
                return AsyncStream(await native.aresponses_stream(body, options), _event)
            raw = await native.aresponses(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return Response._construct(_json().loads(raw))
