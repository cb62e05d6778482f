"""The breadth suite: one small program per documented call or option of openai-python
(its README and api.md), each run twice against the mock, once with the official
``openai`` client and once with ``kestrel_router``'s, the program's text the same. Every
program must run as documented with the official SDK (else the mock lacks something) and
then run with Kestrel to the same result: the same digest, or the same exception class and
status. The counts are printed at the end of the run (``conftest.py``)."""

from __future__ import annotations

from typing import Dict

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
