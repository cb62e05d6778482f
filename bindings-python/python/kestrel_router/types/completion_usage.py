"""As ``openai.types.completion_usage``."""

from .._types import CompletionTokensDetails, CompletionUsage, PromptTokensDetails

__all__ = ["CompletionUsage", "CompletionTokensDetails", "PromptTokensDetails"]
