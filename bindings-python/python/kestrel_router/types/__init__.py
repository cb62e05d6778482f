"""Response types, importable where the OpenAI SDK has them (``kestrel_router.types.Model``,
``kestrel_router.types.CompletionUsage``, ``kestrel_router.types.chat.ChatCompletion``, ...), plus
Kestrel's routing and usage types."""

from . import _sdk

from .._types import (
    BaseModel,
    CompletionTokensDetails,
    CompletionUsage,
    KestrelMeta,
    KestrelMetadata,
    Model,
    ModelAnalytics,
    PromptTokensDetails,
    ProviderHealth,
    ProviderStats,
    RouteDecision,
    RoutingMix,
    RoutingScores,
    Scores,
    ReporterStats,
    Savings,
    CacheStats,
    Tier,
    UsageAttempt,
    UsageRecord,
)
from . import chat

__all__ = [
    "chat",
    "BaseModel",
    "Tier",
    "Model",
    "CompletionUsage",
    "CompletionTokensDetails",
    "PromptTokensDetails",
    "KestrelMeta",
    "KestrelMetadata",
    "RoutingScores",
    "Scores",
    "RouteDecision",
    "ReporterStats",
    "Savings",
    "CacheStats",
    "RoutingMix",
    "ModelAnalytics",
    "ProviderStats",
    "UsageRecord",
    "UsageAttempt",
    "ProviderHealth",
]

TYPE_CHECKING = False

# Every other name `openai.types` has (the `*Param` request types, ...), resolved from the SDK.
if TYPE_CHECKING:
    from openai.types import *  # type: ignore[assignment]  # noqa: E402, F403
else:
    __getattr__ = _sdk.forward(__name__, "openai.types")
