"""As ``openai.types.chat.chat_completion_message``."""

from ..._types import Annotation, AnnotationURLCitation, ChatCompletionMessage, FunctionCall

__all__ = ["ChatCompletionMessage", "Annotation", "AnnotationURLCitation", "FunctionCall"]
