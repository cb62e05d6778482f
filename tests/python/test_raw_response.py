"""Raw responses, request ids and error responses on routed calls, as the official SDK has
them: ``with_raw_response`` / ``with_streaming_response``, ``_request_id``, and
``e.response`` / ``e.request_id`` on errors, for chat and the Responses API, sync and async."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any, Callable

import pytest

import kestrel_router as kestrel
from kestrel_router.types.chat import ChatCompletion
from _mock import Mock
from kestrel_router.types.responses import Response


def ask(text: str = "hi") -> list:
    return [{"role": "user", "content": text}]


def seq_of(completion_id: str) -> str:
    """The mock numbers its answers: `chatcmpl-mock-N` goes with `req_mock_N`."""
    return completion_id.rsplit("-", 1)[-1]


def test_request_id_on_completion(direct: kestrel.OpenAI) -> None:
    r = direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert r._request_id == f"req_mock_{seq_of(r.id)}"
    # Never part of the data, as in the SDK.
    assert "_request_id" not in r.model_dump() and "_request_id" not in r.to_json()
    assert "_request_id" not in repr(r)
    again = direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert again._request_id != r._request_id


def test_with_raw_response(direct: kestrel.OpenAI) -> None:
    raw = direct.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=ask())
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert raw.parse() is completion
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == raw.request_id == completion._request_id
    assert raw.headers["openai-organization"] == "org-kestrel-mock"
    assert raw.headers["x-ratelimit-remaining-requests"] == "9999"
    assert raw.headers["content-type"].startswith("application/json")
    assert "authorization" not in raw.headers
    # The body is Kestrel's translation: its length, not the provider's.
    assert raw.headers.get("content-length", str(len(raw.content))) == str(len(raw.content))
    assert raw.method == "POST" and raw.http_request.method == "POST"
    assert str(raw.url).endswith("/openai/v1/chat/completions")
    assert raw.retries_taken == 0
    assert isinstance(raw.elapsed, datetime.timedelta) and raw.elapsed.total_seconds() > 0
    assert json.loads(raw.text)["id"] == completion.id == raw.json()["id"]
    assert raw.content == raw.text.encode()
    assert raw.parse(to=dict)["choices"][0]["message"]["content"] == completion.choices[0].message.content
    http_response = raw.http_response
    assert http_response.status_code == 200 and http_response.headers["x-request-id"] == raw.request_id
    assert http_response.json()["id"] == completion.id


def test_raw_response_http_types_match_the_sdk(direct: kestrel.OpenAI) -> None:
    import openai._base_client as base

    http = getattr(base, "httpx2", None) or getattr(base, "httpx")
    raw = direct.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=ask())
    assert isinstance(raw.http_response, http.Response)
    assert isinstance(raw.headers, http.Headers)
    assert isinstance(raw.url, http.URL)


def test_raw_response_counts_retries(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": [{"status": 503}, {"status": 429, "retry_after": 0}, {"text": "third time"}]})
    raw = direct.with_options(max_retries=2).chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=ask()
    )
    assert raw.retries_taken == 2
    completion = raw.parse()
    assert completion.choices[0].message.content == "third time"
    assert raw.request_id == f"req_mock_{seq_of(completion.id)}"


def test_with_raw_response_stream(direct: kestrel.OpenAI) -> None:
    raw = direct.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=ask(), stream=True)
    assert raw.status_code == 200 and raw.request_id and raw.request_id.startswith("req_mock_")
    assert raw.headers["content-type"].startswith("text/event-stream")
    stream = raw.parse()
    assert isinstance(stream, kestrel.Stream)
    assert stream.response.headers["x-request-id"] == raw.request_id == stream.request_id
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.startswith("Mock answer from gpt-4o-mini")


def test_with_streaming_response(direct: kestrel.OpenAI) -> None:
    with direct.chat.completions.with_streaming_response.create(model="gpt-4o-mini", messages=ask()) as response:
        assert isinstance(response, kestrel.APIResponse)
        assert response.status_code == 200 and response.request_id
        completion = response.parse()
        assert isinstance(completion, ChatCompletion)
        assert completion._request_id == response.request_id == response.headers["x-request-id"]
        assert json.loads(response.text())["id"] == completion.id
        assert response.json() == json.loads(response.read())


def test_with_streaming_response_iterates_events(direct: kestrel.OpenAI) -> None:
    with direct.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=ask(), stream=True
    ) as response:
        assert response.headers["x-request-id"] == response.request_id
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]).startswith(
        "Mock answer"
    )
    # Read once: a second read of the same body fails as in the SDK.
    with pytest.raises(kestrel.OpenAIError):
        response.parse()


def test_streaming_response_parse_gives_the_stream(direct: kestrel.OpenAI) -> None:
    with direct.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=ask(), stream=True
    ) as response:
        stream = response.parse()
        first = next(iter(stream))
        assert first.object == "chat.completion.chunk"
    assert stream.closed  # leaving the block closes it (the upstream request is cancelled)


def test_error_response_after_retries(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 429, "retry_after": 0, "error_message": "slow down"}})
    with pytest.raises(kestrel.RateLimitError) as excinfo:
        direct.with_options(max_retries=1).chat.completions.create(model="gpt-4o-mini", messages=ask())
    e = excinfo.value
    assert len(mock.chat_requests()) == 2
    assert e.status_code == 429 and e.response.status_code == 429
    assert e.request_id is not None and e.request_id == e.response.headers["x-request-id"]
    # The last attempt's answer, not the first's.
    assert int(e.request_id.rsplit("_", 1)[-1]) >= 2
    assert e.response.headers["retry-after"] == "0"
    assert e.response.json()["error"]["message"] == "slow down" == e.body["message"]  # type: ignore[index]
    assert e.response.request.method == "POST"
    assert str(e.response.request.url).endswith("/chat/completions")
    assert "authorization" not in e.response.request.headers


@pytest.mark.parametrize("status", [400, 401, 404, 500])
def test_status_errors_carry_the_provider_answer(direct: kestrel.OpenAI, mock: Mock, status: int) -> None:
    mock.script(models={"gpt-4o-mini": {"status": status}})
    with pytest.raises(kestrel.APIStatusError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask())
    e = excinfo.value
    assert e.response.status_code == status == e.status_code
    assert e.request_id == e.response.headers["x-request-id"]
    assert e.response.json()["error"] == e.body


def test_kestrel_refusal_has_a_response_without_provider_headers(direct: kestrel.OpenAI) -> None:
    with pytest.raises(kestrel.InvalidRequestError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=[])
    e = excinfo.value
    assert e.request_id is None
    assert e.response.status_code == 400
    assert e.response.json()["error"]["param"] == e.param


def test_connection_errors_have_no_response(make_client: Callable[..., Any]) -> None:
    client = make_client(routing=False, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(kestrel.APIConnectionError) as excinfo:
        client.chat.completions.create(model="gpt-4o-mini", messages=ask())
    assert not isinstance(excinfo.value, kestrel.APIStatusError)


def test_anthropic_request_id(make_client: Callable[..., Any], mock: Mock) -> None:
    client = make_client(
        routing=False,
        provider_keys={"anthropic": "sk-ant-test"},
        base_urls={"anthropic": mock.url + "/anthropic"},
    )
    raw = client.chat.completions.with_raw_response.create(model="claude-3-5-haiku-latest", messages=ask())
    assert raw.headers["request-id"] == raw.request_id == raw.parse()._request_id
    assert raw.request_id and raw.request_id.startswith("req_mock_")
    assert raw.headers["anthropic-ratelimit-requests-limit"] == "4000"
    assert str(raw.url).endswith("/v1/messages")
    mock.script(models={"claude-3-5-haiku-latest": {"status": 529}})
    with pytest.raises(kestrel.InternalServerError) as excinfo:
        client.chat.completions.create(model="claude-3-5-haiku-latest", messages=ask())
    e = excinfo.value
    assert e.request_id == e.response.headers["request-id"]
    assert e.response.json()["type"] == "error"  # Anthropic's own error body, as it sent it


def test_cached_answer_has_no_request_id(make_client: Callable[..., Any]) -> None:
    client = make_client(routing=False, cache={"semantic": False})
    first = client.chat.completions.create(model="gpt-4o-mini", messages=ask("cache me"))
    assert first._request_id
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=ask("cache me"))
    assert raw.parse().kestrel.cache_layer == "exact"  # type: ignore[union-attr]
    assert raw.request_id is None and raw.parse()._request_id is None
    assert raw.status_code == 200 and raw.json()["id"] == raw.parse().id


def test_responses_raw(direct: kestrel.OpenAI) -> None:
    r = direct.responses.create(model="gpt-4o-mini", input="hi")
    assert isinstance(r, Response) and r._request_id and r._request_id.startswith("req_mock_")
    raw = direct.responses.with_raw_response.create(model="gpt-4o-mini", input="hi")
    parsed = raw.parse()
    assert isinstance(parsed, Response)
    assert parsed._request_id == raw.request_id == raw.headers["x-request-id"]
    assert raw.json()["object"] == "response"
    with direct.responses.with_streaming_response.create(model="gpt-4o-mini", input="hi", stream=True) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[0] == "event: response.created"
    assert lines[-1].startswith("data: ") and json.loads(lines[-1][6:])["type"] == "response.completed"


def test_async_raw_responses(make_async_client: Callable[..., Any], mock: Mock) -> None:
    async def run() -> None:
        client = make_async_client(routing=False)
        r = await client.chat.completions.create(model="gpt-4o-mini", messages=ask())
        assert r._request_id == f"req_mock_{seq_of(r.id)}"
        raw = await client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=ask())
        assert raw.parse()._request_id == raw.headers["x-request-id"]
        async with client.chat.completions.with_streaming_response.create(
            model="gpt-4o-mini", messages=ask()
        ) as response:
            completion = await response.parse()
            assert completion._request_id == response.request_id
            assert (await response.json())["id"] == completion.id  # type: ignore[index]
        async with client.chat.completions.with_streaming_response.create(
            model="gpt-4o-mini", messages=ask(), stream=True
        ) as response:
            lines = [line async for line in response.iter_lines() if line]
        assert lines[-1] == "data: [DONE]"
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=ask(), stream=True)
        assert stream.request_id and stream.response.headers["x-request-id"] == stream.request_id
        await stream.close()
        raw_r = await client.responses.with_raw_response.create(model="gpt-4o-mini", input="hi")
        assert raw_r.parse()._request_id == raw_r.request_id
        mock.script(models={"gpt-4o-mini": {"status": 429}})
        with pytest.raises(kestrel.RateLimitError) as excinfo:
            await client.chat.completions.create(model="gpt-4o-mini", messages=ask())
        assert excinfo.value.response.status_code == 429
        assert excinfo.value.request_id == excinfo.value.response.headers["x-request-id"]

    asyncio.run(run())


def test_passthrough_raw_responses(make_client: Callable[..., Any], mock: Mock) -> None:
    """Unrouted APIs are the official client's own, raw responses included."""
    client = make_client()
    emb = client.embeddings.with_raw_response.create(model="text-embedding-3-small", input="hi")
    assert emb.status_code == 200 and emb.request_id == emb.headers["x-request-id"]
    assert emb.parse().data[0].embedding
    with client.embeddings.with_streaming_response.create(model="text-embedding-3-small", input="hi") as response:
        assert response.status_code == 200
        assert response.parse().data[0].embedding


def test_models_raw_response(direct: kestrel.OpenAI, mock: Mock) -> None:
    """`client.models` is the server's (the official client's), raw responses included."""
    mock.script({"models": {"gpt-4o": {}, "gpt-4o-mini": {}}})
    raw = direct.models.with_raw_response.list()
    page = raw.parse()
    assert raw.status_code == 200 and raw.request_id == raw.headers.get("x-request-id")
    assert [m["id"] for m in raw.http_response.json()["data"]] == [m.id for m in page.data] == ["gpt-4o", "gpt-4o-mini"]
    one = direct.models.with_raw_response.retrieve("gpt-4o")
    assert one.parse().id == "gpt-4o" == one.http_response.json()["id"]
    with direct.models.with_streaming_response.list() as response:
        assert [m.id for m in response.parse().data] == ["gpt-4o", "gpt-4o-mini"]


def test_async_models_raw_response(make_async_client: Callable[..., Any], mock: Mock) -> None:
    async def run() -> None:
        mock.script({"models": {"gpt-4o": {}}})
        client = make_async_client(routing=False)
        raw = await client.models.with_raw_response.list()
        assert raw.status_code == 200 and len(raw.parse().data) == 1
        async with client.models.with_streaming_response.list() as response:
            assert len((await response.parse()).data) == 1

    asyncio.run(run())


def test_passthrough_streaming_response_errors_are_kestrels(make_client: Callable[..., Any], mock: Mock) -> None:
    client = make_client()
    with pytest.raises(kestrel.NotFoundError) as excinfo:
        with client.images.with_streaming_response.generate(model="gpt-image-missing", prompt="a kestrel"):
            pass
    assert excinfo.value.response.status_code == 404
    assert excinfo.value.request_id == excinfo.value.response.headers.get("x-request-id")
