"""Chat completion types, as ``openai.types.chat`` names them."""

from .. import _sdk

from ..._types import (
    Annotation,
    AnnotationURLCitation,
    ChatCompletion,
    ChatCompletionAudio,
    ChatCompletionChunk,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionTokenLogprob,
    Choice,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    ChoiceDeltaToolCallFunction,
    ChoiceLogprobs,
    ChunkChoice,
    Function,
    FunctionCall,
    ParsedChatCompletion,
    ParsedChoice,
    ParsedChatCompletionMessage,
    ParsedFunctionToolCall,
    ParsedFunction,
    TopLogprob,
)

__all__ = [
    "ChatCompletion",
    "Choice",
    "ChoiceLogprobs",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Function",
    "FunctionCall",
    "ChatCompletionAudio",
    "Annotation",
    "AnnotationURLCitation",
    "ChatCompletionTokenLogprob",
    "TopLogprob",
    "ChatCompletionChunk",
    "ChunkChoice",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ParsedChatCompletion",
    "ParsedChoice",
    "ParsedChatCompletionMessage",
    "ParsedFunctionToolCall",
    "ParsedFunction",
]

TYPE_CHECKING = False

# Every other name `openai.types.chat` has (the `*Param` request types, ...), resolved from the SDK.
if TYPE_CHECKING:
    from openai.types.chat import *  # type: ignore[assignment]  # noqa: E402, F403
else:
    __getattr__ = _sdk.forward(__name__, "openai.types.chat")
