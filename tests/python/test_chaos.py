"""Chaos: the same faults through the official `openai` SDK and through Kestrel, against the
mock, and Kestrel must do at least as well each time (issue 15, "never worse than the
official SDK").

The SDK calls the requested model (`gpt-4o`) on the mock's OpenAI prefix; Kestrel, routing
on, tries a cheaper substitute first (`plan[0]`, on another provider) and then the requested
model. Each scenario scripts faults on the substitute, on the requested model or on both,
runs the SDK, restarts every queue, runs Kestrel with the same `max_retries` and `timeout`,
and checks: Kestrel succeeded whenever the SDK did; when both failed, the same error class
and status; at most one HTTP attempt more (counted exactly in the mock's request log); wall
time within a bound of the SDK's. Then it checks that the next calls are served.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

import openai
import pytest

import kestrel_router as kestrel
from _mock import PROVIDER_KEYS, PROVIDER_PREFIXES, Mock

REQUESTED = "gpt-4o"
MESSAGES = [{"role": "user", "content": "What is 2+2?"}]
TEXT = "one two three four"


@dataclass
class Outcome:
    """One call as the caller saw it, and what the mock saw of it."""

    text: Optional[str]
    error: Optional[BaseException]
    elapsed: float
    attempts: List[Dict[str, Any]] = field(default_factory=list)
    partial: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def models(self) -> List[str]:
        return [a["body"]["model"] for a in self.attempts]

    def describe(self) -> str:
        what = "ok" if self.ok else f"{type(self.error).__name__}({getattr(self.error, 'status_code', None)})"
        return f"{what} after {len(self.attempts)} attempts {self.models} in {self.elapsed:.2f}s"


def run(mock: Mock, create: Callable[[], Any], *, stream: bool = False) -> Outcome:
    mock.clear()
    started = time.monotonic()
    text: Optional[str] = None
    error: Optional[BaseException] = None
    partial = ""
    try:
        r = create()
        if stream:
            for chunk in r:
                if chunk.choices:
                    partial += chunk.choices[0].delta.content or ""
            text = partial
        else:
            text = r.choices[0].message.content
    except Exception as e:  # noqa: BLE001 - the outcome is what we compare
        error = e
    return Outcome(text, error, time.monotonic() - started, mock.chat_requests(), partial)


def sdk_client(mock: Mock, *, max_retries: int, timeout: float) -> openai.OpenAI:
    return openai.OpenAI(api_key=PROVIDER_KEYS["openai"], base_url=mock.base_url("openai"),
                         max_retries=max_retries, timeout=timeout)


def assert_no_worse(sdk: Outcome, kes: Outcome, *, time_bound: Optional[float] = None) -> None:
    """Kestrel did at least as well as the SDK: served whenever it was served; the same
    error class and status when both failed; at most one extra attempt; not much slower."""
    report = f"SDK: {sdk.describe()}; Kestrel: {kes.describe()}"
    if sdk.ok:
        assert kes.ok, f"the SDK was served, Kestrel raised {kes.error!r}. {report}"
    elif not kes.ok:
        # The same class: Kestrel's is, or derives from, the class of that name (so an
        # `except APIConnectionError` written for the SDK catches it).
        assert type(sdk.error).__name__ in {k.__name__ for k in type(kes.error).__mro__}, report
        assert getattr(kes.error, "status_code", None) == getattr(sdk.error, "status_code", None), report
    assert len(kes.attempts) <= len(sdk.attempts) + 1, report
    # One extra attempt (answered at once, or cut at `timeout`) and backoff jitter: 1 s.
    bound = sdk.elapsed + 1.0 if time_bound is None else time_bound
    assert kes.elapsed <= bound, f"{report}; bound {bound:.2f}s"


class Chaos:
    """Runs one scenario through both clients."""

    def __init__(self, mock: Mock, make_client: Callable[..., kestrel.OpenAI], *, max_retries: int = 2,
                 timeout: float = 5.0, **client_options: Any) -> None:
        self.mock = mock
        self.max_retries = max_retries
        self.timeout = timeout
        self.kc = make_client(max_retries=max_retries, timeout=timeout, cache=False, **client_options)
        self.sdk = sdk_client(mock, max_retries=max_retries, timeout=timeout)
        self.plan = self.kc.route(model=REQUESTED, messages=MESSAGES).plan
        assert self.plan[-1] == REQUESTED and len(self.plan) >= 2
        self.sub = self.plan[0]
        # The substitute's provider, and the mock's path prefix for it.
        self.sub_provider = self.kc.route(model=self.sub, messages=MESSAGES, kestrel={"routing": False}).provider
        self.sub_prefix = PROVIDER_PREFIXES[self.sub_provider]

    def compare(self, models: Dict[str, Any], *, stream: bool = False,
                time_bound: Optional[float] = None, **script: Any) -> "tuple[Outcome, Outcome]":
        self.mock.script(models=models, **script)
        sdk = run(self.mock, lambda: self.sdk.chat.completions.create(
            model=REQUESTED, messages=MESSAGES, stream=stream), stream=stream)
        assert set(sdk.models) <= {REQUESTED}
        self.mock.script(models=models, **script)  # every queue from the top again
        kes = self.kestrel(stream=stream)
        assert_no_worse(sdk, kes, time_bound=time_bound)
        return sdk, kes

    def kestrel(self, *, stream: bool = False) -> Outcome:
        return run(self.mock, lambda: self.kc.chat.completions.create(
            model=REQUESTED, messages=MESSAGES, stream=stream), stream=stream)

    def served_next(self, calls: int = 3, *, avoid: Optional[str] = None, max_attempts: int = 1) -> None:
        """The next `calls` calls are answered, within `max_attempts` each, never by `avoid`."""
        for i in range(calls):
            nxt = self.kestrel()
            assert nxt.ok, f"next call {i}: {nxt.describe()}"
            assert len(nxt.attempts) <= max_attempts, f"next call {i}: {nxt.describe()}"
            if avoid is not None:
                assert avoid not in nxt.models, f"next call {i}: {nxt.describe()}"

    def last_attempts(self) -> List[tuple]:
        record = self.kc.usage.records()[-1]
        return [(a.model, a.error, a.status) for a in record.attempts]

    def health(self, provider: str) -> Any:
        return {h.provider: h for h in self.kc.health()}[provider]


@pytest.fixture
def chaos(mock: Mock, make_client: Callable[..., kestrel.OpenAI]) -> Callable[..., Chaos]:
    return lambda **kw: Chaos(mock, make_client, **kw)


def gaps_ms(outcome: Outcome, model: str) -> List[int]:
    """Pauses between successive attempts at `model`, from the mock's arrival times."""
    times = [a["at_ms"] for a in outcome.attempts if a["body"]["model"] == model]
    return [b - a for a, b in zip(times, times[1:])]


# --- 429 storms ------------------------------------------------------------------------------


def test_429_storm_on_the_substitute_with_retry_after(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 429, "retry_after": 30}})
    assert (len(sdk.attempts), kes.models) == (1, [c.sub, REQUESTED])
    assert c.last_attempts() == [(c.sub, "rate_limited", 429), (REQUESTED, None, None)]
    # The substitute sits out its Retry-After: the next calls go elsewhere, in one attempt.
    c.served_next(avoid=c.sub)


def test_429_storm_on_the_substitute_without_retry_after(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 429}})
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    c.served_next(max_attempts=2)


def test_429_storm_on_the_requested_model(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({REQUESTED: {"status": 429, "retry_after": 0.1}})
    assert isinstance(sdk.error, openai.RateLimitError) and len(sdk.attempts) == 3
    assert kes.ok and kes.models == [c.sub]  # better: the substitute answered
    c.served_next()


def test_429_storm_on_both_with_retry_after(chaos: Callable[..., Chaos], mock: Mock) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 429, "retry_after": 0.1}, REQUESTED: {"status": 429, "retry_after": 0.1}})
    assert isinstance(sdk.error, openai.RateLimitError) and isinstance(kes.error, kestrel.RateLimitError)
    assert kes.error.status_code == 429 and kes.error.retry_after == pytest.approx(0.1)
    assert kes.models == [c.sub] + [REQUESTED] * 3
    assert c.last_attempts() == [(c.sub, "rate_limited", 429)] + [(REQUESTED, "rate_limited", 429)] * 3
    # Retry-After honoured as the SDK does: 100 ms between attempts, not the 0.5 s backoff.
    for gaps in (gaps_ms(sdk, REQUESTED), gaps_ms(kes, REQUESTED)):
        assert all(90 <= g < 400 for g in gaps), gaps
    # The storm passes on the requested model: served at once.
    mock.remove_model(REQUESTED)
    c.served_next(max_attempts=2)


def test_429_storm_on_both_without_retry_after(chaos: Callable[..., Chaos], mock: Mock) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 429}, REQUESTED: {"status": 429}})
    assert isinstance(kes.error, kestrel.RateLimitError) and kes.error.status_code == 429
    assert (len(sdk.attempts), len(kes.attempts)) == (3, 4)
    # The SDK's backoff: 0.5 s then 1 s, less up to 25 % jitter.
    for gaps in (gaps_ms(sdk, REQUESTED), gaps_ms(kes, REQUESTED)):
        assert 350 <= gaps[0] < 800 and 700 <= gaps[1] < 1400, gaps
    mock.remove_model(REQUESTED)
    c.served_next(max_attempts=2)


# --- 5xx storms ------------------------------------------------------------------------------


def test_5xx_storm_on_the_substitute_opens_its_breaker_only(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 503}})
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    assert c.last_attempts() == [(c.sub, "provider", 503), (REQUESTED, None, None)]
    # Four more requests fail over the same way; the fifth outage opens the substitute
    # provider's circuit (one count per request), and from then on it is not tried.
    c.served_next(4, max_attempts=2)
    sub = c.health(c.sub_provider)
    assert sub.state == "open" and sub.consecutive_failures == 5
    assert c.health("openai").state == "closed"
    c.served_next(3, avoid=c.sub)


def test_5xx_storm_on_the_requested_model(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({REQUESTED: {"status": 503, "retry_after": 0.1}})
    assert isinstance(sdk.error, openai.InternalServerError) and len(sdk.attempts) == 3
    assert kes.ok and kes.models == [c.sub]
    c.served_next()


def test_5xx_storm_on_both_without_retry_after(chaos: Callable[..., Chaos], mock: Mock) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 503}, REQUESTED: {"status": 503}})
    assert isinstance(sdk.error, openai.InternalServerError) and isinstance(kes.error, kestrel.InternalServerError)
    assert kes.error.status_code == 503
    assert (len(sdk.attempts), len(kes.attempts)) == (3, 4)
    assert c.last_attempts() == [(c.sub, "provider", 503)] + [(REQUESTED, "provider", 503)] * 3
    mock.remove_model(REQUESTED)
    c.served_next(max_attempts=2)


# Kestrel honours Retry-After only on 429 (core/src/error.rs `Error::retry_after` reads it
# from `RateLimited` alone); the official SDKs honour it (`retry-after-ms`, `Retry-After`)
# on every retried status: 408, 409, 5xx.
def test_5xx_storm_on_both_with_retry_after(chaos: Callable[..., Chaos], mock: Mock) -> None:
    c = chaos()
    models = {c.sub: {"status": 503, "retry_after": 0.1}, REQUESTED: {"status": 503, "retry_after": 0.1}}
    mock.script(models=models)
    sdk = run(mock, lambda: c.sdk.chat.completions.create(model=REQUESTED, messages=MESSAGES))
    mock.script(models=models)
    kes = c.kestrel()
    assert isinstance(kes.error, kestrel.InternalServerError) and kes.error.status_code == 503
    assert len(kes.attempts) <= len(sdk.attempts) + 1
    for gaps in (gaps_ms(sdk, REQUESTED), gaps_ms(kes, REQUESTED)):
        assert all(90 <= g < 400 for g in gaps), f"SDK {gaps_ms(sdk, REQUESTED)}, Kestrel {gaps_ms(kes, REQUESTED)}"
    assert kes.elapsed <= sdk.elapsed + 0.5, f"SDK {sdk.elapsed:.2f}s, Kestrel {kes.elapsed:.2f}s"


def test_an_open_breaker_never_keeps_the_requested_model_out(chaos: Callable[..., Chaos], mock: Mock) -> None:
    # The substitute on the requested model's own provider: one circuit for both.
    c = chaos(max_retries=0, allow_providers=["openai"])
    assert c.sub != REQUESTED and c.kc.route(model=c.sub, messages=MESSAGES, kestrel={"routing": False}).provider == "openai"
    models = {c.sub: {"status": 503}, REQUESTED: {"status": 503}}
    sdk, kes = c.compare(models)
    assert isinstance(kes.error, kestrel.InternalServerError) and kes.models == [c.sub, REQUESTED]
    for _ in range(4):
        failed = c.kestrel()
        assert isinstance(failed.error, kestrel.InternalServerError)
        assert len(failed.attempts) <= 2
    openai_health = c.health("openai")
    assert openai_health.state == "open" and openai_health.consecutive_failures == 5
    # The requested model recovers; its provider's circuit is open, yet it is called (the
    # SDK would call it), the substitute on the same provider is not.
    mock.remove_model(REQUESTED)
    nxt = c.kestrel()
    assert nxt.ok and nxt.models == [REQUESTED], nxt.describe()
    # Its success closed the circuit: the substitute is tried again (and fails over).
    assert c.health("openai").state == "closed"
    c.served_next(2, max_attempts=2)


# --- faults on the first attempt only --------------------------------------------------------
# Kestrel sends no retry counter (the SDKs send x-stainless-retry-count), so "the first
# attempt fails" is scripted as a queue: the first request for that model fails, the rest
# answer; the same for both clients.


def test_first_attempt_fails_on_both(chaos: Callable[..., Chaos]) -> None:
    c = chaos(max_retries=1)
    first = [{"status": 503}, {}]
    sdk, kes = c.compare({c.sub: first, REQUESTED: first})
    assert sdk.ok and len(sdk.attempts) == 2
    assert kes.ok and kes.models == [c.sub, REQUESTED, REQUESTED]
    c.served_next()


def test_first_attempt_fails_on_the_requested_model(chaos: Callable[..., Chaos]) -> None:
    c = chaos(max_retries=1)
    sdk, kes = c.compare({REQUESTED: [{"status": 429, "retry_after": 0.1}, {}]})
    assert sdk.ok and len(sdk.attempts) == 2
    assert kes.ok and kes.models == [c.sub]


# --- a retired substitute, a rejected key ----------------------------------------------------


def test_retired_substitute(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 404}})
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    assert c.last_attempts() == [(c.sub, "not_found", 404), (REQUESTED, None, None)]
    sub = c.health(c.sub_provider)
    assert sub.retired_models == [c.sub]
    assert not sub.key_rejected and sub.state == "closed"
    assert c.sub not in c.kc.route(model=REQUESTED, messages=MESSAGES).plan
    c.served_next(avoid=c.sub)


def test_bad_key_on_the_substitutes_provider(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({}, require_keys={c.sub_prefix.split("/v1")[0]: "other-key"})
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    assert kes.attempts[0]["path"].startswith(c.sub_prefix)
    assert c.last_attempts() == [(c.sub, "authentication", 401), (REQUESTED, None, None)]
    assert c.health(c.sub_provider).key_rejected and not c.health("openai").key_rejected
    for _ in range(3):
        nxt = c.kestrel()
        assert nxt.ok and len(nxt.attempts) == 1
        assert not nxt.attempts[0]["path"].startswith(c.sub_prefix), nxt.describe()


# --- slow and cut responses ------------------------------------------------------------------


def test_slow_substitute(chaos: Callable[..., Chaos]) -> None:
    c = chaos(timeout=0.5, max_retries=0)
    sdk, kes = c.compare({c.sub: {"latency_ms": 3000}}, time_bound=2 * 0.5 + 0.75)
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    assert c.last_attempts() == [(c.sub, "timeout", None), (REQUESTED, None, None)]
    c.served_next(2, max_attempts=2)


def test_slow_everywhere(chaos: Callable[..., Chaos]) -> None:
    c = chaos(timeout=0.5, max_retries=0)
    sdk, kes = c.compare({c.sub: {"latency_ms": 3000}, REQUESTED: {"latency_ms": 3000}},
                         time_bound=2 * 0.5 + 0.75)
    assert isinstance(sdk.error, openai.APITimeoutError) and isinstance(kes.error, kestrel.APITimeoutError)
    assert kes.models == [c.sub, REQUESTED]


def test_malformed_substitute_body(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"malformed_json": True}})
    assert kes.ok and kes.models == [c.sub, REQUESTED]
    c.served_next(max_attempts=2)


def test_cut_stream_of_the_requested_model(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({REQUESTED: {"text": TEXT, "cut_after_chunks": 2}}, stream=True)
    assert isinstance(sdk.error, openai.APIConnectionError) and sdk.partial == "one two "
    assert kes.ok and kes.models == [c.sub]  # better: the substitute answered whole


def test_cut_stream_everywhere(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    cut = {"text": TEXT, "cut_after_chunks": 2}
    sdk, kes = c.compare({c.sub: cut, REQUESTED: cut}, stream=True)
    # Both fail the same way after the same two chunks: nothing is spliced onto a started
    # answer, one request each. (Kestrel's StreamInterruptedError is an APIConnectionError.)
    assert isinstance(sdk.error, openai.APIConnectionError) and isinstance(kes.error, kestrel.APIConnectionError)
    assert sdk.partial == kes.partial == "one two "
    assert (len(sdk.attempts), len(kes.attempts)) == (1, 1)
    c.mock.script({})
    c.served_next()


# A substitute's stream that breaks after its first event (the role, no content yet): Kestrel
# has committed to it on that first chunk (core/src/client/pipeline.rs `run_attempt`: "a
# stream up to its first chunk"), so the break is the caller's error, and the requested model,
# which answers, is never tried. Nothing the caller could have used had arrived.
def test_substitute_stream_cut_before_any_content(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"text": TEXT, "cut_after_chunks": 0}}, stream=True)
    assert kes.ok and kes.text == sdk.text and kes.models == [c.sub, REQUESTED]


# The same after two content chunks reached the caller: failing over would splice a second
# answer onto the first, so Kestrel raises; the SDK, calling the requested model, is served.
@pytest.mark.xfail(strict=True, reason="gap: a substitute stream cut mid-way fails the call (the SDK is served)")
def test_substitute_stream_cut_mid_way(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"text": TEXT, "cut_after_chunks": 2}}, stream=True)
    assert kes.ok


def test_substitute_stream_refused_before_it_starts(chaos: Callable[..., Chaos]) -> None:
    c = chaos()
    sdk, kes = c.compare({c.sub: {"status": 503}}, stream=True)
    assert kes.ok and kes.text == sdk.text.replace("gpt-4o", REQUESTED) and kes.models == [c.sub, REQUESTED]


# The SDK raises APIConnectionError for a body cut mid-way (httpx's RemoteProtocolError,
# retried like any broken connection); Kestrel retries it too but raises
# APIResponseValidationError with status_code 0 (core/src/providers/http.rs maps a body read
# error to `Error::Provider { status: 0 }`).
def test_cut_body_everywhere(chaos: Callable[..., Chaos]) -> None:
    c = chaos(max_retries=1)
    cut = {"text": TEXT, "cut_after_chunks": 1}
    sdk, kes = c.compare({c.sub: cut, REQUESTED: cut})
    assert isinstance(sdk.error, openai.APIConnectionError) and len(sdk.attempts) == 2


def test_cut_body_of_the_substitute(chaos: Callable[..., Chaos]) -> None:
    c = chaos(max_retries=1)
    sdk, kes = c.compare({c.sub: {"text": TEXT, "cut_after_chunks": 1}})
    assert kes.ok and kes.models == [c.sub, REQUESTED]


# --- 200 concurrent requests -----------------------------------------------------------------


def test_200_concurrent_requests_with_transient_faults(mock: Mock, make_async_client: Callable[..., Any],
                                                       make_client: Callable[..., Any]) -> None:
    n, max_retries = 200, 2
    sub = make_client().route(model=REQUESTED, messages=MESSAGES).plan[0]
    # Every other request to the substitute fails; the first 50 to the requested model do.
    models = {sub: {"cycle": [{"status": 503}, {}]}, REQUESTED: [{"status": 503}] * 50 + [{}]}

    async def gather(create: Callable[[], Any]) -> List[Any]:
        return await asyncio.gather(*(create() for _ in range(n)), return_exceptions=True)

    async def both() -> "tuple[List[Any], List[Dict[str, Any]], float, List[Any], List[Dict[str, Any]], float, Any]":
        sdk = openai.AsyncOpenAI(api_key=PROVIDER_KEYS["openai"], base_url=mock.base_url("openai"),
                                 max_retries=max_retries, timeout=10)
        mock.script(models=models)
        mock.clear()
        t0 = time.monotonic()
        sdk_results = await gather(lambda: sdk.chat.completions.create(model=REQUESTED, messages=MESSAGES))
        sdk_time = time.monotonic() - t0
        sdk_log = mock.chat_requests()
        await sdk.close()
        kc = make_async_client(max_retries=max_retries, timeout=10, cache=False)
        mock.script(models=models)
        mock.clear()
        t0 = time.monotonic()
        kes_results = await gather(lambda: kc.chat.completions.create(model=REQUESTED, messages=MESSAGES))
        kes_time = time.monotonic() - t0
        kes_log = mock.chat_requests()
        # Served next, whatever the breakers made of the storm.
        nxt = await kc.chat.completions.create(model=REQUESTED, messages=MESSAGES)
        assert nxt.choices[0].message.content
        return sdk_results, sdk_log, sdk_time, kes_results, kes_log, kes_time, kc

    sdk_results, sdk_log, sdk_time, kes_results, kes_log, kes_time, kc = asyncio.run(both())
    sdk_errors = [r for r in sdk_results if isinstance(r, BaseException)]
    kes_errors = [r for r in kes_results if isinstance(r, BaseException)]
    assert sdk_errors == [], sdk_errors[:3]
    assert kes_errors == [], f"{len(kes_errors)} of {n} failed, e.g. {kes_errors[:3]}"
    assert len(kes_log) <= len(sdk_log) + n, (len(sdk_log), len(kes_log))
    records = kc.usage.records(limit=n + 1)[:n]
    assert len(records) == n and all(len(r.attempts) <= max_retries + 2 for r in records)
    assert kes_time <= sdk_time + 3.0, (sdk_time, kes_time)


# --- no key at all ---------------------------------------------------------------------------


def test_no_key_at_all(monkeypatch: pytest.MonkeyPatch, mock: Mock) -> None:
    import os

    for name in list(os.environ):
        if name.endswith("_API_KEY") or name.startswith(("OPENAI_", "KESTREL_")):
            monkeypatch.delenv(name)
    with pytest.raises(openai.OpenAIError) as sdk_error:
        openai.OpenAI(base_url=mock.base_url("openai")).chat.completions.create(model=REQUESTED, messages=MESSAGES)
    assert "OPENAI_API_KEY" in str(sdk_error.value)
    with pytest.raises(kestrel.ConfigurationError) as kes_error:
        kestrel.OpenAI(base_url=mock.base_url("openai")).chat.completions.create(model=REQUESTED, messages=MESSAGES)
    assert isinstance(kes_error.value, kestrel.OpenAIError)
    assert "OPENAI_API_KEY" in str(kes_error.value) and "api_key" in str(kes_error.value)
    assert mock.requests() == []
