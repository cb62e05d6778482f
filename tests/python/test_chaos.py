"""Never worse than the official SDK: the same faults, on the same mock, for the official
`openai` SDK (calling the requested model directly) and for Kestrel (routing on, so a
cheaper substitute is tried first). Kestrel must succeed wherever the SDK did; where both
fail, with the same error class and status; with at most one HTTP attempt more; and the
calls after the fault must be served."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Tuple

import openai
import pytest

import kestrel_router as kestrel
from _mock import PROVIDER_KEYS, Mock

REQUESTED = "gpt-4o"
ASK = [{"role": "user", "content": "What is 2+2?"}]
Outcome = Tuple[str, ...]


def outcome(call: Callable[[], Any]) -> Outcome:
    try:
        call()
        return ("ok",)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return ("error", type(e).__name__, str(getattr(e, "status_code", None)))


def attempts(mock: Mock) -> int:
    return len(mock.chat_requests())


def run_both(mock: Mock, make_client: Any, script: Dict[str, Any], **options: Any) -> Dict[str, Any]:
    """The same call through the SDK and through Kestrel against `script`: outcome, HTTP
    attempts and seconds of each."""
    out: Dict[str, Any] = {}
    sdk = openai.OpenAI(api_key=PROVIDER_KEYS["openai"], base_url=mock.base_url("openai"), **options)
    kc = make_client(**options)
    for name, client in (("sdk", sdk), ("kestrel", kc)):
        mock.script(script)
        mock.clear()
        t0 = time.monotonic()
        out[name] = outcome(lambda: client.chat.completions.create(model=REQUESTED, messages=ASK))
        out[name + "_attempts"] = attempts(mock)
        out[name + "_seconds"] = time.monotonic() - t0
    out["client"] = kc
    return out


def assert_never_worse(r: Dict[str, Any]) -> None:
    if r["sdk"] == ("ok",):
        assert r["kestrel"] == ("ok",), r
    else:
        assert r["kestrel"] == r["sdk"] or r["kestrel"] == ("ok",), r
    assert r["kestrel_attempts"] <= r["sdk_attempts"] + 1, r


def substitute(make_client: Any) -> str:
    plan: Any = make_client().route(model=REQUESTED, messages=ASK).plan
    assert len(plan) >= 2 and plan[-1] == REQUESTED, plan
    return str(plan[0])


@pytest.mark.parametrize("status", [429, 500, 503])
def test_storms_on_every_model(mock: Mock, make_client: Any, status: int) -> None:
    fault = {"status": status, "retry_after": 0.05} if status == 429 else {"status": status}
    r = run_both(mock, make_client, {"default": fault}, max_retries=1)
    assert r["sdk"][0] == "error"
    assert_never_worse(r)
    # The error says what was tried: the substitute once, the requested model with its retry.
    mock.script({"default": fault})
    time.sleep(0.1)  # past the substitute's Retry-After
    with pytest.raises(kestrel.APIError) as excinfo:
        r["client"].chat.completions.create(model=REQUESTED, messages=ASK)
    tried = [(a["model"], a["status"]) for a in excinfo.value.attempts]
    assert [m for m, _ in tried][-2:] == [REQUESTED, REQUESTED] and len(tried) == 3, tried
    assert {s for _, s in tried} == {status}
    # The storm is over: the next call is served at once (no breaker holds the requested model).
    mock.script({})
    assert r["client"].chat.completions.create(model=REQUESTED, messages=ASK).choices[0].message.content


@pytest.mark.parametrize(
    "fault",
    [{"status": 429, "retry_after": 30}, {"status": 503}, {"status": 404}, {"status": 401}, {"status": 400},
     {"malformed_json": True}],
)
def test_faults_on_the_substitute_only(mock: Mock, make_client: Any, fault: Dict[str, Any]) -> None:
    sub = substitute(make_client)
    r = run_both(mock, make_client, {"models": {sub: fault}}, max_retries=0)
    assert r["sdk"] == r["kestrel"] == ("ok",), r
    assert r["kestrel_attempts"] == 2
    # The next call: a retired model, a rejected key and a rate limit keep it out.
    mock.clear()
    r["client"].chat.completions.create(model=REQUESTED, messages=ASK)
    tried = [q["body"]["model"] for q in mock.chat_requests()]
    if fault.get("status") in (404, 401, 429):
        assert sub not in tried, tried
    health = {h.provider: h for h in r["client"].health()}
    if fault.get("status") == 404:
        assert any(sub in h.retired_models for h in health.values())
    if fault.get("status") == 401:
        assert any(h.key_rejected for h in health.values())


def test_a_slow_substitute_costs_at_most_one_timeout(mock: Mock, make_client: Any) -> None:
    sub = substitute(make_client)
    r = run_both(mock, make_client, {"models": {sub: {"latency_ms": 3000}}}, max_retries=0, timeout=0.5)
    assert r["sdk"] == r["kestrel"] == ("ok",), r
    assert r["kestrel_seconds"] < 2 * 0.5 + 0.8, r


def test_a_fault_on_each_models_first_attempt(mock: Mock, make_client: Any) -> None:
    flaky = [{"status": 503}, {"text": "second try"}]
    r = run_both(mock, make_client, {"default": flaky, "models": {REQUESTED: flaky}}, max_retries=1)
    assert r["sdk"] == r["kestrel"] == ("ok",), r
    assert_never_worse(r)


def test_a_stream_cut_on_every_model_fails_as_the_sdk_does(mock: Mock, make_client: Any) -> None:
    mock.script({"default": {"cut_after_chunks": 2}})

    def read(client: Any) -> Outcome:
        def go() -> None:
            for _ in client.chat.completions.create(model=REQUESTED, messages=ASK, stream=True):
                pass

        return outcome(go)

    sdk = openai.OpenAI(api_key=PROVIDER_KEYS["openai"], base_url=mock.base_url("openai"), max_retries=0)
    assert read(sdk)[0] == "error"
    got = read(make_client())
    assert got[0] == "error" and got[1] in ("StreamInterruptedError", "APIConnectionError"), got


def test_200_concurrent_requests_with_transient_faults(mock: Mock, make_client: Any) -> None:
    sub = substitute(make_client)
    # Every other request to the substitute fails.
    mock.script({"models": {sub: [{"status": 503}, {"text": "ok"}] * 200}})
    client = make_client()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: outcome(lambda: client.chat.completions.create(model=REQUESTED, messages=ASK)), range(200)))
    assert results.count(("ok",)) == 200, [r for r in results if r != ("ok",)][:3]
    assert attempts(mock) <= 400


def test_no_key_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(openai.OpenAIError):
        openai.OpenAI()
    client = kestrel.OpenAI(from_env=False)
    with pytest.raises(kestrel.OpenAIError) as excinfo:
        client.chat.completions.create(model=REQUESTED, messages=ASK)
    assert "OPENAI_API_KEY" in str(excinfo.value) and "api_key" in str(excinfo.value)
