"""Outcome feedback through the Python client: the binding forwards, the core learns."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

import kestrel_router as kestrel

LOOKUP = [{"role": "user", "content": "What's the capital of Peru?"}]


def tier(client: Any) -> Any:
    return client.route(model="gpt-4o", messages=LOOKUP).tier


def test_bad_outcomes_raise_a_category_good_ones_bring_it_back_and_the_state_survives(
    make_client: Callable[..., Any], tmp_path: Path
) -> None:
    state = tmp_path / "feedback.json"
    kc = make_client(feedback_state=state)
    assert tier(kc) == "economy"
    for _ in range(6):
        r = kc.chat.completions.create(model="gpt-4o", messages=LOOKUP)
        assert kc.feedback(r.id, "bad") is True
    d = kc.route(model="gpt-4o", messages=LOOKUP)
    assert tier(kc) == "standard"
    assert any("lookup answers" in x for x in d.reasons), d.reasons
    assert state.exists()

    # A new client on the same state file starts where the first one stopped.
    again = make_client(feedback_state=state)
    assert tier(again) == "standard"
    for _ in range(20):
        r = again.chat.completions.create(model="gpt-4o", messages=LOOKUP)
        assert again.feedback(r.id, 1.0) is True
    assert tier(again) == "economy"


def test_feedback_is_off_by_default_and_outcomes_are_checked(make_client: Callable[..., Any]) -> None:
    kc = make_client()
    r = kc.chat.completions.create(model="gpt-4o", messages=LOOKUP)
    assert kc.feedback(r.id, "bad") is False
    on = make_client(feedback=True)
    assert on.feedback("never-sent", "good") is False
    with pytest.raises(kestrel.BadRequestError):
        on.feedback("never-sent", "meh")  # type: ignore[arg-type]
    with pytest.raises(kestrel.BadRequestError):
        on.feedback("never-sent", 1.5)
    with pytest.raises(TypeError):
        on.feedback("never-sent", True)  # type: ignore[arg-type]
