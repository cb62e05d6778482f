"""``client.beta``: ``beta.chat`` is the routed ``client.chat`` (the SDK keeps
``beta.chat.completions`` as an alias of ``chat.completions``: ``parse``, ``stream``);
every other beta API (``assistants``, ``threads``, ``realtime``, ...) is the official
client's, as the APIs Kestrel does not route are."""

from __future__ import annotations

from .._passthrough import delegate, wrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .._base import _BaseClient
    from .chat import AsyncChat, Chat


class _BetaBase:
    __slots__ = ("_client",)
    _is_async = False

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return wrap(getattr(delegate(self._client, "beta", self._is_async), name))


class Beta(_BetaBase):
    """``client.beta`` of :class:`OpenAI`."""

    __slots__ = ("chat",)

    def __init__(self, client: _BaseClient, chat: Chat) -> None:
        super().__init__(client)
        self.chat = chat


class AsyncBeta(_BetaBase):
    """``client.beta`` of :class:`AsyncOpenAI`."""

    __slots__ = ("chat",)
    _is_async = True

    def __init__(self, client: _BaseClient, chat: AsyncChat) -> None:
        super().__init__(client)
        self.chat = chat
