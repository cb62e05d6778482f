"""Structured outputs, as the SDK's ``client.chat.completions.parse``: a pydantic class as
``response_format`` (or as a strict function tool) becomes a strict JSON schema, and the
answer comes back parsed into it. Works with any object that has pydantic v2's
``model_json_schema`` / ``model_validate_json``; nothing here imports pydantic."""

from __future__ import annotations

from ._errors import ContentFilterFinishReasonError, LengthFinishReasonError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional, Tuple

    from ._types import ParsedChatCompletion

__all__ = ["pydantic_function_tool", "to_strict_json_schema", "prepare", "finish"]


def _is_model_class(value: Any) -> bool:
    return isinstance(value, type) and callable(getattr(value, "model_json_schema", None))


def to_strict_json_schema(schema: Any) -> Dict[str, Any]:
    """A JSON schema made acceptable to strict structured outputs: every object closed
    (``additionalProperties: false``) with all its properties required, ``default: null``
    dropped. Accepts a schema dict or a pydantic class."""
    if _is_model_class(schema):
        schema = schema.model_json_schema()
    result: Dict[str, Any] = _strict(schema)
    return result


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: v for k, v in node.items()}
    if "properties" in out or out.get("type") == "object":
        props = out.get("properties") or {}
        out["properties"] = {k: _strict(v) for k, v in props.items()}
        out["required"] = list(props)
        out["additionalProperties"] = False
    for key in ("items", "not"):
        if isinstance(out.get(key), dict):
            out[key] = _strict(out[key])
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):
        if isinstance(out.get(key), list):
            out[key] = [_strict(n) for n in out[key]]
    for key in ("$defs", "definitions"):
        if isinstance(out.get(key), dict):
            out[key] = {k: _strict(v) for k, v in out[key].items()}
    if "default" in out and out["default"] is None:
        del out["default"]
    all_of = out.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        inner = out.pop("allOf")[0]
        out = {**inner, **out}
    return out


def pydantic_function_tool(model: Any, *, name: Optional[str] = None,
                           description: Optional[str] = None) -> PydanticFunctionTool:
    """A strict function tool from a pydantic class (as ``openai.pydantic_function_tool``);
    ``parse()`` fills ``tool_call.function.parsed_arguments`` with an instance of it."""
    function: Dict[str, Any] = {
        "name": name or model.__name__,
        "strict": True,
        "parameters": to_strict_json_schema(model),
    }
    doc = description or (model.__doc__ or "").strip()
    if doc:
        function["description"] = doc
    return PydanticFunctionTool({"type": "function", "function": function}, model)


class PydanticFunctionTool(dict):  # type: ignore[type-arg]
    """A tool dict that remembers its pydantic class (serialized as a plain dict)."""

    def __init__(self, tool: Dict[str, Any], model: Any) -> None:
        super().__init__(tool)
        self.model = model


def prepare(response_format: Any, tools: Any) -> Tuple[Any, Any, Any, Dict[str, Any]]:
    """The request's response_format and tools, the class to parse the content into, and
    the strict tools by name (to their class, or None for a JSON schema)."""
    model = None
    if _is_model_class(response_format):
        model = response_format
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": model.__name__, "schema": to_strict_json_schema(model), "strict": True},
        }
    strict_tools: Dict[str, Any] = {}
    if tools is not None:
        converted: List[Any] = []
        for tool in tools if isinstance(tools, (list, tuple)) else list(tools):
            if _is_model_class(tool):
                tool = pydantic_function_tool(tool)
            if isinstance(tool, dict):
                function = tool.get("function") or {}
                if function.get("strict"):
                    strict_tools[str(function.get("name"))] = getattr(tool, "model", None)
            converted.append(tool)
        tools = converted
    return response_format, tools, model, strict_tools


def finish(completion: ParsedChatCompletion[Any], model: Any, strict_tools: Dict[str, Any]) -> None:
    """Fills ``message.parsed`` and the strict tool calls' ``parsed_arguments``, raising as
    the SDK does when the answer was cut off or filtered."""
    import json

    for choice in completion.choices:
        if choice.finish_reason == "length":
            raise LengthFinishReasonError(completion=completion)
        if choice.finish_reason == "content_filter":
            raise ContentFilterFinishReasonError(completion=completion)
        message = choice.message
        parsed = None
        if model is not None and message.content and not message.refusal:
            parsed = model.model_validate_json(message.content)
        message.parsed = parsed
        for call in message.tool_calls or []:
            name = call.function.name
            if name in strict_tools:
                tool_model = strict_tools[name]
                arguments = call.function.arguments
                call.function.parsed_arguments = (
                    tool_model.model_validate_json(arguments) if tool_model is not None else json.loads(arguments)
                )
