"""The provider's HTTP answer as the core carries it up (``ProviderResponse`` JSON: status,
response headers, request id, latency), read back and rebuilt as an ``httpx`` response of
the HTTP library the installed ``openai`` uses. Errors, streams and raw responses all
build from here; this module imports nothing else of the package."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional, Union

_HTTP: Any = None


def http_module() -> Any:
    """The ``httpx`` (or ``httpx2``) module the installed ``openai`` builds its responses
    with, so ``isinstance`` checks against the SDK's own types hold."""
    global _HTTP
    if _HTTP is None:
        try:
            import openai._base_client as base

            _HTTP = getattr(base, "httpx2", None) or getattr(base, "httpx")
        except (ImportError, AttributeError):  # pragma: no cover - openai is a dependency
            import httpx

            _HTTP = httpx
    return _HTTP


def _loads(text: Union[str, bytes]) -> Any:
    import json

    return json.loads(text)


def parse_info(info_json: Optional[str]) -> Optional[dict[str, Any]]:
    """The core's ``ProviderResponse`` JSON as a dict (``None`` stays ``None``)."""
    if not info_json:
        return None
    info = _loads(info_json)
    return info if isinstance(info, dict) else None


def request_id_of(info_json: Optional[str]) -> Optional[str]:
    """The provider's request id from the core's JSON, without building anything else."""
    info = parse_info(info_json)
    rid = info.get("request_id") if info else None
    return rid if isinstance(rid, str) else None


def build_http_response(
    info: Optional[dict[str, Any]],
    *,
    content: Optional[bytes] = None,
    stream: Any = None,
    content_type: str = "application/json",
    status: int = 200,
    url: Optional[str] = None,
) -> Any:
    """An ``httpx.Response`` for ``info`` (the provider's answer; ``None`` for one Kestrel
    made itself, such as a cached answer or a request it refused) with ``content`` or
    ``stream`` as its body."""
    import datetime

    http = http_module()
    headers: list[tuple[str, str]] = []
    if info:
        for pair in info.get("headers") or ():
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                headers.append((str(pair[0]), str(pair[1])))
        status = int(info.get("status") or status)
        url = info.get("url") or url
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", content_type))
    method = str(info.get("method") or "POST") if info else "POST"
    request = http.Request(method, url or "https://api.openai.com/v1/chat/completions")
    if stream is not None:
        response = http.Response(status, headers=headers, stream=stream, request=request)
    else:
        response = http.Response(status, headers=headers, content=content or b"", request=request)
    elapsed = datetime.timedelta(milliseconds=float(info.get("elapsed_ms") or 0.0) if info else 0.0)
    try:
        response.elapsed = elapsed
    except AttributeError:  # httpx 0.x has no setter
        response._elapsed = elapsed
    return response
