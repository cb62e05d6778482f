"""``Generic`` without importing ``typing`` at run time (it costs more than the rest of
the package's import): type checkers see ``Generic[T]``; at run time ``Stream[X]`` is
``Stream``."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Generic, TypeVar

    T = TypeVar("T")

    class GenericBase(Generic[T]):
        __slots__ = ()

else:
    T = None

    class GenericBase:
        __slots__ = ()

        def __class_getitem__(cls, item):
            return cls
