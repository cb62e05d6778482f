"""As ``openai.types.chat.chat_completion_message_tool_call``."""

from ..._types import ChatCompletionMessageToolCall, Function

__all__ = ["ChatCompletionMessageToolCall", "Function"]
