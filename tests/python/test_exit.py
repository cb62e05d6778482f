"""The interpreter exits cleanly after asyncio use (issue 15): no Rust thread touches a
Python object once finalization has begun. A crash at exit is a race, so the scenario runs
in many fresh processes and none may crash (exit code 0, no `Fatal Python error`).

The scenario: a client used and closed properly; concurrent `AsyncOpenAI` calls; a stream
read only in part; calls still in flight when the event loop ends (`asyncio.run` cancels
them) and awaitables nobody awaits, whose results are on their way while Python shuts down.
And a request made after the runtime has shut down gets an exception, not a hang.

`KESTREL_EXIT_RUNS` / `KESTREL_EXIT_WORKERS` change the number of processes and how many
run at once, for stress runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

from _mock import Mock
from conftest import client_kwargs

SCENARIO = r"""
import asyncio, json, sys
import kestrel_router as kestrel

kwargs = json.loads(sys.argv[1])
body = lambda n: dict(model="gpt-4o", messages=[{"role": "user", "content": f"What is {n}+{n}?"}])
story = dict(model="gpt-4o", messages=[{"role": "user", "content": "Tell me a story"}], stream=True)
orphans = []

async def closed():
    async with kestrel.AsyncOpenAI(**kwargs) as client:
        await client.chat.completions.create(**body(0))

async def main():
    client = kestrel.AsyncOpenAI(**kwargs)
    ask = lambda n: client.chat.completions.create(**body(n))
    await asyncio.gather(*(ask(n) for n in range(4)))
    stream = await client.chat.completions.create(**story)
    async for _ in stream:
        break
    # In flight when the loop ends: asyncio.run cancels these tasks ...
    for n in range(4):
        asyncio.ensure_future(ask(n))
    # ... but not awaitables nobody awaits: their results come back during shutdown.
    native = client._shared.native
    orphans.append(native.achat_raw(json.dumps(body(9)), None))
    orphans.append(stream._native.anext())
    await asyncio.sleep(0)

asyncio.run(closed())
asyncio.run(main())
"""

# Registered before `import kestrel_router`, so it runs after kestrel's own exit hook (atexit is
# last in, first out): by then the runtime is shut down.
LATE = r"""
import atexit, json, sys

def late():
    import kestrel_router as kestrel
    client = kestrel.OpenAI(**json.loads(sys.argv[1]))
    try:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "late"}])
    except kestrel.KestrelError as e:
        print("refused:", e)
    else:
        print("answered")

atexit.register(late)
"""

RUNS = int(os.environ.get("KESTREL_EXIT_RUNS", "200"))
WORKERS = int(os.environ.get("KESTREL_EXIT_WORKERS", "4"))


def run(script: Path, kwargs: str, runs: int) -> List[Tuple[int, str, str]]:
    env = dict(os.environ, PYTHONPATH=os.path.dirname(__file__))

    def once(_: int) -> Tuple[int, str, str]:
        p = subprocess.run([sys.executable, str(script), kwargs], capture_output=True, text=True, env=env, timeout=60)
        return p.returncode, p.stdout, p.stderr

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(once, range(runs)))


def crashes(results: List[Tuple[int, str, str]]) -> List[Tuple[int, str]]:
    return [(code, err[-400:]) for code, _, err in results if code != 0 or "Fatal Python error" in err]


def test_no_crash_at_exit_after_async_use(mock: Mock, tmp_path: Path) -> None:
    # Slow answers keep calls in flight while the interpreter exits.
    mock.script(default={"latency_ms": 30, "chunk_delay_ms": 20})
    script = tmp_path / "scenario.py"
    script.write_text(SCENARIO)
    results = run(script, json.dumps(client_kwargs(mock)), RUNS)
    crashed = crashes(results)
    assert not crashed, f"{len(crashed)}/{RUNS} runs crashed at exit; first: {crashed[0]}"


def test_request_after_exit_hook_raises(mock: Mock, tmp_path: Path) -> None:
    mock.script(default={"latency_ms": 30, "chunk_delay_ms": 20})
    script = tmp_path / "late.py"
    script.write_text(LATE + SCENARIO)
    results = run(script, json.dumps(client_kwargs(mock)), 8)
    assert not crashes(results)
    for _, out, err in results:
        assert out.startswith("refused: ") and "shut down" in out, out + err
