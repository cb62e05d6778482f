"""``client.models``: the catalog models the client can route to."""

from __future__ import annotations

from .._errors import NotFoundError, from_native
from .._generic import GenericBase, T
from .._native import NativeError
from .._types import AsyncPage, Model, SyncPage
from .._config import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, AsyncIterator, Callable, Generator, List

    from .._client import _BaseClient

def _model_list(client: _BaseClient) -> List[Model]:
    try:
        raw = client._shared.native.models()
    except NativeError as e:
        raise from_native(e) from None
    out = []
    for spec in _json().loads(raw):
        data = {"id": spec.get("id"), "object": "model", "created": 0, "owned_by": spec.get("provider")}
        data.update((k, v) for k, v in spec.items() if k != "id")
        out.append(Model._construct(data))
    return out


def _find_model(client: _BaseClient, model: str) -> Model:
    for m in _model_list(client):
        if m.id == model or model in (m.aliases or ()):
            return m
    message = f"The model `{model}` does not exist or no configured provider serves it."
    body = {"message": message, "type": "invalid_request_error", "param": None, "code": "model_not_found"}
    raise NotFoundError(f"Error code: 404 - {message}", body=body, status_code=404)


class Models:
    """``client.models``: the catalog models reachable with the configured keys."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def list(self) -> SyncPage[Model]:
        return SyncPage(_model_list(self._client))

    def retrieve(self, model: str) -> Model:
        return _find_model(self._client, model)


class AsyncPaginator(GenericBase[T]):
    """What ``AsyncOpenAI().models.list()`` returns, as in the SDK: ``await`` it for the
    page, or ``async for`` over it for the items."""

    __slots__ = ("_fetch",)

    def __init__(self, fetch: Callable[[], AsyncPage[T]]) -> None:
        self._fetch = fetch

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._get().__await__()

    async def _get(self) -> AsyncPage[T]:
        return self._fetch()

    async def __aiter__(self) -> AsyncIterator[T]:
        for item in self._fetch().data:
            yield item


class AsyncModels:
    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def list(self) -> AsyncPaginator[Model]:
        client = self._client
        return AsyncPaginator(lambda: AsyncPage(_model_list(client)))

    async def retrieve(self, model: str) -> Model:
        return _find_model(self._client, model)
