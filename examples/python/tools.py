"""Tool calling: the model asks for a function, we run it, the model answers with its result.
Only models that support tools are routing candidates for these requests.

    python examples/python/tools.py
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from _support import make_client


def get_weather(city: str, unit: str = "celsius") -> str:
    return json.dumps({"city": city, "temperature": 18 if unit == "celsius" else 64, "unit": unit,
                       "sky": "sunny"})


TOOLS: List[Dict[str, Any]] = [{
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
}]


def main() -> None:
    client = make_client()
    messages: List[Any] = [{"role": "user", "content": "What's the weather in Paris right now?"}]

    first = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    message = first.choices[0].message
    print(f"{first.kestrel.model} ({first.kestrel.provider}) asked for: "
          f"{[(c.function.name, c.function.arguments) for c in message.tool_calls or []]}")

    messages.append(message)  # the assistant message goes back as is
    for call in message.tool_calls or []:
        args = json.loads(call.function.arguments)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": get_weather(**args)})

    final = client.chat.completions.create(model="gpt-4o", messages=messages, tools=TOOLS)
    print(f"{final.kestrel.model}: {final.choices[0].message.content}")

    # JSON mode and structured output pass through the same way.
    fmt = {"type": "json_schema", "json_schema": {"name": "weather", "strict": True, "schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
        "required": ["city", "celsius"],
        "additionalProperties": False,
    }}}
    structured = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "Paris is 18C today. Extract it."}], response_format=fmt
    )
    print(f"{structured.kestrel.model}: {json.loads(structured.choices[0].message.content or '{}')}")


if __name__ == "__main__":
    main()
