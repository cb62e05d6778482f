"""Raw responses of routed calls, shaped like the official SDK's (``_legacy_response.py``
and ``_response.py``): ``with_raw_response`` gives a :class:`LegacyAPIResponse`,
``with_streaming_response`` an :class:`APIResponse` (:class:`AsyncAPIResponse`) in a
context manager, and errors carry an ``httpx`` response.

Kestrel's HTTP happens in Rust, so there is no live ``httpx`` exchange to hand out. What the
core carries up instead is the provider's answer to the attempt that decided the outcome:
status, response headers (never the request's: they hold the key), the provider's request
id, the attempt's latency and how many attempts came before it. From these an ``httpx``
response is built, of the HTTP library the installed ``openai`` uses (``httpx2`` for openai
3, ``httpx`` before), with the OpenAI-shaped answer as its body: the JSON the SDK would have
parsed, or for a stream the server-sent events it would have read. ``httpx`` is imported
only when one of these is asked for: ``_request_id`` costs nothing.
"""

from __future__ import annotations

from ._errors import OpenAIError
from ._generic import GenericBase, T
from ._http import _loads, build_http_response, http_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    import datetime
    from types import TracebackType
    from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Optional, Union

    from ._streaming import AsyncStream, Stream

__all__ = [
    "LegacyAPIResponse",
    "APIResponse",
    "AsyncAPIResponse",
    "ResponseContextManager",
    "AsyncResponseContextManager",
    "StreamAlreadyConsumed",
]

def sse_lines(item: Any) -> bytes:
    """One chunk (or Responses event) as the server-sent event the SDK reads."""
    dump = getattr(item, "model_dump_json", None)
    data = dump(exclude_unset=True) if callable(dump) else str(item)
    event = getattr(item, "type", None) if hasattr(item, "sequence_number") else None
    head = f"event: {event}\n" if isinstance(event, str) else ""
    return f"{head}data: {data}\n\n".encode()


class StreamAlreadyConsumed(OpenAIError):
    """The body was read once (as parsed items or as bytes) and cannot be read again."""

    def __init__(self) -> None:
        super().__init__(
            "Attempted to read or stream some content, but the content has already been streamed. "
            "This could be due to attempting to stream the response content more than once."
        )


# Chat streams end with OpenAI's `data: [DONE]`; Responses streams end with their last event.
_DONE = b"data: [DONE]\n\n"


def _sync_bytes(stream: Stream[Any], claim: Callable[[], None], done: bool) -> Any:
    http = http_module()

    class SSEBytes(http.SyncByteStream):  # type: ignore[misc,name-defined]
        def __iter__(self) -> Iterator[bytes]:
            claim()
            for item in stream:
                yield sse_lines(item)
            if done:
                yield _DONE

        def close(self) -> None:
            stream.close()

    return SSEBytes()


def _async_bytes(stream: AsyncStream[Any], claim: Callable[[], None], done: bool) -> Any:
    http = http_module()

    class SSEBytes(http.AsyncByteStream):  # type: ignore[misc,name-defined]
        async def __aiter__(self) -> AsyncIterator[bytes]:
            claim()
            async for item in stream:
                yield sse_lines(item)
            if done:
                yield _DONE

        async def aclose(self) -> None:
            await stream.close()

    return SSEBytes()


class _Base(GenericBase[T]):
    """What every raw response shares: the provider's answer as an ``httpx`` response,
    built on first use."""

    retries_taken: int
    """Provider calls this request made before the one that answered (substitutes and
    retries); 0 when the first call answered."""

    def __init__(
        self,
        *,
        info: Optional[dict[str, Any]],
        parsed: Any,
        content: Optional[bytes],
        is_stream: bool,
        is_async: bool,
        url: Optional[str],
        done_marker: bool = True,
    ) -> None:
        self._info = info
        self._parsed = parsed
        self._content = content
        self._is_stream = is_stream
        self._is_async = is_async
        self._url = url
        self._done_marker = done_marker
        self._http: Any = None
        self._claimed = False
        self.retries_taken = int(info.get("retries_taken") or 0) if info else 0

    def _claim(self) -> None:
        if self._claimed:
            raise StreamAlreadyConsumed()
        self._claimed = True

    @property
    def http_response(self) -> Any:
        """The provider's answer as an ``httpx.Response`` (status and headers as it sent
        them; the body is the OpenAI-shaped answer)."""
        if self._http is None:
            if not self._is_stream:
                self._http = build_http_response(self._info, content=self._content, url=self._url)
            else:
                make = _async_bytes if self._is_async else _sync_bytes
                body = make(self._parsed, self._claim, self._done_marker)
                self._http = build_http_response(
                    self._info, stream=body, content_type="text/event-stream", url=self._url
                )
        return self._http

    @property
    def request_id(self) -> Optional[str]:
        """The provider's id for the request (``x-request-id``, Anthropic's ``request-id``);
        ``None`` for an answer from the cache."""
        rid = self._info.get("request_id") if self._info else None
        return rid if isinstance(rid, str) else None

    @property
    def headers(self) -> Any:
        """The provider's response headers (an ``httpx.Headers``)."""
        return self.http_response.headers

    @property
    def http_request(self) -> Any:
        """The request, as method and URL only: its headers hold keys and are never kept."""
        return self.http_response.request

    @property
    def status_code(self) -> int:
        status = self._info.get("status") if self._info else None
        return status if isinstance(status, int) else 200

    @property
    def url(self) -> Any:
        """The provider URL called (an ``httpx.URL``), credentials removed."""
        return self.http_response.url

    @property
    def method(self) -> str:
        method = self._info.get("method") if self._info else None
        return method if isinstance(method, str) else "POST"

    @property
    def http_version(self) -> str:
        return "HTTP/1.1"

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the request to the end of the answer (its headers, for a stream)."""
        import datetime

        ms = self._info.get("elapsed_ms") if self._info else None
        return datetime.timedelta(milliseconds=float(ms) if isinstance(ms, (int, float)) else 0.0)

    @property
    def is_closed(self) -> bool:
        if not self._is_stream:
            return True
        return bool(getattr(self._parsed, "closed", True))

    def _parse_to(self, to: Any) -> Any:
        if to is None:
            if self._is_stream:
                self._claim()
            return self._parsed
        if self._is_stream:
            raise TypeError("a streamed response parses only to its stream: call parse() without `to`")
        http = http_module()
        if to is http.Response:
            return self.http_response
        if to is bytes:
            return self._content or b""
        if to is str:
            return (self._content or b"").decode()
        data = _loads(self._content or b"null")
        if to in (dict, list, object, float, int):
            return data
        construct = getattr(to, "_construct", None)
        if callable(construct):
            return construct(data)
        validate = getattr(to, "model_validate", None)
        if callable(validate):
            return validate(data)
        raise TypeError(f"cannot parse a response to {to!r}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] type={type(self._parsed).__name__}>"


class LegacyAPIResponse(_Base[T]):
    """What ``with_raw_response.create(...)`` returns, as the SDK's: the provider's status,
    headers and request id, and ``parse()`` for the object ``create`` would have returned
    (a stream, for ``stream=True``)."""

    def parse(self, *, to: Any = None) -> T:
        """The object ``create`` would have returned (``_request_id`` set); ``to=`` another
        type (``dict``, ``str``, ``bytes``, a model class, ``httpx.Response``) reads the
        body as that instead."""
        parsed: T = self._parse_to(to)
        return parsed

    @property
    def content(self) -> bytes:
        """The OpenAI-shaped body (for a stream: every event, read to the end)."""
        if self._is_stream:
            return bytes(self.http_response.read())
        return self._content or b""

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return _loads(self.content)


class APIResponse(_Base[T]):
    """What ``with_streaming_response.create(...)`` yields in its ``with`` block, as the
    SDK's: ``parse()``, ``read()``, ``text()``, ``json()``, ``iter_bytes()``,
    ``iter_text()``, ``iter_lines()``; the block's end closes it."""

    def parse(self, *, to: Any = None) -> T:
        parsed: T = self._parse_to(to)
        return parsed

    def read(self) -> bytes:
        if not self._is_stream:
            return self._content or b""
        return bytes(self.http_response.read())

    def text(self) -> str:
        return self.read().decode()

    def json(self) -> object:
        data: object = _loads(self.read())
        return data

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        yield from self.http_response.iter_bytes(chunk_size)

    def iter_text(self, chunk_size: Optional[int] = None) -> Iterator[str]:
        yield from self.http_response.iter_text(chunk_size)

    def iter_lines(self) -> Iterator[str]:
        yield from self.http_response.iter_lines()

    def close(self) -> None:
        """Ends the response; an open stream is closed (the upstream request cancelled)."""
        if self._is_stream:
            close = getattr(self._parsed, "close", None)
            if callable(close):
                close()


class AsyncAPIResponse(_Base[T]):
    """As :class:`APIResponse`, for :class:`AsyncOpenAI`: the readers are coroutines."""

    async def parse(self, *, to: Any = None) -> T:
        parsed: T = self._parse_to(to)
        return parsed

    async def read(self) -> bytes:
        if not self._is_stream:
            return self._content or b""
        return bytes(await self.http_response.aread())

    async def text(self) -> str:
        return (await self.read()).decode()

    async def json(self) -> object:
        data: object = _loads(await self.read())
        return data

    async def iter_bytes(self, chunk_size: Optional[int] = None) -> AsyncIterator[bytes]:
        async for chunk in self.http_response.aiter_bytes(chunk_size):
            yield chunk

    async def iter_text(self, chunk_size: Optional[int] = None) -> AsyncIterator[str]:
        async for chunk in self.http_response.aiter_text(chunk_size):
            yield chunk

    async def iter_lines(self) -> AsyncIterator[str]:
        async for line in self.http_response.aiter_lines():
            yield line

    async def close(self) -> None:
        if self._is_stream:
            close = getattr(self._parsed, "close", None)
            if callable(close):
                await close()


class ResponseContextManager(GenericBase[T]):
    """``with client.chat.completions.with_streaming_response.create(...) as response:``;
    the request is made on entering, and the response closed on leaving, as the SDK does."""

    def __init__(self, request: Callable[[], T]) -> None:
        self._request = request
        self._response: Optional[T] = None

    def __enter__(self) -> T:
        self._response = self._request()
        return self._response

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        close = getattr(self._response, "close", None)
        if callable(close):
            close()


class AsyncResponseContextManager(GenericBase[T]):
    """``async with`` form of :class:`ResponseContextManager`."""

    def __init__(self, request: Callable[[], Awaitable[T]]) -> None:
        self._request = request
        self._response: Optional[T] = None

    async def __aenter__(self) -> T:
        self._response = await self._request()
        return self._response

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        close = getattr(self._response, "close", None)
        if callable(close):
            await close()
