"""What every client shares, whatever its resources: the settings, the native client
behind them (one per set of keys and URLs, flushed at exit), the request body and call
options builder, and the client-level calls (``route``, ``health``, ``clear_cache``).

The resources (``resources/``) and the passthrough take a ``_BaseClient``; ``_client.py``
puts them together into ``OpenAI`` and ``AsyncOpenAI``.
"""

from __future__ import annotations

import atexit
import os
import weakref

from ._config import (
    _NATIVE_SETTINGS,
    _POLICY_SETTINGS,
    NOT_GIVEN,
    NotGiven,
    _config,
    _dumps,
    _json,
    _names,
    _not_given,
    _policy_value,
    _retries,
    _seconds,
)
from ._errors import from_native
from ._native import NativeClient, NativeError
from ._types import ProviderHealth, RouteDecision

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import TracebackType
    from typing import Any, Callable, Iterable, List, Literal, Mapping, Optional, Union

    from typing_extensions import Self

    from ._config import Messages, Timeout

__all__ = ["_BaseClient"]


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


def _strings(values: Optional[Mapping[str, Any]], name: str) -> dict[str, str]:
    """Header or query values as the SDK's httpx sends them (``True`` → ``"true"``); ``None``
    and ``NOT_GIVEN`` drop a name. Lists have no single-value form: refused, not guessed."""
    out: dict[str, str] = {}
    for key, value in (values or {}).items():
        if value is None or _not_given(value):
            continue
        if isinstance(value, (list, tuple, dict, set)):
            raise TypeError(f"{name}[{key!r}] must be a single value, got {type(value).__name__}")
        out[str(key)] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


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
        scorer: Optional[Literal["heuristic", "learned"]] = None,
        learned_model: Optional[Union[str, os.PathLike[str]]] = None,
        max_quality_drop: Union[float, Literal[False, "off"], None] = None,
        discover_models: Optional[bool] = None,
        tenant: Optional[str] = None,
        from_env: bool = True,
        usage_jsonl: Optional[Union[str, os.PathLike[str]]] = None,
        recent_records: Optional[int] = None,
        cache: Union[bool, Mapping[str, Any], None] = None,
        report: Optional[Union[Mapping[str, Any], Literal[False]]] = None,
        breaker: Optional[Mapping[str, Any]] = None,
        failover_attempts: Optional[int] = None,
        feedback: Optional[bool] = None,
        feedback_automatic: Optional[bool] = None,
        feedback_state: Optional[Union[str, os.PathLike[str]]] = None,
        organization: Optional[str] = None,
        project: Optional[str] = None,
        webhook_secret: Optional[str] = None,
        admin_api_key: Optional[str] = None,
        websocket_base_url: Optional[Any] = None,
        default_query: Optional[Mapping[str, object]] = None,
        http_client: Optional[Any] = None,
        _strict_response_validation: bool = False,
        _azure: Optional[tuple[dict[str, Any], dict[str, Any]]] = None,
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
          organization, project: OpenAI's ``OpenAI-Organization`` / ``OpenAI-Project``
            headers, sent to OpenAI only (``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID`` when
            ``from_env``).
          webhook_secret, admin_api_key, websocket_base_url, default_query, http_client: configure the
            official client that serves the APIs Kestrel does not route (embeddings,
            files, ...); routed chat requests use Kestrel's HTTP client in Rust.

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
          scorer: which scorer decides the tier: ``"learned"`` (the logistic regression
            trained on the labelled sets, default) or ``"heuristic"`` (the hand-set rules).
          learned_model: a model file written by ``kestrel eval --train`` on your own
            labelled requests, used instead of the shipped weights.
          max_quality_drop: for a hard request, how many points (0-100 quality scale) a
            substitute may score below the requested model (default 5); False or
            ``"off"`` turns the quality rule off.
          discover_models: ask each configured provider which models the key may use
            (its model listing, once per key, before the first request) and route only
            to those.
          tenant: the tenant usage is recorded under.
          from_env: read provider keys and base URLs from the environment (default True).
          usage_jsonl: append every usage record to this JSONL file.
          recent_records: how many usage records ``client.usage.records()`` keeps.
          cache: ``True`` answers repeated and reworded requests from a cache (Stage 0) at
            no provider cost; or a dict of settings: ``semantic`` (default True),
            ``threshold`` (0-1), ``ttl`` (seconds), ``max_entries``, ``max_bytes``,
            ``max_temperature``, ``cache_tool_results``, ``redis_url``, ``redis_prefix``,
            ``redis_timeout`` (seconds), ``embedding_model``, ``embedding_provider``,
            ``embedding_path`` (a local sentence-model directory, run in-process),
            ``pair_model_path`` (a sentence-pair model directory that reads each
            semantic hit's two messages together and refuses what they do not both
            ask; see the README), ``pair_threshold`` (0-1, default 0.25).
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
          feedback: learn from ``client.feedback(request_id, outcome)``: a request
            category whose answers below premium keep failing is served one tier higher
            (per tenant) until good outcomes bring it back. Off by default.
          feedback_automatic: also count automatic signals as bad outcomes (the same
            request sent again, a JSON-mode answer or tool arguments that do not parse, a
            ``length`` finish). Off by default; implies ``feedback``.
          feedback_state: a file that keeps what feedback learned, and the requests
            still awaiting an outcome, across restarts (loaded at start, rewritten
            atomically); implies ``feedback``.
        """
        if from_env:
            # Read once, as the SDK does, so `client.organization` says what is sent.
            organization = organization or os.environ.get("OPENAI_ORG_ID") or None
            project = project or os.environ.get("OPENAI_PROJECT_ID") or None
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
            "scorer": scorer,
            "learned_model": learned_model,
            "max_quality_drop": max_quality_drop,
            "discover_models": discover_models,
            "tenant": tenant,
            "from_env": from_env,
            "usage_jsonl": usage_jsonl,
            "recent_records": recent_records,
            "cache": cache,
            "report": dict(report) if report else (False if report is False else None),
            "breaker": dict(breaker) if breaker else None,
            "failover_attempts": failover_attempts,
            "feedback": feedback,
            "feedback_automatic": feedback_automatic,
            "feedback_state": feedback_state,
            "organization": organization,
            "project": project,
            "webhook_secret": webhook_secret,
            "admin_api_key": admin_api_key,
            "websocket_base_url": websocket_base_url,
            "default_query": default_query,
            "http_client": http_client,
            "azure": _azure[0] if _azure else None,
            "azure_sdk": _azure[1] if _azure else None,
        }
        if http_client is not None:
            # It cannot reach routed calls (their HTTP runs in Rust): said, not silently dropped.
            import warnings

            warnings.warn(
                "http_client configures the official client that serves the APIs Kestrel passes "
                "through (embeddings, files, ...); routed chat and Responses calls use Kestrel's own "
                "HTTP client, which takes proxies from HTTPS_PROXY / ALL_PROXY",
                UserWarning,
                stacklevel=3,
            )
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
        extra_headers: Optional[Mapping[str, Any]] = None,
        extra_query: Optional[Mapping[str, Any]] = None,
        *,
        with_messages: bool = True,
    ) -> tuple[str, Optional[str]]:
        """The request body and call options as JSON (a Responses body has no
        ``messages``)."""
        body: dict[str, Any] = {"model": model, "messages": messages} if with_messages else {"model": model}
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
        headers = _strings(extra_headers, "extra_headers")
        query = _strings({**(self._settings.get("default_query") or {}), **(extra_query or {})}, "extra_query")
        given = lambda v: v is not None and not _not_given(v)  # noqa: E731
        if given(timeout) or given(max_retries) or headers or query:
            merged = _json().loads(options) if options else {}
            t = _seconds(timeout, "timeout", local=True)
            if t is not None:
                merged["timeout"] = t
            r = _retries(max_retries, "max_retries", local=True)
            if r is not None:
                merged["max_retries"] = r
            if headers:
                merged["headers"] = {**merged.get("headers", {}), **headers}
            if query:
                merged["query"] = query
            options = _dumps(merged) if merged else None
        return _dumps(body), options

    def _auth(self, options: Optional[str]) -> Optional[str]:
        """The call options with this call's credential headers, for clients whose
        credential is fetched per request (Azure's token provider); others unchanged."""
        return options

    async def _aauth(self, options: Optional[str]) -> Optional[str]:
        """As :meth:`_auth`, for providers that may be awaited (``AsyncAzureOpenAI``)."""
        return self._auth(options)

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

    def feedback(self, request_id: str, outcome: Union[Literal["good", "bad"], float]) -> bool:
        """Records how the answer to ``request_id`` (the response's ``id``) went:
        ``"good"``, ``"bad"`` or a score from 0 to 1. Returns False when feedback is off
        (the ``feedback`` argument) or the request is unknown or was routed at premium."""
        if isinstance(outcome, bool) or not isinstance(outcome, (str, int, float)):
            raise TypeError("outcome must be \"good\", \"bad\" or a score from 0 to 1")
        try:
            return self._shared.native.feedback(request_id, str(outcome))
        except NativeError as e:
            raise from_native(e) from None

    def health(self) -> List[ProviderHealth]:
        """Each provider's circuit state and whether it has a key."""
        try:
            raw = self._shared.native.health()
        except NativeError as e:
            raise from_native(e) from None
        return [ProviderHealth._construct(d) for d in _json().loads(raw)]

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
