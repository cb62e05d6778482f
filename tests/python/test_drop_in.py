"""`import kestrel_router as openai` is a drop-in for ordinary OpenAI SDK code.

dropin_app.py is plain OpenAI SDK code. It runs twice against the mock provider: once as
written (`import openai`) and once with only that import replaced by
`import kestrel_router as openai`. Both runs must succeed and produce the same shapes; the values
differ only where Kestrel routed to another model (the mock echoes the model's name).
"""

from __future__ import annotations

import json
import os
import re
import types
from pathlib import Path
from typing import Any, Dict

import pytest

from _mock import Mock

APP = Path(__file__).with_name("dropin_app.py")
IMPORT_LINE = "import openai\n"


def load_app(sdk: str) -> types.ModuleType:
    source = APP.read_text()
    assert source.count(IMPORT_LINE) == 1
    if sdk == "kestrel":
        source = source.replace(IMPORT_LINE, "import kestrel_router as openai\n")
    module = types.ModuleType(f"dropin_app_{sdk}")
    module.__file__ = str(APP)
    exec(compile(source, str(APP), "exec"), module.__dict__)
    return module


@pytest.fixture
def apps(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> Dict[str, types.ModuleType]:
    # Only OpenAI is configured, through the environment (keys for other providers in the
    # developer's environment must not leak into the test).
    for name in list(os.environ):
        if name.endswith(("_API_KEY", "_BASE_URL")) or name in ("CO_API_URL", "GOOGLE_GEMINI_BASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", mock.base_url("openai"))
    return {"openai": load_app("openai"), "kestrel": load_app("kestrel")}


def shape(value: Any) -> Any:
    """The structure of JSON-like data: keys and value types, list items merged."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        merged: Any = None
        for item in value:
            s = shape(item)
            merged = s if merged is None else merge(merged, s)
        return [merged] if value else []
    return type(value).__name__


def merge(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: merge(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    return a


def data(obj: Any) -> Any:
    """What a response carried, without Kestrel's metadata. Nulls are left out: an explicit
    `null` and an absent field read the same (`None`) on both sides, and Kestrel's core
    re-serializes chunks without some of the provider's explicit nulls."""
    d = obj.model_dump(exclude_none=True)
    d.pop("kestrel", None)
    return d


def normalize(text: str, model: str) -> str:
    return text.replace(model, "MODEL")


def test_plain(apps: Dict[str, types.ModuleType]) -> None:
    a, b = apps["openai"].plain(), apps["kestrel"].plain()
    assert type(a).__name__ == type(b).__name__ == "ChatCompletion"
    assert shape(data(a)) == shape(data(b))
    assert normalize(a.choices[0].message.content, a.model) == normalize(b.choices[0].message.content, b.model)
    assert b.kestrel.requested_model == "gpt-4o-mini"
    # Every attribute the SDK reads on its own object reads the same way on ours.
    for path in ("id", "object", "created", "system_fingerprint", "choices.0.index", "choices.0.finish_reason",
                 "choices.0.message.role", "choices.0.message.tool_calls", "choices.0.message.refusal",
                 "usage.prompt_tokens", "usage.total_tokens", "usage.prompt_tokens_details.cached_tokens"):
        assert type(attr(a, path)) is type(attr(b, path)), path


def attr(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def test_streaming(apps: Dict[str, types.ModuleType]) -> None:
    a, b = apps["openai"].streaming(), apps["kestrel"].streaming()
    assert len(a) == len(b)
    assert [shape(data(c)) for c in a] == [shape(data(c)) for c in b]
    text_a = "".join(c.choices[0].delta.content or "" for c in a)
    text_b = "".join(c.choices[0].delta.content or "" for c in b)
    assert normalize(text_a, a[0].model) == normalize(text_b, b[0].model)
    assert b[-1].kestrel is not None


def test_streaming_with_usage(apps: Dict[str, types.ModuleType]) -> None:
    a, b = apps["openai"].streaming_with_usage(), apps["kestrel"].streaming_with_usage()
    assert [shape(data(c)) for c in a] == [shape(data(c)) for c in b]
    assert a[-1].choices == b[-1].choices == []
    assert a[-1].usage.total_tokens > 0 and b[-1].usage.total_tokens > 0


def test_tools(apps: Dict[str, types.ModuleType]) -> None:
    (a1, a2), (b1, b2) = apps["openai"].tools(), apps["kestrel"].tools()
    assert shape(data(a1)) == shape(data(b1))
    assert shape(data(a2)) == shape(data(b2))
    ca, cb = a1.choices[0].message.tool_calls[0], b1.choices[0].message.tool_calls[0]
    assert (ca.type, ca.function.name, json.loads(ca.function.arguments)) == (
        cb.type, cb.function.name, json.loads(cb.function.arguments))
    assert "18 degrees celsius" in a2.choices[0].message.content
    assert "18 degrees celsius" in b2.choices[0].message.content


def test_json_mode(apps: Dict[str, types.ModuleType]) -> None:
    (ra, da), (rb, db) = apps["openai"].json_mode(), apps["kestrel"].json_mode()
    assert shape(data(ra)) == shape(data(rb))
    assert shape(da) == shape(db)


def test_json_schema(apps: Dict[str, types.ModuleType]) -> None:
    assert apps["openai"].json_schema() == apps["kestrel"].json_schema() == {"name": "example", "age": 1}


def test_structured_outputs_parse(apps: Dict[str, types.ModuleType]) -> None:
    a, b = apps["openai"].structured(), apps["kestrel"].structured()
    assert a.model_dump() == b.model_dump() == {"name": "example", "date": "example", "participants": ["example"]}


@pytest.mark.parametrize("status", [429, 401, 404, 500])
def test_errors(apps: Dict[str, types.ModuleType], mock: Mock, status: int) -> None:
    mock.script({"default": {"status": status}})
    a = apps["openai"].errors()
    b = apps["kestrel"].errors()
    assert a == b
    assert a[1] == status


def test_module_level_client(apps: Dict[str, types.ModuleType]) -> None:
    a, b = apps["openai"].module_level(), apps["kestrel"].module_level()
    assert shape(data(a)) == shape(data(b))
    assert b.kestrel.requested_model == "gpt-4o-mini"


def test_models(apps: Dict[str, types.ModuleType], mock: Mock) -> None:
    # Both list what the server says (Kestrel's catalog is `client.kestrel.models()`).
    mock.script({"models": {"gpt-4o": {}, "gpt-4o-mini": {}}})
    assert apps["openai"].models() == apps["kestrel"].models() == ["gpt-4o", "gpt-4o-mini"]


def test_async(apps: Dict[str, types.ModuleType]) -> None:
    (ca, ta, ma), (cb, tb, mb) = apps["openai"].run_async(), apps["kestrel"].run_async()
    assert shape(data(ca)) == shape(data(cb))
    assert ta.startswith("Mock answer from") and tb.startswith("Mock answer from")
    assert re.sub(r"from [^:]+:", "", ta) == re.sub(r"from [^:]+:", "", tb)
    assert [re.sub(r"from [^:]+:", "", m) for m in ma] == [re.sub(r"from [^:]+:", "", m) for m in mb]
