"""Constructor settings as the native client's configuration, and the JSON helpers every
resource uses. The core (``ClientConfig``) takes the settings under their own names and
checks them; this layer only converts Python's units."""

from __future__ import annotations

import os

from ._errors import ConfigurationError, InvalidRequestError
from ._models import BaseModel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Iterable, List, Literal, Mapping, Optional, Union

    Timeout = Any
    """Seconds, or an object with ``read``/``connect``/``write``/``pool`` seconds (``httpx.Timeout``)."""
    Messages = Iterable[Union[Mapping[str, Any], BaseModel]]


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
    "max_quality_drop",
    "discover_models",
    "organization",
    "project",
    "azure",
    "feedback",
    "feedback_automatic",
    "feedback_state",
    "scorer",
    "learned_model",
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
    "admin_api_key",
    "webhook_secret",
    "websocket_base_url",
    "default_query",
    "http_client",
    # An Azure client's own arguments, as given (callables included): for the official
    # AzureOpenAI client of the passthrough layer and the per-call credentials.
    "azure_sdk",
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
        elif name in ("config_file", "usage_jsonl", "feedback_state", "learned_model"):
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
