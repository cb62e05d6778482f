"""Responses API types, importable where the OpenAI SDK has them
(``kestrel_router.types.responses.Response``, ``ResponseStreamEvent``, ...), plus
Kestrel's ``kestrel`` metadata on finished responses. Output items and stream events are
built as the class their ``type`` names, so ``isinstance`` checks work as with the SDK."""

from __future__ import annotations

from .._models import BaseModel
from .._types import KestrelMetadata
from . import _sdk

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Literal, Mapping, Optional, Union

__all__ = [
    "Response",
    "ResponseError",
    "IncompleteDetails",
    "ResponseUsage",
    "InputTokensDetails",
    "OutputTokensDetails",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseFunctionToolCall",
    "ResponseOutputText",
    "ResponseOutputRefusal",
    "ResponseStreamEvent",
    "ResponseCreatedEvent",
    "ResponseInProgressEvent",
    "ResponseCompletedEvent",
    "ResponseIncompleteEvent",
    "ResponseFailedEvent",
    "ResponseOutputItemAddedEvent",
    "ResponseOutputItemDoneEvent",
    "ResponseContentPartAddedEvent",
    "ResponseContentPartDoneEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "ResponseRefusalDeltaEvent",
    "ResponseRefusalDoneEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseFunctionCallArgumentsDoneEvent",
    "ResponseErrorEvent",
]


class _Tagged(BaseModel):
    """A union member chosen by ``type``: constructing the base builds the subclass."""

    _by_type: Dict[str, type]

    @classmethod
    def _construct(cls, data: Mapping[str, Any]) -> Any:
        klass = cls.__dict__.get("_by_type", {}).get(data.get("type"), cls)
        self = object.__new__(klass)
        self._fill(data)
        return self


# --- content and output items ---------------------------------------------------------------


class ResponseOutputContent(_Tagged):
    type: str


class ResponseOutputText(ResponseOutputContent):
    type: Literal["output_text"]
    text: str
    annotations: List[Any]
    logprobs: Optional[List[Any]]


class ResponseOutputRefusal(ResponseOutputContent):
    type: Literal["refusal"]
    refusal: str


ResponseOutputContent._by_type = {"output_text": ResponseOutputText, "refusal": ResponseOutputRefusal}


class ResponseOutputItem(_Tagged):
    type: str
    id: str
    status: str


class ResponseOutputMessage(ResponseOutputItem):
    type: Literal["message"]
    role: Literal["assistant"]
    content: List[ResponseOutputContent]


class ResponseFunctionToolCall(ResponseOutputItem):
    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str


ResponseOutputItem._by_type = {"message": ResponseOutputMessage, "function_call": ResponseFunctionToolCall}


# --- the response ----------------------------------------------------------------------------


class InputTokensDetails(BaseModel):
    cached_tokens: int


class OutputTokensDetails(BaseModel):
    reasoning_tokens: int


class ResponseUsage(BaseModel):
    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    output_tokens_details: OutputTokensDetails
    total_tokens: int


class ResponseError(BaseModel):
    code: str
    message: str


class IncompleteDetails(BaseModel):
    reason: Optional[Literal["max_output_tokens", "content_filter"]]


class Response(BaseModel):
    """A Response, as ``openai.types.responses.Response``, plus ``kestrel``."""

    id: str
    object: Literal["response"]
    created_at: float
    status: Optional[Literal["completed", "failed", "in_progress", "incomplete"]]
    error: Optional[ResponseError]
    incomplete_details: Optional[IncompleteDetails]
    instructions: Optional[str]
    max_output_tokens: Optional[int]
    model: str
    output: List[ResponseOutputItem]
    parallel_tool_calls: bool
    previous_response_id: Optional[str]
    temperature: Optional[float]
    text: Optional[Dict[str, Any]]
    tool_choice: Any
    tools: List[Dict[str, Any]]
    top_p: Optional[float]
    truncation: Optional[Literal["auto", "disabled"]]
    usage: Optional[ResponseUsage]
    metadata: Optional[Dict[str, str]]
    user: Optional[str]
    store: Optional[bool]
    kestrel: Optional[KestrelMetadata]
    """Routing and cost metadata: set on finished responses."""

    @property
    def output_text(self) -> str:
        """Every ``output_text`` part of every output message, joined (as the SDK's)."""
        texts = []
        for item in self.output or ():
            if isinstance(item, ResponseOutputMessage):
                for part in item.content or ():
                    if isinstance(part, ResponseOutputText):
                        texts.append(part.text)
        return "".join(texts)


# --- stream events ----------------------------------------------------------------------------


class ResponseStreamEvent(_Tagged):
    """Any event of a Responses stream; built as the class its ``type`` names."""

    type: str
    sequence_number: int


class ResponseCreatedEvent(ResponseStreamEvent):
    type: Literal["response.created"]
    response: Response


class ResponseInProgressEvent(ResponseStreamEvent):
    type: Literal["response.in_progress"]
    response: Response


class ResponseCompletedEvent(ResponseStreamEvent):
    type: Literal["response.completed"]
    response: Response


class ResponseIncompleteEvent(ResponseStreamEvent):
    type: Literal["response.incomplete"]
    response: Response


class ResponseFailedEvent(ResponseStreamEvent):
    type: Literal["response.failed"]
    response: Response


class ResponseOutputItemAddedEvent(ResponseStreamEvent):
    type: Literal["response.output_item.added"]
    output_index: int
    item: ResponseOutputItem


class ResponseOutputItemDoneEvent(ResponseStreamEvent):
    type: Literal["response.output_item.done"]
    output_index: int
    item: ResponseOutputItem


class ResponseContentPartAddedEvent(ResponseStreamEvent):
    type: Literal["response.content_part.added"]
    item_id: str
    output_index: int
    content_index: int
    part: ResponseOutputContent


class ResponseContentPartDoneEvent(ResponseStreamEvent):
    type: Literal["response.content_part.done"]
    item_id: str
    output_index: int
    content_index: int
    part: ResponseOutputContent


class ResponseTextDeltaEvent(ResponseStreamEvent):
    type: Literal["response.output_text.delta"]
    item_id: str
    output_index: int
    content_index: int
    delta: str
    logprobs: List[Any]


class ResponseTextDoneEvent(ResponseStreamEvent):
    type: Literal["response.output_text.done"]
    item_id: str
    output_index: int
    content_index: int
    text: str
    logprobs: List[Any]


class ResponseRefusalDeltaEvent(ResponseStreamEvent):
    type: Literal["response.refusal.delta"]
    item_id: str
    output_index: int
    content_index: int
    delta: str


class ResponseRefusalDoneEvent(ResponseStreamEvent):
    type: Literal["response.refusal.done"]
    item_id: str
    output_index: int
    content_index: int
    refusal: str


class ResponseFunctionCallArgumentsDeltaEvent(ResponseStreamEvent):
    type: Literal["response.function_call_arguments.delta"]
    item_id: str
    output_index: int
    delta: str


class ResponseFunctionCallArgumentsDoneEvent(ResponseStreamEvent):
    type: Literal["response.function_call_arguments.done"]
    item_id: str
    output_index: int
    name: str
    arguments: str


class ResponseErrorEvent(ResponseStreamEvent):
    type: Literal["error"]
    code: Optional[str]
    message: str
    param: Optional[str]


ResponseStreamEvent._by_type = {
    "response.created": ResponseCreatedEvent,
    "response.in_progress": ResponseInProgressEvent,
    "response.completed": ResponseCompletedEvent,
    "response.incomplete": ResponseIncompleteEvent,
    "response.failed": ResponseFailedEvent,
    "response.output_item.added": ResponseOutputItemAddedEvent,
    "response.output_item.done": ResponseOutputItemDoneEvent,
    "response.content_part.added": ResponseContentPartAddedEvent,
    "response.content_part.done": ResponseContentPartDoneEvent,
    "response.output_text.delta": ResponseTextDeltaEvent,
    "response.output_text.done": ResponseTextDoneEvent,
    "response.refusal.delta": ResponseRefusalDeltaEvent,
    "response.refusal.done": ResponseRefusalDoneEvent,
    "response.function_call_arguments.delta": ResponseFunctionCallArgumentsDeltaEvent,
    "response.function_call_arguments.done": ResponseFunctionCallArgumentsDoneEvent,
    "error": ResponseErrorEvent,
}

# Every other name `openai.types.responses` has (the `*Param` request types, ...), resolved from the SDK.
if TYPE_CHECKING:
    from openai.types.responses import *  # type: ignore[assignment]  # noqa: E402, F403
else:
    __getattr__ = _sdk.forward(__name__, "openai.types.responses")
