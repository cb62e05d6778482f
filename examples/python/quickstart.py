"""Quickstart: one request, where it went, what it cost, and the running savings.

    python examples/python/quickstart.py
"""

from __future__ import annotations

from _support import make_client


def main() -> None:
    client = make_client()  # with keys in the environment: kestrel.OpenAI()

    questions = [
        "What is 2+2?",
        "Summarise the plot of Hamlet in two sentences.",
        "Prove that the square root of 2 is irrational, step by step.",
    ]
    for question in questions:
        r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
        meta = r.kestrel
        print(f"> {question}")
        print(f"  {r.choices[0].message.content}")
        print(f"  gpt-4o -> {meta.model} ({meta.provider}, tier {meta.tier}); "
              f"${meta.cost_usd:.6f} instead of ${meta.baseline_cost_usd:.6f}")

    # A dry run: the decision without calling anyone.
    decision = client.route(model="gpt-4o", messages=[{"role": "user", "content": "Translate 'hello' to French"}])
    print(f"\nroute: {decision.model} via {decision.provider}; plan {' -> '.join(decision.plan)}")
    for reason in decision.reasons:
        print(f"  · {reason}")

    s = client.usage.savings()
    mix = client.usage.routing()
    print(f"\n{s.requests} requests: ${s.actual_cost_usd:.6f} spent, ${s.baseline_cost_usd:.6f} baseline, "
          f"{s.savings_pct:.1f}% saved; economy {mix.economy}, standard {mix.standard}, premium {mix.premium}")


if __name__ == "__main__":
    main()
