"""Prints the breadth suite's counts after the run."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    import test_programs
    from _harness import PROGRAMS, passed

    results = test_programs.RESULTS
    if not results:
        return
    with_sdk = [n for n, r in results.items() if passed(n, r["openai"])]
    with_kestrel = [n for n, r in results.items() if passed(n, r["kestrel"]) and r["kestrel"] == r["openai"]]
    terminalreporter.write_line(
        f"breadth (Python): programs: {len(PROGRAMS)}, run: {len(results)}, pass with openai: {len(with_sdk)}, "
        f"pass with kestrel: {len(with_kestrel)}"
    )
    for n in sorted(set(results) - set(with_sdk)):
        terminalreporter.write_line(f"  fails with openai: {n}: {results[n]['openai']}")
    for n in sorted(set(with_sdk) - set(with_kestrel)):
        terminalreporter.write_line(f"  fails with kestrel: {n}: {results[n]['kestrel']}")
