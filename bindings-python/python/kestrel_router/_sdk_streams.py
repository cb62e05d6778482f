"""What the SDK's stream helpers (``_chat_stream``, ``_responses_stream``) share: the routed
:class:`Stream` in the shape the SDK's helper classes read, and Kestrel's metadata put on
their final answer. Loaded only when a helper is used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Optional, TypeVar

if TYPE_CHECKING:
    from ._streaming import AsyncStream, Stream
    from ._types import KestrelMetadata

__all__ = ["RoutedChunks", "AsyncRoutedChunks", "with_routing", "given"]

_Answer = TypeVar("_Answer")


def with_routing(answer: _Answer, kestrel: Optional[KestrelMetadata], request_id: Optional[str]) -> _Answer:
    """The final completion or response with Kestrel's metadata, as routed answers have it."""
    answer.kestrel = kestrel  # type: ignore[attr-defined]
    answer._request_id = request_id  # type: ignore[attr-defined]
    return answer


class RoutedChunks:
    """A routed :class:`Stream` in the shape the SDK's stream reads: iterable, with a
    ``response`` to close."""

    def __init__(self, routed: Stream[Any]) -> None:
        self._routed = routed
        self.response = self

    def __iter__(self) -> Iterator[Any]:
        return iter(self._routed)

    def close(self) -> None:
        self._routed.close()


class AsyncRoutedChunks:
    """As :class:`RoutedChunks`, for :class:`AsyncStream`."""

    def __init__(self, routed: AsyncStream[Any]) -> None:
        self._routed = routed
        self.response = self

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._routed.__aiter__()

    async def aclose(self) -> None:
        await self._routed.close()


def given(value: Any) -> Any:
    """The SDK's "not given" for ``None`` (what its helper classes and parsers take)."""
    import openai

    return openai.NOT_GIVEN if value is None else value

