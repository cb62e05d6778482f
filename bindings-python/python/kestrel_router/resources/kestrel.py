"""``client.kestrel``: what Kestrel adds beside the SDK's surface, starting with the
catalog of models the router can use. ``client.models`` is the server's own list, as
with the SDK; the routing facts (tier, prices, limits, lifecycle, quality) live here."""

from __future__ import annotations

from .._config import _json
from .._errors import NotFoundError, from_native
from .._native import NativeError
from .._types import Model

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List

    from .._base import _BaseClient


class Kestrel:
    """``client.kestrel``: local and synchronous on both clients (nothing here does I/O)."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def models(self) -> List[Model]:
        """The catalog models reachable with the configured keys, with their routing
        facts (``tier``, prices, limits, capabilities, lifecycle)."""
        try:
            raw = self._client._shared.native.models()
        except NativeError as e:
            raise from_native(e) from None
        out = []
        for spec in _json().loads(raw):
            data = {"id": spec.get("id"), "object": "model", "created": 0, "owned_by": spec.get("provider")}
            data.update((k, v) for k, v in spec.items() if k != "id")
            out.append(Model._construct(data))
        return out

    def model(self, model: str) -> Model:
        """One reachable catalog model by id or alias; ``NotFoundError`` otherwise."""
        for m in self.models():
            if m.id == model or model in (m.aliases or ()):
                return m
        message = f"The model `{model}` is not in Kestrel's catalog or no configured provider serves it."
        body = {"message": message, "type": "invalid_request_error", "param": None, "code": "model_not_found"}
        raise NotFoundError(f"Error code: 404 - {message}", body=body, status_code=404)
