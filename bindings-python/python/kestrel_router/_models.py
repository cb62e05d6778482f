"""A small attribute-access model for JSON objects, standing in for the OpenAI SDK's
pydantic models without depending on pydantic (or importing ``typing`` at run time).

A subclass declares its fields as class annotations::

    class Function(BaseModel):
        name: str
        arguments: str

Instances are built from dicts, recursively (``list[Choice]``, ``Choice | None`` and
``dict[str, Choice]`` annotations convert nested dicts); a declared field absent from the
data reads as ``None``; keys the class does not declare are kept and readable as
attributes (``r.choices[0].message.reasoning_content``); any other name raises
``AttributeError``. ``model_dump``/``model_dump_json``/``to_dict``/``to_json`` behave as in
the SDK: the first two include every declared field, the last two only the fields that
were present (``exclude_unset``).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, ClassVar, Dict, Mapping, Optional, TypeVar

    _M = TypeVar("_M", bound="BaseModel")
    _Conv = Optional[Callable[[Any], Any]]

__all__ = ["BaseModel"]

_json_mod: Any = None


def _json() -> Any:
    global _json_mod
    if _json_mod is None:
        import json

        _json_mod = json
    return _json_mod


def _split_top(text: str, sep: str) -> list[str]:
    """Splits ``text`` on ``sep`` outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _converter(annotation: str, ns: Mapping[str, Any]) -> _Conv:
    """A function turning raw JSON into the annotated type, or None when the raw value is
    already right (str, int, Literal[...], Any, ...)."""
    ann = annotation.strip()
    if ann.startswith("Optional[") and ann.endswith("]"):
        ann = ann[len("Optional[") : -1]
    options = [p for p in _split_top(ann, "|") if p != "None"]
    if len(options) != 1:
        return None
    ann = options[0]
    head, _, rest = ann.partition("[")
    if rest:
        inner = rest[:-1]
        if head in ("list", "List", "Sequence"):
            item = _converter(inner, ns)
            if item is None:
                return None

            def convert_list(value: Any, item: Callable[[Any], Any] = item) -> Any:
                return [item(v) for v in value] if isinstance(value, list) else value

            return convert_list
        if head in ("dict", "Dict", "Mapping"):
            key_val = _split_top(inner, ",")
            val = _converter(key_val[-1], ns) if len(key_val) == 2 else None
            if val is None:
                return None

            def convert_dict(value: Any, val: Callable[[Any], Any] = val) -> Any:
                return {k: val(v) for k, v in value.items()} if isinstance(value, dict) else value

            return convert_dict
        # A generic model (`ParsedChoice[T]`): convert as the model.
        ann = head
    model = ns.get(ann)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    construct = model._construct

    def convert_model(value: Any) -> Any:
        return construct(value) if isinstance(value, dict) else value

    return convert_model


def _dump(value: Any, exclude_none: bool, exclude_unset: bool) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=exclude_none, exclude_unset=exclude_unset)
    if not isinstance(value, (str, int, float, list, dict)) and callable(getattr(value, "model_dump", None)):
        # A pydantic object (`message.parsed` of `parse()`): its JSON-shaped dump.
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v, exclude_none, exclude_unset) for v in value]
    if isinstance(value, dict):
        return {k: _dump(v, exclude_none, exclude_unset) for k, v in value.items()}
    return value


class BaseModel:
    """Base of every response type: attribute access, ``None`` for absent declared fields,
    pass-through of undeclared ones, SDK-style dumping, readable ``repr`` and ``==``."""

    # `_fields_set`: the keys present in the source data (plus fields assigned since);
    # `_extra_shadowed`: undeclared keys whose names clash with a method (kept here, not
    # as attributes, so `model_dump` stays a method).
    __slots__ = ("__dict__", "_fields_set", "_extra_shadowed", "_kestrel_request_id")

    _fields_set: set[str]
    _extra_shadowed: dict[str, Any] | None
    _kestrel_request_id: Optional[str]
    __kestrel_fields__: ClassVar[Dict[str, _Conv]]

    def __init__(self, **data: Any) -> None:
        self._fill(data)

    # Pydantic (serializing an SDK object that holds one of these, e.g. the ``kestrel``
    # metadata on a completion of ``chat.completions.stream``) dumps it as its dict.
    __pydantic_serializer__: ClassVar[Any]

    # --- construction --------------------------------------------------------------------

    @classmethod
    def _fields(cls) -> dict[str, _Conv]:
        """Declared field name -> converter, resolved on first use (every class it refers
        to is defined by then)."""
        fields = cls.__dict__.get("__kestrel_fields__")
        if fields is None:
            fields = {}
            for klass in reversed(cls.__mro__):
                if "__annotations__" not in klass.__dict__ and "__annotate__" not in klass.__dict__:
                    continue
                annotations = klass.__annotations__
                module = sys.modules.get(klass.__module__)
                ns = vars(module) if module is not None else {}
                for name, ann in annotations.items():
                    if name.startswith("_") or not isinstance(ann, str) or ann.startswith("ClassVar"):
                        continue
                    fields[name] = _converter(ann, ns)
            cls.__kestrel_fields__ = fields
        return fields

    @classmethod
    def _construct(cls: type[_M], data: Mapping[str, Any]) -> _M:
        """Builds an instance from decoded JSON without copying it first."""
        self = object.__new__(cls)
        self._fill(data)
        return self

    def _fill(self, data: Mapping[str, Any]) -> None:
        fields = type(self)._fields()
        d = self.__dict__
        for name, convert in fields.items():
            value = data.get(name)
            if value is not None and convert is not None:
                value = convert(value)
            d[name] = value
        shadowed: dict[str, Any] | None = None
        if not data.keys() <= fields.keys():
            cls = type(self)
            for key, value in data.items():
                if key in fields:
                    continue
                if hasattr(cls, key) or key.startswith("__"):
                    if shadowed is None:
                        shadowed = {}
                    shadowed[key] = value
                else:
                    d[key] = value
        object.__setattr__(self, "_fields_set", set(data))
        object.__setattr__(self, "_extra_shadowed", shadowed)

    @classmethod
    def model_validate(cls: type[_M], obj: Any) -> _M:
        """Builds an instance from a mapping (or returns an instance unchanged)."""
        if isinstance(obj, cls):
            return obj
        if not isinstance(obj, dict):
            if hasattr(obj, "items"):
                obj = dict(obj.items())
            else:
                raise TypeError(f"{cls.__name__}.model_validate expects a mapping, got {type(obj).__name__}")
        return cls._construct(obj)

    @classmethod
    def model_validate_json(cls: type[_M], data: str | bytes) -> _M:
        return cls.model_validate(_json().loads(data))

    @classmethod
    def construct(cls: type[_M], **data: Any) -> _M:
        return cls._construct(data)

    model_construct = construct

    # --- attributes ----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_fields_set", "_extra_shadowed", "_request_id"):
            object.__setattr__(self, name, value)
            return
        self.__dict__[name] = value
        self._fields_set.add(name)

    @property
    def _request_id(self) -> Optional[str]:
        """The provider's id for the request that produced this object (its
        ``x-request-id``, Anthropic's ``request-id``), as the SDK sets it on top-level
        answers; ``None`` elsewhere and for answers from the cache. Never dumped."""
        try:
            rid: Optional[str] = self._kestrel_request_id
        except AttributeError:
            return None
        return rid

    @_request_id.setter
    def _request_id(self, value: Optional[str]) -> None:
        object.__setattr__(self, "_kestrel_request_id", value)

    @property
    def model_fields_set(self) -> set[str]:
        """The names of the fields present in the data or assigned since."""
        return self._fields_set

    @property
    def model_extra(self) -> dict[str, Any]:
        """The undeclared (pass-through) fields."""
        fields = type(self)._fields()
        extra = {k: v for k, v in self.__dict__.items() if k not in fields}
        if self._extra_shadowed:
            extra.update(self._extra_shadowed)
        return extra

    # --- dumping -------------------------------------------------------------------------

    def model_dump(
        self,
        *,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        mode: str = "python",
        by_alias: bool = True,
        **_ignored: Any,
    ) -> dict[str, Any]:
        """Every declared field (``None`` when absent) and every pass-through field, as
        plain dicts and lists. ``exclude_unset=True`` keeps only the fields that were present."""
        items = list(self.__dict__.items())
        if self._extra_shadowed:
            items.extend(self._extra_shadowed.items())
        out: dict[str, Any] = {}
        fields_set = self._fields_set
        for key, value in items:
            if exclude_unset and key not in fields_set:
                continue
            if exclude_none and value is None:
                continue
            out[key] = _dump(value, exclude_none, exclude_unset)
        return out

    def model_dump_json(
        self, *, indent: int | None = None, exclude_none: bool = False, exclude_unset: bool = False, **_ignored: Any
    ) -> str:
        """JSON text of :meth:`model_dump` (compact unless ``indent`` is given)."""
        data = self.model_dump(exclude_none=exclude_none, exclude_unset=exclude_unset)
        if indent is None:
            return str(_json().dumps(data, separators=(",", ":"), ensure_ascii=False))
        return str(_json().dumps(data, indent=indent, ensure_ascii=False))

    def to_dict(self, *, exclude_none: bool = False, exclude_unset: bool = True, **_ignored: Any) -> dict[str, Any]:
        """The data as a dict: by default only the fields that were present, as the SDK does."""
        return self.model_dump(exclude_none=exclude_none, exclude_unset=exclude_unset)

    def to_json(
        self, *, indent: int | None = 2, exclude_none: bool = False, exclude_unset: bool = True, **_ignored: Any
    ) -> str:
        """JSON text of :meth:`to_dict`, indented by 2 by default."""
        return self.model_dump_json(indent=indent, exclude_none=exclude_none, exclude_unset=exclude_unset)

    # --- protocol ------------------------------------------------------------------------

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self.__dict__.items()]
        if self._extra_shadowed:
            parts.extend(f"{k}={v!r}" for k, v in self._extra_shadowed.items())
        return f"{type(self).__name__}({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, BaseModel)
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]  # mutable, like pydantic models

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.model_dump(exclude_unset=True)))

    def __copy__(self: _M) -> _M:
        return type(self)._construct(self.model_dump(exclude_unset=True))


def _restore(cls: type[_M], data: dict[str, Any]) -> _M:
    return cls._construct(data)


class _PydanticSerializer:
    """``BaseModel.__pydantic_serializer__``: what pydantic-core looks up on a value of a
    type it does not know before giving up; answering with a serializer that calls
    ``model_dump`` makes our models dumpable inside the SDK's pydantic models. Built on
    first use (only pydantic asks), so importing this module never imports pydantic."""

    _serializer: Any = None

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            raise AttributeError("__pydantic_serializer__")
        serializer = _PydanticSerializer._serializer
        if serializer is None:
            from pydantic_core import SchemaSerializer, core_schema

            serializer = SchemaSerializer(
                core_schema.any_schema(
                    serialization=core_schema.plain_serializer_function_ser_schema(
                        lambda value: value.model_dump(), when_used="always"
                    )
                )
            )
            _PydanticSerializer._serializer = serializer
        return serializer


BaseModel.__pydantic_serializer__ = _PydanticSerializer()
