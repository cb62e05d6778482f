"""`client.responses.stream(...)` and `client.responses.parse(...)`: the SDK's Responses
helpers (its `ResponseStream` events, `ParsedResponse` parsing) over routed Responses.

A routed Response reaches the mock as a chat call (the core translates it), so the checks
are on the SDK's types and values; beside the official client: what only OpenAI serves is
handed to the official SDK's helpers, with the same events and answer."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, List

import openai
import pydantic
import pytest
from openai.types.responses import ParsedResponse

import kestrel_router as kestrel
from _mock import PROVIDER_KEYS, Mock

MODEL = "gpt-4o-mini"


class Person(pydantic.BaseModel):
    """A person."""

    name: str
    age: int


def test_stream_gives_the_sdk_events_and_final_response(direct: kestrel.OpenAI) -> None:
    with direct.responses.stream(model=MODEL, input="hello there") as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 1
    # The SDK's stream adds the text so far to each delta event.
    assert deltas[-1].snapshot == "".join(d.delta for d in deltas)
    assert isinstance(final, ParsedResponse)
    assert final.output_text == 'Mock answer from gpt-4o-mini: you said "hello there".' == deltas[-1].snapshot
    assert final.kestrel is stream.kestrel and final.kestrel.model == MODEL
    assert final._request_id and final._request_id.startswith("req_mock_")
    assert json.loads(final.model_dump_json())["kestrel"]["model"] == MODEL


def test_stream_parses_text_format(direct: kestrel.OpenAI, mock: Mock) -> None:
    with direct.responses.stream(model=MODEL, input="Who?", text_format=Person) as stream:
        done = [e for e in stream if e.type == "response.output_text.done"]
    assert done[0].parsed == Person(name="example", age=1)
    assert stream.get_final_response().output_parsed == Person(name="example", age=1)
    # Sent as a strict JSON schema named after the class (the provider's chat call).
    fmt = mock.chat_requests()[0]["body"]["response_format"]
    assert fmt["json_schema"]["name"] == "Person" and fmt["json_schema"]["strict"] is True


@pytest.mark.parametrize("tool_factory", [openai.pydantic_function_tool, kestrel.pydantic_function_tool])
def test_parse_text_format_and_strict_tools(direct: kestrel.OpenAI, tool_factory: Callable[..., Any]) -> None:
    r = direct.responses.parse(model=MODEL, input="Who?", text_format=Person)
    assert isinstance(r, ParsedResponse)
    assert r.output_parsed == Person(name="example", age=1)
    assert r.kestrel.requested_model == MODEL

    r = direct.responses.parse(model=MODEL, input="Look up", tools=[tool_factory(Person, name="lookup")])
    (call,) = [o for o in r.output if o.type == "function_call"]
    assert call.name == "lookup" and call.parsed_arguments == Person(name="example", age=1)


def test_text_format_with_text_format_in_text_is_refused(direct: kestrel.OpenAI, mock: Mock) -> None:
    with pytest.raises(TypeError):
        direct.responses.parse(model=MODEL, input="x", text_format=Person, text={"format": {"type": "text"}})
    assert mock.requests() == []


def test_errors_are_kestrels_sdk_classes(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={MODEL: {"status": 429, "error_message": "slow down"}})
    with pytest.raises(kestrel.RateLimitError):
        with direct.responses.stream(model=MODEL, input="hi"):
            pass
    # A routed Responses stream reports a cut as the Responses API does (`error`, then
    # `response.failed`), and the SDK's stream then has no final response.
    mock.script(models={MODEL: {"text": "one two three four", "cut_after_chunks": 2}})
    with direct.responses.stream(model=MODEL, input="hi") as stream:
        seen = [e.type for e in stream]
        with pytest.raises(RuntimeError, match="response.completed"):
            stream.get_final_response()
    assert seen[0] == "response.created" and seen[-2:] == ["error", "response.failed"]


def test_async_stream_and_parse(make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    async def program() -> tuple[List[str], Any, Any]:
        client = make_async_client(routing=False)
        async with client.responses.stream(model=MODEL, input="Who?", text_format=Person) as stream:
            types = [e.type async for e in stream]
            final = await stream.get_final_response()
        parsed = await client.responses.parse(model=MODEL, input="Who?", text_format=Person)
        return types, final, parsed

    types, final, parsed = asyncio.run(program())
    assert types[-1] == "response.completed" and "response.output_text.done" in types
    assert final.output_parsed == parsed.output_parsed == Person(name="example", age=1)
    assert final.kestrel.model == parsed.kestrel.model == MODEL


@pytest.fixture
def sdk(mock: Mock) -> openai.OpenAI:
    return openai.OpenAI(base_url=mock.base_url("openai"), api_key=PROVIDER_KEYS["openai"], max_retries=0)


def _program(client: Any, **params: Any) -> tuple[List[str], str]:
    with client.responses.stream(model=MODEL, **params) as stream:
        types = [e.type for e in stream]
        final = stream.get_final_response()
    return types, final.output_text


def test_what_only_openai_serves_goes_to_the_official_helpers(sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock) -> None:
    body: Dict[str, Any] = {"input": "Today's news?", "tools": [{"type": "web_search_preview"}]}
    want = _program(sdk, **body)
    mock.clear()
    got = _program(direct, **body)
    assert got == want and got[0][-1] == "response.completed"
    assert [r["path"] for r in mock.requests()] == ["/openai/v1/responses"]
    mock.clear()
    parsed = direct.responses.parse(model=MODEL, **body)
    assert isinstance(parsed, ParsedResponse)
    assert [r["path"] for r in mock.requests()] == ["/openai/v1/responses"]
