"""LangChain integration: ``ChatKestrel``, a chat model that routes every call through Kestrel.

    from kestrel_router.langchain import ChatKestrel
    llm = ChatKestrel(model="gpt-4o")                 # the model is the ceiling
    msg = llm.invoke("What is 2+2?")
    msg.response_metadata["kestrel"]["model"]         # where it went
    msg.usage_metadata                                # tokens

``ChatOpenAI``'s arguments (``api_key``, ``base_url``, ``top_p``, ``seed``, ``n``, ...) mean
the same here; ``invoke``/``stream``/``ainvoke``/``astream``, ``bind_tools`` and
``with_structured_output`` (``method="function_calling" | "json_schema" | "json_mode"``) work as
with ``ChatOpenAI``; LangChain's standard chat-model suites pass (tests/python/test_langchain_standard.py).
Needs ``langchain-core``: ``pip install 'kestrel-router[langchain]'``.
"""

from __future__ import annotations

import difflib
import json
import os
import warnings
from operator import itemgetter
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Literal, Mapping, Optional, Sequence, Union

try:
    from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
    from langchain_core.language_models import LangSmithParams, LanguageModelInput
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, convert_to_openai_messages
    from langchain_core.messages.ai import UsageMetadata
    from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk
    from langchain_core.output_parsers import JsonOutputParser, PydanticOutputParser
    from langchain_core.output_parsers.openai_tools import JsonOutputKeyToolsParser, PydanticToolsParser
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
    from langchain_core.tools import BaseTool
    from langchain_core.utils.function_calling import convert_to_openai_function, convert_to_openai_tool
    from langchain_core.utils.pydantic import is_basemodel_subclass
    from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
    from pydantic.v1 import BaseModel as BaseModelV1
except ImportError as e:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(
        "kestrel_router.langchain needs langchain-core: install it with `pip install 'kestrel-router[langchain]'`"
    ) from e

from ._client import AsyncOpenAI, OpenAI
from ._types import ChatCompletion, ChatCompletionChunk, CompletionUsage

__all__ = ["ChatKestrel"]

# ChatOpenAI options that cannot apply to ChatKestrel, each with what to do instead: a user
# coming from ChatOpenAI learns why rather than having the option silently dropped.
_UNSUPPORTED: Dict[str, str] = {
    "openai_proxy": "Kestrel's HTTP client (in Rust) takes its proxy from HTTPS_PROXY / HTTP_PROXY",
    "http_client": "requests go through Kestrel's HTTP client in Rust, not an httpx client "
    "(headers: default_headers; proxy: HTTPS_PROXY)",
    "http_async_client": "requests go through Kestrel's HTTP client in Rust, not an httpx client "
    "(headers: default_headers; proxy: HTTPS_PROXY)",
    "http_socket_options": "requests go through Kestrel's HTTP client in Rust",
    "stream_chunk_timeout": "`timeout` already bounds the silence between stream chunks",
    "include_response_headers": "a routed answer may come from any provider; see response_metadata['kestrel']",
    "tiktoken_model_name": "ChatKestrel counts tokens with LangChain's default counter",
    "use_previous_response_id": "ChatKestrel uses Chat Completions, not the Responses API",
    "reasoning": "a Responses API option; ChatKestrel uses Chat Completions: use reasoning_effort",
    "include": "a Responses API option; ChatKestrel uses Chat Completions",
    "truncation": "a Responses API option; ChatKestrel uses Chat Completions",
    "context_management": "a Responses API option; ChatKestrel uses Chat Completions",
}


def _openai_request_params() -> "frozenset[str]":
    """Chat Completions request fields, which ChatOpenAI (and so ChatKestrel) moves from
    the constructor into ``model_kwargs``."""
    try:
        from openai.types.chat.completion_create_params import CompletionCreateParamsBase as P

        return frozenset(P.__required_keys__ | P.__optional_keys__) - {"model", "messages", "stream"}
    except (ImportError, AttributeError):  # pragma: no cover - older or newer SDK layouts
        return frozenset({"response_format", "tools", "tool_choice", "parallel_tool_calls", "user", "metadata",
                          "modalities", "audio", "prediction", "web_search_options", "safety_identifier",
                          "prompt_cache_key", "stream_options"})


_OPENAI_REQUEST_PARAMS = _openai_request_params()

_SPELLINGS = {"max_completion_tokens": "max_tokens", "stop_sequences": "stop"}

# Content blocks of other providers' reasoning that no Chat Completions API takes back
# (Anthropic's signed thinking, LangChain's reasoning blocks): replaying them is refused.
_UNSENDABLE_BLOCKS = frozenset({"thinking", "redacted_thinking", "reasoning", "reasoning_content"})
# In an assistant message, LangChain's v1 content repeats the tool calls as blocks; they are
# sent once, as the message's ``tool_calls``.
_TOOL_CALL_BLOCKS = frozenset({"tool_call", "invalid_tool_call", "tool_call_chunk", "tool_use"})

def _usage_metadata(usage: Optional[CompletionUsage]) -> Optional[UsageMetadata]:
    if usage is None:
        return None
    meta = UsageMetadata(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        total_tokens=usage.total_tokens or 0,
    )
    details = usage.prompt_tokens_details
    if details is not None and details.cached_tokens is not None:
        meta["input_token_details"] = {"cache_read": details.cached_tokens}
    out = usage.completion_tokens_details
    if out is not None and out.reasoning_tokens is not None:
        meta["output_token_details"] = {"reasoning": out.reasoning_tokens}
    return meta


def _is_pydantic_class(obj: Any) -> bool:
    # Pydantic v1 classes too: their instances must come back as such, not as dicts.
    return isinstance(obj, type) and is_basemodel_subclass(obj)


def _response_format(schema: Union[Dict[str, Any], type], strict: Optional[bool]) -> Dict[str, Any]:
    """``response_format`` for a schema, as ChatOpenAI builds it (a ready ``json_schema``
    format passes through; anything else becomes one, ``strict`` from the argument or the
    schema)."""
    if isinstance(schema, dict) and schema.get("type") == "json_schema" and "json_schema" in schema:
        return schema
    if isinstance(schema, dict) and "name" in schema and "schema" in schema:
        return {"type": "json_schema", "json_schema": schema}
    if strict is None:
        strict = schema["strict"] if isinstance(schema, dict) and isinstance(schema.get("strict"), bool) else False
    function = convert_to_openai_function(schema, strict=strict)
    function["schema"] = function.pop("parameters")
    return {"type": "json_schema", "json_schema": function}


def _sendable(message: Dict[str, Any]) -> Dict[str, Any]:
    """``message`` as a Chat Completions API takes it back, as ChatOpenAI sends it: without
    reasoning blocks and, in assistant messages, without tool-call blocks or text
    annotations."""
    content = message.get("content")
    if not isinstance(content, list):
        return message
    assistant = message.get("role") == "assistant"
    kept = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind in _UNSENDABLE_BLOCKS or (assistant and kind in _TOOL_CALL_BLOCKS):
            continue
        if assistant and kind == "text":
            block = {k: v for k, v in block.items() if k in ("type", "text", "cache_control")}
        kept.append(block)
    message = dict(message)
    if kept:
        message["content"] = kept
    else:
        message["content"] = None if message.get("tool_calls") else ""
    return message


class ChatKestrel(BaseChatModel):
    """A LangChain chat model over a Kestrel client: each call goes to the cheapest model
    that can handle it, ``model`` being the ceiling. ``response_metadata["kestrel"]`` holds
    the routing decision and cost; ``usage_metadata`` the token counts.

    Takes ``ChatOpenAI``'s arguments (``api_key``, ``base_url``, ``organization``, ``top_p``,
    ``seed``, ``n``, ...; the ``openai_api_key`` / ``openai_api_base`` spellings too). Other
    Chat Completions fields move into ``model_kwargs`` with a warning, as ``ChatOpenAI`` does;
    any other unknown argument is an error.

    Pass ``client=kestrel.OpenAI(...)`` to share a client (and its usage ledger), or
    ``client_options={...}`` (``kestrel.OpenAI`` arguments) to have one built.
    """

    model_name: str = Field(default="gpt-4o", alias="model")
    """The requested model: the most expensive model Kestrel may use."""
    openai_api_key: Optional[Union[SecretStr, Callable[[], str]]] = Field(default=None, alias="api_key")
    """OpenAI's key (default: ``OPENAI_API_KEY``); other providers' keys go in
    ``client_options={"provider_keys": {...}}`` or their environment variables."""
    openai_api_base: Optional[str] = Field(default=None, alias="base_url")
    openai_organization: Optional[str] = Field(default=None, alias="organization")
    default_headers: Optional[Mapping[str, str]] = None
    default_query: Optional[Mapping[str, object]] = None
    request_timeout: Optional[Any] = Field(default=None, alias="timeout")
    """Seconds (or an ``httpx.Timeout``) for each call."""
    max_retries: Optional[int] = None
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    """Also taken as ``max_completion_tokens``."""
    stop: Optional[Union[List[str], str]] = None
    """Also taken as ``stop_sequences``."""
    top_p: Optional[float] = None
    seed: Optional[int] = None
    n: Optional[int] = None
    presence_penalty: Optional[float] = None
    frequency_penalty: Optional[float] = None
    logprobs: Optional[bool] = None
    top_logprobs: Optional[int] = None
    logit_bias: Optional[Dict[int, int]] = None
    reasoning_effort: Optional[str] = None
    verbosity: Optional[str] = None
    service_tier: Optional[str] = None
    store: Optional[bool] = None
    extra_body: Optional[Mapping[str, Any]] = None
    """Merged into every request body."""
    disabled_params: Optional[Dict[str, Any]] = None
    """Parameters never sent, as ChatOpenAI has them: ``{"parallel_tool_calls": None}``
    drops it always, ``{"name": [values]}`` only for those values."""
    use_responses_api: Optional[bool] = None
    """Accepted for ChatOpenAI compatibility; only ``None``/``False`` (Chat Completions)."""
    model_kwargs: Dict[str, Any] = Field(default_factory=dict)
    """Other OpenAI arguments sent with every request."""
    kestrel_options: Optional[Dict[str, Any]] = None
    """Per-request routing options (``routing``, ``floor``, ``ceiling``, ``allow_providers``,
    ``deny_providers``, ``min_confidence``, ``tenant``)."""
    streaming: bool = False
    """``invoke`` streams under the hood (token callbacks fire)."""
    stream_usage: bool = True
    """Ask for the usage chunk when streaming, so streamed messages carry usage_metadata."""
    client_options: Dict[str, Any] = Field(default_factory=dict)
    client: Any = Field(default=None, exclude=True)
    async_client: Any = Field(default=None, exclude=True)

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    @model_validator(mode="before")
    @classmethod
    def _check_arguments(cls, values: Any) -> Any:
        """Unknown arguments are an error (pydantic would drop them, and a mistyped
        ``base_url`` or ``api_key`` would send the call elsewhere with another key); Chat
        Completions fields move into ``model_kwargs`` with a warning, as ChatOpenAI does."""
        if not isinstance(values, dict):
            return values
        known = set()
        for name, field in cls.model_fields.items():
            known.add(name)
            if field.alias:
                known.add(field.alias)
        values = dict(values)
        # ChatOpenAI's other spellings, kept out of the fields so typed callers keep theirs.
        for other, name in _SPELLINGS.items():
            if other in values:
                if name in values:
                    raise ValueError(f"give `{name}` or `{other}`, not both")
                values[name] = values.pop(other)
        extra: Dict[str, Any] = {}
        for key in [k for k in values if k not in known]:
            if key in _UNSUPPORTED:
                raise ValueError(f"ChatKestrel does not take `{key}`: {_UNSUPPORTED[key]}")
            if key in _OPENAI_REQUEST_PARAMS:
                warnings.warn(f"{key} is not a default parameter: it was moved into model_kwargs", UserWarning,
                              stacklevel=2)
                extra[key] = values.pop(key)
                continue
            close = difflib.get_close_matches(key, sorted(known | _OPENAI_REQUEST_PARAMS), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ValueError(f"ChatKestrel got an unknown argument `{key}`{hint}; other OpenAI request fields "
                             "go in model_kwargs, client settings in client_options")
        model_kwargs = dict(values.get("model_kwargs") or {})
        explicit = sorted(k for k in model_kwargs if k in known)
        if explicit:
            raise ValueError(f"pass {explicit} as arguments of ChatKestrel, not inside model_kwargs")
        if extra:
            values["model_kwargs"] = {**model_kwargs, **extra}
        return values

    @model_validator(mode="after")
    def _build_clients(self) -> "ChatKestrel":
        if self.use_responses_api:
            raise ValueError("ChatKestrel routes Chat Completions requests; use_responses_api=True is not supported")
        if self.n is not None and self.n < 1:
            raise ValueError("n must be at least 1")
        if self.n is not None and self.n > 1 and self.streaming:
            raise ValueError("n must be 1 when streaming")
        given = self.client or self.async_client
        if (self.openai_api_key is None and given is None and self.client_options.get("from_env", True)
                and "api_key" not in self.client_options and os.environ.get("OPENAI_API_KEY")):
            # Shown as ChatOpenAI shows it; the client would read the same variable.
            self.openai_api_key = SecretStr(os.environ["OPENAI_API_KEY"])
        settings: Dict[str, Any] = {}
        key = self.openai_api_key
        if isinstance(key, SecretStr):
            settings["api_key"] = key.get_secret_value()
        elif key is not None:
            settings["api_key"] = key
        for name, value in (("base_url", self.openai_api_base), ("organization", self.openai_organization),
                            ("default_headers", self.default_headers), ("default_query", self.default_query)):
            if value is not None:
                settings[name] = value
        if given is not None:
            # Arguments given beside a client apply to it (a copy with them: same ledger
            # unless keys or base URLs change, which need a client of their own).
            if settings:
                self.client = self.client.with_options(**settings) if self.client is not None else None
                self.async_client = (self.async_client.with_options(**settings)
                                     if self.async_client is not None else None)
            if self.client is None:
                self.client = self.async_client.to_sync()
            if self.async_client is None:
                self.async_client = self.client.to_async()
        else:
            clashing = sorted(set(settings) & set(self.client_options))
            if clashing:
                raise ValueError(f"{clashing} given both as arguments and in client_options")
            self.client = OpenAI(**{**self.client_options, **settings})
            self.async_client = self.client.to_async()
        return self

    @property
    def _llm_type(self) -> str:
        return "kestrel-chat"

    @property
    def _identifying_params(self) -> Dict[str, Any]:
        return {"model_name": self.model_name, **self._default_params}

    @property
    def _default_params(self) -> Dict[str, Any]:
        """The request fields set on the model, as ChatOpenAI sends them (an empty ``stop``
        list is no stop)."""
        fields = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": self.stop or None,
            "top_p": self.top_p,
            "seed": self.seed,
            "n": self.n,
            "presence_penalty": self.presence_penalty,
            "frequency_penalty": self.frequency_penalty,
            "logprobs": self.logprobs,
            "top_logprobs": self.top_logprobs,
            "logit_bias": self.logit_bias,
            "reasoning_effort": self.reasoning_effort,
            "verbosity": self.verbosity,
            "service_tier": self.service_tier,
            "store": self.store,
        }
        return {**{k: v for k, v in fields.items() if v is not None}, **self.model_kwargs}

    def _get_ls_params(self, stop: Optional[List[str]] = None, **kwargs: Any) -> LangSmithParams:
        # Per-call values (``model=``, ``temperature=``, ...) win, as in ChatOpenAI: a trace
        # must name the model the call asked for.
        params = {**self._default_params, **kwargs}
        ls = LangSmithParams(ls_provider="kestrel", ls_model_name=params.get("model", self.model_name),
                             ls_model_type="chat")
        if params.get("temperature") is not None:
            ls["ls_temperature"] = params["temperature"]
        max_tokens = params.get("max_tokens") or params.get("max_completion_tokens")
        if max_tokens:
            ls["ls_max_tokens"] = max_tokens
        ls_stop = stop or params.get("stop")
        if ls_stop:
            ls["ls_stop"] = [ls_stop] if isinstance(ls_stop, str) else list(ls_stop)
        return ls

    @property
    def usage(self) -> Any:
        """The client's usage views (``savings()``, ``routing()``, ``records()``, ...)."""
        return self.client.usage

    # --- requests ------------------------------------------------------------------------

    def _params(self, messages: List[BaseMessage], stop: Optional[List[str]], kwargs: Dict[str, Any]) -> Dict[str, Any]:
        kwargs = dict(kwargs)
        kwargs.pop("ls_structured_output_format", None)
        params: Dict[str, Any] = {
            "model": self.model_name,
            "messages": [_sendable(m) for m in convert_to_openai_messages(messages)],
            **self._default_params,
        }
        if stop is not None:
            params["stop"] = stop
        options = dict(self.kestrel_options or {})
        options.update(kwargs.pop("kestrel", None) or {})
        if options:
            params["kestrel"] = options
        if self.request_timeout is not None:
            params["timeout"] = self.request_timeout
        if self.max_retries is not None:
            params["max_retries"] = self.max_retries
        extra_body = {**(self.extra_body or {}), **(kwargs.pop("extra_body", None) or {})}
        if extra_body:
            params["extra_body"] = extra_body
        params.update(kwargs)
        for name, values in (self.disabled_params or {}).items():
            if name in params and (values is None or params[name] in values):
                del params[name]
        return params

    def _stream_params(self, messages: List[BaseMessage], stop: Optional[List[str]],
                       kwargs: Dict[str, Any]) -> Dict[str, Any]:
        params = self._params(messages, stop, kwargs)
        params["stream"] = True
        if self.stream_usage and "stream_options" not in params:
            params["stream_options"] = {"include_usage": True}
        return params

    @staticmethod
    def _result(r: ChatCompletion) -> ChatResult:
        generations = []
        for choice in r.choices:
            message = choice.message
            calls = []
            invalid = []
            for tc in message.tool_calls or []:
                try:
                    args = json.loads(tc.function.arguments or "{}")
                    if not isinstance(args, dict):
                        raise ValueError("tool arguments are not a JSON object")
                    calls.append(tool_call(name=tc.function.name, args=args, id=tc.id))
                except ValueError as e:
                    invalid.append(invalid_tool_call(name=tc.function.name, args=tc.function.arguments, id=tc.id,
                                                     error=str(e)))
            response_metadata: Dict[str, Any] = {
                "model_name": r.model,
                # The answer is in OpenAI's shape whichever provider wrote it, so LangChain
                # reads its content blocks as OpenAI's.
                "model_provider": "openai",
                "finish_reason": choice.finish_reason,
                "system_fingerprint": r.system_fingerprint,
                "id": r.id,
            }
            if r.usage is not None:
                response_metadata["token_usage"] = r.usage.model_dump(exclude_none=True)
            if r.kestrel is not None:
                response_metadata["kestrel"] = r.kestrel.model_dump()
            generation_info: Dict[str, Any] = {"finish_reason": choice.finish_reason}
            logprobs = getattr(choice, "logprobs", None)
            if logprobs is not None:
                dumped = logprobs.model_dump() if hasattr(logprobs, "model_dump") else logprobs
                response_metadata["logprobs"] = generation_info["logprobs"] = dumped
            ai = AIMessage(
                content=message.content or "",
                tool_calls=calls,
                invalid_tool_calls=invalid,
                usage_metadata=_usage_metadata(r.usage),
                response_metadata=response_metadata,
                id=r.id,
            )
            if message.refusal:
                ai.additional_kwargs["refusal"] = message.refusal
            generations.append(ChatGeneration(message=ai, generation_info=generation_info))
        kestrel = r.kestrel.model_dump() if r.kestrel is not None else None
        return ChatResult(generations=generations, llm_output={"model_name": r.model, "kestrel": kestrel})

    @staticmethod
    def _chunk(chunk: ChatCompletionChunk) -> Optional[ChatGenerationChunk]:
        content = ""
        call_chunks = []
        response_metadata: Dict[str, Any] = {}
        generation_info: Optional[Dict[str, Any]] = None
        if chunk.choices:
            choice = chunk.choices[0]
            delta = choice.delta
            content = delta.content or ""
            for tc in delta.tool_calls or []:
                fn = tc.function
                call_chunks.append(tool_call_chunk(name=fn.name if fn else None, args=fn.arguments if fn else None,
                                                   id=tc.id, index=tc.index))
            if choice.finish_reason:
                # Once per stream: LangChain concatenates string metadata across chunks.
                response_metadata.update(finish_reason=choice.finish_reason, model_name=chunk.model,
                                         model_provider="openai", system_fingerprint=chunk.system_fingerprint)
                generation_info = {"finish_reason": choice.finish_reason}
        if chunk.kestrel is not None:
            response_metadata["kestrel"] = chunk.kestrel.model_dump()
        usage = _usage_metadata(chunk.usage)
        if not (content or call_chunks or response_metadata or usage):
            if not chunk.choices:
                return None
        message = AIMessageChunk(content=content, tool_call_chunks=call_chunks, usage_metadata=usage,
                                 response_metadata=response_metadata, id=chunk.id)
        return ChatGenerationChunk(message=message, generation_info=generation_info)

    def _generate(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            from langchain_core.language_models.chat_models import generate_from_stream

            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        r = self.client.chat.completions.create(**self._params(messages, stop, kwargs))
        return self._result(r)

    async def _agenerate(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            from langchain_core.language_models.chat_models import agenerate_from_stream

            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        r = await self.async_client.chat.completions.create(**self._params(messages, stop, kwargs))
        return self._result(r)

    def _stream(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[CallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self.client.chat.completions.create(**self._stream_params(messages, stop, kwargs)) as stream:
            for chunk in stream:
                generation = self._chunk(chunk)
                if generation is None:
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation

    async def _astream(
        self,
        messages: List[BaseMessage],
        stop: Optional[List[str]] = None,
        run_manager: Optional[AsyncCallbackManagerForLLMRun] = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        stream = await self.async_client.chat.completions.create(**self._stream_params(messages, stop, kwargs))
        async with stream:
            async for chunk in stream:
                generation = self._chunk(chunk)
                if generation is None:
                    continue
                if run_manager is not None:
                    await run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation

    # --- tools and structured output -----------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[Union[Dict[str, Any], type, Callable[..., Any], BaseTool]],
        *,
        tool_choice: Optional[Union[str, bool, Dict[str, Any]]] = None,
        strict: Optional[bool] = None,
        parallel_tool_calls: Optional[bool] = None,
        response_format: Optional[Union[Dict[str, Any], type]] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Binds tools (OpenAI tool dicts, pydantic classes, functions, LangChain tools) as
        ``ChatOpenAI.bind_tools`` does. ``tool_choice``: ``"auto"``, ``"none"``,
        ``"required"``/``"any"``/``True``, or a tool's name; ``response_format``: a schema
        for the answer when the model calls no tool (strict unless ``strict=False``)."""
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        if response_format is not None and strict is not False:
            strict = True
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        names = [t["function"]["name"] for t in formatted if "function" in t]
        if tool_choice:
            if tool_choice is True or tool_choice == "any":
                tool_choice = "required"
            elif isinstance(tool_choice, str) and tool_choice in names:
                tool_choice = {"type": "function", "function": {"name": tool_choice}}
            elif isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required"):
                raise ValueError(f"tool_choice {tool_choice!r} is not one of the tools {names}")
            kwargs["tool_choice"] = tool_choice
        if response_format is not None:
            if (isinstance(response_format, dict) and response_format.get("type") == "json_schema"
                    and "schema" in response_format.get("json_schema", {})):
                strict = response_format["json_schema"].get("strict")
                response_format = response_format["json_schema"]["schema"]
            kwargs["response_format"] = _response_format(response_format, strict)
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Optional[Union[Dict[str, Any], type]] = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: Optional[bool] = None,
        tools: Optional[List[Any]] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Union[Dict[str, Any], BaseModel]]:
        """A runnable that returns ``schema``-shaped output: an instance for a pydantic class
        (v1 or v2), else a dict. ``method``: a forced tool call (default), OpenAI's
        ``json_schema`` response format, or ``json_mode`` (schema only used for parsing).
        As in ``ChatOpenAI``, the schema is bound as ``ls_structured_output_format`` (so
        tracers and callbacks see it) and other ``kwargs`` are bound to the model."""
        if strict is not None and method == "json_mode":
            raise ValueError("strict is not supported with method='json_mode'")
        is_pydantic = _is_pydantic_class(schema)
        if method == "json_schema" and is_pydantic and issubclass(schema, BaseModelV1):  # type: ignore[arg-type]
            warnings.warn("pydantic v1 models are not supported by method='json_schema'; "
                          "using method='function_calling'", stacklevel=2)
            method = "function_calling"
        llm: Runnable[LanguageModelInput, Any]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            if schema is None:
                raise ValueError("method='function_calling' needs a schema")
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, strict=strict, parallel_tool_calls=False,
                                  ls_structured_output_format={"kwargs": {"method": method, "strict": strict},
                                                               "schema": schema},
                                  **kwargs)
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                raise ValueError("method='json_schema' needs a schema")
            bound: Dict[str, Any] = {
                "response_format": _response_format(schema, strict),
                "ls_structured_output_format": {"kwargs": {"method": method, "strict": strict},
                                                "schema": convert_to_openai_tool(schema)},
                **kwargs,
            }
            if tools:
                bound["tools"] = [convert_to_openai_tool(t, strict=strict) for t in tools]
            llm = self.bind(**bound)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        elif method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"},
                            ls_structured_output_format={"kwargs": {"method": method}, "schema": schema}, **kwargs)
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown method {method!r}: use function_calling, json_schema or json_mode")

        if not include_raw:
            return llm | parser
        parse_or_none = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        ).with_fallbacks([RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error")
        return RunnableMap(raw=llm) | parse_or_none
