"""The APIs Kestrel does not route (embeddings, images, files, ...), called through
Kestrel and through the official SDK against the same mock: the same answers, the same
errors (as Kestrel's classes of the same name), every exchange counted in the ledger."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import openai
import pytest

import kestrel_router as kestrel
from _mock import PROVIDER_KEYS, Mock


def sdk(mock: Mock) -> openai.OpenAI:
    return openai.OpenAI(api_key=PROVIDER_KEYS["openai"], base_url=mock.base_url("openai"), max_retries=0)


def test_embeddings_match_the_sdk_and_are_counted(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    client = make_client()
    ours = client.embeddings.create(model="text-embedding-3-small", input=["a kestrel hovers", "b"])
    theirs = sdk(mock).embeddings.create(model="text-embedding-3-small", input=["a kestrel hovers", "b"])
    assert type(ours) is type(theirs)
    assert [d.embedding for d in ours.data] == [d.embedding for d in theirs.data]
    assert ours.usage.prompt_tokens == theirs.usage.prompt_tokens > 0
    [rec] = [r for r in client.usage.records() if r.endpoint]
    assert rec.endpoint == "embeddings"
    assert rec.model == "text-embedding-3-small"
    assert rec.prompt_tokens == ours.usage.prompt_tokens
    assert rec.error is None and rec.tier is None
    # The request went to the configured base URL with the configured key.
    [sent] = [r for r in mock.requests() if r["path"].endswith("/embeddings")][:1]
    assert sent["headers"]["authorization"] == f"Bearer {PROVIDER_KEYS['openai']}"


def test_errors_are_kestrels_classes_with_the_sdks_details(
    make_client: Callable[..., kestrel.OpenAI], mock: Mock
) -> None:
    client = make_client()
    with pytest.raises(openai.NotFoundError) as theirs:
        sdk(mock).images.generate(model="gpt-image-missing", prompt="a kestrel")
    with pytest.raises(kestrel.NotFoundError) as ours:
        client.images.generate(model="gpt-image-missing", prompt="a kestrel")
    assert ours.value.status_code == theirs.value.status_code == 404
    assert ours.value.body == theirs.value.body
    assert ours.value.response is not None and ours.value.response.status_code == 404
    rec = client.usage.records()[-1]
    assert (rec.endpoint, rec.error, rec.attempts[0].status) == ("images.generations", "not_found", 404)


def test_async_client_and_generic_helpers(make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    async def run() -> Any:
        client = make_async_client()
        emb = await client.embeddings.create(model="text-embedding-3-small", input="hi")
        raw = await client.post("/embeddings", body={"model": "text-embedding-3-small", "input": "hi"}, cast_to=object)
        return emb, raw

    emb, raw = asyncio.run(run())
    assert len(emb.data) == 1
    assert isinstance(raw, dict) and raw["object"] == "list"


def test_probing_an_unknown_attribute_builds_nothing(make_client: Callable[..., kestrel.OpenAI]) -> None:
    client = make_client(api_key=None)
    assert not hasattr(client, "no_such_resource")
    assert "_sdk" not in client.__dict__


def test_module_level_client_serves_every_api(mock: Mock, monkeypatch: pytest.MonkeyPatch) -> None:
    # As `openai.api_key = ...; openai.embeddings.create(...)`: the module's settings build
    # one client, rebuilt when a setting changes.
    monkeypatch.setattr(kestrel, "api_key", PROVIDER_KEYS["openai"])
    monkeypatch.setattr(kestrel, "base_url", mock.base_url("openai"))
    monkeypatch.setattr(kestrel, "organization", "org-kestrel")
    mock.script({"models": {"gpt-4o": {}, "gpt-4o-mini": {}}})
    emb = kestrel.embeddings.create(model="text-embedding-3-small", input="hi")
    assert len(emb.data) == 1
    assert [m.id for m in kestrel.models.list()] == ["gpt-4o", "gpt-4o-mini"]
    r = kestrel.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "What is 2+2?"}])
    assert r.choices[0].message.content and r.kestrel.requested_model == "gpt-4o"
    sent = [x for x in mock.requests() if x["path"].endswith(("/embeddings", "/models"))]
    assert [x["headers"].get("openai-organization") for x in sent] == ["org-kestrel", "org-kestrel"]
    first = kestrel._load_client()
    assert kestrel._load_client() is first
    monkeypatch.setattr(kestrel, "organization", "org-other")
    assert kestrel._load_client() is not first
    assert not hasattr(kestrel, "no_such_api") and not hasattr(kestrel, "_private")
