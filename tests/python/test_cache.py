"""The cache (Stage 0) through the Python package: one argument turns it on, hits cost
nothing and skip the provider, streams replay, per-request switches, usage counters, and a
Redis cache shared by separate processes."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from typing import Any, Callable, Iterator

import pytest

import kestrel_router as kestrel
from _mock import Mock
from conftest import client_kwargs


def ask(client: Any, text: str, **kwargs: Any) -> Any:
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}], **kwargs)


def test_off_unless_asked(kc: Any, mock: Mock) -> None:
    ask(kc, "What is 2+2?")
    r = ask(kc, "What is 2+2?")
    assert r.kestrel.cache_hit is False
    assert len(mock.chat_requests()) == 2
    assert kc.usage.records()[-1].cache is None


def test_a_repeat_is_free_and_a_rewording_hits_the_semantic_layer(make_client: Callable[..., Any], mock: Mock) -> None:
    client = make_client(cache=True)
    first = ask(client, "What is the capital of France?")
    assert first.kestrel.cache_hit is False
    again = ask(client, "What is the capital of France?")
    assert again.kestrel.cache_hit is True
    assert again.kestrel.cache_layer == "exact"
    assert again.kestrel.cost_usd == 0
    assert again.kestrel.saved_usd == again.kestrel.baseline_cost_usd > 0
    assert again.choices[0].message.content == first.choices[0].message.content
    reworded = ask(client, "hey, what's the capital of france??")
    assert reworded.kestrel.cache_layer == "semantic"
    assert ask(client, "What is the capital of Spain?").kestrel.cache_hit is False
    assert len(mock.chat_requests()) == 2

    stats = client.usage.cache()
    assert (stats.exact_hits, stats.semantic_hits, stats.misses, stats.bypasses) == (1, 1, 2, 0)
    assert client.usage.routing().cache == 2
    assert [r.cache for r in client.usage.records()] == ["miss", "exact", "semantic", "miss"]


def test_a_hit_streams_like_a_provider(make_client: Callable[..., Any], mock: Mock) -> None:
    client = make_client(cache=True)
    text = ask(client, "Write a haiku about rain").choices[0].message.content
    stream = ask(client, "Write a haiku about rain", stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text
    assert chunks[-1].usage is not None and chunks[-1].kestrel.cache_hit is True
    assert len(mock.chat_requests()) == 1


def test_per_request_switches(make_client: Callable[..., Any], mock: Mock) -> None:
    client = make_client(cache={"ttl": 60, "semantic": False})
    ask(client, "Tell me a joke")
    assert ask(client, "Tell me a joke", kestrel={"cache": False}).kestrel.cache_hit is False
    assert ask(client, "Tell me a joke", extra_body={"kestrel": {"cache": "refresh"}}).kestrel.cache_hit is False
    assert ask(client, "Tell me a joke").kestrel.cache_hit is True
    assert ask(client, "tell me a joke!").kestrel.cache_hit is False, "semantic layer off"
    assert ask(client, "Tell me a joke", n=2).kestrel.cache_hit is False
    assert ask(client, "Tell me a joke", temperature=1.7).kestrel.cache_hit is False
    assert len(mock.chat_requests()) == 6
    assert client.usage.cache().bypasses == 3
    client.clear_cache()
    assert ask(client, "Tell me a joke").kestrel.cache_hit is False


def local_models() -> dict[str, str]:
    """The cache's local models, as scripts/test.sh installs them (it exports both)."""
    embed, pair = os.environ.get("KESTREL_EMBED_MODEL_DIR"), os.environ.get("KESTREL_PAIR_MODEL_DIR")
    assert embed and pair, "run through scripts/test.sh, which installs both models and names them"
    return {"embedding_path": embed, "pair_model_path": pair}


def test_the_pair_model_refuses_swapped_roles_the_embedding_lets_through(
    make_client: Callable[..., Any], mock: Mock
) -> None:
    stored, swapped = "Can my tenant sublet my flat without asking?", "Can I sublet my tenant's flat without asking?"
    plain = make_client(cache={"embedding_path": local_models()["embedding_path"]})
    ask(plain, stored)
    assert ask(plain, swapped).kestrel.cache_layer == "semantic", "the case the pair model is for"

    checked = make_client(cache=local_models())
    ask(checked, stored)
    assert ask(checked, swapped).kestrel.cache_hit is False
    polite = ask(checked, "Hi! can my tenant sublet my flat without asking?? Thanks")
    assert polite.kestrel.cache_layer == "semantic"
    with pytest.raises(kestrel.ConfigurationError, match="pair_threshold"):
        make_client(cache={**local_models(), "pair_threshold": 2})


def test_bad_settings_are_typed_errors(make_client: Callable[..., Any]) -> None:
    with pytest.raises(kestrel.ConfigurationError, match="treshold"):
        make_client(cache={"treshold": 0.9})
    with pytest.raises(kestrel.ConfigurationError, match="threshold"):
        make_client(cache={"threshold": 3})
    with pytest.raises(kestrel.ConfigurationError, match="cache"):
        make_client(cache="yes")


def test_async_clients_share_the_cache_semantics(make_async_client: Callable[..., Any], mock: Mock) -> None:
    async def main() -> None:
        client = make_async_client(cache=True)
        messages = [{"role": "user", "content": "Summarise the plot of Hamlet"}]
        await client.chat.completions.create(model="gpt-4o", messages=messages)
        r = await client.chat.completions.create(model="gpt-4o", messages=messages)
        assert r.kestrel.cache_hit is True
        stream = await client.chat.completions.create(model="gpt-4o", messages=messages, stream=True)
        chunks = [c async for c in stream]
        assert chunks[-1].kestrel.cache_hit is True

    asyncio.run(main())
    assert len(mock.chat_requests()) == 1


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is needed: `apt-get install redis-server` (scripts/test.sh installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/"
    finally:
        proc.kill()
        proc.wait()


PROCESS = """
import json, sys
import kestrel_router as kestrel
kwargs = json.loads(sys.argv[1])
client = kestrel.OpenAI(**kwargs)
r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": sys.argv[2]}])
print(json.dumps({"hit": r.kestrel.cache_hit, "layer": r.kestrel.cache_layer,
                  "text": r.choices[0].message.content}))
"""


def test_separate_processes_share_answers_through_redis(mock: Mock, redis_url: str) -> None:
    kwargs = client_kwargs(mock, cache={"redis_url": redis_url, "redis_prefix": f"test-{os.getpid()}"})

    def run(text: str, **overrides: Any) -> Any:
        out = subprocess.run(
            [sys.executable, "-c", PROCESS, json.dumps({**kwargs, **overrides}), text],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(out.stdout)

    first = run("What is the boiling point of water at sea level?")
    assert first["hit"] is False
    second = run("What is the boiling point of water at sea level?")
    assert second == {"hit": True, "layer": "exact", "text": first["text"]}
    assert run("what's the boiling point of water at sea level")["layer"] == "semantic"
    assert run("What is the boiling point of water at sea level?", tenant="other")["hit"] is False
    assert len(mock.chat_requests()) == 2


def test_a_dead_redis_is_a_miss_not_an_error(make_client: Callable[..., Any], mock: Mock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(cache={"redis_url": f"redis://127.0.0.1:{port}/", "redis_timeout": 0.2})
    for _ in range(2):
        assert ask(client, "Ping?").kestrel.cache_hit is False
    assert len(mock.chat_requests()) == 2
