#!/usr/bin/env python3
"""Writes a deterministic sample usage ledger (JSONL, the format of `usage.jsonl_path`) for
the report test, the screenshot in docs/ and the report-size figure.

    python3 scripts/usage-sample.py N > usage.jsonl    (default N = 600)
"""
import json
import random
import sys

# (model, provider, tier, $ per Mtok in, $ per Mtok out)
MODELS = {
    "economy": [("llama-3.1-8b-instant", "groq", 0.05, 0.08), ("gpt-4o-mini", "openai", 0.15, 0.60)],
    "standard": [("claude-3-5-haiku-latest", "anthropic", 0.80, 4.00), ("gpt-4.1-mini", "openai", 0.40, 1.60)],
    "premium": [("gpt-4o", "openai", 2.50, 10.00)],
}
REQUESTED = ("gpt-4o", 2.50, 10.00)
TENANTS = ["acme", "globex", "initech", None]


def cost(p, c, pin, pout):
    return (p * pin + c * pout) / 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    rnd = random.Random(7)
    t0 = 1_763_900_000_000  # 2025-11-23
    span = 2 * 86_400_000
    for seq in range(1, n + 1):
        ts = t0 + span * (seq - 1) // n + rnd.randrange(0, 60_000)
        p, c = rnd.randrange(40, 2400), rnd.randrange(10, 700)
        base = cost(p, c, REQUESTED[1], REQUESTED[2])
        r = rnd.random()
        rec = {
            "seq": seq, "timestamp_ms": ts, "tenant": rnd.choice(TENANTS), "requested_model": REQUESTED[0],
            "cache_hit": False, "stream": rnd.random() < 0.3, "prompt_tokens": p, "completion_tokens": c,
            "cached_tokens": 0, "baseline_cost_usd": base, "attempts": [], "error": None,
        }
        if r < 0.08:  # cache hit: no provider call, no cost
            rec.update(model="gpt-4o-mini", provider="openai", tier="economy", cache_hit=True, cost_usd=0.0,
                       latency_ms=round(rnd.uniform(0.2, 2.0), 3))
        else:
            tier = "economy" if r < 0.62 else "standard" if r < 0.9 else "premium"
            model, provider, pin, pout = rnd.choice(MODELS[tier])
            attempts = []
            if provider == "groq" and rnd.random() < 0.12:  # rate limited, failed over
                attempts.append({"provider": "groq", "model": model, "latency_ms": round(rnd.uniform(30, 90), 1),
                                 "error": "rate_limited"})
                model, provider, pin, pout = MODELS["economy"][1]
            lat = round(rnd.lognormvariate(6.0 if tier != "premium" else 6.8, 0.4), 1)
            error = "timeout" if rnd.random() < 0.01 else None
            attempts.append({"provider": provider, "model": model, "latency_ms": lat, "error": error})
            rec.update(model=model, provider=provider, tier=tier, cost_usd=0.0 if error else cost(p, c, pin, pout),
                       latency_ms=round(sum(a["latency_ms"] for a in attempts), 1), attempts=attempts, error=error)
            if error:
                rec.update(prompt_tokens=0, completion_tokens=0, baseline_cost_usd=0.0)
        print(json.dumps(rec))


main()
