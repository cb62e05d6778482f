"""The mock's Anthropic Messages route (`…/v1/messages`), driven by the official `anthropic`
Python SDK.

If the SDK parses everything the mock sends (messages, event streams through its own stream
helper, tool use, error bodies), then Kestrel's Anthropic provider, tested against the mock,
is tested against what the real API sends.

The mock binary comes from $KESTREL_MOCK_BIN (default: <repo>/target/debug/kestrel-mock);
conftest.py starts it once per session and resets it before every test.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List

import anthropic
import pytest

from _mock import recorded, set_script

MODEL = "claude-haiku-4-5"
KEY = "sk-ant-test"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city", "unit"],
    },
}


def anthropic_version() -> str:
    """The API version this SDK sends."""
    return anthropic.Anthropic(api_key="x").default_headers["anthropic-version"]  # type: ignore[return-value]


def ask(text: str) -> List[Dict[str, Any]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def client(mock_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=f"{mock_url}/anthropic", api_key=KEY, max_retries=0)


def messages_requests(mock_url: str) -> List[Dict[str, Any]]:
    return [r for r in recorded(mock_url) if r["path"].endswith("/v1/messages")]


# --- plain messages ------------------------------------------------------------------------


def test_plain_message(client: anthropic.Anthropic, mock_url: str) -> None:
    m = client.messages.create(model=MODEL, max_tokens=256, messages=ask("What is 2+2?"))
    assert isinstance(m, anthropic.types.Message)
    assert m.type == "message" and m.role == "assistant" and m.model == MODEL
    assert m.id.startswith("msg_")
    assert [b.type for b in m.content] == ["text"]
    assert m.content[0].text == f'Mock answer from {MODEL}: you said "What is 2+2?".'
    assert m.stop_reason == "end_turn" and m.stop_sequence is None
    assert m.usage.input_tokens == len("What is 2+2?") // 4
    assert m.usage.output_tokens == len(m.content[0].text) // 4
    assert m.usage.cache_read_input_tokens == 0

    req = messages_requests(mock_url)[-1]
    assert req["path"] == "/anthropic/v1/messages"
    # SDKs up to 2.12 send the key as `x-api-key` with version 2023-06-01 (what Kestrel
    # sends); 2.13 sends `Authorization: Bearer` with a newer version. The mock takes both.
    headers = req["headers"]
    assert headers.get("x-api-key") == KEY or headers.get("authorization") == f"Bearer {KEY}", headers
    assert headers["anthropic-version"] in ("2023-06-01", anthropic_version())
    assert req["body"] == {"max_tokens": 256, "messages": ask("What is 2+2?"), "model": MODEL}


def test_request_id_header(client: anthropic.Anthropic) -> None:
    raw = client.messages.with_raw_response.create(model=MODEL, max_tokens=16, messages=ask("hi"))
    assert raw.headers["request-id"].startswith("req_mock_")
    assert raw.parse()._request_id == raw.headers["request-id"]


def test_system_stop_sequences_and_max_tokens(client: anthropic.Anthropic) -> None:
    m = client.messages.create(model=MODEL, max_tokens=256, system=[{"type": "text", "text": "Be terse."}],
                               messages=ask("Hello"), stop_sequences=["said"])
    assert m.stop_reason == "stop_sequence" and m.stop_sequence == "said"
    assert m.content[0].text == f"Mock answer from {MODEL}: you "
    m = client.messages.create(model=MODEL, max_tokens=3, messages=ask("Hello"))
    assert m.stop_reason == "max_tokens" and m.content[0].text == "Mock answer "


def test_scripted_text_usage_and_refusal(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: [
        {"text": "Scripted.", "usage": {"prompt_tokens": 11, "completion_tokens": 22}},
        {"text": "", "finish_reason": "refusal"},
    ]}})
    m = client.messages.create(model=MODEL, max_tokens=64, messages=ask("hi"))
    assert m.content[0].text == "Scripted."
    assert (m.usage.input_tokens, m.usage.output_tokens) == (11, 22)
    assert client.messages.create(model=MODEL, max_tokens=64, messages=ask("hi")).stop_reason == "refusal"


def test_prompt_cache_write_then_read(client: anthropic.Anthropic) -> None:
    document = "A long reference document. " * 40
    content: Any = [{"type": "text", "text": document, "cache_control": {"type": "ephemeral"}},
                    {"type": "text", "text": "Summarize it."}]
    first = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}])
    second = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}])
    assert (first.usage.cache_creation_input_tokens, first.usage.cache_read_input_tokens) == (270, 0)
    assert (second.usage.cache_creation_input_tokens, second.usage.cache_read_input_tokens) == (0, 270)
    assert second.usage.input_tokens == len("Summarize it.") // 4


def test_images_are_accepted(client: anthropic.Anthropic, mock_url: str) -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    m = client.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": [
        image, {"type": "image", "source": {"type": "url", "url": "https://example.com/a.jpg"}},
        {"type": "text", "text": "What is this?"}]}])
    assert "What is this?" in m.content[0].text
    assert messages_requests(mock_url)[-1]["body"]["messages"][0]["content"][0] == image


# --- streaming -----------------------------------------------------------------------------


def set_script_for(url: str, behaviour: Any) -> None:
    """Scripts MODEL: one behaviour, or a queue of them."""
    set_script(url, {"models": {MODEL: behaviour}})


def test_raw_stream_event_sequence(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script_for(mock_url, {"text": "one two three"})
    events = list(client.messages.create(model=MODEL, max_tokens=64, messages=ask("hi"), stream=True))
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-2:] == ["message_delta", "message_stop"]
    assert types[1:3] == ["content_block_start", "content_block_delta"], "the SDK skips `ping`"
    start = events[0]
    assert start.message.content == [] and start.message.stop_reason is None
    deltas = [e.delta.text for e in events if e.type == "content_block_delta"]
    assert "".join(deltas) == "one two three" and len(deltas) == 3
    assert events[-2].delta.stop_reason == "end_turn"
    assert events[-2].usage.output_tokens == len("one two three") // 4


def test_stream_helper_accumulates_text(client: anthropic.Anthropic) -> None:
    with client.messages.stream(model=MODEL, max_tokens=128, messages=ask("hello")) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == f'Mock answer from {MODEL}: you said "hello".'
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == len(text) // 4
    assert final.usage.input_tokens == len("hello") // 4


def test_stream_helper_accumulates_tool_input(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script_for(mock_url, {"text": "Let me check.",
                              "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}]})
    with client.messages.stream(model=MODEL, max_tokens=128, messages=ask("Weather?"), tools=[WEATHER_TOOL]) as s:
        final = s.get_final_message()
    assert [b.type for b in final.content] == ["text", "tool_use"]
    tool = final.content[1]
    assert tool.id.startswith("toolu_") and tool.name == "get_weather"
    assert tool.input == {"city": "Paris", "unit": "celsius"}
    assert final.stop_reason == "tool_use"


def test_async_stream(mock_url: str) -> None:
    async def run() -> str:
        client = anthropic.AsyncAnthropic(base_url=f"{mock_url}/anthropic", api_key=KEY, max_retries=0)
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=ask("async")) as stream:
            parts = [t async for t in stream.text_stream]
        await client.close()
        return "".join(parts)

    assert asyncio.run(run()) == f'Mock answer from {MODEL}: you said "async".'


def test_cut_stream_raises(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script_for(mock_url, {"text": "one two three four", "cut_after_chunks": 2})
    received: List[str] = []
    with pytest.raises(Exception) as excinfo:
        with client.messages.stream(model=MODEL, max_tokens=64, messages=ask("hi")) as stream:
            for text in stream.text_stream:
                received.append(text)
    assert isinstance(excinfo.value, anthropic.APIConnectionError) or \
        type(excinfo.value).__module__.startswith("httpx"), repr(excinfo.value)
    assert "".join(received) == "one two "


def test_error_event_in_stream_raises(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script_for(mock_url, {"error_type": "overloaded_error"})
    with pytest.raises(anthropic.APIStatusError) as excinfo:
        list(client.messages.create(model=MODEL, max_tokens=64, messages=ask("hi"), stream=True))
    assert excinfo.value.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_raises(client: anthropic.Anthropic, mock_url: str, stream: bool) -> None:
    set_script_for(mock_url, {"malformed_json": True})
    with pytest.raises((anthropic.APIResponseValidationError, ValueError)):
        result = client.messages.create(model=MODEL, max_tokens=64, messages=ask("hi"), stream=stream)
        if stream:
            list(result)


# --- tools ---------------------------------------------------------------------------------


def test_tool_use_round_trip(client: anthropic.Anthropic, mock_url: str) -> None:
    m = client.messages.create(model=MODEL, max_tokens=256, messages=ask("Weather in Paris?"), tools=[WEATHER_TOOL])
    assert m.stop_reason == "tool_use"
    (tool,) = m.content
    assert isinstance(tool, anthropic.types.ToolUseBlock)
    assert tool.name == "get_weather" and tool.input == {"city": "example", "unit": "celsius"}

    follow_up: Any = [
        *ask("Weather in Paris?"),
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in m.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool.id, "content": "18 degrees"}]},
    ]
    answer = client.messages.create(model=MODEL, max_tokens=256, messages=follow_up, tools=[WEATHER_TOOL])
    assert answer.stop_reason == "end_turn"
    assert "18 degrees" in answer.content[0].text


@pytest.mark.parametrize("choice,expected", [
    ({"type": "none"}, None),
    ({"type": "any"}, "get_weather"),
    ({"type": "tool", "name": "lookup"}, "lookup"),
])
def test_tool_choice(client: anthropic.Anthropic, choice: Any, expected: Any) -> None:
    lookup = {"name": "lookup", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}
    m = client.messages.create(model=MODEL, max_tokens=256, messages=ask("Go"),
                               tools=[WEATHER_TOOL, lookup], tool_choice=choice)
    names = [b.name for b in m.content if b.type == "tool_use"]
    assert names == ([] if expected is None else [expected])


def test_api_checks_what_translators_get_wrong(client: anthropic.Anthropic) -> None:
    """The route rejects what the real API rejects, so a provider bug fails loudly."""
    unanswered: Any = [*ask("x"), {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]}, *ask("and?")]
    with pytest.raises(anthropic.BadRequestError, match="without `tool_result`"):
        client.messages.create(model=MODEL, max_tokens=16, messages=unanswered, tools=[WEATHER_TOOL])
    # Sampling fields go through extra_body: SDK 2.x (API version 2026-10-21) has no such
    # arguments, and that version rejects them outright.
    with pytest.raises(anthropic.BadRequestError, match="less than or equal to 1"):
        client.messages.create(model=MODEL, max_tokens=16, messages=ask("x"), extra_body={"temperature": 1.5},
                               extra_headers={"anthropic-version": "2023-06-01"})
    with pytest.raises(anthropic.BadRequestError, match="temperature: Extra inputs are not permitted"):
        client.messages.create(model=MODEL, max_tokens=16, messages=ask("x"), extra_body={"temperature": 1.0},
                               extra_headers={"anthropic-version": "2026-10-21"})
    with pytest.raises(anthropic.BadRequestError, match="Input should be 'user' or 'assistant'"):
        client.messages.create(model=MODEL, max_tokens=16, messages=[{"role": "system", "content": "x"}])  # type: ignore[list-item]
    with pytest.raises(anthropic.BadRequestError, match="non-empty"):
        client.messages.create(model=MODEL, max_tokens=16,
                               messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        client.post("/v1/messages", cast_to=object, body={"model": MODEL, "messages": ask("x")})


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status,error_class,error_type", [
    (400, anthropic.BadRequestError, "invalid_request_error"),
    (401, anthropic.AuthenticationError, "authentication_error"),
    (403, anthropic.PermissionDeniedError, "permission_error"),
    (404, anthropic.NotFoundError, "not_found_error"),
    (429, anthropic.RateLimitError, "rate_limit_error"),
    (500, anthropic.InternalServerError, "api_error"),
    (529, anthropic.OverloadedError, "overloaded_error"),
])
def test_status_errors(client: anthropic.Anthropic, mock_url: str, status: int, error_class: Any,
                       error_type: str) -> None:
    set_script_for(mock_url, {"status": status})
    with pytest.raises(error_class) as excinfo:
        client.messages.create(model=MODEL, max_tokens=16, messages=ask("hi"))
    err = excinfo.value
    assert err.status_code == status
    assert err.body["type"] == "error"
    assert err.body["error"]["type"] == error_type
    assert err.body["request_id"].startswith("req_mock_")
    assert err.request_id == err.body["request_id"]


def test_rate_limit_retry_after_is_honoured(client: anthropic.Anthropic, mock_url: str) -> None:
    set_script_for(mock_url, [{"status": 429, "retry_after": 0}, {"text": "after the wait"}])
    with pytest.raises(anthropic.RateLimitError) as excinfo:
        client.messages.create(model=MODEL, max_tokens=16, messages=ask("hi"))
    assert excinfo.value.response.headers["retry-after"] == "0"
    retrying = client.with_options(max_retries=1)
    set_script_for(mock_url, [{"status": 529, "retry_after": 0}, {"text": "after the wait"}])
    assert retrying.messages.create(model=MODEL, max_tokens=16, messages=ask("hi")).content[0].text == "after the wait"


def test_keys_and_version_are_required(mock_url: str) -> None:
    keyless = anthropic.Anthropic(base_url=f"{mock_url}/anthropic", api_key="unused", max_retries=0)
    raw = keyless._client.post(f"{mock_url}/anthropic/v1/messages", json={"model": MODEL, "max_tokens": 1,
                               "messages": ask("hi")}, headers={"anthropic-version": "2023-06-01"})
    assert raw.status_code == 401
    assert raw.json()["error"] == {"type": "authentication_error", "message": "x-api-key header is required"}
    as_header = keyless._client.post(f"{mock_url}/anthropic/v1/messages", json={"model": MODEL, "max_tokens": 1,
                                     "messages": ask("hi")}, headers={"anthropic-version": "2023-06-01", "x-api-key": KEY})
    assert as_header.status_code == 200 and as_header.json()["type"] == "message"

    set_script(mock_url, {"require_keys": {"/anthropic": "sk-ant-right"}})
    wrong = anthropic.Anthropic(base_url=f"{mock_url}/anthropic", api_key="sk-ant-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
        wrong.messages.create(model=MODEL, max_tokens=16, messages=ask("hi"))
    set_script(mock_url, {})

    unversioned = anthropic.Anthropic(base_url=f"{mock_url}/anthropic", api_key=KEY, max_retries=0,
                                      default_headers={"anthropic-version": anthropic.Omit()})
    with pytest.raises(anthropic.BadRequestError, match="anthropic-version"):
        unversioned.messages.create(model=MODEL, max_tokens=16, messages=ask("hi"))


def test_recorded_requests_are_the_sdk_body(client: anthropic.Anthropic, mock_url: str) -> None:
    client.messages.create(model=MODEL, max_tokens=32, messages=ask("record me"), metadata={"user_id": "u-1"},
                           extra_body={"temperature": 0.2, "top_k": 5},
                           extra_headers={"anthropic-version": "2023-06-01"})
    body = messages_requests(mock_url)[-1]["body"]
    assert body["metadata"] == {"user_id": "u-1"} and body["top_k"] == 5 and body["temperature"] == 0.2
    assert json.loads(json.dumps(body))["messages"] == ask("record me")
