"""Asyncio fan-out: many requests at once on one client; each is routed on its own.

    python examples/python/async_fanout.py
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from _support import make_async_client

QUESTIONS = [
    "What is the capital of France?",
    "Explain the difference between TCP and UDP for a network engineer.",
    "Derive the closed form of the sum of the first n squares and prove it by induction.",
    "Translate 'good morning' into Spanish.",
    "Design a rate limiter for a multi-region API, with trade-offs.",
] * 10


async def main() -> None:
    async with make_async_client() as client:
        started = time.perf_counter()
        results = await asyncio.gather(*[
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": q}])
            for q in QUESTIONS
        ])
        elapsed = time.perf_counter() - started

        tiers = Counter(r.kestrel.tier for r in results)
        models = Counter(r.kestrel.model for r in results)
        print(f"{len(results)} requests in {elapsed * 1000:.0f} ms")
        print("tiers:  " + ", ".join(f"{tier} {n}" for tier, n in tiers.most_common()))
        print("models: " + ", ".join(f"{model} {n}" for model, n in models.most_common()))

        # Streams work the same way with `async for`.
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hello"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        print(f"stream: {text}")

        s = client.usage.savings()
        print(f"spent ${s.actual_cost_usd:.6f} instead of ${s.baseline_cost_usd:.6f} ({s.savings_pct:.1f}% saved)")


if __name__ == "__main__":
    asyncio.run(main())
