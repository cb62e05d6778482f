"""The client around the calls: usage views, CSV export, models, with_options, key
rotation, client-level policy, SDK-compatible attributes."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Callable

import pytest

import kestrel_router as kestrel
from _mock import Mock

EASY = [{"role": "user", "content": "What is 2+2?"}]
HARD = [{"role": "user", "content": "Prove rigorously that there are infinitely many primes, step by step."}]


def ask(text: str = "hi") -> list:
    return [{"role": "user", "content": text}]


# --- usage ---------------------------------------------------------------------------------


def test_usage_views(kc: kestrel.OpenAI, mock: Mock) -> None:
    for _ in range(3):
        kc.chat.completions.create(model="gpt-4o", messages=EASY)
    kc.chat.completions.create(model="gpt-4o", messages=HARD)
    kc.chat.completions.create(model="gpt-4o", messages=EASY, kestrel={"routing": False, "tenant": "acme"})

    savings = kc.usage.savings()
    assert isinstance(savings, kestrel.types.Savings)
    assert savings.requests == 5 and savings.errors == 0 and savings.cache_hits == 0
    assert savings.actual_cost_usd < savings.baseline_cost_usd
    assert savings.saved_usd == pytest.approx(savings.baseline_cost_usd - savings.actual_cost_usd)
    assert 0 < savings.savings_pct < 100

    mix = kc.usage.routing()
    assert isinstance(mix, kestrel.types.RoutingMix)
    assert mix.economy == 3 and mix.premium == 1 and mix.passthrough == 1
    assert mix.total == 5
    assert mix.shares()["economy"] == pytest.approx(0.6)

    analytics = kc.usage.analytics()
    assert all(isinstance(a, kestrel.types.ModelAnalytics) for a in analytics)
    assert sum(a.requests for a in analytics) == 5
    assert {"gpt-4o"} <= {a.model for a in analytics}

    providers = kc.usage.providers()
    assert all(isinstance(p, kestrel.types.ProviderStats) for p in providers)
    assert sum(p.successes for p in providers) == 5
    assert all(p.latency_p50_ms <= p.latency_p99_ms for p in providers)

    records = kc.usage.records()
    assert [r.seq for r in records] == sorted(r.seq for r in records)
    assert len(records) == 5 and len(kc.usage.records(limit=2)) == 2
    last = records[-1]
    assert isinstance(last, kestrel.types.UsageRecord)
    assert (last.tenant, last.model, last.requested_model, last.stream) == ("acme", "gpt-4o", "gpt-4o", False)
    assert last.attempts[0].provider == "openai" and last.attempts[0].error is None
    assert records[0].saved_usd == pytest.approx(records[0].baseline_cost_usd - records[0].cost_usd)

    assert kc.usage.tenants() == ["acme"]
    assert kc.usage.savings(tenant="acme").requests == 1
    assert [r.tenant for r in kc.usage.records(tenant="acme")] == ["acme"]
    assert kc.usage.routing(tenant="acme").passthrough == 1


def test_failed_requests_are_recorded(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 500}})
    with pytest.raises(kestrel.InternalServerError):
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    (record,) = direct.usage.records()
    assert record.error == "provider"
    assert direct.usage.savings().errors == 1
    (stats,) = direct.usage.providers()
    assert stats.errors == {"provider": 1}


def test_export_csv(kc: kestrel.OpenAI, tmp_path: Path) -> None:
    kc.chat.completions.create(model="gpt-4o", messages=EASY)
    kc.chat.completions.create(model="gpt-4o", messages=EASY, kestrel={"tenant": "acme"})
    path = tmp_path / "usage.csv"
    kc.usage.export_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2
    assert "model" in rows[0] and "cost_usd" in rows[0]
    assert rows[0]["requested_model"] == "gpt-4o"
    only = tmp_path / "acme.csv"
    kc.usage.export_csv(str(only), tenant="acme")
    assert len(list(csv.DictReader(only.open()))) == 1
    with pytest.raises(kestrel.KestrelError):
        kc.usage.export_csv(tmp_path / "missing-dir" / "x.csv")


def test_usage_jsonl_and_recent_records(make_client: Callable[..., kestrel.OpenAI], tmp_path: Path) -> None:
    sink = tmp_path / "usage.jsonl"
    with make_client(usage_jsonl=sink, recent_records=2) as client:
        for i in range(3):
            client.chat.completions.create(model="gpt-4o", messages=ask(f"q{i}"))
        assert len(client.usage.records()) == 2
    # close() (leaving the block) flushed the sink.
    lines = [json.loads(line) for line in sink.read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    assert all("messages" not in line and "content" not in line for line in lines)


def test_health(kc: kestrel.OpenAI, make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    health = {h.provider: h for h in kc.health()}
    assert isinstance(health["openai"], kestrel.types.ProviderHealth)
    assert health["openai"].configured and health["openai"].state == "closed"
    assert not health["anthropic"].configured
    assert kc.usage.health() == kc.health()

    mock.script(models={"gpt-4o-mini": {"status": 503}})
    client = make_client(routing=False)
    for _ in range(5):
        with pytest.raises(kestrel.InternalServerError):
            client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    openai_health = {h.provider: h for h in client.health()}["openai"]
    assert openai_health.state == "open" and openai_health.consecutive_failures >= 5
    assert openai_health.retry_in_ms is not None and openai_health.retry_in_ms > 0


# --- models --------------------------------------------------------------------------------


def test_catalog_models(kc: kestrel.OpenAI, make_client: Callable[..., kestrel.OpenAI]) -> None:
    ids = [m.id for m in kc.kestrel.models()]
    assert "gpt-4o" in ids and "openai/gpt-oss-20b" in ids
    assert not any(i.startswith("claude") for i in ids)  # no Anthropic key
    gpt = kc.kestrel.model("gpt-4o")
    assert (gpt.object, gpt.created, gpt.owned_by, gpt.tier) == ("model", 0, "openai", "premium")
    assert gpt.input_per_mtok and gpt.output_per_mtok and gpt.context_window and gpt.tools
    assert kc.kestrel.model("gpt-4o-2024-08-06").id == "gpt-4o"  # aliases resolve
    with pytest.raises(kestrel.NotFoundError):
        kc.kestrel.model("claude-haiku-4-5")
    only_openai = make_client(provider_keys={}, base_urls={})
    assert {m.owned_by for m in only_openai.kestrel.models()} == {"openai"}


def test_models_list_is_the_servers(kc: kestrel.OpenAI, mock: Mock) -> None:
    # As with the SDK: `client.models` asks the server (the catalog is `client.kestrel`).
    mock.script({"models": {"gpt-4o": {}, "openai/gpt-oss-20b": {}}})
    assert [m.id for m in kc.models.list()] == ["gpt-4o", "openai/gpt-oss-20b"]
    got = kc.models.retrieve("openai/gpt-oss-20b")
    assert (got.id, got.object, got.owned_by) == ("openai/gpt-oss-20b", "model", "kestrel-mock")
    with pytest.raises(kestrel.NotFoundError) as e:
        kc.models.retrieve("gpt-3")
    assert e.value.status_code == 404 and e.value.body["code"] == "model_not_found"  # type: ignore[index]
    paths = [r["path"] for r in mock.requests()][-3:]
    assert paths == ["/openai/v1/models", "/openai/v1/models/openai%2Fgpt-oss-20b", "/openai/v1/models/gpt-3"]
    assert "models" in {r.endpoint for r in kc.usage.records()}


# --- client-level policy -------------------------------------------------------------------


def test_client_routing_off(make_client: Callable[..., kestrel.OpenAI]) -> None:
    r = make_client(routing=False).chat.completions.create(model="gpt-4o", messages=EASY)
    assert r.model == "gpt-4o"


def test_client_tier_floor_and_ceiling(make_client: Callable[..., kestrel.OpenAI]) -> None:
    assert make_client(tier_floor="standard").route(model="gpt-4o", messages=EASY).tier in ("standard", "premium")
    assert make_client(tier_ceiling="economy").route(model="gpt-4o", messages=HARD).tier == "economy"


def test_client_providers_and_tenant(make_client: Callable[..., kestrel.OpenAI]) -> None:
    client = make_client(allow_providers=["openai"], tenant="acme")
    r = client.chat.completions.create(model="gpt-4o", messages=EASY)
    assert r.kestrel.provider == "openai"
    assert client.usage.tenants() == ["acme"]
    denied = make_client(deny_providers=["groq"])
    assert "groq" not in {denied.route(model="gpt-4o", messages=EASY).provider}


def test_custom_provider_and_model(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    client = make_client(
        provider_keys={"local": "local-key"},  # the mock wants a key on every provider route
        providers=[{"name": "local", "api": "openai", "base_url": mock.url + "/local/v1",
                    "chat_path": "/chat/completions", "key_optional": True}],
        models=[{"id": "tiny-local", "provider": "local", "tier": "economy", "input_per_mtok": 0.0,
                 "output_per_mtok": 0.0, "context_window": 8192, "max_output": 1024}],
    )
    r = client.chat.completions.create(model="tiny-local", messages=ask())
    assert r.kestrel.provider == "local"
    assert mock.chat_requests()[0]["path"] == "/local/v1/chat/completions"


# --- with_options --------------------------------------------------------------------------


def test_with_options_shares_the_native_client(kc: kestrel.OpenAI, mock: Mock) -> None:
    plain = kc.with_options(routing=False)
    assert isinstance(plain, kestrel.OpenAI) and plain is not kc
    assert plain.chat.completions.create(model="gpt-4o", messages=EASY).model == "gpt-4o"
    assert kc.chat.completions.create(model="gpt-4o", messages=EASY).model != "gpt-4o"
    assert kc.usage.savings().requests == 2 == plain.usage.savings().requests


def test_with_options_policy_overrides(kc: kestrel.OpenAI) -> None:
    assert kc.with_options(tier_floor="premium").chat.completions.create(
        model="gpt-4o", messages=EASY).kestrel.tier == "premium"
    assert kc.with_options(allow_providers=["groq"]).chat.completions.create(
        model="gpt-4o", messages=EASY).kestrel.provider == "groq"
    assert kc.with_options(deny_providers=["groq", "openai", "mistral"]).chat.completions.create(
        model="gpt-4o", messages=EASY).kestrel.provider in ("xai", "together")
    assert kc.with_options(tier_ceiling="economy").route(model="gpt-4o", messages=HARD).tier == "economy"
    acme = kc.with_options(tenant="acme")
    acme.chat.completions.create(model="gpt-4o", messages=EASY)
    assert kc.usage.tenants() == ["acme"]
    # The per-request option still wins over the copy's default.
    r = kc.with_options(routing=False).chat.completions.create(model="gpt-4o", messages=EASY,
                                                               kestrel={"routing": True})
    assert r.model != "gpt-4o"


def test_with_options_timeout_and_retries(kc: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"latency_ms": 3000}})
    fast = kc.with_options(timeout=0.2, routing=False)
    assert fast.timeout == 0.2
    with pytest.raises(kestrel.APITimeoutError):
        fast.chat.completions.create(model="gpt-4o-mini", messages=ask())
    mock.script(models={"gpt-4o-mini": [{"status": 503}, {"text": "again"}]})
    patient = kc.with_options(max_retries=1, routing=False)
    assert patient.max_retries == 1
    assert patient.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices[0].message.content == "again"
    assert kc.copy(max_retries=3).max_retries == 3


def test_with_options_new_keys_build_a_new_native_client(kc: kestrel.OpenAI, mock: Mock) -> None:
    other = kc.with_options(api_key="sk-other", routing=False)
    other.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert mock.chat_requests()[0]["headers"]["authorization"] == "Bearer sk-other"
    assert other.usage.savings().requests == 1
    assert kc.usage.savings().requests == 0  # its own ledger
    assert other.api_key == "sk-other" and kc.api_key == "sk-test"


def test_with_options_rejects_unknown_arguments(kc: kestrel.OpenAI) -> None:
    with pytest.raises(TypeError):
        kc.with_options(tempurature=1)


# --- keys ----------------------------------------------------------------------------------


def test_key_rotation(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    mock.script({"require_keys": {"/openai": "sk-new"}})
    client = make_client(api_key="sk-old", routing=False)
    copy = client.with_options(timeout=30)
    with pytest.raises(kestrel.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    client.set_api_key("openai", "sk-new")
    assert client.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices
    assert copy.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices  # shared
    assert mock.chat_requests()[-1]["headers"]["authorization"] == "Bearer sk-new"
    assert client.api_key == "sk-new"
    client.api_key = "sk-newer"  # the SDK attribute rotates too
    mock.script({"require_keys": {"/openai": "sk-newer"}})
    assert client.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices
    # A copy that needs its own native client starts from the rotated key.
    rebuilt = client.with_options(provider_keys={"groq": "gsk-2"})
    assert rebuilt.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices


def test_remove_api_key_removes_the_provider_at_once(kc: kestrel.OpenAI) -> None:
    # Mistral serves the cheapest economy model (ministral-3b-latest) among the mock's providers.
    assert kc.route(model="gpt-4o", messages=EASY).provider == "mistral"
    kc.remove_api_key("mistral")
    decision = kc.route(model="gpt-4o", messages=EASY)
    assert decision.provider != "mistral"
    mistral_names = ("mistral-", "ministral-", "magistral-", "codestral-", "devstral-")
    assert not any(m.startswith(mistral_names) for m in decision.plan)
    assert not {h.provider: h for h in kc.health()}["mistral"].configured
    kc.set_api_key("mistral", "mistral-test")
    assert kc.route(model="gpt-4o", messages=EASY).provider == "mistral"


def test_set_base_url(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    client = make_client(base_url="http://127.0.0.1:9/v1", routing=False)
    with pytest.raises(kestrel.APIConnectionError):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    client.set_base_url("openai", mock.url + "/openai/v1")
    assert client.chat.completions.create(model="gpt-4o-mini", messages=ask()).choices
    assert client.base_url == mock.url + "/openai/v1"


# --- SDK compatibility ---------------------------------------------------------------------


def test_sdk_constructor_arguments_are_accepted(mock: Mock) -> None:
    # `http_client` cannot reach routed calls (their HTTP is Kestrel's, in Rust): it is
    # accepted for the APIs passed through, and the caller is told.
    with pytest.warns(UserWarning, match="routed chat and Responses calls use Kestrel's own HTTP client"):
        client = kestrel.OpenAI(api_key="sk-test", base_url=mock.url + "/openai/v1", organization="org-1",
                                project="proj-1", default_query={"a": "b"}, http_client=object(),
                                websocket_base_url="ws://x", webhook_secret="s", from_env=False, max_retries=0,
                                timeout=12.5)
    assert (client.organization, client.project, client.timeout, client.max_retries) == ("org-1", "proj-1",
                                                                                         12.5, 0)
    assert client.chat.completions.create(model="gpt-4o", messages=EASY).choices
    assert kestrel.Client is kestrel.OpenAI and kestrel.AsyncClient is kestrel.AsyncOpenAI
    # OpenAI's account headers reach OpenAI as the SDK sends them.
    [sent] = mock.chat_requests()
    assert (sent["headers"]["openai-organization"], sent["headers"]["openai-project"]) == ("org-1", "proj-1")


def test_timeout_object_uses_the_largest_part(mock: Mock) -> None:
    class Timeout:
        connect = 5.0
        read = 20.0
        write = None
        pool = 1.0

    client = kestrel.OpenAI(api_key="k", base_url=mock.url + "/openai/v1", from_env=False, timeout=Timeout())
    assert client.timeout == 20.0


def test_close_and_context_manager(make_client: Callable[..., kestrel.OpenAI]) -> None:
    with make_client() as client:
        client.chat.completions.create(model="gpt-4o", messages=EASY)
    client.close()
    # Still usable: there is nothing to close but the usage sink.
    assert client.chat.completions.create(model="gpt-4o", messages=EASY).choices
    assert repr(client).startswith("<kestrel.OpenAI Client { providers: [")


def test_keys_never_show_in_repr(make_client: Callable[..., kestrel.OpenAI]) -> None:
    client = make_client(api_key="sk-secret-value")
    assert "sk-secret-value" not in repr(client)


def test_module_exports() -> None:
    for name in ("OpenAI", "AsyncOpenAI", "Stream", "AsyncStream", "APIError", "APIStatusError",
                 "APIConnectionError", "APITimeoutError", "BadRequestError", "AuthenticationError",
                 "PermissionDeniedError", "NotFoundError", "ConflictError", "UnprocessableEntityError",
                 "RateLimitError", "InternalServerError", "KestrelError", "NoEligibleModelError",
                 "StreamInterruptedError", "InvalidRequestError", "types", "__version__"):
        assert hasattr(kestrel, name), name
    assert kestrel.__version__.count(".") == 2


def test_import_stays_light() -> None:
    """`import kestrel_router` pulls in neither typing, json, asyncio nor re (they cost more than
    the package itself); they load on first use."""
    import subprocess
    import sys

    code = ("import sys; before = set(sys.modules); import kestrel_router; "
            "print(sorted(m for m in ('typing', 'json', 'asyncio', 're') if m in set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("kwargs", [{"tier_floor": "premium"}, {"min_confidence": 0.9}, {"deny_providers": "groq"}])
def test_policy_arguments_round_trip(make_client: Callable[..., kestrel.OpenAI], kwargs: Any) -> None:
    assert make_client(**kwargs).route(model="gpt-4o", messages=EASY).plan


def test_the_scorer_is_chosen_by_name(make_client: Callable[..., kestrel.OpenAI]) -> None:
    learned = make_client(scorer="learned").route(model="gpt-4o", messages=EASY)
    assert any("learned scorer" in r for r in learned.reasons), learned.reasons
    heuristic = make_client(scorer="heuristic").route(model="gpt-4o", messages=EASY)
    assert not any("learned scorer" in r for r in heuristic.reasons), heuristic.reasons
    with pytest.raises(kestrel.ConfigurationError, match="neural"):
        make_client(scorer="neural").route(model="gpt-4o", messages=EASY)  # type: ignore[arg-type]


def test_a_learned_model_file_replaces_the_shipped_one(
    make_client: Callable[..., kestrel.OpenAI], tmp_path: Path
) -> None:
    shipped = Path(__file__).resolve().parents[2] / "core" / "src" / "router" / "learned.toml"
    own = tmp_path / "learned.toml"
    own.write_text(shipped.read_text())
    decision = make_client(learned_model=own).route(model="gpt-4o", messages=EASY)
    assert any("learned scorer" in r for r in decision.reasons), decision.reasons
    own.write_text('trained_on = "nothing"\n')
    with pytest.raises(kestrel.ConfigurationError, match="learned model"):
        make_client(learned_model=str(own)).route(model="gpt-4o", messages=EASY)


def test_max_quality_drop_is_checked_by_the_core(make_client: Callable[..., kestrel.OpenAI]) -> None:
    ask: Any = [{"role": "user", "content": "What is 2+2?"}]
    for ok in (0, 12.5, False, "off"):
        assert make_client(max_quality_drop=ok).chat.completions.create(model="gpt-5.2", messages=ask).choices
    with pytest.raises(kestrel.ConfigurationError, match="max_quality_drop"):
        make_client(max_quality_drop=-1).chat.completions.create(model="gpt-5.2", messages=ask)


def test_discover_models_plans_only_what_the_key_is_offered(
    make_client: Callable[..., kestrel.OpenAI], mock: Mock
) -> None:
    mock.script({"listed": {"/groq": ["qwen/qwen3.8-27b"]}})
    client = make_client(discover_models=True)
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    assert resp.kestrel is not None and resp.kestrel.model != "openai/gpt-oss-20b"
    assert any(r["method"] == "GET" and r["path"] == "/groq/openai/v1/models" for r in mock.requests())
