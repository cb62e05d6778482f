"""Response types, importable where the OpenAI SDK has them (``kestrel.types.Model``,
``kestrel.types.CompletionUsage``, ``kestrel.types.chat.ChatCompletion``, ...), plus
Kestrel's routing and usage types."""

from .._types import (
    AsyncPage,
    BaseModel,
    CompletionTokensDetails,
    CompletionUsage,
    KestrelMetadata,
    Model,
    ModelAnalytics,
    PromptTokensDetails,
    ProviderHealth,
    ProviderStats,
    RouteDecision,
    RoutingMix,
    RoutingScores,
    ReporterStats,
    Savings,
    SyncPage,
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
    "SyncPage",
    "AsyncPage",
    "CompletionUsage",
    "CompletionTokensDetails",
    "PromptTokensDetails",
    "KestrelMetadata",
    "RoutingScores",
    "RouteDecision",
    "ReporterStats",
    "Savings",
    "RoutingMix",
    "ModelAnalytics",
    "ProviderStats",
    "UsageRecord",
    "UsageAttempt",
    "ProviderHealth",
]
