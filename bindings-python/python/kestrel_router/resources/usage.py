"""``client.usage``: what the client has spent and saved, read locally."""

from __future__ import annotations

import os

from .._errors import InvalidRequestError, from_native
from .._native import NativeError
from .._types import (
    ModelAnalytics,
    ProviderHealth,
    ProviderStats,
    ReporterStats,
    RoutingMix,
    Savings,
    CacheStats,
    UsageRecord,
)
from .._config import _json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional, Union

    from .._base import _BaseClient

class Usage:
    """What the client has spent and saved (``client.usage``): local reads, no network.

    ``tenant=None`` means every tenant together; ``client.usage.tenants()`` lists them."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def _view(self, view: str, tenant: Optional[str] = None, limit: int = 100) -> Any:
        try:
            raw = self._client._shared.native.usage(view, tenant, limit)
        except NativeError as e:
            raise from_native(e) from None
        return _json().loads(raw)

    def savings(self, tenant: Optional[str] = None) -> Savings:
        """Requests, baseline cost (what the requested models would have cost), actual
        cost, savings in dollars and percent."""
        return Savings._construct(self._view("savings", tenant))

    def routing(self, tenant: Optional[str] = None) -> RoutingMix:
        """How many requests each tier (and the cache, and pass-through) served."""
        return RoutingMix._construct(self._view("routing", tenant))

    def analytics(self, tenant: Optional[str] = None) -> List[ModelAnalytics]:
        """Per routed model: requests, tokens, cost, baseline cost."""
        return [ModelAnalytics._construct(d) for d in self._view("analytics", tenant)]

    def providers(self, tenant: Optional[str] = None) -> List[ProviderStats]:
        """Per provider: attempts, successes, errors by kind, failovers, latency percentiles."""
        return [ProviderStats._construct(d) for d in self._view("providers", tenant)]

    def cache(self, tenant: Optional[str] = None) -> CacheStats:
        """Cache hits (exact, semantic), misses, bypasses, hit rate and what hits saved."""
        return CacheStats._construct(self._view("cache", tenant))

    def records(self, tenant: Optional[str] = None, limit: int = 100) -> List[UsageRecord]:
        """The most recent usage records, oldest first (at most ``limit``)."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise InvalidRequestError(f"limit must be a non-negative integer, got {limit!r}", param="limit")
        return [UsageRecord._construct(d) for d in self._view("records", tenant, limit)]

    def tenants(self) -> List[str]:
        """The tenants seen so far."""
        return [str(t) for t in self._view("tenants")]

    def export_csv(self, path: Union[str, os.PathLike[str]], tenant: Optional[str] = None) -> None:
        """Writes the recent usage records to ``path`` as CSV."""
        try:
            self._client._shared.native.export_csv(os.fspath(path), tenant)
        except NativeError as e:
            raise from_native(e) from None

    def flush(self) -> None:
        """Waits until every record so far is in the JSONL file, if one is configured, and
        sent to the usage collector or spooled to disk, if reporting is on. Also runs at exit."""
        self._client._flush()

    def report(self, path: Union[str, os.PathLike[str]]) -> int:
        """Writes a self-contained HTML report (savings over time, routing distribution,
        per-model and per-provider stats, tenants, CSV download) of the usage so far (the
        JSONL file when configured, else the recent records). Returns the record count."""
        try:
            return self._client._shared.native.usage_report(os.fspath(path))
        except NativeError as e:
            raise from_native(e) from None

    def reporter(self) -> Optional[ReporterStats]:
        """The usage reporter's counters (sent, pending, spooled, dropped, last_error), or
        None when reporting is off."""
        raw = self._client._shared.native.reporter_stats()
        return None if raw is None else ReporterStats._construct(_json().loads(raw))

    def health(self) -> List[ProviderHealth]:
        """Each provider's circuit state and whether it is configured."""
        try:
            raw = self._client._shared.native.health()
        except NativeError as e:
            raise from_native(e) from None
        return [ProviderHealth._construct(d) for d in _json().loads(raw)]
