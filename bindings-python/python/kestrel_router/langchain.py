"""LangChain integration: ``ChatKestrel``, a chat model that routes every call through Kestrel.

    from kestrel_router.langchain import ChatKestrel
    llm = ChatKestrel(model="gpt-4o")                 # the model is the ceiling
    msg = llm.invoke("What is 2+2?")
    msg.response_metadata["kestrel"]["model"]         # where it went
    msg.usage_metadata                                # tokens

``invoke``/``stream``/``ainvoke``/``astream``, ``bind_tools`` and ``with_structured_output``
(``method="function_calling" | "json_schema" | "json_mode"``) work as with ``ChatOpenAI``.
Needs ``langchain-core``: ``pip install 'kestrel-router[langchain]'``.
"""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Literal, Optional, Sequence, Union

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
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from pydantic import BaseModel, ConfigDict, Field, model_validator
except ImportError as e:  # pragma: no cover - exercised only without langchain-core
    raise ImportError(
        "kestrel_router.langchain needs langchain-core: install it with `pip install 'kestrel-router[langchain]'`"
    ) from e

from ._client import AsyncOpenAI, OpenAI
from ._types import ChatCompletion, ChatCompletionChunk, CompletionUsage

__all__ = ["ChatKestrel"]


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
    return isinstance(obj, type) and issubclass(obj, BaseModel)


class ChatKestrel(BaseChatModel):
    """A LangChain chat model over a Kestrel client: each call goes to the cheapest model
    that can handle it, ``model`` being the ceiling. ``response_metadata["kestrel"]`` holds
    the routing decision and cost; ``usage_metadata`` the token counts.

    Pass ``client=kestrel.OpenAI(...)`` to share a client (and its usage ledger), or
    ``client_options={...}`` (``kestrel.OpenAI`` arguments) to have one built.
    """

    model_name: str = Field(default="gpt-4o", alias="model")
    """The requested model: the most expensive model Kestrel may use."""
    temperature: Optional[float] = None
    max_tokens: Optional[int] = None
    stop: Optional[List[str]] = Field(default=None, alias="stop_sequences")
    timeout: Optional[float] = None
    max_retries: Optional[int] = None
    model_kwargs: Dict[str, Any] = Field(default_factory=dict)
    """Other OpenAI arguments sent with every request (``top_p``, ``seed``, ...)."""
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

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    @model_validator(mode="after")
    def _build_clients(self) -> "ChatKestrel":
        if self.client is None and self.async_client is None:
            self.client = OpenAI(**self.client_options)
        if self.client is None:
            self.client = self.async_client.to_sync()
        if self.async_client is None:
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
        params: Dict[str, Any] = {}
        if self.temperature is not None:
            params["temperature"] = self.temperature
        if self.max_tokens is not None:
            params["max_tokens"] = self.max_tokens
        if self.stop:
            params["stop"] = self.stop
        params.update(self.model_kwargs)
        return params

    def _get_ls_params(self, stop: Optional[List[str]] = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(ls_provider="kestrel", ls_model_name=self.model_name, ls_model_type="chat")
        if self.temperature is not None:
            params["ls_temperature"] = self.temperature
        if self.max_tokens is not None:
            params["ls_max_tokens"] = self.max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

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
            "messages": convert_to_openai_messages(messages),
            **self._default_params,
        }
        if stop is not None:
            params["stop"] = stop
        options = dict(self.kestrel_options or {})
        options.update(kwargs.pop("kestrel", None) or {})
        if options:
            params["kestrel"] = options
        if self.timeout is not None:
            params["timeout"] = self.timeout
        if self.max_retries is not None:
            params["max_retries"] = self.max_retries
        params.update(kwargs)
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
        choice = r.choices[0]
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
            "finish_reason": choice.finish_reason,
            "system_fingerprint": r.system_fingerprint,
            "id": r.id,
        }
        if r.usage is not None:
            response_metadata["token_usage"] = r.usage.model_dump(exclude_none=True)
        if r.kestrel is not None:
            response_metadata["kestrel"] = r.kestrel.model_dump()
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
        generation = ChatGeneration(message=ai, generation_info={"finish_reason": choice.finish_reason})
        return ChatResult(generations=[generation], llm_output={"model_name": r.model, "kestrel": response_metadata.get("kestrel")})

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
                                         system_fingerprint=chunk.system_fingerprint)
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
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Binds tools (OpenAI tool dicts, pydantic classes, functions, LangChain tools).
        ``tool_choice``: ``"auto"``, ``"none"``, ``"required"``/``"any"``, a tool's name, or
        ``True`` (the only tool)."""
        formatted = [convert_to_openai_tool(t, strict=strict) for t in tools]
        if tool_choice is not None and tool_choice is not False:
            if tool_choice is True:
                if len(formatted) != 1:
                    raise ValueError("tool_choice=True needs exactly one tool")
                tool_choice = formatted[0]["function"]["name"]
            if tool_choice == "any":
                tool_choice = "required"
            if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required"):
                tool_choice = {"type": "function", "function": {"name": tool_choice}}
            kwargs["tool_choice"] = tool_choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: Optional[Union[Dict[str, Any], type]] = None,
        *,
        method: Literal["function_calling", "json_schema", "json_mode"] = "function_calling",
        include_raw: bool = False,
        strict: Optional[bool] = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, Union[Dict[str, Any], BaseModel]]:
        """A runnable that returns ``schema``-shaped output: a pydantic instance for a
        pydantic class, else a dict. ``method``: a forced tool call (default), OpenAI's
        ``json_schema`` response format, or ``json_mode`` (schema only used for parsing)."""
        if kwargs:
            raise ValueError(f"unsupported arguments: {sorted(kwargs)}")
        is_pydantic = _is_pydantic_class(schema)
        llm: Runnable[LanguageModelInput, Any]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            if schema is None:
                raise ValueError("method='function_calling' needs a schema")
            name = convert_to_openai_tool(schema)["function"]["name"]
            llm = self.bind_tools([schema], tool_choice=name, strict=strict, parallel_tool_calls=False)
            if is_pydantic:
                parser = PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                raise ValueError("method='json_schema' needs a schema")
            function = convert_to_openai_tool(schema, strict=strict)["function"]
            json_schema: Dict[str, Any] = {"name": function["name"], "schema": function.get("parameters", {})}
            if function.get("description"):
                json_schema["description"] = function["description"]
            if strict is not None:
                json_schema["strict"] = strict
            llm = self.bind(response_format={"type": "json_schema", "json_schema": json_schema})
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        elif method == "json_mode":
            llm = self.bind(response_format={"type": "json_object"})
            parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
        else:
            raise ValueError(f"unknown method {method!r}: use function_calling, json_schema or json_mode")

        if not include_raw:
            return llm | parser
        parse_or_none = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        ).with_fallbacks([RunnablePassthrough.assign(parsed=lambda _: None)], exception_key="parsing_error")
        return RunnableMap(raw=llm) | parse_or_none
