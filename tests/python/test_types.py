"""Response objects: attribute access all the way down, None for absent declared fields,
pass-through of unknown ones, dumping, repr and equality."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kestrel_router as kestrel
from _mock import Mock
from kestrel_router.types import CompletionUsage, Model
from kestrel_router.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    Choice,
    ChoiceDelta,
    Function,
)

RAW = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "gpt-4o-mini",
    "choices": [{
        "index": 0,
        "finish_reason": "tool_calls",
        "message": {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}],
            "reasoning_content": "thinking...",
        },
    }],
    "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8,
              "prompt_tokens_details": {"cached_tokens": 1}},
    "provider_specific": {"x_groq": {"id": "req_1"}},
}


def test_attribute_access_all_the_way_down() -> None:
    r = ChatCompletion.model_validate(RAW)
    assert r.id == "chatcmpl-1" and r.created == 1700000000
    choice = r.choices[0]
    assert isinstance(choice, Choice)
    assert isinstance(choice.message, ChatCompletionMessage)
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert isinstance(call, ChatCompletionMessageToolCall)
    assert isinstance(call.function, Function)
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert isinstance(r.usage, CompletionUsage)
    assert r.usage.prompt_tokens_details is not None
    assert r.usage.prompt_tokens_details.cached_tokens == 1


def test_absent_declared_fields_read_as_none() -> None:
    r = ChatCompletion.model_validate(RAW)
    assert r.system_fingerprint is None
    assert r.service_tier is None
    assert r.choices[0].logprobs is None
    assert r.choices[0].message.refusal is None
    assert r.choices[0].message.audio is None
    assert r.usage is not None and r.usage.completion_tokens_details is None
    assert r.usage.prompt_tokens_details is not None and r.usage.prompt_tokens_details.audio_tokens is None
    assert r.kestrel is None  # a provider's own answer has no Kestrel metadata


def test_unknown_fields_pass_through_and_unknown_names_raise() -> None:
    r = ChatCompletion.model_validate(RAW)
    assert r.provider_specific == {"x_groq": {"id": "req_1"}}  # type: ignore[attr-defined]
    assert r.choices[0].message.reasoning_content == "thinking..."  # type: ignore[attr-defined]
    assert r.choices[0].message.model_extra == {"reasoning_content": "thinking..."}
    with pytest.raises(AttributeError):
        r.no_such_field  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        r.choices[0].message.nope  # type: ignore[attr-defined]
    assert getattr(r, "no_such_field", "default") == "default"


def test_unknown_fields_named_like_methods_do_not_shadow_them() -> None:
    m = Function.model_validate({"name": "f", "arguments": "{}", "model_dump": 1, "to_dict": 2})
    assert m.model_dump() == {"name": "f", "arguments": "{}", "model_dump": 1, "to_dict": 2}
    assert m.model_extra == {"model_dump": 1, "to_dict": 2}


def test_model_dump_includes_every_declared_field() -> None:
    r = ChatCompletion.model_validate(RAW)
    d = r.model_dump()
    assert d["system_fingerprint"] is None and d["kestrel"] is None
    assert d["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert d["choices"][0]["message"]["reasoning_content"] == "thinking..."
    assert d["provider_specific"] == {"x_groq": {"id": "req_1"}}
    assert isinstance(d["choices"][0], dict)
    lean = r.model_dump(exclude_none=True)
    assert "system_fingerprint" not in lean and "content" not in lean["choices"][0]["message"]


def test_to_dict_round_trips_the_source() -> None:
    r = ChatCompletion.model_validate(RAW)
    assert r.to_dict() == RAW
    assert json.loads(r.to_json()) == RAW
    assert r.to_json().startswith('{\n  "id"')
    assert ChatCompletion.model_validate(r.to_dict()) == r


def test_model_dump_json() -> None:
    r = ChatCompletion.model_validate(RAW)
    text = r.model_dump_json()
    assert "\n" not in text and json.loads(text) == r.model_dump()
    assert json.loads(r.model_dump_json(indent=2)) == r.model_dump()
    assert json.loads(r.model_dump_json(exclude_none=True)) == r.model_dump(exclude_none=True)
    assert ChatCompletion.model_validate_json(r.model_dump_json()) == r


def test_repr_is_readable() -> None:
    r = ChatCompletion.model_validate(RAW)
    text = repr(r)
    assert text.startswith("ChatCompletion(id='chatcmpl-1', choices=[Choice(finish_reason='tool_calls', index=0, ")
    assert "function=Function(arguments='{\"city\": \"Paris\"}', name='get_weather')" in text
    assert "system_fingerprint=None" in text
    assert "provider_specific={'x_groq': {'id': 'req_1'}}" in text
    assert repr(Function(name="f", arguments="{}")) == "Function(arguments='{}', name='f')"


def test_equality_and_hashing() -> None:
    a = ChatCompletion.model_validate(RAW)
    b = ChatCompletion.model_validate(json.loads(json.dumps(RAW)))
    assert a == b
    b.choices[0].message.content = "changed"
    assert a != b
    assert Function(name="f", arguments="{}") != ChoiceDelta(content="x")
    with pytest.raises(TypeError):
        hash(a)


def test_construction_by_keywords_and_assignment() -> None:
    m = ChatCompletionMessage(role="assistant", content="hi",
                              tool_calls=[{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}])
    assert m.tool_calls is not None and m.tool_calls[0].function.name == "f"
    assert m.refusal is None
    assert m.to_dict() == {"role": "assistant", "content": "hi", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}
    m.refusal = "no"
    assert m.to_dict()["refusal"] == "no"
    assert "refusal" in m.model_fields_set


def test_copy_and_pickle() -> None:
    r = ChatCompletion.model_validate(RAW)
    assert copy.copy(r) == r
    assert copy.deepcopy(r) == r
    assert pickle.loads(pickle.dumps(r)) == r


def test_model_validate_rejects_non_mappings() -> None:
    with pytest.raises(TypeError):
        ChatCompletion.model_validate([1, 2])
    r = ChatCompletion.model_validate(RAW)
    assert ChatCompletion.model_validate(r) is r


def test_chunk_types() -> None:
    chunk = ChatCompletionChunk.model_validate({
        "id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
        "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]},
                     "finish_reason": None}],
    })
    delta = chunk.choices[0].delta
    assert delta.content is None and delta.role is None
    assert delta.tool_calls is not None
    assert delta.tool_calls[0].function is not None
    assert delta.tool_calls[0].function.arguments == '{"a"'
    assert delta.tool_calls[0].id is None
    assert chunk.usage is None and chunk.kestrel is None


def test_real_response_objects(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    meta = r.kestrel
    assert isinstance(meta, kestrel.types.KestrelMetadata)
    assert meta.requested_model == "gpt-4o"
    assert meta.provider in {"openai", "groq", "xai", "mistral", "together"}
    assert meta.tier == "economy"
    assert meta.scores is not None
    assert (meta.scores.reasoning, meta.scores.output_complexity, meta.scores.domain_specificity,
            meta.scores.instruction_nuance, meta.scores.error_tolerance) == (1, 1, 1, 1, 1)
    assert meta.confidence is not None and 0 <= meta.confidence <= 1
    assert meta.reasons and all(isinstance(x, str) for x in meta.reasons)
    assert meta.cost_usd > 0 and meta.baseline_cost_usd > meta.cost_usd
    assert meta.saved_usd == pytest.approx(meta.baseline_cost_usd - meta.cost_usd)
    assert meta.cache_hit is False and meta.cache_layer is None
    assert meta.attempts == 1 and meta.latency_ms > 0
    assert r.system_fingerprint == "fp_kestrel_mock"
    assert r.usage is not None and r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.completion_tokens_details is not None
    assert r.usage.completion_tokens_details.reasoning_tokens == 0
    # Round trip through the SDK's own types: same data, nothing lost.
    import openai.types.chat as oa

    sdk = oa.ChatCompletion.model_validate(r.to_dict())
    assert sdk.choices[0].message.content == r.choices[0].message.content
    assert sdk.model_dump(exclude={"kestrel"}, exclude_unset=True) == {
        k: v for k, v in r.to_dict().items() if k != "kestrel"}


def test_model_type() -> None:
    m = Model.model_validate({"id": "x", "object": "model", "created": 0, "owned_by": "openai"})
    assert (m.id, m.object, m.created, m.owned_by) == ("x", "model", 0, "openai")
    assert m.tier is None and m.aliases is None


def test_dump_of_lists_and_dicts_of_models() -> None:
    stats = kestrel.types.ProviderStats.model_validate({
        "provider": "openai", "attempts": 2, "successes": 1, "errors": {"rate_limited": 1},
        "failovers": 1, "latency_p50_ms": 1.0, "latency_p95_ms": 2.0, "latency_p99_ms": 3.0,
    })
    assert stats.errors == {"rate_limited": 1}
    assert stats.model_dump()["errors"] == {"rate_limited": 1}


def test_types_modules_mirror_the_sdk_layout() -> None:
    from kestrel_router.types.chat.chat_completion import Choice as C1
    from kestrel_router.types.chat.chat_completion_chunk import Choice as C2
    from kestrel_router.types.chat.chat_completion_message_tool_call import Function as F
    from kestrel_router.types.completion_usage import CompletionUsage as U
    from kestrel_router.types.model import Model as M

    assert C1 is Choice and C2 is kestrel.types.chat.ChunkChoice and F is Function
    assert U is CompletionUsage and M is Model


def test_generic_aliases_work_at_run_time() -> None:
    stream_type: Any = kestrel.Stream[ChatCompletionChunk]
    assert stream_type is kestrel.Stream


# --- the SDK's type names --------------------------------------------------------------------


def test_every_sdk_type_name_imports_from_kestrel() -> None:
    import openai.types
    import openai.types.chat
    import openai.types.responses

    from kestrel_router.types import CreateEmbeddingResponse, Embedding
    from kestrel_router.types.chat import ChatCompletion as KChat
    from kestrel_router.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam
    from kestrel_router.types.responses import Response as KResponse
    from kestrel_router.types.responses import ResponseInputParam
    from kestrel_router.types.shared_params import FunctionDefinition

    # Request types (TypedDicts) and the passthrough APIs' objects are the SDK's own ...
    assert ChatCompletionMessageParam is openai.types.chat.ChatCompletionMessageParam
    assert ChatCompletionToolParam is openai.types.chat.ChatCompletionToolParam
    assert ResponseInputParam is openai.types.responses.ResponseInputParam
    assert (Embedding, CreateEmbeddingResponse) == (openai.types.Embedding, openai.types.CreateEmbeddingResponse)
    assert FunctionDefinition is openai.types.shared_params.FunctionDefinition
    # ... answers that carry Kestrel's metadata stay Kestrel's.
    assert KChat is kestrel.types.chat.ChatCompletion and KChat is not openai.types.chat.ChatCompletion
    assert KResponse is not openai.types.responses.Response and issubclass(KResponse, kestrel.types.BaseModel)
    with pytest.raises(ImportError):
        from kestrel_router.types.chat import NoSuchType  # noqa: F401


def test_importing_kestrel_does_not_load_the_sdk_types() -> None:
    code = "import sys, kestrel_router; print('openai.types.chat' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


def test_programs_using_sdk_types_pass_mypy_strict() -> None:
    pytest.importorskip("mypy")
    programs = Path(__file__).parent / "typecheck"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, *map(str, programs.glob("*.py"))],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
