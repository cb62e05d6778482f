"""AsyncOpenAI: completions, streams, concurrency, cancellation (plain asyncio.run, no plugin)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable, List

import pytest

import kestrel_router as kestrel
from _mock import Mock

LONG_TEXT = " ".join(f"word{i}" for i in range(200))


def ask(text: str = "hi") -> list:
    return [{"role": "user", "content": text}]


def test_async_completion(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    async def main() -> kestrel.types.chat.ChatCompletion:
        async with make_async_client() as client:
            return await client.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"))

    r = asyncio.run(main())
    assert isinstance(r, kestrel.types.chat.ChatCompletion)
    assert r.kestrel.tier == "economy"
    assert r.choices[0].message.content == f'Mock answer from {r.model}: you said "What is 2+2?".'


def test_async_stream(make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    async def main() -> tuple:
        client = make_async_client()
        stream = await client.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"), stream=True,
                                                      stream_options={"include_usage": True})
        assert isinstance(stream, kestrel.AsyncStream)
        chunks = [c async for c in stream]
        await client.close()
        return chunks, stream

    chunks, stream = asyncio.run(main())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.endswith('you said "What is 2+2?".')
    assert chunks[-1].usage is not None and chunks[-1].kestrel is not None
    assert stream.closed and stream.kestrel == chunks[-1].kestrel


def test_async_errors_map(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 429, "retry_after": 3}, "gpt-6-luna": {"status": 403}})

    async def main() -> None:
        client = make_async_client(routing=False)
        with pytest.raises(kestrel.RateLimitError) as excinfo:
            await client.chat.completions.create(model="gpt-4o-mini", messages=ask())
        assert excinfo.value.retry_after == 3.0
        with pytest.raises(kestrel.InvalidRequestError):
            await client.chat.completions.create(model="gpt-4o-mini", messages=[])
        with pytest.raises(kestrel.PermissionDeniedError):
            await client.chat.completions.create(model="gpt-6-luna", messages=ask(), stream=True)

    asyncio.run(main())


def test_async_stream_cut(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": "one two three four", "cut_after_chunks": 2}})

    async def main() -> List[Any]:
        client = make_async_client(routing=False)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
        received = []
        with pytest.raises(kestrel.StreamInterruptedError):
            async for chunk in stream:
                received.append(chunk)
        return received

    received = asyncio.run(main())
    assert "".join(c.choices[0].delta.content or "" for c in received) == "one two "


def test_200_concurrent_calls(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    mock.script({"default": {"latency_ms": 50}})

    async def main() -> List[kestrel.types.chat.ChatCompletion]:
        client = make_async_client()
        return await asyncio.gather(*[
            client.chat.completions.create(model="gpt-4o", messages=ask(f"question {i}")) for i in range(200)
        ])

    started = time.monotonic()
    results = asyncio.run(main())
    elapsed = time.monotonic() - started
    assert len(results) == 200
    for i, r in enumerate(results):
        assert r.choices[0].message.content == f'Mock answer from {r.model}: you said "question {i}".'
    assert len({r.id for r in results}) == 200
    # 200 x 50 ms sequentially would be 10 s.
    assert elapsed < 5, elapsed
    assert len(mock.chat_requests()) == 200


def test_cancelling_a_task_mid_stream_closes_it(make_async_client: Callable[..., kestrel.AsyncOpenAI],
                                                mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": LONG_TEXT, "chunk_delay_ms": 50}})
    client = make_async_client(routing=False)
    streams: List[kestrel.AsyncStream[Any]] = []
    received: List[Any] = []

    async def consume() -> None:
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
        streams.append(stream)
        async for chunk in stream:
            received.append(chunk)

    async def main() -> float:
        task = asyncio.create_task(consume())
        while len(received) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        cancelled_at = time.monotonic()
        # The stream is closed at once; the usage record follows the cancelled upstream.
        assert streams[0].closed
        while not client.usage.records():
            await asyncio.sleep(0.01)
            assert time.monotonic() - cancelled_at < 2.0, "usage not recorded after cancellation"
        return time.monotonic() - cancelled_at

    asyncio.run(main())
    (record,) = client.usage.records()
    assert record.stream is True
    # 200 chunks at 50 ms would take 10 s; we got a few before cancelling.
    assert 3 <= len(received) < 20


def test_async_with_stream_closes(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": LONG_TEXT, "chunk_delay_ms": 20}})

    async def main() -> kestrel.AsyncStream[Any]:
        client = make_async_client(routing=False)
        async with await client.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True) as s:
            async for chunk in s:
                if chunk.choices and chunk.choices[0].delta.content:
                    break
        assert s.closed
        assert len(client.usage.records()) == 1
        return s

    asyncio.run(main())


def test_async_stream_explicit_close(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": LONG_TEXT, "chunk_delay_ms": 20}})

    async def main() -> None:
        client = make_async_client(routing=False)
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
        await stream.__anext__()
        await stream.close()
        assert stream.closed
        assert [c async for c in stream] == []
        assert len(client.usage.records()) == 1

    asyncio.run(main())


def test_async_models_and_with_options(make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock) -> None:
    async def main() -> None:
        client = make_async_client()
        mock.script({"models": {"gpt-4o": {}, "gpt-4o-mini": {}}})
        page = await client.models.list()
        ids = [m.id async for m in client.models.list()]  # the SDK's AsyncPaginator
        assert ids == [m.id for m in page.data] == ["gpt-4o", "gpt-4o-mini"]
        assert (await client.models.retrieve("gpt-4o")).owned_by == "kestrel-mock"
        assert client.kestrel.model("gpt-4o").owned_by == "openai"  # the catalog, local
        before = client.usage.savings().requests  # the model listings are counted too
        plain = client.with_options(routing=False)
        assert isinstance(plain, kestrel.AsyncOpenAI)
        r = await plain.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"))
        assert r.model == "gpt-4o"
        assert client.usage.savings().requests == before + 1  # shared ledger

    asyncio.run(main())


def test_sync_and_async_clients_run_in_one_loop(make_client: Callable[..., kestrel.OpenAI],
                                                make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    """A blocking call inside a coroutine still works (it only blocks that loop)."""
    sync = make_client(routing=False)

    async def main() -> None:
        client = make_async_client(routing=False)
        a = await client.chat.completions.create(model="gpt-4o-mini", messages=ask("a"))
        b = sync.chat.completions.create(model="gpt-4o-mini", messages=ask("b"))
        assert a.choices[0].message.content and b.choices[0].message.content

    asyncio.run(main())
    asyncio.run(main())  # a second event loop on the same runtime
