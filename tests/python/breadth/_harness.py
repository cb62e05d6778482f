"""What the breadth programs run on: a registry of programs and the ``Kit`` each gets.

A program is ``fn(client, kit)``: ``client`` is the library's ``OpenAI`` pointed at the
mock, ``kit`` builds other clients of the same library and reads what reached the mock. It
returns a plain "digest" of what it got (fields, type names, bytes), so the run with the
official ``openai`` and the run with ``kestrel_router`` compare by equality; ids and
timestamps the mock mints per request are left out. A program documented to fail says so
with ``@program(raises=...)`` and passes when it raises that SDK error class.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Tuple

import openai

import kestrel_router
from _mock import PROVIDER_KEYS, Mock

MESSAGES = [{"role": "user", "content": "Say this is a test"}]
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}

Program = Callable[[Any, "Kit"], Any]


@dataclass
class Entry:
    fn: Program
    raises: Optional[str]


PROGRAMS: Dict[str, Entry] = {}


def program(fn: Optional[Program] = None, *, raises: Optional[str] = None) -> Any:
    """Registers a program; ``raises``: the SDK error class it is documented to end with."""

    def register(f: Program) -> Program:
        assert f.__name__ not in PROGRAMS, f"two programs named {f.__name__}"
        PROGRAMS[f.__name__] = Entry(f, raises)
        return f

    return register(fn) if fn is not None else register


def kind(x: Any) -> str:
    return type(x).__name__.split("[")[0]  # `ParsedChatCompletion[Math]` as `ParsedChatCompletion`


class Kit:
    """One library's clients on the mock, and the mock's record of what it was sent."""

    def __init__(self, module: ModuleType, mock: Mock) -> None:
        self.module = module
        self.mock = mock
        self.key = PROVIDER_KEYS["openai"]
        self.base_url = mock.base_url("openai")
        # Kestrel's client answers with the requested model (routing is tested elsewhere).
        self.extras: Dict[str, Any] = {"routing": False} if module is kestrel_router else {}

    @property
    def is_kestrel(self) -> bool:
        return self.module is kestrel_router

    def make(self, **overrides: Any) -> Any:
        """An ``OpenAI`` of this library on the mock, with ``overrides``; no retries."""
        return self.module.OpenAI(**self.settings(overrides))

    def make_async(self, **overrides: Any) -> Any:
        return self.module.AsyncOpenAI(**self.settings(overrides))

    def bare(self, cls: str = "OpenAI", **kwargs: Any) -> Any:
        """``module.<cls>(**kwargs)`` with nothing added but Kestrel's ``routing=False``."""
        return getattr(self.module, cls)(**{**self.extras, **kwargs})

    def settings(self, overrides: Dict[str, Any]) -> Dict[str, Any]:
        base = {"api_key": self.key, "base_url": self.base_url, "max_retries": 0, **self.extras}
        if self.is_kestrel:
            base["from_env"] = False
        return {**base, **overrides}

    def sent(self, path_end: str = "") -> List[Dict[str, Any]]:
        """The requests the mock received whose path ends with ``path_end``."""
        return [r for r in self.mock.requests() if r["path"].endswith(path_end)]

    def last_sent(self, path_end: str = "") -> Dict[str, Any]:
        return self.sent(path_end)[-1]


class Env:
    """Sets environment variables for a block, restoring them after."""

    def __init__(self, **values: Optional[str]) -> None:
        self.values = values
        self.saved: Dict[str, Optional[str]] = {}

    def __enter__(self) -> None:
        for k, v in self.values.items():
            self.saved[k] = os.environ.get(k)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def __exit__(self, *exc: Any) -> None:
        for k, v in self.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sdk_class(e: BaseException) -> str:
    """The SDK's name for an error: the first class in its ancestry that ``openai`` has
    (Kestrel's ``InvalidRequestError`` is a ``BadRequestError``)."""
    for cls in type(e).__mro__:
        if isinstance(getattr(openai, cls.__name__, None), type):
            return cls.__name__
    return type(e).__name__


Outcome = Tuple[str, Any]


def run(name: str, client: Any, kit: Kit) -> Outcome:
    """``("ok", digest)``, ``("error", (class, status))`` for an SDK error, or ``("crash",
    description)`` for anything else."""
    try:
        return "ok", PROGRAMS[name].fn(client, kit)
    except (openai.OpenAIError, kestrel_router.OpenAIError) as e:
        return "error", (sdk_class(e), getattr(e, "status_code", None))
    except Exception as e:  # noqa: BLE001 - a program that breaks is a result to report
        return "crash", f"{type(e).__name__}: {e}"


def passed(name: str, outcome: Outcome) -> bool:
    """Whether a program ran as documented: to the end, or to its documented error."""
    raises = PROGRAMS[name].raises
    if raises is None:
        return outcome[0] == "ok"
    return outcome[0] == "error" and outcome[1][0] == raises
