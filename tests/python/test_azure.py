"""Azure clients against the mock's Azure routes (real HTTP on loopback): the SDK's
constructor rules and errors, api-key vs Entra ID tokens (the provider called per
request), routing between two deployments, embeddings passed through the official
AzureOpenAI client, and the same program run with ``openai.AzureOpenAI``."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import openai
import pytest

import kestrel_router as kestrel
from _mock import Mock

VERSION = "2024-10-21"
KEY = "az-key"
EASY = [{"role": "user", "content": "What is 2+2?"}]
HARD = [{"role": "user", "content": "Prove rigorously that there are infinitely many primes, step by step."}]
DEPLOYMENTS = {"gpt-4o": "big", "gpt-4o-mini": "mini"}
AZURE_ENV = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_VERSION", "AZURE_OPENAI_ENDPOINT")


@pytest.fixture(autouse=True)
def azure_mock(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> Mock:
    for var in AZURE_ENV:
        monkeypatch.delenv(var, raising=False)
    mock.script({"require_keys": {"/azure": KEY}, "azure_deployments": {"big": "gpt-4o", "mini": "gpt-4o-mini"}})
    return mock


def endpoint(mock: Mock) -> str:
    return mock.url + "/azure/"


def azure(mock: Mock, **kw: Any) -> kestrel.AzureOpenAI:
    args: Dict[str, Any] = dict(azure_endpoint=endpoint(mock), api_version=VERSION, max_retries=0)
    if not {"api_key", "azure_ad_token", "azure_ad_token_provider"} & set(kw):
        args["api_key"] = KEY
    args.update(kw)
    return kestrel.AzureOpenAI(**args)


def chat_paths(mock: Mock) -> List[str]:
    return [r["path"] for r in mock.chat_requests()]


# --- constructor -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", [(kestrel.AzureOpenAI, openai.AzureOpenAI), (kestrel.AsyncAzureOpenAI, openai.AsyncAzureOpenAI)])
def test_constructor_errors_are_the_sdks(cls: Any, mock: Mock) -> None:
    ours, theirs = cls
    cases: List[Dict[str, Any]] = [
        dict(azure_endpoint="https://r", api_version=VERSION),  # no credential
        dict(azure_endpoint="https://r", api_version=VERSION, api_key="k", azure_ad_token="t"),
        dict(azure_endpoint="https://r", api_key="k", azure_ad_token_provider=lambda: "t"),
        dict(azure_endpoint="https://r", api_key="k"),  # no api_version
        dict(api_key="k", api_version=VERSION),  # no endpoint
        dict(api_key="k", api_version=VERSION, azure_endpoint="https://r", base_url="https://r/openai"),
    ]
    for args in cases:
        with pytest.raises(Exception) as official:
            theirs(**args)
        with pytest.raises(Exception) as kestrels:
            ours(**args)
        assert str(kestrels.value) == str(official.value), args
        assert type(kestrels.value).__name__ == type(official.value).__name__, args
        if isinstance(official.value, openai.OpenAIError):
            assert isinstance(kestrels.value, kestrel.OpenAIError)
        else:
            assert isinstance(kestrels.value, ValueError)


def test_environment_variables_configure_it(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", VERSION)
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint(mock))
    client = kestrel.AzureOpenAI(max_retries=0)
    client.chat.completions.create(model="mini", messages=EASY)
    [sent] = mock.chat_requests()
    assert sent["headers"]["api-key"] == KEY
    assert sent["query"] == f"api-version={VERSION}"
    # AZURE_OPENAI_AD_TOKEN wins over the key when no credential is passed, as in the SDK.
    monkeypatch.setenv("AZURE_OPENAI_AD_TOKEN", "env-token")
    kestrel.AzureOpenAI(max_retries=0).chat.completions.create(model="mini", messages=EASY)
    assert mock.chat_requests()[-1]["headers"]["authorization"] == "Bearer env-token"


# --- auth ------------------------------------------------------------------------------


def test_api_key_goes_as_api_key_header(mock: Mock) -> None:
    r = azure(mock).chat.completions.create(model="mini", messages=EASY)
    assert r.model == "gpt-4o-mini"
    [sent] = mock.chat_requests()
    assert sent["path"] == "/azure/openai/deployments/mini/chat/completions"
    assert sent["query"] == f"api-version={VERSION}"
    assert sent["headers"]["api-key"] == KEY
    assert "authorization" not in sent["headers"]


def test_token_provider_is_called_per_request(mock: Mock) -> None:
    calls: List[int] = []

    def provider() -> str:
        calls.append(1)
        return f"tok-{len(calls)}"

    client = azure(mock, azure_ad_token_provider=provider)
    assert calls == [], "no token is fetched before a request"
    client.chat.completions.create(model="mini", messages=EASY)
    client.chat.completions.create(model="mini", messages=EASY, stream=True).close()
    client.responses.create(model="mini", input="hi")
    assert [r["headers"]["authorization"] for r in mock.chat_requests()] == ["Bearer tok-1", "Bearer tok-2", "Bearer tok-3"]
    assert all("api-key" not in r["headers"] for r in mock.chat_requests())
    with pytest.raises(ValueError, match="non-empty string"):
        azure(mock, azure_ad_token_provider=lambda: "").chat.completions.create(model="mini", messages=EASY)


def test_fixed_ad_token_and_async_provider(mock: Mock) -> None:
    azure(mock, azure_ad_token="fixed").chat.completions.create(model="mini", messages=EASY)
    assert mock.chat_requests()[-1]["headers"]["authorization"] == "Bearer fixed"

    async def provider() -> str:
        return "async-tok"

    async def run() -> None:
        client = kestrel.AsyncAzureOpenAI(
            azure_endpoint=endpoint(mock), api_version=VERSION, azure_ad_token_provider=provider, max_retries=0
        )
        await client.chat.completions.create(model="mini", messages=EASY)

    asyncio.run(run())
    assert mock.chat_requests()[-1]["headers"]["authorization"] == "Bearer async-tok"


def test_azure_errors_are_the_sdks(mock: Mock) -> None:
    for client_cls, kwargs in ((kestrel.AzureOpenAI, {}), (openai.AzureOpenAI, {})):
        client = client_cls(azure_endpoint=endpoint(mock), api_version=VERSION, api_key="wrong", max_retries=0, **kwargs)
        with pytest.raises(Exception) as e:
            client.chat.completions.create(model="mini", messages=EASY)
        assert type(e.value).__name__ == "AuthenticationError"
        assert e.value.status_code == 401  # type: ignore[attr-defined]
    for c in (azure(mock), openai.AzureOpenAI(azure_endpoint=endpoint(mock), api_version=VERSION, api_key=KEY, max_retries=0)):
        with pytest.raises(Exception) as e:
            c.chat.completions.create(model="nowhere", messages=EASY)
        assert type(e.value).__name__ == "NotFoundError"
        assert e.value.body["code"] == "DeploymentNotFound"  # type: ignore[attr-defined]


# --- routing ---------------------------------------------------------------------------


def test_routes_between_two_deployments(mock: Mock) -> None:
    client = azure(mock, deployments=DEPLOYMENTS)
    easy = client.chat.completions.create(model="big", messages=EASY)
    assert easy.kestrel.model == "mini" and easy.kestrel.provider == "azure"
    assert easy.kestrel.saved_usd > 0
    hard = client.chat.completions.create(model="big", messages=HARD)
    assert hard.kestrel.model == "big"
    assert chat_paths(mock) == [
        "/azure/openai/deployments/mini/chat/completions",
        "/azure/openai/deployments/big/chat/completions",
    ]
    # azure_deployment pins the ceiling whatever `model` says, as the SDK's URL does.
    pinned = azure(mock, deployments=DEPLOYMENTS, azure_deployment="big")
    assert pinned.chat.completions.create(model="ignored", messages=HARD).kestrel.model == "big"
    assert pinned.route(model="ignored", messages=EASY).model == "mini"
    records = client.usage.records()
    assert [r.model for r in records] == ["mini", "big"]


def test_single_deployment_is_called_unrouted_and_counted(mock: Mock) -> None:
    client = azure(mock, azure_deployment="big")
    r = client.chat.completions.create(model="gpt-4o", messages=EASY)
    assert r.kestrel.model == "big"
    assert chat_paths(mock) == ["/azure/openai/deployments/big/chat/completions"]
    assert len(client.usage.records()) == 1


# --- passthrough -----------------------------------------------------------------------


def test_embeddings_go_through_the_official_azure_client(mock: Mock) -> None:
    client = azure(mock)
    ours = client.embeddings.create(model="mini", input="a kestrel hovers")
    theirs = openai.AzureOpenAI(
        azure_endpoint=endpoint(mock), api_version=VERSION, api_key=KEY
    ).embeddings.create(model="mini", input="a kestrel hovers")
    assert ours.data[0].embedding == theirs.data[0].embedding
    sent = [r for r in mock.requests() if r["path"].endswith("/embeddings")]
    assert [r["path"] for r in sent] == ["/azure/openai/deployments/mini/embeddings"] * 2
    assert sent[0]["headers"]["api-key"] == KEY and sent[0]["query"] == f"api-version={VERSION}"
    assert [r.endpoint for r in client.usage.records() if r.endpoint] == ["embeddings"]


# --- the same program with the official SDK ----------------------------------------------


def program(client: Any) -> List[Any]:
    """A small Azure program from the SDK's README: chat, a stream, embeddings."""
    out: List[Any] = []
    r = client.chat.completions.create(model="mini", messages=EASY)
    out.append((r.object, r.choices[0].message.role, r.choices[0].finish_reason, r.model))
    text = "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(model="mini", messages=EASY, stream=True) if c.choices)
    out.append(bool(text))
    e = client.embeddings.create(model="mini", input=["x", "y"])
    out.append(len(e.data))
    return out


@pytest.mark.parametrize("cls", [kestrel.AzureOpenAI, openai.AzureOpenAI])
def test_the_same_program_passes_with_the_official_sdk(cls: Any, mock: Mock) -> None:
    client = cls(azure_endpoint=endpoint(mock), api_version=VERSION, api_key=KEY, max_retries=0)
    assert program(client) == [("chat.completion", "assistant", "stop", "gpt-4o-mini"), True, 2]
