"""Checked by `mypy --strict` (test_types.py): the streaming helper, written as against the
SDK (`client.chat.completions.stream(...)`), type-checks with Kestrel's clients."""

from __future__ import annotations

from typing import List, Optional

from pydantic import BaseModel

from kestrel_router import AsyncOpenAI, OpenAI, pydantic_function_tool
from kestrel_router.types import KestrelMetadata


class Person(BaseModel):
    name: str
    age: int


def print_deltas(client: OpenAI) -> str:
    with client.chat.completions.stream(model="gpt-4o", messages=[{"role": "user", "content": "hi"}]) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, end="")
            elif event.type == "tool_calls.function.arguments.done":
                print(event.name, event.arguments)
        final = stream.get_final_completion()
    meta: Optional[KestrelMetadata] = stream.kestrel
    assert meta is not None
    return final.choices[0].message.content or ""


def person(client: OpenAI) -> Optional[Person]:
    with client.beta.chat.completions.stream(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Who?"}],
        response_format=Person,
        tools=[pydantic_function_tool(Person)],
    ) as stream:
        stream.until_done()
        snapshot_content: Optional[str] = stream.current_completion_snapshot.choices[0].message.content
        print(snapshot_content)
    parsed: Optional[Person] = stream.get_final_completion().choices[0].message.parsed
    return parsed


async def ages(client: AsyncOpenAI) -> List[int]:
    async with client.chat.completions.stream(
        model="gpt-4o", messages=[{"role": "user", "content": "Who?"}], response_format=Person
    ) as stream:
        async for event in stream:
            if event.type == "content.done" and event.parsed is not None:
                print(event.parsed.name)
        final = await stream.get_final_completion()
    return [c.message.parsed.age for c in final.choices if c.message.parsed is not None]


def responses_helpers(client: OpenAI) -> Optional[Person]:
    with client.responses.stream(model="gpt-4o", input="Who?", text_format=Person) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                print(event.delta, event.snapshot)
        final = stream.get_final_response()
    print(final.output_text)
    parsed: Optional[Person] = client.responses.parse(model="gpt-4o", input="Who?", text_format=Person).output_parsed
    return parsed or final.output_parsed
