"""kestrel.langchain.ChatKestrel against the mock provider (skipped without langchain-core)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, List

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage, ToolMessage  # noqa: E402
from pydantic import BaseModel  # noqa: E402

import kestrel_router as kestrel  # noqa: E402
from _mock import Mock  # noqa: E402
from kestrel_router.langchain import ChatKestrel  # noqa: E402


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def get_weather(city: str, unit: str) -> str:
    """Current weather for a city."""
    return f"18 {unit} in {city}"


@pytest.fixture
def llm(make_client: Callable[..., kestrel.OpenAI]) -> ChatKestrel:
    return ChatKestrel(model="gpt-4o", client=make_client())


def test_invoke(llm: ChatKestrel, mock: Mock) -> None:
    msg = llm.invoke([SystemMessage("Be terse."), HumanMessage("What is 2+2?")])
    assert isinstance(msg, AIMessage)
    meta = msg.response_metadata
    assert msg.content == f'Mock answer from {meta["model_name"]}: you said "What is 2+2?".'
    assert meta["kestrel"]["requested_model"] == "gpt-4o" and meta["kestrel"]["tier"] == "economy"
    assert meta["finish_reason"] == "stop"
    assert msg.usage_metadata is not None
    assert msg.usage_metadata["total_tokens"] == msg.usage_metadata["input_tokens"] + msg.usage_metadata["output_tokens"]
    body = mock.chat_requests()[0]["body"]
    assert body["messages"] == [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "What is 2+2?"}]
    assert llm.usage.savings().requests == 1


def test_parameters_and_routing_options(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    llm = ChatKestrel(model="gpt-4o", client=make_client(), temperature=0.1, max_tokens=20,
                      seed=3, kestrel_options={"routing": False})
    msg = llm.invoke("hi", stop=["END"])
    assert msg.response_metadata["model_name"] == "gpt-4o"
    body = mock.chat_requests()[0]["body"]
    assert (body["temperature"], body["max_tokens"], body["seed"], body["stop"]) == (0.1, 20, 3, ["END"])
    assert "kestrel" not in body


def test_stream(llm: ChatKestrel) -> None:
    chunks = list(llm.stream("What is 2+2?"))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    model = full.response_metadata["model_name"]
    assert full.content == f'Mock answer from {model}: you said "What is 2+2?".'
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.response_metadata["kestrel"]["model"] == model
    assert full.usage_metadata is not None and full.usage_metadata["output_tokens"] > 0


def test_streaming_flag_fires_token_callbacks(make_client: Callable[..., kestrel.OpenAI]) -> None:
    tokens: List[str] = []

    class Collect(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    llm = ChatKestrel(model="gpt-4o", client=make_client(), streaming=True)
    msg = llm.invoke("What is 2+2?", config={"callbacks": [Collect()]})
    assert "".join(tokens) == msg.content and len(tokens) > 3


def test_async(llm: ChatKestrel) -> None:
    async def main() -> tuple:
        msg = await llm.ainvoke("What is 2+2?")
        parts = [c async for c in llm.astream("What is 2+2?")]
        many = await asyncio.gather(*[llm.ainvoke(f"q{i}") for i in range(20)])
        return msg, parts, many

    msg, parts, many = asyncio.run(main())
    assert msg.content.endswith('you said "What is 2+2?".')
    assert "".join(str(p.content) for p in parts) == msg.content
    assert len(many) == 20
    # Sync and async share one client, so one ledger.
    assert llm.usage.savings().requests == 22


def test_bind_tools_and_tool_messages(llm: ChatKestrel, mock: Mock) -> None:
    bound = llm.bind_tools([get_weather])
    msg = bound.invoke("What's the weather in Paris?")
    (call,) = msg.tool_calls
    assert call["name"] == "get_weather" and set(call["args"]) == {"city", "unit"}
    assert msg.response_metadata["finish_reason"] == "tool_calls"
    sent_tools = mock.chat_requests()[0]["body"]["tools"]
    assert sent_tools[0]["function"]["name"] == "get_weather"

    follow = bound.invoke([
        HumanMessage("What's the weather in Paris?"),
        msg,
        ToolMessage(get_weather(**call["args"]), tool_call_id=call["id"]),
    ])
    assert "18 example in example" in str(follow.content)
    sent = mock.chat_requests()[1]["body"]["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call["id"]
    assert json.loads(sent[1]["tool_calls"][0]["function"]["arguments"]) == call["args"]
    assert sent[2] == {"role": "tool", "tool_call_id": call["id"], "content": "18 example in example"}


def test_bind_tools_streaming_and_tool_choice(llm: ChatKestrel, mock: Mock) -> None:
    bound = llm.bind_tools([get_weather, Person], tool_choice="Person")
    full = None
    for chunk in bound.stream("Alice is 30"):
        full = chunk if full is None else full + chunk
    assert isinstance(full, AIMessageChunk)
    assert full.tool_calls[0]["name"] == "Person" and full.tool_calls[0]["args"] == {"name": "example", "age": 1}
    body = mock.chat_requests()[0]["body"]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "Person"}}
    llm.bind_tools([get_weather], tool_choice="any").invoke("weather?")
    assert mock.chat_requests()[1]["body"]["tool_choice"] == "required"


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_with_structured_output_pydantic(llm: ChatKestrel, method: str) -> None:
    person = llm.with_structured_output(Person, method=method).invoke("Alice is 30.")  # type: ignore[arg-type]
    assert person == Person(name="example", age=1)


def test_with_structured_output_dict_schema_and_json_mode(llm: ChatKestrel, mock: Mock) -> None:
    schema = {"title": "city", "description": "A city.", "type": "object",
              "properties": {"name": {"type": "string"}}, "required": ["name"]}
    assert llm.with_structured_output(schema).invoke("Paris") == {"name": "example"}
    data = llm.with_structured_output(None, method="json_mode").invoke("Reply in JSON.")
    assert isinstance(data, dict)
    assert mock.chat_requests()[-1]["body"]["response_format"] == {"type": "json_object"}


def test_with_structured_output_include_raw(llm: ChatKestrel) -> None:
    out = llm.with_structured_output(Person, include_raw=True).invoke("Alice is 30.")
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage) and out["parsing_error"] is None
    assert out["parsed"] == Person(name="example", age=1)


def test_client_options_build_a_client(mock: Mock) -> None:
    llm = ChatKestrel(model="gpt-4o-mini", client_options={"api_key": "sk-test", "base_url": mock.base_url("openai"),
                                                           "from_env": False, "routing": False})
    assert llm.invoke("hi").response_metadata["model_name"] == "gpt-4o-mini"
    assert llm._llm_type == "kestrel-chat"


def test_errors_surface_as_kestrel_errors(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"status": 401}})
    llm = ChatKestrel(model="gpt-4o-mini", client=make_client(routing=False))
    with pytest.raises(kestrel.AuthenticationError):
        llm.invoke("hi")


# --- ChatOpenAI's arguments and the defects of issue 19 --------------------------------------


def test_chatopenai_arguments_reach_the_provider(mock: Mock) -> None:
    mock.script(require_key="sk-mine")
    llm = ChatKestrel(model="gpt-4o-mini", api_key="sk-mine", base_url=mock.base_url("openai"), top_p=0.5, seed=7,
                      n=1, presence_penalty=0.1, frequency_penalty=0.2, max_completion_tokens=30, stop="END",
                      extra_body={"x_vendor": 1}, default_headers={"x-team": "lab"},
                      client_options={"from_env": False, "routing": False})
    assert llm.invoke("hi").response_metadata["model_name"] == "gpt-4o-mini"
    (sent,) = mock.chat_requests()
    body = sent["body"]
    assert sent["path"].startswith("/openai/v1/")
    assert {k: body[k] for k in ("top_p", "seed", "n", "presence_penalty", "frequency_penalty", "stop", "x_vendor")} \
        == {"top_p": 0.5, "seed": 7, "n": 1, "presence_penalty": 0.1, "frequency_penalty": 0.2, "stop": "END",
            "x_vendor": 1}
    assert body.get("max_tokens", body.get("max_completion_tokens")) == 30
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["authorization"] == "Bearer sk-mine" and headers["x-team"] == "lab"
    assert llm.openai_api_key is not None and llm.openai_api_key.get_secret_value() == "sk-mine"


def test_openai_spellings_and_a_shared_client(make_client: Callable[..., kestrel.OpenAI], mock: Mock) -> None:
    mock.script(require_key="sk-other")
    llm = ChatKestrel(model="gpt-4o-mini", openai_api_key="sk-other", openai_api_base=mock.base_url("openai"),
                      client=make_client(routing=False))
    llm.invoke("hi")
    assert mock.chat_requests()[0]["headers"].get("authorization", mock.chat_requests()[0]["headers"].get(
        "Authorization")) == "Bearer sk-other"


def test_unknown_arguments_are_loud(mock: Mock) -> None:
    with pytest.raises(ValueError, match="unknown argument `temprature`.*did you mean `temperature`"):
        ChatKestrel(model="gpt-4o", temprature=0.2)
    with pytest.raises(ValueError, match="`openai_proxy`.*HTTPS_PROXY"):
        ChatKestrel(model="gpt-4o", openai_proxy="http://proxy:3128")
    with pytest.raises(ValueError, match="use_responses_api"):
        ChatKestrel(model="gpt-4o", use_responses_api=True)
    with pytest.raises(ValueError, match=r"\['seed'\].*not inside model_kwargs"):
        ChatKestrel(model="gpt-4o", model_kwargs={"seed": 1})
    # A Chat Completions field moves into model_kwargs with a warning, as with ChatOpenAI.
    with pytest.warns(UserWarning, match="user is not a default parameter"):
        llm = ChatKestrel(model="gpt-4o", user="u-1", client_options={"from_env": False})
    assert llm.model_kwargs == {"user": "u-1"}


def test_n_choices_become_generations(make_client: Callable[..., kestrel.OpenAI]) -> None:
    llm = ChatKestrel(model="gpt-4o-mini", client=make_client(routing=False), n=1)
    result = llm.generate([[HumanMessage("hi")]])
    assert len(result.generations[0]) == 1
    with pytest.raises(ValueError, match="n must be 1 when streaming"):
        ChatKestrel(model="gpt-4o", n=2, streaming=True, client=make_client())


def test_ls_params_name_the_per_call_model(llm: ChatKestrel) -> None:
    ls = llm._get_ls_params(model="gpt-4o-mini", temperature=0.3, stop=["x"])
    assert (ls["ls_model_name"], ls["ls_temperature"], ls["ls_stop"]) == ("gpt-4o-mini", 0.3, ["x"])


def test_structured_output_binds_its_schema_for_tracers(llm: ChatKestrel) -> None:
    seen: List[Any] = []

    class Options(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            seen.append(kwargs.get("options"))

    for method in ("function_calling", "json_schema", "json_mode"):
        # json_mode parses into a dict: the mock's JSON object is not a Person.
        schema = Person.model_json_schema() if method == "json_mode" else Person
        llm.with_structured_output(schema, method=method).invoke("Alice is 30.",  # type: ignore[arg-type]
                                                                  config={"callbacks": [Options()]})
    assert [o["ls_structured_output_format"]["kwargs"]["method"] for o in seen] == \
        ["function_calling", "json_schema", "json_mode"]
    assert all(o["ls_structured_output_format"]["schema"]["title"] == "Person" for o in seen)


def test_pydantic_v1_models_come_back_as_themselves(llm: ChatKestrel) -> None:
    from pydantic.v1 import BaseModel as BaseModelV1

    class Pet(BaseModelV1):
        """A pet."""

        name: str

    with pytest.warns(UserWarning, match="pydantic v1"):
        runnable = llm.with_structured_output(Pet, method="json_schema")
    for out in (llm.with_structured_output(Pet).invoke("Rex"), runnable.invoke("Rex")):
        assert isinstance(out, Pet) and out.name == "example"


def test_reasoning_blocks_in_history_are_not_sent(llm: ChatKestrel, mock: Mock) -> None:
    history = [
        HumanMessage("Hello"),
        AIMessage([{"type": "thinking", "thinking": "greet", "signature": "c2ln"},
                   {"type": "redacted_thinking", "data": "ZW5j"},
                   {"type": "text", "text": "Hi!", "annotations": []}]),
        AIMessage([{"type": "redacted_thinking", "data": "ZW5j"}]),
        HumanMessage("Thanks"),
    ]
    llm.invoke(history)
    sent = mock.chat_requests()[0]["body"]["messages"]
    assert sent[1]["content"] == [{"type": "text", "text": "Hi!"}]
    assert sent[2]["content"] == ""


def test_tool_messages_may_carry_images_and_files(llm: ChatKestrel, mock: Mock) -> None:
    png = "iVBORw0KGgo="
    history = [
        HumanMessage("Take a screenshot"),
        AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}]),
        ToolMessage([{"type": "image", "base64": png, "mime_type": "image/png"},
                     {"type": "file", "base64": "JVBERi0x", "mime_type": "application/pdf", "filename": "a.pdf"}],
                    tool_call_id="c1"),
    ]
    llm.invoke(history)
    parts = mock.chat_requests()[0]["body"]["messages"][2]["content"]
    assert parts[0] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert parts[1]["type"] == "file" and parts[1]["file"]["file_data"].endswith("JVBERi0x")


def test_tool_message_images_are_translated_per_provider(mock: Mock) -> None:
    from conftest import client_kwargs

    png = "iVBORw0KGgo="
    history = [
        HumanMessage("Take a screenshot"),
        AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "c1", "type": "tool_call"}]),
        ToolMessage([{"type": "text", "text": "done"}, {"type": "image", "base64": png, "mime_type": "image/png"}],
                    tool_call_id="c1"),
    ]
    kwargs = client_kwargs(mock, routing=False)
    kwargs["provider_keys"] = {**kwargs["provider_keys"], "anthropic": "sk-ant"}
    kwargs["base_urls"] = {**kwargs["base_urls"], "anthropic": mock.url + "/anthropic"}
    client = kestrel.OpenAI(**kwargs)

    ChatKestrel(model="claude-haiku-4-5", client=client).invoke(history)
    (sent,) = [r for r in mock.requests() if r["path"].endswith("/v1/messages")]
    assert sent["body"]["messages"][-1]["content"] == [{"type": "tool_result", "tool_use_id": "c1", "content": [
        {"type": "text", "text": "done"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}]}]

    mock.clear()
    ChatKestrel(model="llama-3.3-70b-versatile", client=client).invoke(history)
    (sent,) = mock.chat_requests()
    assert sent["path"].startswith("/groq")
    tool, user = sent["body"]["messages"][-2:]
    assert tool["content"] == [{"type": "text", "text": "done"}]
    assert user["role"] == "user" and user["content"][1]["image_url"]["url"] == f"data:image/png;base64,{png}"
