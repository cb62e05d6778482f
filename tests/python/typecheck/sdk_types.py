"""Checked by `mypy --strict` (scripts/test.sh), run by test_types.py: a module written
against `openai.types` imports the same names from `kestrel_router.types` and type-checks."""

from __future__ import annotations

from typing import List

import kestrel_router
from kestrel_router import OpenAI
from kestrel_router.types import ChatModel, CreateEmbeddingResponse, Model
from kestrel_router.types.chat import (
    ChatCompletion,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionToolParam,
    ChatCompletionUserMessageParam,
)
from kestrel_router.types.responses import Response, ResponseInputParam
from kestrel_router.types.shared_params import FunctionDefinition


def conversation(question: str) -> List[ChatCompletionMessageParam]:
    system: ChatCompletionSystemMessageParam = {"role": "system", "content": "Be brief."}
    user: ChatCompletionUserMessageParam = {"role": "user", "content": question}
    return [system, user]


def weather_tool() -> ChatCompletionToolParam:
    function: FunctionDefinition = {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    return {"type": "function", "function": function}


def ask(client: OpenAI, question: str, model: ChatModel = "gpt-4o") -> str:
    completion: ChatCompletion = client.chat.completions.create(
        model=model, messages=conversation(question), tools=[weather_tool()]
    )
    routed_to: str = completion.kestrel.model
    return (completion.choices[0].message.content or "") + routed_to


def respond(client: OpenAI, question: str) -> str:
    items: ResponseInputParam = [{"role": "user", "content": question}]
    response: Response = client.responses.create(model="gpt-4o", input=items)
    return response.output_text


def catalog(client: OpenAI) -> List[str]:
    models: List[Model] = client.kestrel.models()
    return [m.id for m in models if m.tier == "economy"]


def module_level(question: str) -> str:
    kestrel_router.api_key = "sk-test"
    completion = kestrel_router.chat.completions.create(model="gpt-4o", messages=conversation(question))
    return completion.choices[0].message.content or ""


def embedding_size(response: CreateEmbeddingResponse) -> int:
    return len(response.data[0].embedding)
