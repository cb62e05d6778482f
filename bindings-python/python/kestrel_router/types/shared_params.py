"""``openai.types.shared_params`` (``FunctionDefinition``, ``ResponseFormatJSONSchema``, ...),
where modules written against the SDK import them."""

from openai.types.shared_params import *  # noqa: F403
