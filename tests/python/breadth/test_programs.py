"""The breadth suite: one small program per documented call or option of openai-python
(its README and api.md), each run twice against the mock, once with the official
``openai`` client and once with ``kestrel_router``'s, the program's text the same. Every
program must run as documented with the official SDK (else the mock lacks something) and
then run with Kestrel to the same result: the same digest, or the same exception class and
status. The counts are printed after the last program."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import openai
import pytest

import chat_programs  # noqa: F401 - the modules register their programs
import errors_programs  # noqa: F401
import kestrel_router
import options_programs  # noqa: F401
import platform_programs  # noqa: F401
import responses_programs  # noqa: F401
from _harness import PROGRAMS, Kit, Outcome, passed, run
from _mock import Mock

RESULTS: Dict[str, Dict[str, Outcome]] = {}


@pytest.fixture(scope="module", autouse=True)
def summary(request: Any) -> Iterator[None]:
    """Prints the counts once every program has run (failures too, named)."""
    yield
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + "\n".join(summary_lines()))


def summary_lines() -> List[str]:
    with_sdk = [n for n, r in RESULTS.items() if passed(n, r["openai"])]
    with_kestrel = [n for n, r in RESULTS.items() if passed(n, r["kestrel"]) and r["kestrel"] == r["openai"]]
    lines = [f"breadth (Python): programs: {len(PROGRAMS)}, run: {len(RESULTS)}, pass with openai: {len(with_sdk)}, "
             f"pass with kestrel: {len(with_kestrel)}"]
    lines += [f"  fails with openai: {n}: {RESULTS[n]['openai']}" for n in sorted(set(RESULTS) - set(with_sdk))]
    lines += [f"  fails with kestrel: {n}: {RESULTS[n]['kestrel']}" for n in sorted(set(with_sdk) - set(with_kestrel))]
    return lines


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_program_the_sdk_runs_runs_with_kestrel(name: str, mock: Mock) -> None:
    runs: Dict[str, Outcome] = {}
    for label, module in (("openai", openai), ("kestrel", kestrel_router)):
        # The same mock state for both runs.
        mock.script({"listed": {"/openai": ["gpt-4o", "gpt-4o-mini"]}})
        mock.clear()
        kit = Kit(module, mock)
        runs[label] = run(name, kit.make(), kit)
    RESULTS[name] = runs
    assert passed(name, runs["openai"]), f"the official SDK does not run {name} as documented: {runs['openai']}"
    assert runs["kestrel"] == runs["openai"], runs
