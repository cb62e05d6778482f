"""LangChain: Kestrel as a chat model. Each call goes to the cheapest capable model, and
the routing decision rides along in `response_metadata["kestrel"]`.

    pip install 'kestrel-router[langchain]'
    python examples/python/langchain_chat.py
"""

from __future__ import annotations

from _support import client_options
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.tools import tool

from kestrel_router.langchain import ChatKestrel


@tool
def get_weather(city: str) -> str:
    """Current weather for a city."""
    return f"Sunny and 21 °C in {city}"


def main() -> None:
    llm = ChatKestrel(model="gpt-4o", client_options=client_options())

    reply = llm.invoke([SystemMessage("Answer briefly."), HumanMessage("What is 2+2?")])
    routed = reply.response_metadata["kestrel"]
    print(f"{reply.content}\n  -> {routed['model']} ({routed['provider']}), usage {reply.usage_metadata}")

    print("stream: ", end="")
    for chunk in llm.stream("Write a haiku about a kestrel hovering."):
        print(chunk.content, end="", flush=True)
    print()

    with_tools = llm.bind_tools([get_weather])
    call = with_tools.invoke("What's the weather in Lisbon right now?")
    for tc in call.tool_calls:
        print(f"tool call {tc['name']}({tc['args']}) -> {get_weather.invoke(tc['args'])}")


if __name__ == "__main__":
    main()
