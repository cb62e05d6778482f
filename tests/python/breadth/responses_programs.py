"""The Responses API, from openai-python's README and api.md: create (text, messages,
instructions, tools, structured text, streaming, background, previous_response_id,
conversation), retrieve, delete, cancel, input items, input token counts, compaction."""

from __future__ import annotations

import asyncio
from typing import Any

from _harness import Kit, kind, program

FUNCTION = {"type": "function", "name": "get_weather", "description": "Weather for a city.", "strict": True,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                           "additionalProperties": False}}


def digest(r: Any) -> Any:
    return kind(r), r.object, r.status, r.model, [o.type for o in r.output], r.output_text


@program
def responses_create(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", instructions="You are a coding assistant that talks like a pirate.",
                           input="How do I check if a Python object is an instance of a class?")
    return digest(r), r.usage.input_tokens > 0


@program
def responses_input_messages(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input=[
        {"role": "developer", "content": "Talk like a pirate."},
        {"role": "user", "content": [{"type": "input_text", "text": "Are semicolons optional in JavaScript?"}]},
    ])
    return digest(r)


@program
def responses_image_input(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
        {"type": "input_text", "text": "What is in this image?"},
        {"type": "input_image", "image_url": "https://example.invalid/otter.png"},
    ]}])
    return digest(r)


@program
def responses_builtin_tools(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input="Today's news?", tools=[{"type": "web_search"}])
    return digest(r)


@program
def responses_function_tool(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input="Weather in Paris?", tools=[FUNCTION], tool_choice="auto")
    return [o.type for o in r.output], [getattr(o, "name", None) for o in r.output]


@program
def responses_structured_text(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input="A city", text={"format": {
        "type": "json_schema", "name": "city", "strict": True,
        "schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                   "additionalProperties": False}}})
    return r.status, bool(r.output_text)


@program
def responses_stream(c: Any, k: Kit) -> Any:
    stream = c.responses.create(model="gpt-4o", input="Write a haiku.", stream=True)
    events = list(stream)
    return [e.type for e in events][:2], events[-1].type, "".join(
        e.delta for e in events if e.type == "response.output_text.delta")


@program
def responses_previous_response_id(c: Any, k: Kit) -> Any:
    first = c.responses.create(model="gpt-4o", input="Tell me a joke.", store=True)
    second = c.responses.create(model="gpt-4o", previous_response_id=first.id, input="Explain why it is funny.")
    return second.status, second.output_text, second.previous_response_id == first.id


@program(raises="NotFoundError")
def responses_previous_response_unknown(c: Any, k: Kit) -> Any:
    c.responses.create(model="gpt-4o", previous_response_id="resp_unknown", input="Go on.")


@program
def responses_background(c: Any, k: Kit) -> Any:
    r = c.responses.create(model="gpt-4o", input="A long essay", background=True)
    return r.status, r.background


@program
def responses_conversation(c: Any, k: Kit) -> Any:
    conv = c.conversations.create(metadata={"topic": "demo"})
    r = c.responses.create(model="gpt-4o", input="Hello", conversation=conv.id)
    return r.status, k.last_sent("/responses")["body"]["conversation"] == conv.id


@program
def responses_retrieve_delete_cancel(c: Any, k: Kit) -> Any:
    rid = "resp_mock" + "2" * 44
    got = c.responses.retrieve(rid)
    cancelled = c.responses.cancel(rid)
    c.responses.delete(rid)
    return got.id, got.status, cancelled.status


@program
def responses_input_items(c: Any, k: Kit) -> Any:
    page = c.responses.input_items.list("resp_mock" + "2" * 44, limit=10, order="asc")
    return kind(page), [(i.type, i.id) for i in page]


@program
def responses_input_tokens(c: Any, k: Kit) -> Any:
    r = c.responses.input_tokens.count(model="gpt-4o", input="Tell me a joke.")
    return kind(r), r.object, r.input_tokens > 0


@program
def responses_compact(c: Any, k: Kit) -> Any:
    r = c.responses.compact(model="gpt-4o", input=[{"role": "user", "content": "Hi"}])
    return kind(r), r.object, [o.type for o in r.output]


@program
def responses_stream_helper(c: Any, k: Kit) -> Any:
    with c.responses.stream(model="gpt-4o", input="Tell me a joke.") as stream:
        kinds = {e.type for e in stream}
        final = stream.get_final_response()
    return sorted(k for k in kinds if k.startswith("response.output_text")), final.status, final.output_text


@program
def responses_with_raw_response(c: Any, k: Kit) -> Any:
    raw = c.responses.with_raw_response.create(model="gpt-4o", input="Hi")
    return raw.http_response.status_code, raw.parse().output_text


@program
def responses_async(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        ac = k.make_async()
        r = await ac.responses.create(model="gpt-4o", input="Hi")
        s = await ac.responses.create(model="gpt-4o", input="Hi", stream=True)
        kinds = [e.type async for e in s]
        got = await ac.responses.retrieve(r.id)
        return r.output_text, kinds[-1], got.status

    return asyncio.run(main())
