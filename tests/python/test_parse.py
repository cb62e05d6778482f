"""Structured outputs: `client.chat.completions.parse` with pydantic classes."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable, List, Optional

import pytest
from pydantic import BaseModel

import kestrel_router as kestrel
from _mock import Mock
from kestrel_router._parsing import to_strict_json_schema


class Address(BaseModel):
    city: str
    zip: Optional[str] = None


class Person(BaseModel):
    """A person."""

    name: str
    age: int
    nicknames: List[str]
    address: Address


def ask(text: str = "Who?") -> list:
    return [{"role": "user", "content": text}]


def test_parse_into_a_pydantic_class(kc: kestrel.OpenAI, mock: Mock) -> None:
    r = kc.chat.completions.parse(model="gpt-4o", messages=ask(), response_format=Person)
    assert isinstance(r, kestrel.types.chat.ParsedChatCompletion)
    person = r.choices[0].message.parsed
    assert isinstance(person, Person)
    assert person.name == "example" and person.age == 1 and person.nicknames == ["example"]
    assert person.address.city == "example"
    assert r.kestrel.requested_model == "gpt-4o"
    fmt = mock.chat_requests()[0]["body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "Person"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "age", "nicknames", "address"]
    assert schema["$defs"]["Address"]["required"] == ["city", "zip"]
    # The parsed object dumps as JSON.
    assert json.loads(r.to_json())["choices"][0]["message"]["parsed"]["address"]["city"] == "example"


def test_parse_with_a_dict_response_format_leaves_parsed_none(direct: kestrel.OpenAI) -> None:
    r = direct.chat.completions.parse(model="gpt-4o-mini", messages=ask(),
                                      response_format={"type": "json_object"})
    assert r.choices[0].message.parsed is None
    assert json.loads(r.choices[0].message.content or "")


def test_parse_with_pydantic_tools(direct: kestrel.OpenAI, mock: Mock) -> None:
    r = direct.chat.completions.parse(model="gpt-4o-mini", messages=ask("Look up Alice."),
                                      tools=[kestrel.pydantic_function_tool(Person, name="lookup")])
    calls = r.choices[0].message.tool_calls or []
    assert calls[0].function.name == "lookup"
    assert isinstance(calls[0].function.parsed_arguments, Person)
    tool = mock.chat_requests()[0]["body"]["tools"][0]
    assert tool["function"]["strict"] is True and tool["function"]["description"] == "A person."
    # A bare class works too.
    r = direct.chat.completions.parse(model="gpt-4o-mini", messages=ask("Where?"), tools=[Address])
    calls = r.choices[0].message.tool_calls or []
    assert isinstance(calls[0].function.parsed_arguments, Address)


def test_parse_length_cut_raises(direct: kestrel.OpenAI, mock: Mock) -> None:
    mock.script(models={"gpt-4o-mini": {"text": "{\"name\": ", "finish_reason": "length"}})
    with pytest.raises(kestrel.LengthFinishReasonError) as excinfo:
        direct.chat.completions.parse(model="gpt-4o-mini", messages=ask(), response_format=Person)
    assert excinfo.value.completion.choices[0].finish_reason == "length"


def test_async_parse(make_async_client: Callable[..., kestrel.AsyncOpenAI]) -> None:
    async def main() -> Any:
        client = make_async_client()
        return await client.chat.completions.parse(model="gpt-4o", messages=ask(), response_format=Address)

    assert asyncio.run(main()).choices[0].message.parsed == Address(city="example", zip="example")


def test_strict_schema() -> None:
    schema = to_strict_json_schema({"type": "object", "properties": {
        "a": {"type": "string", "default": None},
        "b": {"type": "array", "items": {"type": "object", "properties": {"c": {"type": "integer"}}}},
        "d": {"allOf": [{"$ref": "#/$defs/X"}], "description": "d"},
    }})
    assert schema["required"] == ["a", "b", "d"] and schema["additionalProperties"] is False
    assert "default" not in schema["properties"]["a"]
    assert schema["properties"]["b"]["items"] == {"type": "object", "properties": {"c": {"type": "integer"}},
                                                  "required": ["c"], "additionalProperties": False}
    assert schema["properties"]["d"] == {"$ref": "#/$defs/X", "description": "d"}
