"""The official SDK's types behind Kestrel's own: ``kestrel_router.types`` answers every
name ``openai.types`` has (request ``*Param`` TypedDicts, the passthrough APIs' objects),
so modules written against ``openai.types`` import unchanged. Kestrel defines its own
classes only where answers carry Kestrel's metadata (chat completions, responses, usage)."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable


def forward(module: str, sdk_module: str) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``sdk_module`` on first use of a name the
    Kestrel module lacks: importing Kestrel never pays for the SDK's types."""

    def __getattr__(name: str) -> Any:
        if not name.startswith("__"):
            try:
                return getattr(importlib.import_module(sdk_module), name)
            except (ImportError, AttributeError):
                pass
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
