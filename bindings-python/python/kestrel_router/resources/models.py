"""``client.models``: the catalog models the client can route to."""

from __future__ import annotations

from .._errors import NotFoundError, from_native
from .._generic import GenericBase, T
from .._native import NativeError
from .._response import APIResponse, AsyncAPIResponse, AsyncResponseContextManager, LegacyAPIResponse, ResponseContextManager
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

    @property
    def with_raw_response(self) -> ModelsWithRawResponse:
        """``list`` / ``retrieve`` as raw responses. The catalog is local: no provider is
        asked, so the response is Kestrel's own (200, no provider headers, no request id)."""
        return ModelsWithRawResponse(self._client, LegacyAPIResponse)

    @property
    def with_streaming_response(self) -> ModelsWithStreamingResponse:
        return ModelsWithStreamingResponse(self._client)


def _local(cls: Any, client: _BaseClient, parsed: Any, data: Any, path: str) -> Any:
    """A raw response for an answer Kestrel gives itself."""
    base = (client.base_url or "https://api.openai.com/v1").rstrip("/")
    info = {"status": 200, "method": "GET", "url": f"{base}/{path}", "headers": [], "retries_taken": 0}
    content = _json().dumps(data).encode()
    return cls(info=info, parsed=parsed, content=content, is_stream=False, is_async=cls is AsyncAPIResponse, url=None)


def _page_json(page: SyncPage[Model]) -> Any:
    return {"object": "list", "data": [m.model_dump(exclude_unset=True) for m in page.data]}


class ModelsWithRawResponse:
    """``client.models.with_raw_response``."""

    __slots__ = ("_client", "_cls")

    def __init__(self, client: _BaseClient, cls: Any) -> None:
        self._client = client
        self._cls = cls

    def list(self) -> LegacyAPIResponse[SyncPage[Model]]:
        page = SyncPage(_model_list(self._client))
        raw: LegacyAPIResponse[SyncPage[Model]] = _local(self._cls, self._client, page, _page_json(page), "models")
        return raw

    def retrieve(self, model: str) -> LegacyAPIResponse[Model]:
        found = _find_model(self._client, model)
        data = found.model_dump(exclude_unset=True)
        raw: LegacyAPIResponse[Model] = _local(self._cls, self._client, found, data, f"models/{model}")
        return raw


class ModelsWithStreamingResponse:
    """``client.models.with_streaming_response``."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def list(self) -> ResponseContextManager[APIResponse[SyncPage[Model]]]:
        client = self._client

        def send() -> APIResponse[SyncPage[Model]]:
            page = SyncPage(_model_list(client))
            raw: APIResponse[SyncPage[Model]] = _local(APIResponse, client, page, _page_json(page), "models")
            return raw

        return ResponseContextManager(send)

    def retrieve(self, model: str) -> ResponseContextManager[APIResponse[Model]]:
        client = self._client

        def send() -> APIResponse[Model]:
            found = _find_model(client, model)
            data = found.model_dump(exclude_unset=True)
            raw: APIResponse[Model] = _local(APIResponse, client, found, data, f"models/{model}")
            return raw

        return ResponseContextManager(send)


class AsyncModelsWithRawResponse:
    """``AsyncOpenAI().models.with_raw_response``: ``await ....retrieve(id)``; ``list()``
    returns the raw response directly, as the catalog is local."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    async def list(self) -> LegacyAPIResponse[AsyncPage[Model]]:
        page = AsyncPage(_model_list(self._client))
        raw: LegacyAPIResponse[AsyncPage[Model]] = _local(
            LegacyAPIResponse, self._client, page, _page_json(page), "models"
        )
        return raw

    async def retrieve(self, model: str) -> LegacyAPIResponse[Model]:
        found = _find_model(self._client, model)
        data = found.model_dump(exclude_unset=True)
        raw: LegacyAPIResponse[Model] = _local(LegacyAPIResponse, self._client, found, data, f"models/{model}")
        return raw


class AsyncModelsWithStreamingResponse:
    """``AsyncOpenAI().models.with_streaming_response``."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def list(self) -> AsyncResponseContextManager[AsyncAPIResponse[AsyncPage[Model]]]:
        client = self._client

        async def send() -> AsyncAPIResponse[AsyncPage[Model]]:
            page = AsyncPage(_model_list(client))
            raw: AsyncAPIResponse[AsyncPage[Model]] = _local(
                AsyncAPIResponse, client, page, _page_json(page), "models"
            )
            return raw

        return AsyncResponseContextManager(send)

    def retrieve(self, model: str) -> AsyncResponseContextManager[AsyncAPIResponse[Model]]:
        client = self._client

        async def send() -> AsyncAPIResponse[Model]:
            found = _find_model(client, model)
            data = found.model_dump(exclude_unset=True)
            raw: AsyncAPIResponse[Model] = _local(AsyncAPIResponse, client, found, data, f"models/{model}")
            return raw

        return AsyncResponseContextManager(send)


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

    @property
    def with_raw_response(self) -> AsyncModelsWithRawResponse:
        """As :attr:`Models.with_raw_response`, awaited."""
        return AsyncModelsWithRawResponse(self._client)

    @property
    def with_streaming_response(self) -> AsyncModelsWithStreamingResponse:
        return AsyncModelsWithStreamingResponse(self._client)
