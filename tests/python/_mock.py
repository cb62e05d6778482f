"""The kestrel-mock process and its control API, shared by the Python tests.

The binary comes from $KESTREL_MOCK_BIN (default: <repo>/target/debug/kestrel-mock; build
it with `cargo build -p kestrel-mock`). See tests/mock/README.md for the script format.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[2]
MOCK_BIN = Path(os.environ.get("KESTREL_MOCK_BIN", REPO / "target" / "debug" / "kestrel-mock"))

# Each provider under test gets its own prefix on the one mock server, in the form that
# provider's SDK takes its base URL (Kestrel appends the provider's chat path).
PROVIDER_PREFIXES = {
    "openai": "/openai/v1",
    "groq": "/groq",
    "xai": "/xai/v1",
    "mistral": "/mistral",
    "together": "/together/v1",
}
PROVIDER_KEYS = {
    "openai": "sk-test",
    "groq": "gsk-test",
    "xai": "xai-test",
    "mistral": "mistral-test",
    "together": "together-test",
}


class MockProcess:
    """A running kestrel-mock on a loopback port."""

    def __init__(self, proc: "subprocess.Popen[str]", url: str) -> None:
        self.proc = proc
        self.url = url

    @classmethod
    def start(cls, timeout: float = 15.0) -> "MockProcess":
        if not MOCK_BIN.exists():
            raise FileNotFoundError(
                f"mock binary not found at {MOCK_BIN}: run `cargo build -p kestrel-mock` or set KESTREL_MOCK_BIN"
            )
        proc = subprocess.Popen([str(MOCK_BIN), "--port", "0"], stdout=subprocess.PIPE, text=True)
        first_line: List[str] = []
        assert proc.stdout is not None
        stdout = proc.stdout
        reader = threading.Thread(target=lambda: first_line.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=timeout)
        match = re.fullmatch(
            r"kestrel-mock listening on (http://127\.0\.0\.1:\d+)\n", first_line[0] if first_line else ""
        )
        if not match:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"unexpected first line from kestrel-mock: {first_line!r}")
        return cls(proc, match.group(1))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def control(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def set_script(url: str, script: Dict[str, Any]) -> None:
    control(url, "PUT", "/_mock/script", script)


def recorded(url: str) -> List[Dict[str, Any]]:
    requests: List[Dict[str, Any]] = control(url, "GET", "/_mock/requests")
    return requests


def clear_requests(url: str) -> None:
    control(url, "DELETE", "/_mock/requests")


class Mock:
    """The `mock` fixture: the server's URL plus its control API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def script(self, script: Optional[Dict[str, Any]] = None, **models: Any) -> None:
        """Replaces the script; `mock.script(models={...})` or `mock.script({...})`."""
        set_script(self.url, dict(script or {}, **models))

    def set_model(self, model: str, steps: Any) -> None:
        """Sets one model's behaviour, queue (list) or cycle (`{"cycle": [...]}`), leaving the
        rest of the script alone; that model's queue starts over."""
        control(self.url, "PUT", "/_mock/models/" + urllib.parse.quote(model, safe="/"), steps)

    def remove_model(self, model: str) -> None:
        """Back to the script's default for `model`."""
        control(self.url, "DELETE", "/_mock/models/" + urllib.parse.quote(model, safe="/"))

    def requests(self) -> List[Dict[str, Any]]:
        return recorded(self.url)

    def chat_requests(self) -> List[Dict[str, Any]]:
        return [r for r in recorded(self.url) if r["path"].endswith("/chat/completions")]

    def clear(self) -> None:
        clear_requests(self.url)

    def base_url(self, provider: str) -> str:
        return self.url + PROVIDER_PREFIXES[provider]

    def base_urls(self) -> Dict[str, str]:
        return {p: self.url + prefix for p, prefix in PROVIDER_PREFIXES.items()}
