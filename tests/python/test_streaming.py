"""Synchronous streams: iteration, early exit, closing, context manager, garbage collection."""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest

import kestrel_router as kestrel
from _mock import Mock

LONG_TEXT = " ".join(f"word{i}" for i in range(200))


def ask(text: str = "hi") -> list:
    return [{"role": "user", "content": text}]


def slow_stream(mock: Mock, delay_ms: int = 20) -> None:
    mock.script(models={"gpt-4o-mini": {"text": LONG_TEXT, "chunk_delay_ms": delay_ms}})


def test_break_then_close_records_the_request(direct: kestrel.OpenAI, mock: Mock) -> None:
    slow_stream(mock)
    started = time.monotonic()
    stream = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
    seen = []
    for chunk in stream:
        seen.append(chunk)
        if len(seen) == 3:
            break
    stream.close()
    elapsed = time.monotonic() - started
    assert stream.closed
    assert list(stream) == []  # a closed stream yields nothing more
    # 200 words at 20 ms each would take 4 s; we stopped long before.
    assert elapsed < 2
    (record,) = direct.usage.records()
    assert record.stream is True and record.model == "gpt-4o-mini"
    assert record.error is None
    assert len(mock.chat_requests()) == 1


def test_with_block_closes_the_stream(direct: kestrel.OpenAI, mock: Mock) -> None:
    slow_stream(mock)
    with direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True) as stream:
        first = next(stream)
        assert first.choices[0].delta.role == "assistant"
    assert stream.closed
    assert len(direct.usage.records()) == 1


def test_dropping_the_stream_closes_it(direct: kestrel.OpenAI, mock: Mock) -> None:
    slow_stream(mock)
    stream = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
    next(stream)
    del stream
    gc.collect()
    deadline = time.monotonic() + 2
    while not direct.usage.records() and time.monotonic() < deadline:
        time.sleep(0.01)
    (record,) = direct.usage.records()
    assert record.stream is True


def test_break_out_of_a_temporary_stream(direct: kestrel.OpenAI, mock: Mock) -> None:
    slow_stream(mock)
    started = time.monotonic()
    for chunk in direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            break
    gc.collect()
    assert time.monotonic() - started < 2
    deadline = time.monotonic() + 2
    while not direct.usage.records() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(direct.usage.records()) == 1


def test_exhausted_stream_is_closed_and_has_metadata(kc: kestrel.OpenAI) -> None:
    stream = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"), stream=True)
    assert not stream.closed and stream.kestrel is None
    chunks = list(stream)
    assert stream.closed
    assert stream.kestrel is not None and stream.kestrel.tier == "economy"
    assert chunks[-1].kestrel == stream.kestrel
    with pytest.raises(StopIteration):
        next(stream)
    record = kc.usage.records()[-1]
    assert record.stream and record.completion_tokens > 0


def test_next_and_iter_protocol(direct: kestrel.OpenAI) -> None:
    stream = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
    assert iter(stream) is stream
    first = next(stream)
    rest = list(stream)
    assert first.choices[0].delta.role == "assistant" and rest[-1].choices[0].finish_reason == "stop"
    assert repr(stream) == "<kestrel.Stream closed>"


def test_stream_response_is_the_providers_answer(direct: kestrel.OpenAI) -> None:
    with direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True) as stream:
        assert stream.response.status_code == 200
        assert stream.response.headers["x-request-id"] == stream.request_id
        assert stream.response.headers["content-type"].startswith("text/event-stream")


def test_close_twice_is_harmless(direct: kestrel.OpenAI, mock: Mock) -> None:
    slow_stream(mock, 5)
    stream = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
    stream.close()
    stream.close()
    assert stream.closed


def test_stream_false_returns_a_completion(direct: kestrel.OpenAI) -> None:
    r: Any = direct.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=False)
    assert isinstance(r, kestrel.types.chat.ChatCompletion)
