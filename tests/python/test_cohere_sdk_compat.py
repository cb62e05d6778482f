"""The mock's Cohere v2 chat route (`…/v2/chat`), driven by the official `cohere` Python SDK.

If the SDK parses everything the mock sends (chat responses, v2 event streams, tool calls,
JSON output, error bodies), then Kestrel's Cohere provider, tested against the mock, is
tested against what the real API sends.

The mock binary comes from $KESTREL_MOCK_BIN (default: <repo>/target/debug/kestrel-mock);
conftest.py starts it once per session and resets it before every test.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import cohere
import pytest
from cohere.core.api_error import ApiError

from _mock import recorded, set_script

MODEL = "command-a-03-2025"
KEY = "cohere-test-key"
WEATHER_TOOL: Dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city", "unit"],
        },
    },
}


def echo(text: str) -> str:
    return f'Mock answer from {MODEL}: you said "{text}".'


def ask(text: str) -> List[Dict[str, Any]]:
    return [{"role": "user", "content": text}]


def make_client(mock_url: str, key: str = KEY, max_retries: int = 0) -> cohere.ClientV2:
    return cohere.ClientV2(api_key=key, base_url=f"{mock_url}/cohere", max_retries=max_retries)


@pytest.fixture
def client(mock_url: str) -> cohere.ClientV2:
    return make_client(mock_url)


def script(url: str, behaviour: Any) -> None:
    """Scripts MODEL: one behaviour, or a queue of them."""
    set_script(url, {"models": {MODEL: behaviour}})


def chat_requests(mock_url: str) -> List[Dict[str, Any]]:
    return [r for r in recorded(mock_url) if r["path"].endswith("/v2/chat")]


# --- plain chat ----------------------------------------------------------------------------


def test_plain_chat(client: cohere.ClientV2, mock_url: str) -> None:
    r = client.chat(model=MODEL, messages=ask("What is 2+2?"))
    assert isinstance(r, cohere.V2ChatResponse)
    assert r.id and r.finish_reason == "COMPLETE"
    assert r.message.role == "assistant"
    content = r.message.content or []
    assert [c.type for c in content] == ["text"]
    assert content[0].text == echo("What is 2+2?")  # type: ignore[union-attr]
    assert not r.message.tool_calls
    assert r.usage and r.usage.tokens and r.usage.billed_units
    assert r.usage.tokens.input_tokens == len("What is 2+2?") // 4
    assert r.usage.tokens.output_tokens == len(echo("What is 2+2?")) // 4
    assert r.usage.billed_units.output_tokens == r.usage.tokens.output_tokens

    (req,) = chat_requests(mock_url)
    assert req["path"] == "/cohere/v2/chat"
    assert req["body"] == {"model": MODEL, "messages": ask("What is 2+2?"), "stream": False}


def test_key_is_a_header_not_in_the_url(client: cohere.ClientV2, mock_url: str) -> None:
    client.chat(model=MODEL, messages=ask("hi"))
    list(client.chat_stream(model=MODEL, messages=ask("hi")))
    plain, streamed = chat_requests(mock_url)
    for req in (plain, streamed):
        assert req["headers"]["authorization"] == f"Bearer {KEY}"
        assert KEY not in req["path"] and not req.get("query")
    assert streamed["body"]["stream"] is True


def test_request_id_header(client: cohere.ClientV2) -> None:
    raw = client.with_raw_response.chat(model=MODEL, messages=ask("hi"))
    assert raw.headers["x-request-id"].startswith("req_mock_")
    assert raw.data.message.content


def test_system_sampling_and_stop_sequences(client: cohere.ClientV2, mock_url: str) -> None:
    messages: Any = [{"role": "system", "content": "Be terse."}, *ask("Hello")]
    r = client.chat(model=MODEL, messages=messages, temperature=0.3, p=0.9, k=5, seed=7, stop_sequences=["said"])
    assert r.finish_reason == "STOP_SEQUENCE"
    assert r.message.content and r.message.content[0].text == f"Mock answer from {MODEL}: you "  # type: ignore[union-attr]
    body = chat_requests(mock_url)[-1]["body"]
    assert (body["temperature"], body["p"], body["k"], body["seed"]) == (0.3, 0.9, 5, 7)
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}

    capped = client.chat(model=MODEL, messages=ask("Hello"), max_tokens=3)
    assert capped.finish_reason == "MAX_TOKENS"
    assert capped.message.content and capped.message.content[0].text == "Mock answer "  # type: ignore[union-attr]


def test_scripted_text_usage_and_finish_reason(client: cohere.ClientV2, mock_url: str) -> None:
    script(mock_url, [
        {"text": "Scripted.", "usage": {"prompt_tokens": 11, "completion_tokens": 22}},
        {"text": "", "finish_reason": "ERROR"},
    ])
    r = client.chat(model=MODEL, messages=ask("hi"))
    assert r.message.content and r.message.content[0].text == "Scripted."  # type: ignore[union-attr]
    assert r.usage and r.usage.tokens and r.usage.tokens.output_tokens == 22
    assert client.chat(model=MODEL, messages=ask("hi")).finish_reason == "ERROR"


# --- streaming -----------------------------------------------------------------------------


def test_stream_event_sequence_text_and_usage(client: cohere.ClientV2) -> None:
    events = list(client.chat_stream(model=MODEL, messages=ask("hello there")))
    types = [e.type for e in events]
    assert types[:2] == ["message-start", "content-start"]
    assert types[-2:] == ["content-end", "message-end"]
    assert set(types[2:-2]) == {"content-delta"}
    start = events[0]
    assert isinstance(start, cohere.MessageStartV2ChatStreamResponse) and start.id
    text = "".join(e.delta.message.content.text for e in events if isinstance(e, cohere.ContentDeltaV2ChatStreamResponse)
                   and e.delta and e.delta.message and e.delta.message.content and e.delta.message.content.text)
    assert text == echo("hello there")
    end = events[-1]
    assert isinstance(end, cohere.MessageEndV2ChatStreamResponse)
    assert end.delta and end.delta.finish_reason == "COMPLETE" and end.delta.error is None
    usage = end.delta.usage
    assert usage and usage.tokens
    assert usage.tokens.output_tokens == len(echo("hello there")) // 4
    assert usage.tokens.input_tokens == len("hello there") // 4


def test_stream_tool_call_fragments(client: cohere.ClientV2, mock_url: str) -> None:
    script(mock_url, {"text": "I will check the weather.",
                      "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]})
    events = list(client.chat_stream(model=MODEL, messages=ask("Weather?"), tools=[WEATHER_TOOL]))  # type: ignore[list-item]
    plan = "".join(e.delta.message.tool_plan or "" for e in events
                   if isinstance(e, cohere.ToolPlanDeltaV2ChatStreamResponse) and e.delta and e.delta.message)
    assert plan == "I will check the weather."
    starts = [e for e in events if isinstance(e, cohere.ToolCallStartV2ChatStreamResponse)]
    assert len(starts) == 1
    call = starts[0].delta.message.tool_calls  # type: ignore[union-attr]
    assert call and call.id and call.function and call.function.name == "get_weather"
    fragments = [e.delta.message.tool_calls.function.arguments for e in events  # type: ignore[union-attr]
                 if isinstance(e, cohere.ToolCallDeltaV2ChatStreamResponse)]
    assert len(fragments) > 1, "arguments arrive in pieces"
    assert json.loads("".join(fragments)) == {"city": "Paris", "unit": "celsius"}  # type: ignore[arg-type]
    assert any(isinstance(e, cohere.ToolCallEndV2ChatStreamResponse) for e in events)
    end = events[-1]
    assert isinstance(end, cohere.MessageEndV2ChatStreamResponse) and end.delta
    assert end.delta.finish_reason == "TOOL_CALL"


def test_async_stream(mock_url: str) -> None:
    async def run() -> str:
        client = cohere.AsyncClientV2(api_key=KEY, base_url=f"{mock_url}/cohere", max_retries=0)
        parts: List[str] = []
        async for e in client.chat_stream(model=MODEL, messages=ask("async")):  # type: ignore[arg-type]
            if isinstance(e, cohere.ContentDeltaV2ChatStreamResponse) and e.delta and e.delta.message \
                    and e.delta.message.content:
                parts.append(e.delta.message.content.text or "")
        return "".join(parts)

    assert asyncio.run(run()) == echo("async")


def test_cut_stream_raises(client: cohere.ClientV2, mock_url: str) -> None:
    script(mock_url, {"text": "one two three four", "cut_after_chunks": 2})
    received: List[str] = []
    with pytest.raises(Exception) as excinfo:
        for e in client.chat_stream(model=MODEL, messages=ask("hi")):
            if isinstance(e, cohere.ContentDeltaV2ChatStreamResponse):
                received.append(e.delta.message.content.text)  # type: ignore[union-attr,arg-type]
    assert not isinstance(excinfo.value, AssertionError)
    assert "".join(received) == "one two "


def test_error_finish_in_stream(client: cohere.ClientV2, mock_url: str) -> None:
    script(mock_url, {"error_type": "server_error", "error_message": "model crashed"})
    events = list(client.chat_stream(model=MODEL, messages=ask("hi")))
    assert [e.type for e in events] == ["message-start", "message-end"]
    end = events[-1]
    assert isinstance(end, cohere.MessageEndV2ChatStreamResponse) and end.delta
    assert end.delta.finish_reason == "ERROR" and end.delta.error == "model crashed"


# --- tools ---------------------------------------------------------------------------------


def test_tool_call_round_trip(client: cohere.ClientV2, mock_url: str) -> None:
    r = client.chat(model=MODEL, messages=ask("Weather in Paris?"), tools=[WEATHER_TOOL])  # type: ignore[list-item]
    assert r.finish_reason == "TOOL_CALL"
    (call,) = r.message.tool_calls or []
    assert isinstance(call, cohere.ToolCallV2) and call.type == "function"
    assert call.id and call.id.startswith("get_weather_")
    assert call.function and call.function.name == "get_weather"
    assert json.loads(call.function.arguments or "") == {"city": "example", "unit": "celsius"}

    follow_up: Any = [
        *ask("Weather in Paris?"),
        {"role": "assistant", "tool_calls": [call], "tool_plan": r.message.tool_plan or "I will look it up."},
        {"role": "tool", "tool_call_id": call.id, "content": [{"type": "text", "text": "18 degrees"}]},
    ]
    answer = client.chat(model=MODEL, messages=follow_up, tools=[WEATHER_TOOL])  # type: ignore[list-item]
    assert answer.finish_reason == "COMPLETE" and not answer.message.tool_calls
    sent = chat_requests(mock_url)[-1]["body"]["messages"]
    assert sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[2]["tool_call_id"] == call.id


@pytest.mark.parametrize("choice,calls", [("NONE", 0), ("REQUIRED", 1)])
def test_tool_choice(client: cohere.ClientV2, choice: Any, calls: int) -> None:
    r = client.chat(model=MODEL, messages=ask("Go"), tools=[WEATHER_TOOL], tool_choice=choice)  # type: ignore[list-item]
    assert len(r.message.tool_calls or []) == calls


# --- JSON mode -----------------------------------------------------------------------------


def test_json_object_mode(client: cohere.ClientV2) -> None:
    r = client.chat(model=MODEL, messages=ask("json please"), response_format={"type": "json_object"})
    assert r.message.content
    assert isinstance(json.loads(r.message.content[0].text), dict)  # type: ignore[union-attr]


def test_json_schema_mode(client: cohere.ClientV2, mock_url: str) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                                               "admin": {"type": "boolean"}}, "required": ["name", "age", "admin"]}
    r = client.chat(model=MODEL, messages=ask("who?"), response_format={"type": "json_object", "json_schema": schema})
    assert r.message.content
    assert json.loads(r.message.content[0].text) == {"name": "example", "age": 1, "admin": True}  # type: ignore[union-attr]
    assert chat_requests(mock_url)[-1]["body"]["response_format"] == {"type": "json_object", "json_schema": schema}


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status,error_class", [
    (400, cohere.BadRequestError),
    (401, cohere.UnauthorizedError),
    (403, cohere.ForbiddenError),
    (404, cohere.NotFoundError),
    (422, cohere.UnprocessableEntityError),
    (429, cohere.TooManyRequestsError),
    (498, cohere.InvalidTokenError),
    (500, cohere.InternalServerError),
    (503, cohere.ServiceUnavailableError),
])
@pytest.mark.parametrize("stream", [False, True])
def test_status_errors(client: cohere.ClientV2, mock_url: str, status: int, error_class: Any, stream: bool) -> None:
    script(mock_url, {"status": status})
    with pytest.raises(error_class) as excinfo:
        if stream:
            list(client.chat_stream(model=MODEL, messages=ask("hi")))
        else:
            client.chat(model=MODEL, messages=ask("hi"))
    err = excinfo.value
    assert isinstance(err, ApiError)
    assert err.status_code == status
    assert isinstance(err.body, dict) and isinstance(err.body["message"], str) and err.body["message"]
    assert err.headers and err.headers["x-request-id"].startswith("req_mock_")


def test_scripted_error_message_and_retry_after(client: cohere.ClientV2, mock_url: str) -> None:
    script(mock_url, {"status": 429, "retry_after": 2, "error_message": "slow down"})
    with pytest.raises(cohere.TooManyRequestsError) as excinfo:
        client.chat(model=MODEL, messages=ask("hi"))
    assert excinfo.value.body == {"message": "slow down"}
    assert excinfo.value.headers and excinfo.value.headers["retry-after"] == "2"


def test_sdk_retries_recover(mock_url: str) -> None:
    script(mock_url, [{"status": 429, "retry_after": 0}, {"status": 503, "retry_after": 0}, {"text": "after the wait"}])
    r = make_client(mock_url, max_retries=2).chat(model=MODEL, messages=ask("hi"))
    assert r.message.content and r.message.content[0].text == "after the wait"  # type: ignore[union-attr]
    assert len(chat_requests(mock_url)) == 3


def test_wrong_key_and_invalid_requests(mock_url: str) -> None:
    set_script(mock_url, {"require_keys": {"/cohere": "right-key"}})
    wrong, right = make_client(mock_url, key="wrong-key"), make_client(mock_url, key="right-key")
    with pytest.raises(cohere.UnauthorizedError) as excinfo:
        wrong.chat(model=MODEL, messages=ask("hi"))
    assert excinfo.value.body == {"message": "invalid api token"}
    assert right.chat(model=MODEL, messages=ask("hi")).message.content
    set_script(mock_url, {})

    client = make_client(mock_url)
    with pytest.raises(cohere.BadRequestError, match="top_p"):
        client.chat(model=MODEL, messages=ask("hi"), request_options={"additional_body_parameters": {"top_p": 0.5}})
    with pytest.raises(cohere.BadRequestError, match="p must be between"):
        client.chat(model=MODEL, messages=ask("hi"), p=1.0)
    with pytest.raises(cohere.BadRequestError, match="tool_call_id"):
        client.chat(model=MODEL, messages=[{"role": "tool", "content": "x"}])  # type: ignore[list-item,typeddict-item]
