"""As ``openai.types.chat.chat_completion``."""

from ..._types import ChatCompletion, Choice, ChoiceLogprobs

__all__ = ["ChatCompletion", "Choice", "ChoiceLogprobs"]
