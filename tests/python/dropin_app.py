"""Ordinary OpenAI SDK code, written exactly as one writes it for `openai`.

test_drop_in.py runs this module twice: as is, and with its `import openai` line replaced by
`import kestrel_router as openai`. Nothing else changes. The environment supplies OPENAI_API_KEY
and OPENAI_BASE_URL (pointing at the mock provider), as it would in production.
"""

import asyncio
import json

import openai
from pydantic import BaseModel

MODEL = "gpt-4o-mini"


def get_weather(city, unit="celsius"):
    return f"18 degrees {unit} and sunny in {city}"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather in a given city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city, e.g. Paris"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "unit"],
            },
        },
    }
]


def plain():
    client = openai.OpenAI()
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is 2+2?"},
        ],
        temperature=0,
    )
    return completion


def streaming():
    client = openai.OpenAI()
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Say this is a test"}],
        stream=True,
    )
    chunks = []
    for chunk in stream:
        chunks.append(chunk)
        if chunk.choices[0].delta.content is not None:
            pass
    return chunks


def streaming_with_usage():
    client = openai.OpenAI()
    chunks = []
    with client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Count to three"}],
        stream=True,
        stream_options={"include_usage": True},
    ) as stream:
        for chunk in stream:
            chunks.append(chunk)
    return chunks


def tools():
    client = openai.OpenAI(max_retries=0)
    messages = [{"role": "user", "content": "What's the weather like in Paris today?"}]
    response = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, tool_choice="auto")
    message = response.choices[0].message
    messages.append(message)
    for tool_call in message.tool_calls:
        args = json.loads(tool_call.function.arguments)
        messages.append({"role": "tool", "tool_call_id": tool_call.id, "content": get_weather(**args)})
    final = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    return response, final


def json_mode():
    client = openai.OpenAI()
    response = client.chat.completions.create(
        model=MODEL,
        response_format={"type": "json_object"},
        messages=[
            {"role": "system", "content": "You are a helpful assistant designed to output JSON."},
            {"role": "user", "content": "Who won the world series in 2020?"},
        ],
    )
    return response, json.loads(response.choices[0].message.content)


def json_schema():
    client = openai.OpenAI()
    response = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Extract: Alice is 30."}],
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "person",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                    "required": ["name", "age"],
                    "additionalProperties": False,
                },
            },
        },
    )
    return json.loads(response.choices[0].message.content)


class CalendarEvent(BaseModel):
    name: str
    date: str
    participants: list[str]


def structured():
    client = openai.OpenAI()
    completion = client.chat.completions.parse(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Extract the event information."},
            {"role": "user", "content": "Alice and Bob are going to a science fair on Friday."},
        ],
        response_format=CalendarEvent,
    )
    return completion.choices[0].message.parsed


def errors():
    client = openai.OpenAI(max_retries=0)
    try:
        client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    except openai.RateLimitError as e:
        return "rate_limited", e.status_code, e.code, type(e.body).__name__
    except openai.APIStatusError as e:
        return "status", e.status_code, e.code, type(e.body).__name__
    except openai.APIError as e:
        return "api_error", None, None, None
    return "ok", None, None, None


def module_level():
    completion = openai.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello from the module client"}]
    )
    return completion


def models():
    client = openai.OpenAI()
    return [model.id for model in client.models.list()]


async def async_calls():
    client = openai.AsyncOpenAI()
    completion = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello async"}]
    )
    stream = await client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Stream async"}], stream=True
    )
    parts = []
    async for chunk in stream:
        parts.append(chunk.choices[0].delta.content or "")
    many = await asyncio.gather(
        *[client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": f"n{i}"}]) for i in range(10)]
    )
    await client.close()
    return completion, "".join(parts), [c.choices[0].message.content for c in many]


def run_async():
    return asyncio.run(async_calls())
