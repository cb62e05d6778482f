"""Chat Completions, from openai-python's README (usage, streaming, async, tools, JSON
mode, structured outputs, raw responses, request ids) and api.md (stored completions)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, List

import pydantic

from _harness import MESSAGES, WEATHER, Kit, kind, program


@program
def chat_create(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    m = r.choices[0].message
    return kind(r), r.object, r.model, m.role, m.content, r.choices[0].finish_reason, r.usage.total_tokens


@program
def chat_create_with_options(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(
        model="gpt-4o", messages=[{"role": "developer", "content": "Talk like a pirate."}, *MESSAGES],
        temperature=0.2, top_p=0.9, max_completion_tokens=50, seed=7, n=1, stop=["\n\n"], user="u-1",
        metadata={"app": "breadth"}, store=False, frequency_penalty=0.1, presence_penalty=0.1,
        logit_bias={"50256": -100}, service_tier="auto", parallel_tool_calls=True, prompt_cache_key="k1",
        safety_identifier="s1", reasoning_effort="low", verbosity="low",
    )
    sent = k.last_sent("/chat/completions")["body"]
    return r.choices[0].message.content, sorted(sent)


@program
def chat_system_and_history(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "What is 2+2?"},
    ])
    return r.choices[0].message.content


@program
def chat_content_parts_image(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What's in this image?"},
        {"type": "image_url", "image_url": {"url": "https://example.invalid/otter.png", "detail": "low"}},
    ]}])
    return r.choices[0].message.role, k.last_sent("/chat/completions")["body"]["messages"][0]["content"][1]["type"]


@program
def chat_stream(c: Any, k: Kit) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    chunks = list(stream)
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    return kind(chunks[0]), chunks[0].object, text, chunks[-1].choices[0].finish_reason


@program
def chat_stream_usage(c: Any, k: Kit) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True,
                                       stream_options={"include_usage": True})
    chunks = list(stream)
    return chunks[-1].choices, chunks[-1].usage.completion_tokens > 0


@program
def chat_stream_context_manager(c: Any, k: Kit) -> Any:
    with c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True) as stream:
        first = next(iter(stream))
    return first.choices[0].delta.role, stream.response.status_code


@program
def chat_stream_close(c: Any, k: Kit) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    stream.close()
    return stream.response.is_closed


@program
def chat_tools(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                  tools=[WEATHER], tool_choice="auto")
    call = r.choices[0].message.tool_calls[0]
    return r.choices[0].finish_reason, call.type, call.function.name, sorted(json.loads(call.function.arguments))


@program
def chat_tool_choice_named(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Anything"}],
                                  tools=[WEATHER], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    return r.choices[0].message.tool_calls[0].function.name


@program
def chat_tool_result_round_trip(c: Any, k: Kit) -> Any:
    first = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                      tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    second = c.chat.completions.create(model="gpt-4o", tools=[WEATHER], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        first.choices[0].message,
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'},
    ])
    return second.choices[0].finish_reason, second.choices[0].message.content


@program
def chat_stream_tool_calls(c: Any, k: Kit) -> Any:
    stream = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Weather in Paris?"}],
                                       tools=[WEATHER], stream=True)
    names = [tc.function.name for ch in stream if ch.choices for tc in ch.choices[0].delta.tool_calls or []
             if tc.function and tc.function.name]
    return names


@program
def chat_json_mode(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "A JSON object, please"}],
                                  response_format={"type": "json_object"})
    return isinstance(json.loads(r.choices[0].message.content), dict)


@program
def chat_json_schema(c: Any, k: Kit) -> Any:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    r = c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "A city"}],
                                  response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema,
                                                                                          "strict": True}})
    return sorted(json.loads(r.choices[0].message.content))


class Step(pydantic.BaseModel):
    explanation: str
    output: str


class Math(pydantic.BaseModel):
    steps: List[Step]
    final_answer: str


@program
def chat_parse_pydantic(c: Any, k: Kit) -> Any:
    r = c.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
                                 response_format=Math)
    parsed = r.choices[0].message.parsed
    return kind(r), kind(parsed), sorted(parsed.model_dump()), r.choices[0].message.refusal


class GetWeather(pydantic.BaseModel):
    city: str


@program
def chat_parse_function_tool(c: Any, k: Kit) -> Any:
    r = c.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "Weather in Oslo?"}],
                                 tools=[k.module.pydantic_function_tool(GetWeather)])
    call = r.choices[0].message.tool_calls[0]
    return call.function.name, kind(call.function.parsed_arguments)


@program
def chat_with_raw_response(c: Any, k: Kit) -> Any:
    raw = c.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    completion = raw.parse()
    return (raw.http_response.status_code, raw.headers.get("content-type", "").split(";")[0],
            raw.headers.get("x-request-id") == raw.request_id, completion.choices[0].message.content)


@program
def chat_with_streaming_response(c: Any, k: Kit) -> Any:
    with c.chat.completions.with_streaming_response.create(model="gpt-4o", messages=MESSAGES) as response:
        status = response.status_code
        body = json.loads(b"".join(response.iter_bytes()))
    return status, body["object"], body["choices"][0]["message"]["content"]


@program
def chat_with_streaming_response_parse(c: Any, k: Kit) -> Any:
    with c.chat.completions.with_streaming_response.create(model="gpt-4o", messages=MESSAGES) as raw:
        completion = raw.parse()
        return raw.status_code, kind(completion), completion.choices[0].message.content


@program
def chat_to_dict_to_json(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    d, j = r.to_dict(), json.loads(r.to_json())
    for x in (d, j):
        x.pop("kestrel", None)  # what Kestrel adds to a routed answer (its routing decision)
    return sorted(d), d["choices"][0]["message"], j == d, sorted(set(r.model_dump(exclude_unset=True)) - {"kestrel"}) == sorted(d)


@program
def chat_request_id(c: Any, k: Kit) -> Any:
    r = c.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return isinstance(r._request_id, str) and r._request_id.startswith("req_")


@program
def chat_async(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        async with k.make_async() as ac:
            r = await ac.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            s = await ac.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            text = "".join([ch.choices[0].delta.content or "" async for ch in s if ch.choices])
            return r.choices[0].message.content, text

    return asyncio.run(main())


@program
def chat_async_parse(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        ac = k.make_async()
        r = await ac.chat.completions.parse(model="gpt-4o", messages=[{"role": "user", "content": "solve"}],
                                            response_format=Math)
        return kind(r.choices[0].message.parsed)

    return asyncio.run(main())


@program
def chat_async_concurrent(c: Any, k: Kit) -> Any:
    async def main() -> Any:
        ac = k.make_async()
        rs = await asyncio.gather(*(ac.chat.completions.create(model="gpt-4o", messages=[
            {"role": "user", "content": f"n{i}"}]) for i in range(3)))
        return [r.choices[0].message.content for r in rs]

    return asyncio.run(main())


@program
def chat_stream_helper(c: Any, k: Kit) -> Any:
    with c.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_completion()
    return kinds[-1], final.choices[0].message.content


# --- stored completions (api.md: chat.completions.retrieve/update/list/delete, messages) ---


@program
def chat_stored_retrieve_update_delete(c: Any, k: Kit) -> Any:
    got = c.chat.completions.retrieve("chatcmpl-abc")
    updated = c.chat.completions.update("chatcmpl-abc", metadata={"topic": "otters"})
    deleted = c.chat.completions.delete("chatcmpl-abc")
    return (kind(got), got.id, got.choices[0].message.content, updated.metadata, kind(deleted), deleted.deleted,
            deleted.object)


@program
def chat_stored_list_pages(c: Any, k: Kit) -> Any:
    page = c.chat.completions.list(limit=2, model="gpt-4o-mini", order="asc")
    first = [x.id for x in page.data]
    nxt = page.get_next_page() if page.has_next_page() else None
    every = [x.id for x in c.chat.completions.list(limit=2)]
    return kind(page), first, page.has_next_page(), [x.id for x in nxt.data] if nxt else None, every


@program
def chat_stored_messages(c: Any, k: Kit) -> Any:
    messages = [(m.id, m.role, m.content) for m in c.chat.completions.messages.list("chatcmpl-abc", limit=5)]
    return messages, k.last_sent("/messages")["query"]
