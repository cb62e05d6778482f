"""Per-call latency and throughput of kestrel.OpenAI (routing on), the official openai SDK
and litellm.completion against the same loopback mock, plus import times.

Run through bench/python_compare.sh, which builds and installs what this needs."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time

ROUNDS = int(os.environ.get("ROUNDS", "400"))
BATCHES = int(os.environ.get("BATCHES", "15"))
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def start_mock() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([os.environ["KESTREL_MOCK_BIN"]], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.rsplit(" ", 1)[-1].strip()


def import_ms(module: str) -> float:
    """Median wall time of `import module` in a fresh interpreter, minus an empty start."""

    def run(code: str) -> float:
        times = []
        for _ in range(7):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    return (run(f"import {module}") - run("pass")) * 1000


def per_call_ms(call) -> float:
    for _ in range(30):
        call()
    samples = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000


async def concurrent_per_s(acall) -> float:
    await asyncio.gather(*(acall() for _ in range(64)))
    t = time.perf_counter()
    for _ in range(BATCHES):
        await asyncio.gather(*(acall() for _ in range(64)))
    return 64 * BATCHES / (time.perf_counter() - t)


def main() -> None:
    import kestrel_router as kestrel
    import litellm
    import openai

    mock, url = start_mock()
    try:
        k = kestrel.OpenAI(api_key="bench", base_url=f"{url}/openai/v1", from_env=False)
        ka = kestrel.AsyncOpenAI(api_key="bench", base_url=f"{url}/openai/v1", from_env=False)
        routed = k.chat.completions.create(model="gpt-4o", messages=MESSAGES).kestrel.model
        o = openai.OpenAI(api_key="bench", base_url=f"{url}/openai/v1", max_retries=0)
        oa = openai.AsyncOpenAI(api_key="bench", base_url=f"{url}/openai/v1", max_retries=0)
        lite = dict(model=f"openai/{routed}", api_base=f"{url}/openai/v1", api_key="bench", messages=MESSAGES)

        rows = [
            (
                "kestrel.OpenAI (routing on)",
                per_call_ms(lambda: k.chat.completions.create(model="gpt-4o", messages=MESSAGES)),
                asyncio.run(concurrent_per_s(lambda: ka.chat.completions.create(model="gpt-4o", messages=MESSAGES))),
            ),
            (
                f"openai SDK ({routed}, direct)",
                per_call_ms(lambda: o.chat.completions.create(model=routed, messages=MESSAGES)),
                asyncio.run(concurrent_per_s(lambda: oa.chat.completions.create(model=routed, messages=MESSAGES))),
            ),
            (
                "litellm.completion (direct)",
                per_call_ms(lambda: litellm.completion(**lite)),
                asyncio.run(concurrent_per_s(lambda: litellm.acompletion(**lite))),
            ),
        ]
    finally:
        mock.terminate()

    print(f"{'client':<34} {'per call (median)':>18} {'64 concurrent':>16}")
    for name, ms, rps in rows:
        print(f"{name:<34} {ms:>15.3f} ms {rps:>12,.0f}/s")
    print()
    for module in ("kestrel", "openai", "litellm"):
        print(f"import {module:<10} {import_ms(module):>8.1f} ms")


if __name__ == "__main__":
    main()
