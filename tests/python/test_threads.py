"""Blocking calls release the GIL: threads run their requests in parallel."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import kestrel_router as kestrel
from _mock import Mock

THREADS = 8
CALLS = 20
LATENCY_MS = 40


def test_threads_run_in_parallel(kc: kestrel.OpenAI, mock: Mock) -> None:
    mock.script({"default": {"latency_ms": LATENCY_MS}})
    errors: List[BaseException] = []
    per_thread: List[float] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        started = time.monotonic()
        try:
            for i in range(CALLS):
                r = kc.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"t{n} c{i}"}])
                assert r.choices[0].message.content == f'Mock answer from {r.model}: you said "t{n} c{i}".'
        except BaseException as e:  # surfaced below
            errors.append(e)
        with lock:
            per_thread.append(time.monotonic() - started)

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started

    assert not errors, errors
    sequential = sum(per_thread)
    # Each thread alone takes >= 20 x 40 ms = 0.8 s; 8 of them in series would be >= 6.4 s.
    assert sequential >= THREADS * CALLS * LATENCY_MS / 1000
    assert wall < sequential / 3, (wall, sequential)
    assert wall < 4, wall
    assert kc.usage.savings().requests == THREADS * CALLS
    assert len(mock.chat_requests()) == THREADS * CALLS


def test_python_threads_progress_during_a_blocking_call(direct: kestrel.OpenAI, mock: Mock) -> None:
    """While one thread waits on a slow call, another keeps running Python code."""
    mock.script(models={"gpt-4o-mini": {"latency_ms": 500}})
    ticks = 0
    stop = threading.Event()

    def spin() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        direct.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "slow"}])
    finally:
        stop.set()
        spinner.join()
    assert ticks > 50


def test_streams_consumed_from_a_pool(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script({"default": {"chunk_delay_ms": 5}})

    def run(i: int) -> str:
        with direct.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"s{i}"}],
                                            stream=True) as stream:
            return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    with ThreadPoolExecutor(max_workers=8) as pool:
        texts = list(pool.map(run, range(16)))
    assert texts == [f'Mock answer from gpt-4o-mini: you said "s{i}".' for i in range(16)]
