"""The Python examples run against the bundled mock, and type-check under mypy --strict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from _mock import MOCK_BIN, REPO

EXAMPLES = REPO / "examples" / "python"
SCRIPTS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def test_there_are_examples() -> None:
    assert {p.name for p in SCRIPTS} >= {"quickstart.py", "streaming.py", "async_fanout.py", "tools.py"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_runs_against_the_mock(script: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["KESTREL_MOCK_BIN"] = str(MOCK_BIN)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "using the bundled mock provider" in done.stderr
    assert done.stdout.strip()
    assert "Mock answer from" in done.stdout or "{" in done.stdout


def test_examples_pass_mypy_strict() -> None:
    pytest.importorskip("mypy")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, *map(str, EXAMPLES.glob("*.py"))],
        capture_output=True, text=True, timeout=300, cwd=str(REPO),
    )
    assert done.returncode == 0, done.stdout + done.stderr
