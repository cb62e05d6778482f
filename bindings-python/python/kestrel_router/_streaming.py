"""``Stream`` and ``AsyncStream``: the chunks of a routed stream, as the OpenAI SDK's.

Closing a stream (``close()``, leaving a ``with`` block, exhausting it, dropping the last
reference to it, or cancelling the asyncio task that awaits it) cancels the upstream
request; the request's usage is recorded either way.
"""

from __future__ import annotations

from ._errors import from_native
from ._generic import GenericBase, T
from ._native import NativeError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Optional

    from ._native import NativeStream
    from ._types import KestrelMetadata

__all__ = ["Stream", "AsyncStream"]

_loads: Any = None


def _json_loads(text: str) -> Any:
    global _loads
    if _loads is None:
        import json

        _loads = json.loads
    return _loads(text)


class _StreamBase(GenericBase[T]):
    __slots__ = ("_native", "_cast", "kestrel", "_info", "_response", "__weakref__")

    kestrel: Optional[KestrelMetadata]
    """Kestrel's routing and cost metadata, set once the last chunk has arrived."""

    def __init__(self, native: NativeStream, cast: Callable[[Any], T]) -> None:
        self._native: Optional[NativeStream] = native
        self._cast = cast
        self.kestrel = None
        # The provider's answer that opened the stream (the core's JSON), read once here:
        # the native stream goes away when it ends.
        self._info: Optional[str] = native.response()
        self._response: Any = None

    @property
    def response(self) -> Any:
        """The provider's answer that opened the stream, as the SDK's ``httpx.Response``:
        status and headers as sent (rate limits, request id); its body is not readable
        here (iterate the stream). Built on first access."""
        if self._response is None:
            from ._http import build_http_response, parse_info

            self._response = build_http_response(
                parse_info(self._info), content=b"", content_type="text/event-stream"
            )
        return self._response

    @property
    def request_id(self) -> Optional[str]:
        """The provider's id for the request (``x-request-id``, Anthropic's ``request-id``);
        ``None`` for an answer replayed from the cache."""
        from ._http import request_id_of

        return request_id_of(self._info)

    def _chunk(self, raw: str) -> T:
        data = _json_loads(raw)
        chunk = self._cast(data)
        meta = getattr(chunk, "kestrel", None)
        if meta is None:
            # A Responses stream: the metadata rides on the final event's response.
            meta = getattr(getattr(chunk, "response", None), "kestrel", None)
        if meta is not None:
            self.kestrel = meta
        return chunk

    def _close_native(self) -> None:
        native = self._native
        if native is not None:
            self._native = None
            native.close()

    @property
    def closed(self) -> bool:
        """Whether the stream has ended or been closed."""
        return self._native is None

    def __del__(self) -> None:
        try:
            self._close_native()
        except Exception:
            pass


class Stream(_StreamBase[T]):
    """A synchronous stream of chunks: iterate it, or use it as a context manager.

    ``break`` out of the loop and close it (or leave the ``with`` block, or let it go out
    of scope) to cancel the upstream request."""

    __slots__ = ()

    def __iter__(self) -> Stream[T]:
        return self

    def __next__(self) -> T:
        native = self._native
        if native is None:
            raise StopIteration
        try:
            raw = native.next()
        except NativeError as e:
            self._native = None
            raise from_native(e) from None
        except BaseException:
            # KeyboardInterrupt while waiting: stop the upstream request too.
            self._close_native()
            raise
        if raw is None:
            self._native = None
            raise StopIteration
        return self._chunk(raw)

    def close(self) -> None:
        """Stops the stream and cancels the upstream request (usage is still recorded)."""
        self._close_native()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<kestrel.Stream {'closed' if self._native is None else 'open'}>"


class AsyncStream(_StreamBase[T]):
    """An asynchronous stream of chunks: ``async for`` over it, or ``async with`` it.

    Cancelling the task that awaits the next chunk closes the stream and cancels the
    upstream request."""

    __slots__ = ()

    def __aiter__(self) -> AsyncStream[T]:
        return self

    async def __anext__(self) -> T:
        native = self._native
        if native is None:
            raise StopAsyncIteration
        try:
            raw = await native.anext()
        except NativeError as e:
            self._native = None
            raise from_native(e) from None
        except BaseException:
            # asyncio.CancelledError (task cancelled mid-stream), KeyboardInterrupt, ...
            self._close_native()
            raise
        if raw is None:
            self._native = None
            raise StopAsyncIteration
        return self._chunk(raw)

    async def close(self) -> None:
        """Stops the stream and cancels the upstream request (usage is still recorded)."""
        self._close_native()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._close_native()

    def __repr__(self) -> str:
        return f"<kestrel.AsyncStream {'closed' if self._native is None else 'open'}>"
