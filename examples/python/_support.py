"""Shared by the examples: real providers when OPENAI_API_KEY is set, otherwise the bundled
mock provider (`kestrel-mock`) on loopback, so every example runs with no keys at all.

The mock binary comes from $KESTREL_MOCK_BIN or <repo>/target/debug/kestrel-mock
(`cargo build -p kestrel-mock`). Routing, failover, costs and savings are computed for real
either way; only the answers are canned.
"""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import kestrel_router as kestrel

REPO = Path(__file__).resolve().parents[2]

# One URL prefix per provider on the one mock server, each in the form that provider's
# SDK takes its base URL.
_PREFIXES = {
    "openai": "/openai/v1",
    "groq": "/groq",
    "xai": "/xai/v1",
    "mistral": "/mistral",
    "together": "/together/v1",
}

_mock: Optional["subprocess.Popen[str]"] = None
_mock_url: Optional[str] = None


def _start_mock() -> str:
    global _mock, _mock_url
    if _mock_url is not None:
        return _mock_url
    binary = Path(os.environ.get("KESTREL_MOCK_BIN", REPO / "target" / "debug" / "kestrel-mock"))
    if not binary.exists():
        sys.exit(f"no OPENAI_API_KEY and no mock provider at {binary}: set a key, or run "
                 "`cargo build -p kestrel-mock` (or set KESTREL_MOCK_BIN)")
    proc = subprocess.Popen([str(binary), "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"kestrel-mock listening on (http://127\.0\.0\.1:\d+)\n", line)
    if not match:
        proc.kill()
        sys.exit(f"kestrel-mock did not start: {line!r}")
    _mock, _mock_url = proc, match.group(1)
    atexit.register(_stop_mock)
    print(f"[kestrel example] no OPENAI_API_KEY set: using the bundled mock provider at {_mock_url} "
          "(answers are canned; routing, costs and savings are real)", file=sys.stderr)
    return _mock_url


def _stop_mock() -> None:
    if _mock is not None:
        _mock.terminate()
        try:
            _mock.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _mock.kill()


def client_options() -> Dict[str, Any]:
    """Constructor arguments: none (keys from the environment) when OPENAI_API_KEY is set,
    otherwise every OpenAI-compatible provider pointed at the mock."""
    if os.environ.get("OPENAI_API_KEY"):
        return {}
    url = _start_mock()
    urls = {provider: url + prefix for provider, prefix in _PREFIXES.items()}
    return {
        "api_key": "sk-mock",
        "base_url": urls.pop("openai"),
        "provider_keys": {provider: f"{provider}-mock-key" for provider in urls},
        "base_urls": urls,
        "from_env": False,
    }


def make_client(**overrides: Any) -> kestrel.OpenAI:
    return kestrel.OpenAI(**{**client_options(), **overrides})


def make_async_client(**overrides: Any) -> kestrel.AsyncOpenAI:
    return kestrel.AsyncOpenAI(**{**client_options(), **overrides})
