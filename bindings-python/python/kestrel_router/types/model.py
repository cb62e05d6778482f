"""As ``openai.types.model``."""

from .._types import Model

__all__ = ["Model"]
