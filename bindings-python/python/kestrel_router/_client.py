"""``OpenAI`` and ``AsyncOpenAI``: the OpenAI SDK's client shape over one native Kestrel client.

Every request goes through the Rust core in this process: validated, routed to the
cheapest capable model (the requested model is a ceiling), sent to that provider, and
recorded in the usage ledger that ``client.usage`` reads.
"""

from __future__ import annotations

from ._base import _BaseClient
from ._config import NOT_GIVEN, NotGiven
from ._passthrough import delegate
from .resources.beta import AsyncBeta, Beta
from .resources.chat import AsyncChat, Chat
from .resources.kestrel import Kestrel
from .resources.responses import AsyncResponses, Responses
from .resources.usage import Usage

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Optional

    from typing_extensions import Self

__all__ = ["OpenAI", "AsyncOpenAI", "NOT_GIVEN", "NotGiven"]


class OpenAI(_BaseClient):
    """A drop-in for ``openai.OpenAI`` that routes every chat request to the cheapest
    capable model. See ``__init__`` for the arguments; ``client.usage`` reports what was
    spent and saved; ``client.route(...)`` shows a decision without calling anyone."""

    chat: Chat
    beta: Beta
    kestrel: Kestrel
    usage: Usage

    def _build_resources(self) -> None:
        self.chat = Chat(self)
        self.beta = Beta(self, self.chat)
        self.responses = Responses(self)
        self.kestrel = Kestrel(self)
        self.usage = Usage(self)

    def __getattr__(self, name: str) -> Any:
        """The APIs Kestrel does not route (``models``, ``embeddings``, ``images``, ``audio``,
        ``files``, ``batches``, ``fine_tuning``, ``vector_stores``, ``completions``,
        ``moderations``, ``get``/``post``, ...): the official client's, configured like
        this one, counted in ``client.usage``; see ``_passthrough``."""
        return delegate(self, name, is_async=False)

    def with_options(self, **kwargs: Any) -> OpenAI:
        """A copy with other settings (any constructor argument). Timeouts, retries and
        routing policy change per request and the copy shares this client's usage and
        keys; other changes (keys, base URLs, providers, models) build a new native client."""
        copy: OpenAI = self._with_settings(kwargs)
        return copy

    copy = with_options

    def to_async(self) -> AsyncOpenAI:
        """An :class:`AsyncOpenAI` over the same native client: same keys, policy, usage."""
        twin = object.__new__(AsyncOpenAI)
        twin._init(self._shared, dict(self._settings))
        return twin

    def close(self) -> None:
        """Flushes the usage sink. The client stays usable (there are no connections of
        its own to close)."""
        self._flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


# --- async ---------------------------------------------------------------------------------

class AsyncOpenAI(_BaseClient):
    """A drop-in for ``openai.AsyncOpenAI``: ``await client.chat.completions.create(...)``;
    streams are :class:`AsyncStream`. Same arguments as :class:`OpenAI`.
    ``client.usage`` and ``client.route`` are local and synchronous."""

    chat: AsyncChat
    beta: AsyncBeta
    kestrel: Kestrel
    usage: Usage

    def _build_resources(self) -> None:
        self.chat = AsyncChat(self)
        self.beta = AsyncBeta(self, self.chat)
        self.responses = AsyncResponses(self)
        self.kestrel = Kestrel(self)
        self.usage = Usage(self)

    def __getattr__(self, name: str) -> Any:
        """As :meth:`OpenAI.__getattr__`, with the official ``AsyncOpenAI``."""
        return delegate(self, name, is_async=True)

    def with_options(self, **kwargs: Any) -> AsyncOpenAI:
        """As :meth:`OpenAI.with_options`."""
        copy: AsyncOpenAI = self._with_settings(kwargs)
        return copy

    copy = with_options

    def to_sync(self) -> OpenAI:
        """An :class:`OpenAI` over the same native client: same keys, policy, usage."""
        twin = object.__new__(OpenAI)
        twin._init(self._shared, dict(self._settings))
        return twin

    async def close(self) -> None:
        """Flushes the usage sink; the client stays usable."""
        self._flush()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()
