"""The interpreter exits cleanly after asyncio use: no Rust thread touches a Python object
once finalization has begun. Run in many fresh processes, since a crash at exit is a race.

The scenario: concurrent `AsyncOpenAI` calls, a stream read only in part, calls still in
flight when the event loop ends, and a client closed properly."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Tuple

from conftest import client_kwargs
from _mock import Mock

SCENARIO = r"""
import asyncio, json, sys
import kestrel_router as kestrel

kwargs = json.loads(sys.argv[1])

async def main():
    client = kestrel.AsyncOpenAI(**kwargs)
    ask = lambda n: client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": f"What is {n}+{n}?"}])
    await asyncio.gather(*(ask(n) for n in range(4)))
    stream = await client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Tell me a story"}], stream=True)
    async for _ in stream:
        break
    # Left in flight when the loop ends: their results arrive while Python shuts down.
    for n in range(4):
        asyncio.ensure_future(ask(n))
    await asyncio.sleep(0)

async def closed():
    async with kestrel.AsyncOpenAI(**kwargs) as client:
        await client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])

asyncio.run(closed())
asyncio.run(main())
"""

RUNS = 200


def run_once(args: Tuple[str, str]) -> Tuple[int, str]:
    kwargs, env_path = args
    env = dict(os.environ, PYTHONPATH=env_path)
    p = subprocess.run([sys.executable, "-c", SCENARIO, kwargs], capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stderr


def test_no_crash_at_exit_after_async_use(mock: Mock) -> None:
    import json

    kwargs = client_kwargs(mock)
    # Slow answers keep calls in flight while the interpreter exits.
    mock.script(default={"latency_ms": 30, "chunk_delay_ms": 20})
    here = os.path.dirname(__file__)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run_once, [(json.dumps(kwargs), here)] * RUNS))
    crashes = [(code, err[-300:]) for code, err in results if code != 0 or "Fatal Python error" in err]
    assert not crashes, f"{len(crashes)}/{RUNS} runs crashed at exit; first: {crashes[0]}"
