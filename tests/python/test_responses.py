"""``client.responses.create`` (the Responses API, routed through the core): Response objects
with attribute access and ``output_text``, function tools and the function_call_output
round trip by ``previous_response_id``, typed stream events, the SDK's 404 for an unknown
id, and the async client."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest

import kestrel_router as kestrel
from kestrel_router.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseTextDeltaEvent,
)
from _mock import Mock

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def test_create_returns_a_response(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    client = make_client()
    r = client.responses.create(model="gpt-4o", input="What is 2+2?", instructions="Be terse.",
                                kestrel={"routing": False})
    assert isinstance(r, Response)
    assert r.object == "response" and r.id.startswith("resp_") and r.status == "completed"
    assert isinstance(r.output[0], ResponseOutputMessage)
    assert r.output[0].content[0].annotations == []
    assert r.output_text == 'Mock answer from gpt-4o: you said "What is 2+2?".'
    assert r.usage.total_tokens == r.usage.input_tokens + r.usage.output_tokens
    assert r.usage.input_tokens_details.cached_tokens == 0
    assert r.kestrel.model == "gpt-4o" and r.kestrel.provider == "openai"
    sent = mock.requests()[-1]["body"]
    assert sent["messages"][0] == {"role": "system", "content": "Be terse."}


def test_function_call_round_trip_by_previous_response_id(make_client: Callable[..., kestrel.OpenAI],
                                                         mock: Mock) -> None:
    client = make_client()
    first = client.responses.create(model="gpt-4o", input="Weather in Paris?", tools=[WEATHER],
                                    kestrel={"routing": False})
    call = first.output[0]
    assert isinstance(call, ResponseFunctionToolCall)
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)
    second = client.responses.create(
        model="gpt-4o", previous_response_id=first.id, tools=[WEATHER], kestrel={"routing": False},
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "18 degrees, sunny"}],
    )
    assert "18 degrees" in second.output_text
    messages = mock.requests()[-1]["body"]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id


def test_stream_yields_typed_events(make_client: Callable[..., kestrel.OpenAI]) -> None:
    client = make_client()
    stream = client.responses.create(model="gpt-4o", input="What is 2+2?", stream=True, kestrel={"routing": False})
    events = list(stream)
    assert isinstance(events[0], ResponseCreatedEvent)
    assert isinstance(events[-1], ResponseCompletedEvent)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if isinstance(e, ResponseTextDeltaEvent))
    assert text == events[-1].response.output_text == 'Mock answer from gpt-4o: you said "What is 2+2?".'
    assert stream.kestrel is not None and stream.kestrel.model == "gpt-4o"


def test_an_unknown_previous_response_id_is_openais_to_answer(make_client: Callable[..., kestrel.OpenAI],
                                                              mock: Mock) -> None:
    # Not a response this client stored: OpenAI may hold it, so it is asked, as the SDK
    # would; here it does not, and the SDK's 404 comes back.
    client = make_client()
    with pytest.raises(kestrel.NotFoundError) as info:
        client.responses.create(model="gpt-4o", input="hi", previous_response_id="resp_missing")
    assert "Previous response with id 'resp_missing' not found." in str(info.value)
    assert [r["path"] for r in mock.requests()] == ["/openai/v1/responses"]


def _official(mock: Mock) -> Any:
    import openai

    return openai.OpenAI(api_key="sk-test", base_url=mock.base_url("openai"), max_retries=0)


def test_what_only_openai_serves_goes_there_unchanged(make_client: Callable[..., kestrel.OpenAI],
                                                      mock: Mock) -> None:
    # Built-in tools, OpenAI's stored state, its own items: sent as the official SDK sends
    # them (to /responses, not translated to chat), with the same answer.
    requests: list[dict[str, Any]] = [
        {"input": "Today's news?", "tools": [{"type": "web_search"}]},
        {"input": "Find the refund policy.", "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]}]},
        {"input": [{"type": "item_reference", "id": "msg_1"}]},
        {"input": "Go on.", "previous_response_id": "resp_mock" + "0" * 44},
        {"input": "Write an essay.", "background": True},
    ]
    client = make_client()
    counted = []
    for body in requests:
        want = _official(mock).responses.create(model="gpt-4o", **body)
        counted.append((want.usage.input_tokens, want.usage.output_tokens))
        mock.clear()
        got = client.responses.create(model="gpt-4o", kestrel={"routing": False}, **body)
        assert [o.type for o in got.output] == [o.type for o in want.output], body
        assert (got.status, got.output_text, got.usage) == (want.status, want.output_text, want.usage), body
        sent = mock.requests()
        assert [r["path"] for r in sent] == ["/openai/v1/responses"], body
        assert "kestrel" not in sent[0]["body"] and sent[0]["body"]["input"] == body["input"]
    records = client.usage.records()[-len(requests):]
    assert {r.endpoint for r in records} == {"responses"}, records
    assert [(r.prompt_tokens, r.completion_tokens) for r in records] == counted


def test_a_passed_through_stream_is_the_sdks(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    body: dict[str, Any] = {"input": "Today's news?", "tools": [{"type": "web_search_preview"}], "stream": True}
    want = [e.type for e in _official(mock).responses.create(model="gpt-4o", **body)]
    got = [e.type for e in make_client().responses.create(model="gpt-4o", **body)]
    assert got == want and got[0] == "response.created" and got[-1] == "response.completed"
    assert "response.output_item.added" in got


def test_stored_responses_are_served_by_the_official_client(make_client: Callable[..., kestrel.OpenAI],
                                                            mock: Mock) -> None:
    client, sdk = make_client(), _official(mock)
    rid = "resp_mock" + "1" * 44
    assert client.responses.retrieve(rid).id == sdk.responses.retrieve(rid).id == rid
    assert [i.id for i in client.responses.input_items.list(rid)] == [i.id for i in sdk.responses.input_items.list(rid)]
    client.responses.delete(rid)
    assert client.responses.cancel(rid).status == "cancelled"
    assert [(r["method"], r["path"]) for r in mock.requests()][-2:] == [
        ("DELETE", f"/openai/v1/responses/{rid}"), ("POST", f"/openai/v1/responses/{rid}/cancel")]
    with pytest.raises(AttributeError):
        client.responses._not_an_api  # noqa: B018


def test_async_responses(make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    async def main() -> Any:
        client = make_async_client()
        first = await client.responses.create(model="gpt-4o", input="My name is Ana.", kestrel={"routing": False})
        stream = await client.responses.create(model="gpt-4o", input="What is my name?", stream=True,
                                               previous_response_id=first.id, kestrel={"routing": False})
        events = [e async for e in stream]
        await client.close()
        return events

    events = asyncio.run(main())
    assert events[-1].type == "response.completed"
    assert "What is my name?" in events[-1].response.output_text
