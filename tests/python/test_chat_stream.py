"""`client.chat.completions.stream(...)`: the SDK's streaming helper over routed streams.

Each program runs twice against the mock, with the official `openai` client and with a
Kestrel client (routing off, so both reach the same model), and must see the same events,
final content, parsed objects, tool-call arguments and error classes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, Dict, List, Optional

import openai
import pydantic
import pytest

import kestrel_router as kestrel
from _mock import PROVIDER_KEYS, Mock

MODEL = "gpt-4o-mini"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city", "unit"],
        },
    },
}


class Person(pydantic.BaseModel):
    """A person."""

    name: str
    age: int


class Weather(pydantic.BaseModel):
    city: str
    days: int


def ask(text: str) -> List[Dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def sdk(mock: Mock) -> openai.OpenAI:
    return openai.OpenAI(base_url=mock.base_url("openai"), api_key=PROVIDER_KEYS["openai"], max_retries=0)


@pytest.fixture
def async_sdk(mock: Mock) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=mock.base_url("openai"), api_key=PROVIDER_KEYS["openai"], max_retries=0)


def _plain(value: Any) -> Any:
    """A dump without what differs between two requests to the mock (ids, timestamps)."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("id", "created", "kestrel")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def events_of(stream: Any) -> List[Any]:
    """Each event's type and content: the chunk's choices for `chunk`, the whole event
    (deltas, snapshots, parsed objects, arguments) for the others."""
    out = []
    for event in stream:
        if event.type == "chunk":
            out.append(("chunk", _plain(event.chunk.choices)))
        else:
            out.append((event.type, _plain(event)))
    return out


def run(client: Any, **params: Any) -> Dict[str, Any]:
    """The program both clients run."""
    with client.chat.completions.stream(model=MODEL, **params) as stream:
        events = events_of(stream)
        final = stream.get_final_completion()
        snapshot = stream.current_completion_snapshot
    message = final.choices[0].message
    return {
        "events": events,
        "content": message.content,
        "parsed": message.parsed,
        "tool_calls": [(c.function.name, c.function.arguments, c.function.parsed_arguments) for c in message.tool_calls or []],
        "finish_reason": final.choices[0].finish_reason,
        "snapshot_content": snapshot.choices[0].message.content,
        "final_type": type(final).__name__,
    }


def test_text_stream_matches_the_sdk(sdk: openai.OpenAI, direct: kestrel.OpenAI) -> None:
    expected = run(sdk, messages=ask("hello there"))
    got = run(direct, messages=ask("hello there"))
    assert got == expected
    types = [t for t, _ in got["events"]]
    assert types[0] == "chunk" and types[-1] == "content.done"
    assert "content.delta" in types
    assert got["content"] == 'Mock answer from gpt-4o-mini: you said "hello there".'


def test_tool_call_stream_matches_the_sdk(sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={MODEL: {"tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
        {"name": "get_weather", "arguments": {"city": "Lyon", "unit": "fahrenheit"}},
    ]}})
    expected = run(sdk, messages=ask("Paris and Lyon?"), tools=[WEATHER_TOOL])
    got = run(direct, messages=ask("Paris and Lyon?"), tools=[WEATHER_TOOL])
    assert got == expected
    types = [t for t, _ in got["events"]]
    assert types.count("tool_calls.function.arguments.done") == 2
    assert "tool_calls.function.arguments.delta" in types
    assert [json.loads(args) for _, args, _ in got["tool_calls"]] == [
        {"city": "Paris", "unit": "celsius"}, {"city": "Lyon", "unit": "fahrenheit"}]
    assert got["finish_reason"] == "tool_calls"


@pytest.mark.parametrize("tool_factory", [openai.pydantic_function_tool, kestrel.pydantic_function_tool])
def test_strict_pydantic_tool_is_parsed_as_the_sdk_does(
    sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock, tool_factory: Callable[..., Any]
) -> None:
    mock.script(models={MODEL: {"tool_calls": [{"name": "Weather", "arguments": {"city": "Oslo", "days": 3}}]}})
    expected = run(sdk, messages=ask("Oslo?"), tools=[openai.pydantic_function_tool(Weather)])
    got = run(direct, messages=ask("Oslo?"), tools=[tool_factory(Weather)])
    assert got == expected
    ((name, _, parsed),) = got["tool_calls"]
    assert name == "Weather" and parsed == Weather(city="Oslo", days=3)
    done = [e for t, e in got["events"] if t == "tool_calls.function.arguments.done"]
    assert done[0]["parsed_arguments"] == {"city": "Oslo", "days": 3}
    # Sent as the SDK sends it: a strict function with a closed schema.
    sent = [r["body"]["tools"][0]["function"] for r in mock.chat_requests()]
    assert sent[0] == sent[1] and sent[1]["strict"] is True
    assert sent[1]["parameters"]["additionalProperties"] is False


def test_structured_output_is_parsed_as_the_sdk_does(sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock) -> None:
    expected = run(sdk, messages=ask("Who?"), response_format=Person)
    got = run(direct, messages=ask("Who?"), response_format=Person)
    assert got == expected
    assert got["parsed"] == Person(name="example", age=1)
    done = [e for t, e in got["events"] if t == "content.done"]
    assert done[0]["parsed"] == {"name": "example", "age": 1}
    formats = [r["body"]["response_format"] for r in mock.chat_requests()]
    assert formats[0] == formats[1] and formats[1]["json_schema"]["name"] == "Person"


def _error_of(client: Any, mock: Mock, behaviour: Dict[str, Any], **params: Any) -> Any:
    mock.script(models={MODEL: behaviour})
    seen: List[str] = []
    with pytest.raises(Exception) as excinfo:
        with client.chat.completions.stream(model=MODEL, messages=ask("one two three four five"), **params) as stream:
            for event in stream:
                seen.append(event.type)
    return excinfo.value, seen


@pytest.mark.parametrize(
    "behaviour",
    [{"cut_after_chunks": 2}, {"status": 429, "error_message": "slow down"}, {"status": 500}],
    ids=["cut-mid-stream", "rate-limited", "server-error"],
)
def test_errors_raise_the_sdk_class(sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock, behaviour: Dict[str, Any]) -> None:
    expected, expected_seen = _error_of(sdk, mock, behaviour)
    got, got_seen = _error_of(direct, mock, behaviour)
    # Kestrel's class of the SDK's name (a cut stream: Kestrel's StreamInterruptedError,
    # an APIConnectionError).
    assert isinstance(got, getattr(kestrel, type(expected).__name__)), (expected, got)
    assert isinstance(expected, openai.APIError)
    assert got_seen == expected_seen
    if "status" in behaviour:
        assert got.status_code == expected.status_code == behaviour["status"]


def test_length_cut_structured_output_raises_length_error(sdk: openai.OpenAI, direct: kestrel.OpenAI, mock: Mock) -> None:
    behaviour = {"text": '{"name": "Al', "finish_reason": "length"}
    expected, expected_seen = _error_of(sdk, mock, behaviour, response_format=Person)
    got, got_seen = _error_of(direct, mock, behaviour, response_format=Person)
    assert type(expected) is openai.LengthFinishReasonError
    assert type(got) is kestrel.LengthFinishReasonError  # as Kestrel's parse() raises
    assert got_seen == expected_seen
    assert got.completion.choices[0].message.content == '{"name": "Al'


def test_final_completion_carries_routing_metadata(kc: kestrel.OpenAI) -> None:
    with kc.chat.completions.stream(model="gpt-4o", messages=ask("hi"), response_format=Person) as stream:
        deltas = [e.delta for e in stream if e.type == "content.delta"]
        final = stream.get_final_completion()
    assert stream.kestrel is not None and final.kestrel is stream.kestrel
    assert final.kestrel.requested_model == "gpt-4o"
    assert final.model == final.kestrel.model
    assert final._request_id and final._request_id.startswith("req_mock_")
    assert "".join(deltas) == final.choices[0].message.content
    assert final.choices[0].message.parsed == Person(name="example", age=1)
    dumped = json.loads(final.model_dump_json())
    assert dumped["kestrel"]["requested_model"] == "gpt-4o"
    assert dumped["choices"][0]["message"]["parsed"] == {"name": "example", "age": 1}


def test_until_done_and_early_exit(direct: kestrel.OpenAI, mock: Mock) -> None:
    with direct.chat.completions.stream(model=MODEL, messages=ask("hi")) as stream:
        assert stream.until_done() is stream
        assert stream.get_final_completion().choices[0].message.content.startswith("Mock answer")
    # Leaving the block early closes the routed stream (the upstream request stops).
    mock.script(models={MODEL: {"text": "a b c d e f g h", "chunk_delay_ms": 20}})
    with direct.chat.completions.stream(model=MODEL, messages=ask("hi")) as stream:
        next(iter(stream))
    assert stream._routed.closed


def test_beta_alias_is_routed(direct: kestrel.OpenAI, mock: Mock) -> None:
    assert direct.beta.chat.completions.stream.__func__ is direct.chat.completions.stream.__func__
    with direct.beta.chat.completions.stream(model=MODEL, messages=ask("hi")) as stream:
        final = stream.get_final_completion()
    assert final.kestrel is not None
    assert [r["path"] for r in mock.requests()] == ["/openai/v1/chat/completions"]
    # The other beta APIs stay the official client's (built without any request).
    assert "Assistants" in repr(direct.beta.assistants)
    assert callable(direct.beta.assistants.list)


def test_bad_input_fails_before_any_request(direct: kestrel.OpenAI, mock: Mock) -> None:
    manager = direct.chat.completions.stream(model=MODEL, messages=[])
    # As in the SDK, the request is made on entering the block.
    with pytest.raises(kestrel.InvalidRequestError):
        with manager:
            pass
    assert mock.requests() == []


def test_async_stream_matches_the_sdk(
    async_sdk: openai.AsyncOpenAI, make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock
) -> None:
    async def program(client: Any) -> Dict[str, Any]:
        async with client.chat.completions.stream(model=MODEL, messages=ask("Who?"), response_format=Person) as stream:
            types = [event.type async for event in stream]
            final = await stream.get_final_completion()
        return {"types": types, "parsed": final.choices[0].message.parsed, "meta": getattr(final, "kestrel", None)}

    async def both() -> tuple[Dict[str, Any], Dict[str, Any]]:
        return await program(async_sdk), await program(make_async_client(routing=False))

    expected, got = asyncio.run(both())
    assert got["types"] == expected["types"] and got["parsed"] == expected["parsed"] == Person(name="example", age=1)
    assert expected["meta"] is None and got["meta"].model == MODEL


def test_async_error_mid_stream(
    async_sdk: openai.AsyncOpenAI, make_async_client: Callable[..., kestrel.AsyncOpenAI], mock: Mock
) -> None:
    mock.script(models={MODEL: {"cut_after_chunks": 2}})

    async def program(client: Any) -> Optional[BaseException]:
        try:
            async with client.beta.chat.completions.stream(model=MODEL, messages=ask("one two three")) as stream:
                await stream.until_done()
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return e
        return None

    async def both() -> tuple[Any, Any]:
        return await program(async_sdk), await program(make_async_client(routing=False))

    expected, got = asyncio.run(both())
    assert isinstance(expected, openai.APIConnectionError)
    assert isinstance(got, kestrel.APIConnectionError)
