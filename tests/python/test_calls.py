"""Every call shape of `client.chat.completions.create`, against the mock provider."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kestrel_router as kestrel
from _mock import Mock

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
            },
            "required": ["city", "unit"],
        },
    },
}


def ask(text: str) -> list:
    return [{"role": "user", "content": text}]


def test_plain(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"))
    assert isinstance(r, kestrel.types.chat.ChatCompletion)
    assert r.object == "chat.completion"
    assert r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == f'Mock answer from {r.model}: you said "What is 2+2?".'
    assert r.choices[0].finish_reason == "stop"
    # A simple question asked of gpt-4o goes to an economy model; gpt-4o is the ceiling.
    assert r.kestrel.requested_model == "gpt-4o"
    assert r.kestrel.tier == "economy"
    assert r.model == r.kestrel.model != "gpt-4o"
    (req,) = mock.chat_requests()
    assert req["body"]["model"] == r.kestrel.model
    assert req["body"]["messages"] == ask("What is 2+2?")
    assert "kestrel" not in req["body"]


def test_system_prompt_and_sampling_fields_pass_through(direct: kestrel.OpenAI, mock: Mock) -> None:
    direct.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Be terse."}, *ask("hi")],
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        seed=7,
        stop=["\n\n"],
        user="u-1",
        metadata={"app": "tests"},
        presence_penalty=0.1,
    )
    body = mock.chat_requests()[0]["body"]
    assert body["messages"][0] == {"role": "system", "content": "Be terse."}
    for key, value in dict(temperature=0.2, top_p=0.9, max_tokens=50, seed=7, stop=["\n\n"], user="u-1",
                           metadata={"app": "tests"}, presence_penalty=0.1).items():
        assert body[key] == value, key


def test_messages_with_content_parts(direct: kestrel.OpenAI, mock: Mock) -> None:
    messages = [{
        "role": "user",
        "content": [
            {"type": "text", "text": "Describe this image."},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        ],
    }]
    r = direct.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert r.choices[0].message.content
    assert mock.chat_requests()[0]["body"]["messages"] == messages


def test_messages_as_tuple_and_generator(direct: kestrel.OpenAI, mock: Mock) -> None:
    direct.chat.completions.create(model="gpt-4o-mini", messages=tuple(ask("a")))
    direct.chat.completions.create(model="gpt-4o-mini", messages=(m for m in ask("b")))
    assert [r["body"]["messages"] for r in mock.chat_requests()] == [ask("a"), ask("b")]


def test_tools_and_tool_results(kc: kestrel.OpenAI, mock: Mock) -> None:
    messages: list[Any] = ask("What's the weather in Paris?")
    r = kc.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL], tool_choice="auto")
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_mock_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "example", "unit": "celsius"}

    # The assistant message goes back as is (our model object), then the tool's answer.
    messages.append(choice.message)
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"})
    follow = kc.chat.completions.create(model="gpt-4o", messages=messages, tools=[WEATHER_TOOL])
    assert follow.choices[0].finish_reason == "stop"
    assert "18C and sunny" in (follow.choices[0].message.content or "")
    sent = mock.chat_requests()[1]["body"]["messages"]
    assert sent[1]["role"] == "assistant"
    assert sent[1]["tool_calls"][0]["id"] == call.id
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": call.function.arguments}
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"}
    # Only the tools-capable models were candidates.
    assert r.kestrel.model in {m.id for m in kc.kestrel.models() if m.tools}


def test_scripted_parallel_tool_calls(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
        {"name": "get_weather", "arguments": '{"city": "Lyon", "unit": "fahrenheit"}'},
    ]}})
    r = direct.chat.completions.create(model="gpt-4o-mini", messages=ask("Paris and Lyon?"), tools=[WEATHER_TOOL],
                                       parallel_tool_calls=True)
    calls = r.choices[0].message.tool_calls or []
    assert [json.loads(c.function.arguments)["city"] for c in calls] == ["Paris", "Lyon"]
    assert mock.chat_requests()[0]["body"]["parallel_tool_calls"] is True


def test_json_object_mode(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("Reply in JSON."),
                                   response_format={"type": "json_object"})
    data = json.loads(r.choices[0].message.content or "")
    assert isinstance(data, dict)
    assert mock.chat_requests()[0]["body"]["response_format"] == {"type": "json_object"}


def test_json_schema_mode(kc: kestrel.OpenAI, mock: Mock) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                       "tags": {"type": "array", "items": {"type": "string"}}},
        "required": ["name", "age", "tags"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema, "strict": True}}
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("Who?"), response_format=fmt)
    assert json.loads(r.choices[0].message.content or "") == {"name": "example", "age": 1, "tags": ["example"]}
    assert mock.chat_requests()[0]["body"]["response_format"] == fmt
    assert r.kestrel.model in {m.id for m in kc.kestrel.models() if m.json_schema}


def test_stream_without_usage(kc: kestrel.OpenAI, mock: Mock) -> None:
    stream = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"), stream=True)
    assert isinstance(stream, kestrel.Stream)
    chunks = list(stream)
    assert all(isinstance(c, kestrel.types.chat.ChatCompletionChunk) for c in chunks)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == f'Mock answer from {chunks[0].model}: you said "What is 2+2?".'
    # Kestrel's metadata rides on the last chunk, and on the stream once it has ended.
    assert all(c.kestrel is None for c in chunks[:-1])
    meta = chunks[-1].kestrel
    assert meta is not None and meta.requested_model == "gpt-4o" and meta.model == chunks[0].model
    assert stream.kestrel == meta
    assert stream.closed
    assert mock.chat_requests()[0]["body"]["stream"] is True


def test_stream_with_include_usage(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": "Two plus two is four.", "usage": {
        "prompt_tokens": 9, "completion_tokens": 6}}})
    chunks = list(direct.chat.completions.create(model="gpt-4o-mini", messages=ask("2+2?"), stream=True,
                                                 stream_options={"include_usage": True}))
    *content, finish, usage = chunks
    assert "".join(c.choices[0].delta.content or "" for c in content) == "Two plus two is four."
    assert finish.choices[0].finish_reason == "stop" and finish.usage is None
    assert usage.choices == []
    assert usage.usage is not None
    assert (usage.usage.prompt_tokens, usage.usage.completion_tokens, usage.usage.total_tokens) == (9, 6, 15)
    assert usage.kestrel is not None and usage.kestrel.cost_usd > 0
    assert mock.chat_requests()[0]["body"]["stream_options"] == {"include_usage": True}


def test_stream_of_tool_calls(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"tool_calls": [
        {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},
    ]}})
    args = ""
    name = None
    finish = None
    for chunk in direct.chat.completions.create(model="gpt-4o-mini", messages=ask("Paris?"), tools=[WEATHER_TOOL],
                                                stream=True):
        for delta in chunk.choices[0].delta.tool_calls or [] if chunk.choices else []:
            assert delta.index == 0
            if delta.function and delta.function.name:
                name = delta.function.name
            args += (delta.function.arguments or "") if delta.function else ""
        if chunk.choices:
            finish = chunk.choices[0].finish_reason or finish
    assert (name, json.loads(args), finish) == ("get_weather", {"city": "Paris", "unit": "celsius"}, "tool_calls")


def test_extra_body_is_merged(direct: kestrel.OpenAI, mock: Mock) -> None:
    direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"),
                                   extra_body={"custom_field": {"a": 1}, "temperature": 0.5})
    body = mock.chat_requests()[0]["body"]
    assert body["custom_field"] == {"a": 1}
    assert body["temperature"] == 0.5


def test_extra_headers_and_query_reach_the_provider(make_client: Any, mock: Mock) -> None:
    client = make_client(routing=False, default_query={"team": "search", "dropped": None})
    r = client.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"),
                                       extra_headers={"X-Trace": "1", "X-Skip": kestrel.NOT_GIVEN},
                                       extra_query={"q": "1", "flag": True})
    assert r.choices[0].message.content
    sent = mock.chat_requests()[0]
    assert sent["headers"]["x-trace"] == "1" and "x-skip" not in sent["headers"]
    assert dict(pair.split("=") for pair in sent["query"].split("&")) == {"team": "search", "q": "1", "flag": "true"}
    # Streams and the Responses API carry them too.
    for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), stream=True,
                                                extra_headers={"X-Trace": "2"}):
        pass
    client.responses.create(model="gpt-4o-mini", input="hi", extra_headers={"X-Trace": "3"}, extra_query={"r": "1"})
    sent = mock.requests()[-2:]
    assert [s["headers"]["x-trace"] for s in sent] == ["2", "3"]
    assert "r=1" in sent[-1]["query"]
    with pytest.raises(TypeError, match="extra_query"):
        client.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), extra_query={"ids": [1, 2]})


def test_extra_query_goes_only_to_the_requested_models_provider(make_client: Any, mock: Mock) -> None:
    # A substitute on another provider gets the headers but not the query (its API gives
    # the parameters no meaning); the requested model's provider gets both.
    client = make_client(max_retries=0)
    messages = ask("What is 2+2?")
    plan = client.route(model="gpt-4o", messages=messages).plan
    assert plan[-1] == "gpt-4o" and len(plan) > 1
    mock.script(models={m: {"status": 500} for m in plan[:-1]})  # every substitute fails
    client.chat.completions.create(model="gpt-4o", messages=messages, extra_headers={"X-Trace": "t"},
                                   extra_query={"q": "1"})
    requests = mock.chat_requests()
    assert {r["path"].startswith("/openai/") for r in requests} == {True, False}, [r["path"] for r in requests]
    for sent in requests:
        assert sent["headers"]["x-trace"] == "t"
        on_requested_provider = sent["path"].startswith("/openai/")
        assert ("q=1" in (sent.get("query") or "")) == on_requested_provider, sent["path"]


def test_default_headers_reach_the_provider(make_client: Any, mock: Mock) -> None:
    client = make_client(default_headers={"X-Team": "search"}, routing=False)
    client.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"))
    assert mock.chat_requests()[0]["headers"]["x-team"] == "search"


def test_not_given_arguments_are_left_out(direct: kestrel.OpenAI, mock: Mock) -> None:
    direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), temperature=kestrel.NOT_GIVEN,
                                   max_tokens=kestrel.NOT_GIVEN)
    body = mock.chat_requests()[0]["body"]
    assert "temperature" not in body and "max_tokens" not in body


def test_kestrel_routing_off_per_request(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"), kestrel={"routing": False})
    assert r.model == r.kestrel.model == "gpt-4o"
    body = mock.chat_requests()[0]["body"]
    assert body["model"] == "gpt-4o" and "kestrel" not in body


def test_kestrel_floor_and_providers_per_request(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"),
                                   kestrel={"floor": "standard", "allow_providers": ["openai"]})
    assert r.kestrel.tier in ("standard", "premium")
    assert r.kestrel.provider == "openai"
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"),
                                   kestrel={"deny_providers": ["groq", "openai"]})
    assert r.kestrel.provider not in ("groq", "openai")
    paths = [req["path"] for req in mock.chat_requests()]
    assert paths[0].startswith("/openai/v1/")
    assert not paths[1].startswith(("/openai/", "/groq/"))


def test_kestrel_options_in_extra_body(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"),
                                   extra_body={"kestrel": {"routing": False, "tenant": "acme"}})
    assert r.model == "gpt-4o"
    assert kc.usage.records(tenant="acme")[-1].model == "gpt-4o"
    assert "kestrel" not in mock.chat_requests()[0]["body"]


def test_kestrel_tenant_per_request(kc: kestrel.OpenAI) -> None:
    kc.chat.completions.create(model="gpt-4o", messages=ask("hi"), kestrel={"tenant": "acme"})
    kc.chat.completions.create(model="gpt-4o", messages=ask("hi"), kestrel={"tenant": "globex"})
    kc.chat.completions.create(model="gpt-4o", messages=ask("hi"))
    assert sorted(kc.usage.tenants()) == ["acme", "globex"]
    assert kc.usage.savings(tenant="acme").requests == 1
    assert kc.usage.savings().requests == 3


def test_each_provider_has_its_own_prefix(direct: kestrel.OpenAI, mock: Mock) -> None:
    expected = {
        "gpt-4o-mini": "/openai/v1/chat/completions",
        "openai/gpt-oss-20b": "/groq/openai/v1/chat/completions",
        "grok-4.3": "/xai/v1/chat/completions",
        "mistral-small-latest": "/mistral/v1/chat/completions",
        "deepseek-ai/DeepSeek-V4.1-Flash": "/together/v1/chat/completions",
    }
    for model in expected:
        r = direct.chat.completions.create(model=model, messages=ask("hi"))
        assert r.model == model
    requests = mock.chat_requests()
    assert [r["path"] for r in requests] == list(expected.values())
    assert requests[1]["headers"]["authorization"] == "Bearer gsk-test"


def test_per_call_timeout(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"latency_ms": 3000}})
    with pytest.raises(kestrel.APITimeoutError) as excinfo:
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), timeout=0.2)
    assert isinstance(excinfo.value, kestrel.APIConnectionError)
    assert excinfo.value.provider == "openai"


def test_per_call_timeout_accepts_httpx_style_objects(direct: kestrel.OpenAI, mock: Mock) -> None:
    class Timeout:  # the shape of httpx.Timeout
        connect = 0.1
        read = 0.2
        write = None
        pool = None

    mock.script(models={"gpt-4o-mini": {"latency_ms": 3000}})
    with pytest.raises(kestrel.APITimeoutError):
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), timeout=Timeout())


def test_per_call_max_retries(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": [{"status": 503}, {"text": "second pass"}]})
    with pytest.raises(kestrel.InternalServerError):
        direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"))
    mock.script(models={"gpt-4o-mini": [{"status": 503}, {"text": "second pass"}]})
    r = direct.chat.completions.create(model="gpt-4o-mini", messages=ask("hi"), max_retries=1)
    assert r.choices[0].message.content == "second pass"
    assert r.kestrel.attempts == 2


def test_failover_to_the_requested_model(kc: kestrel.OpenAI, mock: Mock) -> None:
    # A failed substitute hands over to the requested model, as a direct call would go.
    plan = kc.route(model="gpt-4o", messages=ask("What is 2+2?")).plan
    mock.script(models={plan[0]: {"status": 503}})
    r = kc.chat.completions.create(model="gpt-4o", messages=ask("What is 2+2?"))
    assert r.model == plan[-1] == "gpt-4o"
    assert r.kestrel.attempts == 2
    record = kc.usage.records()[-1]
    assert [a.model for a in record.attempts] == [plan[0], plan[-1]]
    assert record.attempts[0].error == "provider" and record.attempts[0].status == 503
    assert record.attempts[1].error is None


def test_route_is_a_dry_run(kc: kestrel.OpenAI, mock: Mock) -> None:
    d = kc.route(model="gpt-4o", messages=ask("What is 2+2?"))
    assert isinstance(d, kestrel.types.RouteDecision)
    assert d.requested_model == "gpt-4o" and d.tier == "economy"
    assert d.plan[0] == d.model and d.plan[-1] == "gpt-4o"
    assert d.scores is not None and d.scores.reasoning == 1
    assert d.estimated_cost_usd < d.baseline_cost_usd
    assert any(r.startswith("chose ") for r in d.reasons)
    hard = kc.route(model="gpt-4o", messages=ask("Prove that there are infinitely many primes, rigorously."),
                    stream=True, temperature=0)
    assert hard.tier == "premium"
    assert kc.route(model="gpt-4o", messages=ask("hi"), kestrel={"routing": False}).model == "gpt-4o"
    assert mock.requests() == []


def test_response_message_objects_from_the_openai_sdk_are_accepted(direct: kestrel.OpenAI, mock: Mock) -> None:
    import openai.types.chat as oa

    message = oa.ChatCompletionMessage(role="assistant", content="Earlier answer.")
    direct.chat.completions.create(model="gpt-4o-mini", messages=[*ask("hi"), message, *ask("and now?")])
    sent = mock.chat_requests()[0]["body"]["messages"]
    assert sent[1] == {"role": "assistant", "content": "Earlier answer."}
