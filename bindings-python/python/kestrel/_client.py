"""``OpenAI`` and ``AsyncOpenAI``: the OpenAI SDK's client shape over one native Kestrel client.

Every request goes through the Rust core in this process: validated, routed to the
cheapest capable model (the requested model is a ceiling), sent to that provider, and
recorded in the usage ledger that ``client.usage`` reads.
"""

from __future__ import annotations

import atexit
import os
import weakref

from ._errors import ConfigurationError, InvalidRequestError, NotFoundError, from_native
from ._generic import GenericBase, T
from ._models import BaseModel
from ._native import NativeClient, NativeError
from ._streaming import AsyncStream, Stream
from ._parsing import finish as _finish_parse
from ._parsing import prepare as _prepare_parse
from ._types import (
    AsyncPage,
    ChatCompletion,
    ChatCompletionChunk,
    Model,
    ModelAnalytics,
    ParsedChatCompletion,
    ProviderHealth,
    ProviderStats,
    RouteDecision,
    ReporterStats,
    RoutingMix,
    Savings,
    CacheStats,
    SyncPage,
    UsageRecord,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, AsyncIterator, Callable, Dict, Generator, Iterable, List, Literal, Mapping, Optional, Union, overload

    from typing_extensions import Self

    Timeout = Any
    """Seconds, or an object with ``read``/``connect``/``write``/``pool`` seconds (``httpx.Timeout``)."""
    Messages = Iterable[Union[Mapping[str, Any], BaseModel]]
else:

    def overload(f):
        return f


__all__ = ["OpenAI", "AsyncOpenAI", "NOT_GIVEN", "NotGiven"]


class NotGiven:
    """Sentinel for "argument not given" (the SDK's ``NOT_GIVEN``); such arguments are
    left out of the request."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()

_json_mod: Any = None


def _json() -> Any:
    global _json_mod
    if _json_mod is None:
        import json

        _json_mod = json
    return _json_mod


def _not_given(value: object) -> bool:
    # Ours, and the OpenAI SDK's `NOT_GIVEN` / `omit` if a caller passes those.
    return isinstance(value, NotGiven) or type(value).__name__ in ("NotGiven", "Omit")


def _encode(value: Any) -> Any:
    """JSON for what ``json`` does not know: our models, the SDK's pydantic models (a
    response message appended to ``messages``), mappings, tuples and generators."""
    if isinstance(value, BaseModel):
        return value.to_dict()
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", exclude_unset=True, by_alias=True)
        except TypeError:
            return dump()
    if hasattr(value, "keys") and hasattr(value, "__getitem__"):
        return {k: value[k] for k in value.keys()}
    if hasattr(value, "__iter__") and not isinstance(value, (str, bytes, bytearray)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return str(_json().dumps(value, default=_encode, separators=(",", ":"), ensure_ascii=False))


def _seconds(timeout: Any, param: str, local: bool) -> Optional[float]:
    """A timeout in seconds: a number, or the largest of an ``httpx.Timeout``'s parts."""
    if timeout is None or _not_given(timeout):
        return None
    if isinstance(timeout, bool):
        value: Any = timeout
    elif isinstance(timeout, (int, float)):
        value = float(timeout)
    else:
        parts = [getattr(timeout, a, None) for a in ("read", "connect", "write", "pool", "timeout")]
        numbers = [float(p) for p in parts if isinstance(p, (int, float)) and not isinstance(p, bool)]
        if not numbers:
            return None  # httpx.Timeout(None): no limit of its own; Kestrel's default applies.
        value = max(numbers)
    if not isinstance(value, float) or not (value > 0 and value != float("inf")):
        message = f"{param} must be a positive number of seconds, got {timeout!r}"
        raise InvalidRequestError(message, param=param) if local else ConfigurationError(message)
    return value


def _retries(value: Any, param: str, local: bool) -> Optional[int]:
    if value is None or _not_given(value):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        message = f"{param} must be a non-negative integer, got {value!r}"
        raise InvalidRequestError(message, param=param) if local else ConfigurationError(message)
    return value


# Constructor settings that shape the native client (changing one builds a new one) ...
_NATIVE_SETTINGS = (
    "api_key",
    "base_url",
    "default_headers",
    "provider_keys",
    "base_urls",
    "providers",
    "models",
    "config_file",
    "from_env",
    "usage_jsonl",
    "recent_records",
    "report",
    "breaker",
    "failover_attempts",
)
# ... and those a copy can apply per request (call options and the body's "kestrel").
_CALL_SETTINGS = ("timeout", "max_retries")
_POLICY_SETTINGS = {
    "routing": "routing",
    "tier_floor": "floor",
    "tier_ceiling": "ceiling",
    "allow_providers": "allow_providers",
    "deny_providers": "deny_providers",
    "min_confidence": "min_confidence",
    "tenant": "tenant",
}
# Accepted for OpenAI SDK compatibility and otherwise ignored.
_SDK_SETTINGS = (
    "organization",
    "project",
    "webhook_secret",
    "websocket_base_url",
    "default_query",
    "http_client",
)


def _config(s: Mapping[str, Any]) -> dict[str, Any]:
    """The native client's JSON configuration: the constructor's settings under the same
    names (the core's ``ClientConfig`` takes them and validates them), with only Python's
    units converted: a callable key called, timeouts in seconds, paths as strings, enums as
    their values."""
    cfg: dict[str, Any] = {}
    for name, value in s.items():
        if value is None or name in _SDK_SETTINGS or name in ("timeout", "max_retries"):
            continue
        if name == "api_key" and callable(value):
            value = value()
        elif name in ("config_file", "usage_jsonl"):
            value = os.fspath(value)
        elif name in ("tier_floor", "tier_ceiling"):
            value = getattr(value, "value", value)
        elif name == "cache" and value is False:
            continue
        elif name == "report":
            value = {"enabled": False} if value is False else {
                str(k): (os.fspath(v) if k == "spool_dir" else v) for k, v in dict(value).items() if v is not None
            }
        cfg[name] = value
    timeout = _seconds(s.get("timeout"), "timeout", local=False)
    if timeout is not None:
        cfg["timeout"] = timeout
    retries = _retries(s.get("max_retries"), "max_retries", local=False)
    if retries is not None:
        cfg["max_retries"] = retries
    return cfg


# Every live native client, flushed once at interpreter exit so queued usage records
# reach the collector (or the spool) and the JSONL file.
_LIVE: "weakref.WeakSet[_Shared]" = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for shared in list(_LIVE):
        try:
            shared.native.flush_usage()
        except Exception:  # noqa: BLE001 - never fail interpreter shutdown
            pass


def _policy_value(value: Any) -> Any:
    """A per-request policy value as JSON (the core validates it with the request)."""
    return getattr(value, "value", value)


def _names(value: Optional[Iterable[str]]) -> Optional[List[str]]:
    """A list of provider names (a single name may be given as a string)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


class _Shared:
    """One native client and the settings it was built with, shared by the copies that
    ``with_options`` makes (so they share usage, health and rotated keys)."""

    __slots__ = ("native", "settings", "__weakref__")

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        try:
            self.native = NativeClient(_dumps(_config(settings)))
        except NativeError as e:
            raise from_native(e) from None
        _LIVE.add(self)


class _BaseClient:
    _shared: _Shared
    _settings: dict[str, Any]
    _call_options: Optional[str]
    _policy: dict[str, Any]

    def __init__(
        self,
        api_key: Optional[Union[str, Callable[[], str]]] = None,
        base_url: Optional[Any] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
        *,
        provider_keys: Optional[Mapping[str, str]] = None,
        base_urls: Optional[Mapping[str, str]] = None,
        providers: Optional[Iterable[Mapping[str, Any]]] = None,
        models: Optional[Iterable[Mapping[str, Any]]] = None,
        config_file: Optional[Union[str, os.PathLike[str]]] = None,
        routing: Optional[bool] = None,
        tier_floor: Optional[str] = None,
        tier_ceiling: Optional[str] = None,
        allow_providers: Optional[Iterable[str]] = None,
        deny_providers: Optional[Iterable[str]] = None,
        min_confidence: Optional[float] = None,
        tenant: Optional[str] = None,
        from_env: bool = True,
        usage_jsonl: Optional[Union[str, os.PathLike[str]]] = None,
        recent_records: Optional[int] = None,
        cache: Union[bool, Mapping[str, Any], None] = None,
        report: Optional[Union[Mapping[str, Any], Literal[False]]] = None,
        breaker: Optional[Mapping[str, Any]] = None,
        failover_attempts: Optional[int] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        websocket_base_url: Optional[Any] = None,
        default_query: Optional[Mapping[str, object]] = None,
        http_client: Optional[Any] = None,
        _strict_response_validation: bool = False,
    ) -> None:
        """Creates a client. No network I/O happens here.

        OpenAI SDK arguments:
          api_key, base_url: OpenAI's key and base URL (``OPENAI_API_KEY`` /
            ``OPENAI_BASE_URL`` are read when ``from_env`` is true, as the SDK does).
          timeout: the longest silence allowed from a provider, in seconds (or an
            ``httpx.Timeout``: its largest part is used).
          max_retries: retries of the requested model after a transient failure (429, 5xx,
            timeouts), as the SDK counts them; a call makes at most ``max_retries + 2``
            attempts (one cheaper substitute first).
          default_headers: sent with every provider request.
          organization, project, webhook_secret, websocket_base_url, default_query,
            http_client: accepted for compatibility and ignored (Kestrel's HTTP client
            lives in Rust).

        Kestrel arguments:
          provider_keys: ``{provider: key}`` for other providers (``{"groq": "gsk-..."}``).
          base_urls: ``{provider: url}``, each as that provider's own SDK takes it.
          providers, models: extra provider and model specs (dicts shaped like the
            catalog's ``[[provider]]`` and ``[[model]]`` entries); config_file: a TOML
            file of them.
          routing: False sends every request to the model it names.
          tier_floor, tier_ceiling: ``"economy"``, ``"standard"`` or ``"premium"``.
          allow_providers, deny_providers: restrict the candidate providers.
          min_confidence: below it the router keeps a request one tier higher.
          tenant: the tenant usage is recorded under.
          from_env: read provider keys and base URLs from the environment (default True).
          usage_jsonl: append every usage record to this JSONL file.
          recent_records: how many usage records ``client.usage.records()`` keeps.
          cache: ``True`` answers repeated and reworded requests from a cache (Stage 0) at
            no provider cost; or a dict of settings: ``semantic`` (default True),
            ``threshold`` (0-1), ``ttl`` (seconds), ``max_entries``, ``max_bytes``,
            ``max_temperature``, ``cache_tool_results``, ``redis_url``, ``redis_prefix``,
            ``redis_timeout`` (seconds), ``embedding_model``, ``embedding_provider``.
            Per request: ``kestrel={"cache": False}`` or ``{"cache": "refresh"}``.
          report: upload usage metrics (never prompts) to a collector: ``{"url": ...,
            "key": ..., "batch_size": 500, "interval": 5.0, "queue_capacity": 10000,
            "spool_dir": ..., "hash_tenant": False, "timeout": 10.0, "max_backoff": 60.0}``; by default on when
            ``KESTREL_REPORT_URL`` is set (key: ``KESTREL_REPORT_KEY``); False: off.
          breaker: ``{"failure_threshold": 5, "cooldown": 30.0}``: outages (5xx, timeouts)
            in a row before a provider stops standing in for other models, and the seconds
            until it is probed again.
          failover_attempts: cheaper substitutes tried (once each) before the requested
            model (default 1).
        """
        settings: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": dict(default_headers) if default_headers else None,
            "provider_keys": dict(provider_keys) if provider_keys else None,
            "base_urls": dict(base_urls) if base_urls else None,
            "providers": [dict(p) for p in providers] if providers else None,
            "models": [dict(m) for m in models] if models else None,
            "config_file": config_file,
            "routing": routing,
            "tier_floor": tier_floor,
            "tier_ceiling": tier_ceiling,
            "allow_providers": _names(allow_providers),
            "deny_providers": _names(deny_providers),
            "min_confidence": min_confidence,
            "tenant": tenant,
            "from_env": from_env,
            "usage_jsonl": usage_jsonl,
            "recent_records": recent_records,
            "cache": cache,
            "report": dict(report) if report else (False if report is False else None),
            "breaker": dict(breaker) if breaker else None,
            "failover_attempts": failover_attempts,
            "organization": organization,
            "project": project,
            "webhook_secret": webhook_secret,
            "websocket_base_url": websocket_base_url,
            "default_query": default_query,
            "http_client": http_client,
        }
        for name in ("timeout", "max_retries"):
            if _not_given(settings[name]):
                settings[name] = None
        if _not_given(settings["base_url"]):
            settings["base_url"] = None
        self._init(_Shared(settings), settings)

    def _init(self, shared: _Shared, settings: dict[str, Any]) -> None:
        self._shared = shared
        self._settings = settings
        built = shared.settings
        # Settings that differ from what the native client was built with apply per call.
        options: dict[str, Any] = {}
        timeout = settings["timeout"]
        if timeout is not None and timeout != built["timeout"]:
            options["timeout"] = _seconds(timeout, "timeout", local=False)
        retries = settings["max_retries"]
        if retries is not None and retries != built["max_retries"]:
            options["max_retries"] = _retries(retries, "max_retries", local=False)
        self._call_options = _dumps(options) if options else None
        self._policy = {}
        for name, key in _POLICY_SETTINGS.items():
            value = settings[name]
            if value is not None and value != built[name]:
                self._policy[key] = _policy_value(value)
        self._build_resources()

    def _build_resources(self) -> None:
        raise NotImplementedError

    # --- SDK-style attributes ------------------------------------------------------------

    @property
    def api_key(self) -> Optional[str]:
        """OpenAI's key as given (assigning to it rotates the key)."""
        key = self._shared.settings.get("api_key")
        return key if isinstance(key, str) else None

    @api_key.setter
    def api_key(self, key: Optional[str]) -> None:
        self.set_api_key("openai", key)

    @property
    def base_url(self) -> Optional[str]:
        url = self._shared.settings.get("base_url")
        return str(url) if url is not None else None

    @property
    def organization(self) -> Optional[str]:
        value = self._settings.get("organization")
        return value if isinstance(value, str) else None

    @property
    def project(self) -> Optional[str]:
        value = self._settings.get("project")
        return value if isinstance(value, str) else None

    @property
    def timeout(self) -> Optional[float]:
        """The timeout in seconds this client applies, when one was given."""
        return _seconds(self._settings["timeout"], "timeout", local=False)

    @property
    def max_retries(self) -> Optional[int]:
        value = self._settings["max_retries"]
        return value if isinstance(value, int) else None

    # --- keys ----------------------------------------------------------------------------

    def set_api_key(self, provider: str, key: Optional[str]) -> None:
        """Sets or rotates a provider's key at run time (``None`` removes it). Copies made
        by ``with_options`` share it. A removed provider stops being a candidate at once."""
        try:
            self._shared.native.set_api_key(provider, key)
        except NativeError as e:
            raise from_native(e) from None
        s = self._shared.settings
        if provider == "openai":
            s["api_key"] = key
        keys = dict(s.get("provider_keys") or {})
        if key is None:
            keys.pop(provider, None)
        elif provider != "openai":
            keys[provider] = key
        s["provider_keys"] = keys or None

    def remove_api_key(self, provider: str) -> None:
        """Removes a provider's key: it stops being a routing candidate at once."""
        self.set_api_key(provider, None)

    def set_base_url(self, provider: str, url: str) -> None:
        """Points a provider at another base URL (as that provider's SDK takes it)."""
        try:
            self._shared.native.set_base_url(provider, str(url))
        except NativeError as e:
            raise from_native(e) from None
        s = self._shared.settings
        if provider == "openai":
            s["base_url"] = str(url)
        else:
            urls = dict(s.get("base_urls") or {})
            urls[provider] = str(url)
            s["base_urls"] = urls

    # --- requests ------------------------------------------------------------------------

    def _request(
        self,
        model: Any,
        messages: Any,
        stream: Any,
        params: Mapping[str, Any],
        extra_body: Optional[Mapping[str, Any]],
        kestrel: Optional[Mapping[str, Any]],
        timeout: Any,
        max_retries: Any,
    ) -> tuple[str, Optional[str]]:
        """The request body and call options as JSON."""
        body: dict[str, Any] = {"model": model, "messages": messages}
        for key, value in params.items():
            if not _not_given(value):
                body[key] = value
        if stream:
            body["stream"] = True
        policy = dict(self._policy)
        given = body.pop("kestrel", None)
        if isinstance(given, dict):
            policy.update(given)
        if extra_body:
            for key, value in extra_body.items():
                if key == "kestrel" and isinstance(value, dict):
                    policy.update(value)
                else:
                    body[key] = value
        if kestrel:
            policy.update(kestrel)
        policy = {k: v for k, v in policy.items() if v is not None and not _not_given(v)}
        if policy:
            body["kestrel"] = policy
        options = self._call_options
        if (timeout is not None and not _not_given(timeout)) or (max_retries is not None and not _not_given(max_retries)):
            merged = _json().loads(options) if options else {}
            t = _seconds(timeout, "timeout", local=True)
            if t is not None:
                merged["timeout"] = t
            r = _retries(max_retries, "max_retries", local=True)
            if r is not None:
                merged["max_retries"] = r
            options = _dumps(merged) if merged else None
        return _dumps(body), options

    def route(self, *, model: str, messages: Messages, **kwargs: Any) -> RouteDecision:
        """The routing decision for a request, without calling any provider: the model,
        tier, scores, reasons, failover plan and expected cost. Takes ``create``'s arguments."""
        for name in ("stream", "timeout", "max_retries", "extra_headers", "extra_query"):
            kwargs.pop(name, None)
        extra_body = kwargs.pop("extra_body", None)
        kestrel = kwargs.pop("kestrel", None)
        body, _ = self._request(model, messages, False, kwargs, extra_body, kestrel, None, None)
        try:
            raw = self._shared.native.route(body)
        except NativeError as e:
            raise from_native(e) from None
        return RouteDecision._construct(_json().loads(raw))

    def health(self) -> List[ProviderHealth]:
        """Each provider's circuit state and whether it has a key."""
        return self.usage.health()

    usage: Usage

    def _with_settings(self, kwargs: Mapping[str, Any]) -> Any:
        unknown = set(kwargs) - set(self._settings) - {"_strict_response_validation"}
        if unknown:
            raise TypeError(f"with_options() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
        settings = dict(self._settings)
        for key, value in kwargs.items():
            if key in settings and value is not None and not _not_given(value):
                settings[key] = value
        shared = self._shared
        if any(kwargs.get(k) is not None and kwargs[k] != shared.settings.get(k) for k in _NATIVE_SETTINGS):
            # Keys, URLs and catalog changes need their own native client (and ledger);
            # keys rotated on this one since it was built carry over.
            for key in _NATIVE_SETTINGS:
                if kwargs.get(key) is None:
                    settings[key] = shared.settings.get(key)
            shared = _Shared(settings)
            settings = dict(settings)
        copy = object.__new__(type(self))
        copy._init(shared, settings)
        return copy

    def _flush(self) -> None:
        self._shared.native.flush_usage()

    def clear_cache(self) -> None:
        """Drops every cached answer this client can see (with Redis: every entry under
        its ``redis_prefix``). Does nothing without a cache."""
        try:
            self._shared.native.clear_cache()
        except NativeError as e:
            raise from_native(e) from None

    def __repr__(self) -> str:
        return f"<kestrel.{type(self).__name__} {self._shared.native!r}>"


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


# --- sync ----------------------------------------------------------------------------------


class Completions:
    """``client.chat.completions``."""

    __slots__ = ("_client",)

    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Stream[ChatCompletionChunk]: ...

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]: ...

    def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        """Creates a chat completion, routed to the cheapest capable model (``model`` is
        the ceiling). Every OpenAI argument (``temperature``, ``tools``,
        ``response_format``, ``stream_options``, ...) passes through into the request.

        ``kestrel={...}``: per-request routing options (``routing``, ``floor``,
        ``ceiling``, ``allow_providers``, ``deny_providers``, ``min_confidence``,
        ``tenant``), never sent to a provider. ``extra_body`` is merged into the request
        body. ``timeout`` / ``max_retries`` apply to this call. ``extra_headers`` and
        ``extra_query`` are accepted but not forwarded yet (use ``default_headers``).
        """
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries)
        native = self._client._shared.native
        try:
            if stream:
                return Stream(native.stream(body, options), ChatCompletionChunk._construct)
            raw = native.chat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return ChatCompletion._construct(_json().loads(raw))

    def parse(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Any = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ParsedChatCompletion[Any]:
        """Structured outputs, as the SDK's ``parse``: ``response_format`` may be a pydantic
        class (sent as a strict JSON schema; ``choices[i].message.parsed`` is an instance),
        and ``tools`` may hold pydantic classes or ``pydantic_function_tool(...)`` (strict;
        ``tool_call.function.parsed_arguments`` is filled). Raises
        ``LengthFinishReasonError`` / ``ContentFilterFinishReasonError`` as the SDK does."""
        kwargs.pop("stream", None)
        fmt, tools, parse_model, strict_tools = _prepare_parse(response_format, tools)
        if fmt is not None:
            kwargs["response_format"] = fmt
        if tools is not None:
            kwargs["tools"] = tools
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries)
        try:
            raw = self._client._shared.native.chat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        _finish_parse(completion, parse_model, strict_tools)
        return completion


class Chat:
    """``client.chat``."""

    __slots__ = ("completions",)

    def __init__(self, client: OpenAI) -> None:
        self.completions = Completions(client)


class Models:
    """``client.models``: the catalog models reachable with the configured keys."""

    __slots__ = ("_client",)

    def __init__(self, client: _BaseClient) -> None:
        self._client = client

    def list(self) -> SyncPage[Model]:
        return SyncPage(_model_list(self._client))

    def retrieve(self, model: str) -> Model:
        return _find_model(self._client, model)


class OpenAI(_BaseClient):
    """A drop-in for ``openai.OpenAI`` that routes every chat request to the cheapest
    capable model. See ``__init__`` for the arguments; ``client.usage`` reports what was
    spent and saved; ``client.route(...)`` shows a decision without calling anyone."""

    chat: Chat
    models: Models
    usage: Usage

    def _build_resources(self) -> None:
        self.chat = Chat(self)
        self.models = Models(self)
        self.usage = Usage(self)

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


class AsyncCompletions:
    """``client.chat.completions`` of :class:`AsyncOpenAI`."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[Literal[False]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Literal[True],
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> AsyncStream[ChatCompletionChunk]: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: bool,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]: ...

    async def create(
        self,
        *,
        model: str,
        messages: Messages,
        stream: Optional[bool] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        """As :meth:`Completions.create`, awaited; never blocks the event loop."""
        body, options = self._client._request(model, messages, stream, kwargs, extra_body, kestrel, timeout, max_retries)
        native = self._client._shared.native
        try:
            if stream:
                return AsyncStream(await native.astream(body, options), ChatCompletionChunk._construct)
            raw = await native.achat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        return ChatCompletion._construct(_json().loads(raw))

    async def parse(
        self,
        *,
        model: str,
        messages: Messages,
        response_format: Any = None,
        tools: Optional[Iterable[Any]] = None,
        timeout: Optional[Timeout] = None,
        max_retries: Optional[int] = None,
        extra_headers: Optional[Mapping[str, str]] = None,
        extra_query: Optional[Mapping[str, object]] = None,
        extra_body: Optional[Mapping[str, object]] = None,
        kestrel: Optional[Mapping[str, Any]] = None,
        **kwargs: Any,
    ) -> ParsedChatCompletion[Any]:
        """As :meth:`Completions.parse`, awaited."""
        kwargs.pop("stream", None)
        fmt, tools, parse_model, strict_tools = _prepare_parse(response_format, tools)
        if fmt is not None:
            kwargs["response_format"] = fmt
        if tools is not None:
            kwargs["tools"] = tools
        body, options = self._client._request(model, messages, False, kwargs, extra_body, kestrel, timeout, max_retries)
        try:
            raw = await self._client._shared.native.achat(body, options)
        except NativeError as e:
            raise from_native(e) from None
        completion: ParsedChatCompletion[Any] = ParsedChatCompletion._construct(_json().loads(raw))
        _finish_parse(completion, parse_model, strict_tools)
        return completion


class AsyncChat:
    __slots__ = ("completions",)

    def __init__(self, client: AsyncOpenAI) -> None:
        self.completions = AsyncCompletions(client)


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


class AsyncOpenAI(_BaseClient):
    """A drop-in for ``openai.AsyncOpenAI``: ``await client.chat.completions.create(...)``;
    streams are :class:`AsyncStream`. Same arguments as :class:`OpenAI`.
    ``client.usage`` and ``client.route`` are local and synchronous."""

    chat: AsyncChat
    models: AsyncModels
    usage: Usage

    def _build_resources(self) -> None:
        self.chat = AsyncChat(self)
        self.models = AsyncModels(self)
        self.usage = Usage(self)

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
