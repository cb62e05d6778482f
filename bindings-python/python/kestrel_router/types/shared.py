"""``openai.types.shared`` (``ChatModel``, ``Reasoning``, ...), where modules written against
the SDK import them."""

from openai.types.shared import *  # noqa: F403
