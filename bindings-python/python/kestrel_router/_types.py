"""Response types, shaped like the OpenAI SDK's (``openai.types.chat.ChatCompletion``, ...)
plus Kestrel's routing metadata and usage views. Plain classes over :class:`BaseModel`:
no pydantic. Absent declared fields read as ``None``; undeclared fields pass through."""

from __future__ import annotations

from ._generic import GenericBase, T
from ._models import BaseModel

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Literal, Optional

    Tier = Literal["economy", "standard", "premium"]
    FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
else:
    Tier = str
    FinishReason = str

__all__ = [
    "BaseModel",
    "Tier",
    # chat.completion
    "ChatCompletion",
    "Choice",
    "ChoiceLogprobs",
    "ChatCompletionTokenLogprob",
    "TopLogprob",
    "ChatCompletionMessage",
    "ChatCompletionMessageToolCall",
    "Function",
    "FunctionCall",
    "ChatCompletionAudio",
    "Annotation",
    "AnnotationURLCitation",
    "CompletionUsage",
    "PromptTokensDetails",
    "CompletionTokensDetails",
    "ParsedChatCompletion",
    "ParsedChoice",
    "ParsedChatCompletionMessage",
    "ParsedFunctionToolCall",
    "ParsedFunction",
    # chat.completion.chunk
    "ChatCompletionChunk",
    "ChunkChoice",
    "ChoiceDelta",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    # Kestrel
    "KestrelMetadata",
    "RoutingScores",
    "RouteDecision",
    "Model",
    "Savings",
    "CacheStats",
    "RoutingMix",
    "ModelAnalytics",
    "ProviderStats",
    "UsageRecord",
    "UsageAttempt",
    "ProviderHealth",
    "ReporterStats",
]


# --- shared --------------------------------------------------------------------------------


class CompletionTokensDetails(BaseModel):
    accepted_prediction_tokens: Optional[int]
    audio_tokens: Optional[int]
    reasoning_tokens: Optional[int]
    rejected_prediction_tokens: Optional[int]


class PromptTokensDetails(BaseModel):
    audio_tokens: Optional[int]
    cached_tokens: Optional[int]


class CompletionUsage(BaseModel):
    """Token counts of one completion."""

    completion_tokens: int
    prompt_tokens: int
    total_tokens: int
    completion_tokens_details: Optional[CompletionTokensDetails]
    prompt_tokens_details: Optional[PromptTokensDetails]


class TopLogprob(BaseModel):
    token: str
    bytes: Optional[List[int]]
    logprob: float


class ChatCompletionTokenLogprob(BaseModel):
    token: str
    bytes: Optional[List[int]]
    logprob: float
    top_logprobs: List[TopLogprob]


class ChoiceLogprobs(BaseModel):
    content: Optional[List[ChatCompletionTokenLogprob]]
    refusal: Optional[List[ChatCompletionTokenLogprob]]


class RoutingScores(BaseModel):
    """The five routing dimensions, each 1 (trivial) to 5 (hardest)."""

    reasoning: int
    output_complexity: int
    domain_specificity: int
    instruction_nuance: int
    error_tolerance: int


class KestrelMetadata(BaseModel):
    """Where Kestrel sent a request, why, and what it cost next to the requested model."""

    requested_model: str
    model: str
    provider: str
    tier: Optional[Tier]
    scores: Optional[RoutingScores]
    confidence: Optional[float]
    reasons: List[str]
    cost_usd: float
    baseline_cost_usd: float
    saved_usd: float
    cache_hit: bool
    cache_layer: Optional[str]
    attempts: int
    latency_ms: float


# --- chat.completion -----------------------------------------------------------------------


# The core's names for the same two types (kestrel::types::KestrelMeta, Scores); the
# TypeScript declarations carry both names too.
KestrelMeta = KestrelMetadata
Scores = RoutingScores


class Function(BaseModel):
    """The function a tool call invokes; ``arguments`` is JSON text."""

    arguments: str
    name: str


class ChatCompletionMessageToolCall(BaseModel):
    id: str
    function: Function
    type: Literal["function"]


class FunctionCall(BaseModel):
    """Deprecated ``function_call`` of a message."""

    arguments: str
    name: str


class ChatCompletionAudio(BaseModel):
    id: str
    data: str
    expires_at: int
    transcript: str


class AnnotationURLCitation(BaseModel):
    end_index: int
    start_index: int
    title: str
    url: str


class Annotation(BaseModel):
    type: Literal["url_citation"]
    url_citation: AnnotationURLCitation


class ChatCompletionMessage(BaseModel):
    """The assistant's message. Append it to ``messages`` as is (or ``.model_dump()``)."""

    content: Optional[str]
    refusal: Optional[str]
    role: Literal["assistant"]
    annotations: Optional[List[Annotation]]
    audio: Optional[ChatCompletionAudio]
    function_call: Optional[FunctionCall]
    tool_calls: Optional[List[ChatCompletionMessageToolCall]]


class Choice(BaseModel):
    finish_reason: FinishReason
    index: int
    logprobs: Optional[ChoiceLogprobs]
    message: ChatCompletionMessage


class ChatCompletion(BaseModel):
    """A chat completion, as ``openai.types.chat.ChatCompletion``, plus ``kestrel``."""

    id: str
    choices: List[Choice]
    created: int
    model: str
    object: Literal["chat.completion"]
    service_tier: Optional[str]
    system_fingerprint: Optional[str]
    usage: Optional[CompletionUsage]
    kestrel: KestrelMetadata
    """Routing and cost metadata: always set on Kestrel's answers."""


# --- parse() ------------------------------------------------------------------------------


class ParsedFunction(Function):
    parsed_arguments: Optional[object]
    """The arguments parsed (a pydantic instance for a pydantic tool), for strict tools."""


class ParsedFunctionToolCall(ChatCompletionMessageToolCall):
    function: ParsedFunction


class ParsedChatCompletionMessage(ChatCompletionMessage, GenericBase[T]):
    parsed: Optional[T]
    """The answer parsed into ``response_format`` (None for a refusal or a tool call)."""
    tool_calls: Optional[List[ParsedFunctionToolCall]]  # type: ignore[assignment]


class ParsedChoice(Choice, GenericBase[T]):
    message: ParsedChatCompletionMessage[T]


class ParsedChatCompletion(ChatCompletion, GenericBase[T]):
    """What ``client.chat.completions.parse(...)`` returns."""

    choices: List[ParsedChoice[T]]  # type: ignore[assignment]


# --- chat.completion.chunk -----------------------------------------------------------------


class ChoiceDeltaFunctionCall(BaseModel):
    arguments: Optional[str]
    name: Optional[str]


class ChoiceDeltaToolCallFunction(BaseModel):
    arguments: Optional[str]
    name: Optional[str]


class ChoiceDeltaToolCall(BaseModel):
    """A fragment of a tool call; fragments with the same ``index`` concatenate."""

    index: int
    id: Optional[str]
    function: Optional[ChoiceDeltaToolCallFunction]
    type: Optional[Literal["function"]]


class ChoiceDelta(BaseModel):
    content: Optional[str]
    function_call: Optional[ChoiceDeltaFunctionCall]
    refusal: Optional[str]
    role: Optional[Literal["developer", "system", "user", "assistant", "tool"]]
    tool_calls: Optional[List[ChoiceDeltaToolCall]]


class ChunkChoice(BaseModel):
    """One choice of a chunk (``openai.types.chat.chat_completion_chunk.Choice``)."""

    delta: ChoiceDelta
    finish_reason: Optional[FinishReason]
    index: int
    logprobs: Optional[ChoiceLogprobs]


class ChatCompletionChunk(BaseModel):
    """One streamed event, as ``openai.types.chat.ChatCompletionChunk``. The stream's last
    chunk carries ``kestrel``; the others have ``kestrel = None``."""

    id: str
    choices: List[ChunkChoice]
    created: int
    model: str
    object: Literal["chat.completion.chunk"]
    service_tier: Optional[str]
    system_fingerprint: Optional[str]
    usage: Optional[CompletionUsage]
    kestrel: Optional[KestrelMetadata]


# --- models --------------------------------------------------------------------------------


class Model(BaseModel):
    """A catalog model reachable with the configured keys (``openai.types.Model`` plus
    Kestrel's catalog facts: tier, prices per million tokens, limits, capabilities)."""

    id: str
    created: int
    object: Literal["model"]
    owned_by: str
    provider: Optional[str]
    tier: Optional[Tier]
    input_per_mtok: Optional[float]
    output_per_mtok: Optional[float]
    cached_input_per_mtok: Optional[float]
    context_window: Optional[int]
    max_output: Optional[int]
    tools: Optional[bool]
    vision: Optional[bool]
    json_mode: Optional[bool]
    json_schema: Optional[bool]
    aliases: Optional[List[str]]


# --- routing and usage ---------------------------------------------------------------------


class RouteDecision(BaseModel):
    """A dry-run routing decision (``client.route(...)``): no provider is called."""

    requested_model: str
    model: str
    provider: str
    tier: Optional[Tier]
    scores: Optional[RoutingScores]
    confidence: Optional[float]
    reasons: List[str]
    plan: List[str]
    """The failover order, by model name; the requested model comes last."""
    input_tokens: int
    expected_output_tokens: int
    estimated_cost_usd: float
    baseline_cost_usd: float
    saved_usd: float


class Savings(BaseModel):
    """Requests so far, what they cost, and what the requested models would have cost."""

    requests: int
    errors: int
    cache_hits: int
    baseline_cost_usd: float
    actual_cost_usd: float
    saved_usd: float
    savings_pct: float


class CacheStats(BaseModel):
    """What the cache (Stage 0) did: hits per layer, misses, bypasses, and what hits saved."""

    exact_hits: int
    semantic_hits: int
    misses: int
    bypasses: int
    hit_rate: float
    saved_usd: float


class ReporterStats(BaseModel):
    """The usage reporter's counters (``client.usage.reporter()``): records the collector
    accepted, queued in memory, waiting on disk, lost to a disk failure, and the last
    upload error (e.g. ``"HTTP 503"``)."""

    sent: int
    pending: int
    spooled: int
    dropped: int
    last_error: Optional[str]


class RoutingMix(BaseModel):
    """How many requests went to each tier (``cache``: answered from cache;
    ``passthrough``: routing off or an unknown model sent where it was asked)."""

    economy: int
    standard: int
    premium: int
    cache: int
    passthrough: int

    @property
    def total(self) -> int:
        return sum(v for v in (self.economy, self.standard, self.premium, self.cache, self.passthrough) if v)

    def shares(self) -> dict[str, float]:
        """Each tier's fraction of the requests (all 0.0 when there were none)."""
        total = self.total
        names = ("economy", "standard", "premium", "cache", "passthrough")
        return {n: ((getattr(self, n) or 0) / total if total else 0.0) for n in names}


class ModelAnalytics(BaseModel):
    """Per routed model: requests, tokens, cost, and the baseline cost of those requests."""

    model: str
    provider: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    baseline_cost_usd: float


class ProviderStats(BaseModel):
    """Per provider: attempts, successes, errors by kind, failovers, latency percentiles."""

    provider: str
    attempts: int
    successes: int
    errors: dict[str, int]
    failovers: int
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float


class UsageAttempt(BaseModel):
    """One call to one provider within a request (failover makes several)."""

    provider: str
    model: str
    latency_ms: float
    error: Optional[str]
    status: Optional[int] = None
    """The HTTP status of a failed call, when the provider answered."""


class UsageRecord(BaseModel):
    """One request, as the usage ledger keeps it (never a prompt, answer or key)."""

    seq: int
    timestamp_ms: int
    tenant: Optional[str] = None
    requested_model: str
    model: str
    provider: str
    tier: Optional[Tier]
    cache_hit: bool
    cache: Optional[str] = None
    """``"exact"``, ``"semantic"``, ``"miss"``, ``"bypass"``; None when the client has no cache."""
    stream: bool
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float
    baseline_cost_usd: float
    latency_ms: float
    attempts: List[UsageAttempt]
    error: Optional[str]
    """The error kind (``"rate_limited"``, ...) when the request failed."""
    endpoint: Optional[str] = None
    """For APIs passed through unrouted: ``"embeddings"``, ``"images.generations"``, ..."""

    @property
    def saved_usd(self) -> float:
        return (self.baseline_cost_usd or 0.0) - (self.cost_usd or 0.0)


class ProviderHealth(BaseModel):
    """A provider's circuit: ``closed`` (healthy), ``open`` (skipped until ``retry_in_ms``
    passes), ``half_open`` (the next request probes it)."""

    provider: str
    configured: bool
    state: Literal["closed", "open", "half_open"]
    consecutive_failures: int
    retry_in_ms: Optional[int]
    key_rejected: bool = False
    """The provider refused the key (401/403): no substitutes go there until it is replaced."""
    retired_models: List[str] = []
    """Models the provider answered 404 ``model_not_found`` for: no longer routed to."""
