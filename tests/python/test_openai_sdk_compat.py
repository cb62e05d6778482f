"""The mock provider, driven by the official `openai` Python SDK.

If the SDK parses everything the mock sends (completions, streams, tool calls, errors), then
tests that use the mock exercise the same code paths as a real OpenAI-compatible provider.

The mock binary comes from $KESTREL_MOCK_BIN (default: <repo>/target/debug/kestrel-mock;
build it with `cargo build -p kestrel-mock`); conftest.py starts it once per session.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, List

import openai
import pydantic
import pytest

from _mock import recorded, set_script

MODEL = "gpt-4o-mini"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
            },
            "required": ["city", "unit"],
        },
    },
}


# The mock process (`mock_url`, started once per session) and the per-test reset
# (`fresh_mock`) are fixtures in conftest.py; the control API is in _mock.py.


@pytest.fixture
def client(mock_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{mock_url}/v1", api_key="test", max_retries=0)


def ask(text: str) -> list:
    return [{"role": "user", "content": text}]


# --- completions ---------------------------------------------------------------------------


def test_plain_completion(client: openai.OpenAI, mock_url: str) -> None:
    r = client.chat.completions.create(model=MODEL, messages=ask("What is 2+2?"))
    assert isinstance(r, openai.types.chat.ChatCompletion)
    assert r.id.startswith("chatcmpl-mock-")
    assert r.object == "chat.completion"
    assert r.model == MODEL
    assert r.created > 1_600_000_000
    assert r.system_fingerprint == "fp_kestrel_mock"
    choice = r.choices[0]
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == 'Mock answer from gpt-4o-mini: you said "What is 2+2?".'
    assert choice.message.tool_calls is None
    assert r.usage is not None
    assert r.usage.prompt_tokens == len("What is 2+2?") // 4
    assert r.usage.completion_tokens == len(choice.message.content) // 4
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
    assert r.usage.prompt_tokens_details.cached_tokens == 0

    (req,) = recorded(mock_url)
    assert req["method"] == "POST"
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["authorization"] == "Bearer test"
    assert req["body"]["model"] == MODEL
    assert req["body"]["messages"] == ask("What is 2+2?")


def test_raw_response_headers(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=ask("hi"))
    assert raw.headers["x-request-id"].startswith("req_mock_")
    assert raw.headers["content-type"] == "application/json"
    assert raw.parse().choices[0].message.content.startswith("Mock answer from")


def test_scripted_text_and_usage(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"text": "Scripted.", "usage": {
        "prompt_tokens": 11, "completion_tokens": 22}, "finish_reason": "length"}}})
    r = client.chat.completions.create(model=MODEL, messages=ask("hi"))
    assert r.choices[0].message.content == "Scripted."
    assert r.choices[0].finish_reason == "length"
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (11, 22, 33)


def test_models_list(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {"gpt-4o": {}, MODEL: {}}})
    assert [m.id for m in client.models.list()] == ["gpt-4o", MODEL]


# --- streaming -----------------------------------------------------------------------------


def test_streaming_with_include_usage(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"text": "Two plus two is four."}}})
    stream = client.chat.completions.create(model=MODEL, messages=ask("What is 2+2?"),
                                            stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert all(isinstance(c, openai.types.chat.ChatCompletionChunk) for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert all(c.object == "chat.completion.chunk" and c.model == MODEL for c in chunks)

    first, *middle, finish, usage = chunks
    assert first.choices[0].delta.role == "assistant"
    assert first.choices[0].delta.content == ""
    assert len(middle) > 2
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Two plus two is four."
    assert all(c.choices[0].finish_reason is None for c in [first, *middle])
    assert finish.choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in [first, *middle, finish])
    assert usage.choices == []
    assert usage.usage.completion_tokens == len(text) // 4
    assert usage.usage.total_tokens == usage.usage.prompt_tokens + usage.usage.completion_tokens


def test_streaming_without_usage_has_no_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model=MODEL, messages=ask("hi"), stream=True))
    assert all(c.choices for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_stream_helper_accumulates(client: openai.OpenAI) -> None:
    """The SDK's own accumulator (`chat.completions.stream`) rebuilds the completion."""
    with client.chat.completions.stream(model=MODEL, messages=ask("hello")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == 'Mock answer from gpt-4o-mini: you said "hello".'
    assert final.choices[0].finish_reason == "stop"


def test_async_streaming(mock_url: str) -> None:
    async def run() -> str:
        client = openai.AsyncOpenAI(base_url=f"{mock_url}/v1", api_key="test", max_retries=0)
        stream = await client.chat.completions.create(model=MODEL, messages=ask("async"),
                                                      stream=True)
        parts = [c.choices[0].delta.content or "" async for c in stream]
        await client.close()
        return "".join(parts)

    assert asyncio.run(run()) == 'Mock answer from gpt-4o-mini: you said "async".'


def test_cut_stream_raises(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"text": "one two three four", "cut_after_chunks": 2}}})
    stream = client.chat.completions.create(model=MODEL, messages=ask("hi"), stream=True)
    received = []
    with pytest.raises(Exception) as excinfo:
        for chunk in stream:
            received.append(chunk)
    assert is_connection_error(excinfo.value), repr(excinfo.value)
    assert "".join(c.choices[0].delta.content or "" for c in received) == "one two "
    assert all(c.choices[0].finish_reason is None for c in received)


def test_cut_body_raises(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"cut_after_chunks": 0}}})
    with pytest.raises(Exception) as excinfo:
        client.chat.completions.create(model=MODEL, messages=ask("hi"))
    assert is_connection_error(excinfo.value), repr(excinfo.value)


def is_connection_error(exc: BaseException) -> bool:
    """Recent SDKs wrap a dropped connection in APIConnectionError; older ones let the HTTP
    library's protocol error through."""
    return isinstance(exc, openai.APIConnectionError) or type(exc).__module__.startswith("httpx")


@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_raises(client: openai.OpenAI, mock_url: str, stream: bool) -> None:
    set_script(mock_url, {"models": {MODEL: {"malformed_json": True}}})
    with pytest.raises((openai.APIResponseValidationError, ValueError)):
        result = client.chat.completions.create(model=MODEL, messages=ask("hi"), stream=stream)
        if stream:
            list(result)


# --- tools and JSON ------------------------------------------------------------------------


def test_tools_non_streaming(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model=MODEL, messages=ask("Weather in Paris?"),
                                       tools=[WEATHER_TOOL])
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function"
    assert call.id.startswith("call_mock_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "example", "unit": "celsius"}

    follow = client.chat.completions.create(model=MODEL, tools=[WEATHER_TOOL], messages=[
        *ask("Weather in Paris?"),
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
    ])
    assert follow.choices[0].finish_reason == "stop"
    assert "18C and sunny" in follow.choices[0].message.content


def test_tool_choice_none_answers_in_text(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model=MODEL, messages=ask("hi"), tools=[WEATHER_TOOL],
                                       tool_choice="none")
    assert r.choices[0].message.tool_calls is None
    assert r.choices[0].finish_reason == "stop"


def test_tools_streaming(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 3}},
        {"name": "get_weather", "arguments": {"city": "Lyon", "unit": "fahrenheit"}},
    ]}}})
    stream = client.chat.completions.create(model=MODEL, messages=ask("Paris and Lyon?"),
                                            tools=[WEATHER_TOOL], stream=True)
    calls: dict = {}
    finish = None
    for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"id": None, "name": None, "arguments": ""})
            if delta.id:
                assert entry["id"] is None
                entry["id"] = delta.id
                assert delta.type == "function"
            if delta.function and delta.function.name:
                entry["name"] = delta.function.name
            if delta.function and delta.function.arguments:
                entry["arguments"] += delta.function.arguments
    assert finish == "tool_calls"
    assert sorted(calls) == [0, 1]
    assert all(c["id"] and c["name"] == "get_weather" for c in calls.values())
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius", "days": 3}
    assert json.loads(calls[1]["arguments"]) == {"city": "Lyon", "unit": "fahrenheit"}


def test_tools_stream_helper(client: openai.OpenAI) -> None:
    with client.chat.completions.stream(model=MODEL, messages=ask("Weather?"),
                                        tools=[WEATHER_TOOL]) as stream:
        final = stream.get_final_completion()
    (call,) = final.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"city": "example", "unit": "celsius"}


def test_json_object_mode(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model=MODEL, messages=ask("Answer in JSON."),
                                       response_format={"type": "json_object"})
    data = json.loads(r.choices[0].message.content)
    assert isinstance(data, dict) and data["model"] == MODEL


class Person(pydantic.BaseModel):
    name: str
    age: int
    nicknames: List[str]


def test_json_schema_mode_parses_into_pydantic(client: openai.OpenAI) -> None:
    r = client.chat.completions.parse(model=MODEL, messages=ask("Who?"), response_format=Person)
    person = r.choices[0].message.parsed
    assert person == Person(name="example", age=1, nicknames=["example"])


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status, error_cls, error_type, code", [
    (400, openai.BadRequestError, "invalid_request_error", None),
    (401, openai.AuthenticationError, "invalid_request_error", "invalid_api_key"),
    (403, openai.PermissionDeniedError, "permission_error", "permission_denied"),
    (404, openai.NotFoundError, "invalid_request_error", "model_not_found"),
    (429, openai.RateLimitError, "requests", "rate_limit_exceeded"),
    (500, openai.InternalServerError, "server_error", None),
    (503, openai.InternalServerError, "server_error", "service_unavailable"),
])
def test_scripted_errors(client: openai.OpenAI, mock_url: str, status: int, error_cls: type,
                         error_type: str, code: Any) -> None:
    set_script(mock_url, {"models": {MODEL: {"status": status, "retry_after": 3}}})
    with pytest.raises(error_cls) as excinfo:
        client.chat.completions.create(model=MODEL, messages=ask("hi"))
    err = excinfo.value
    assert err.status_code == status
    assert isinstance(err.body, dict)
    assert set(err.body) == {"message", "type", "param", "code"}
    assert err.type == error_type == err.body["type"]
    assert err.code == code
    assert err.param is None
    # SDK versions differ in how much of the body goes into the message; all start the same
    # way and include the body's message.
    assert err.message.startswith(f"Error code: {status} - ")
    assert err.body["message"] and err.body["message"] in err.message
    assert err.request_id.startswith("req_mock_")
    assert err.response.headers["retry-after"] == "3"
    assert err.response.headers["retry-after-ms"] == "3000"


def test_error_message_override(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: {"status": 404, "error_message": "gone fishing"}}})
    with pytest.raises(openai.NotFoundError) as excinfo:
        client.chat.completions.create(model=MODEL, messages=ask("hi"))
    assert excinfo.value.body["message"] == "gone fishing"


def test_wrong_key_is_authentication_error(client: openai.OpenAI, mock_url: str) -> None:
    set_script(mock_url, {"require_key": "sk-right"})
    with pytest.raises(openai.AuthenticationError) as excinfo:
        client.chat.completions.create(model=MODEL, messages=ask("hi"))
    assert excinfo.value.code == "invalid_api_key"
    good = openai.OpenAI(base_url=f"{mock_url}/v1", api_key="sk-right", max_retries=0)
    assert good.chat.completions.create(model=MODEL, messages=ask("hi")).choices


def test_sdk_retries_honour_retry_after(mock_url: str) -> None:
    set_script(mock_url, {"models": {MODEL: [
        {"status": 429, "retry_after": 0.05},
        {"status": 503, "retry_after": 0.05},
        {"text": "third time lucky"},
    ]}})
    client = openai.OpenAI(base_url=f"{mock_url}/v1", api_key="test", max_retries=2)
    r = client.chat.completions.create(model=MODEL, messages=ask("hi"))
    assert r.choices[0].message.content == "third time lucky"
    assert len(recorded(mock_url)) == 3
