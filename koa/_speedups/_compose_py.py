"""The onion, in pure Python: the readable twin of _compose_c.pyx.

A `Dispatcher` runs a tuple of already-normalised middleware (every entry returns an
awaitable). Each layer gets a `_Next` that is both callable and awaitable, refuses a
second call, and hands back the next layer's coroutine directly: no wrapper coroutine
is allocated per layer.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

_EXHAUSTED = iter(())  # an exhausted iterator stays exhausted: share one


class _Done:
    """Awaitable that finishes at once: what `next()` gives past the innermost layer."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return _EXHAUSTED  # type: ignore[return-value]

    __iter__ = __await__


DONE = _Done()


class _Next:
    __slots__ = ("_stack", "_index", "_ctx", "_outer", "_called")

    def __init__(self, stack: tuple[Callable[..., Awaitable[Any]], ...], index: int, ctx: Any, outer: Any) -> None:
        self._stack = stack
        self._index = index
        self._ctx = ctx
        self._outer = outer
        self._called = False

    def __call__(self) -> Awaitable[Any]:
        if self._called:
            raise RuntimeError("next() called multiple times")
        self._called = True
        stack = self._stack
        index = self._index
        if index == len(stack):
            outer = self._outer
            return DONE if outer is None else outer()
        return stack[index](self._ctx, _Next(stack, index + 1, self._ctx, self._outer))

    def __await__(self) -> Generator[Any, None, Any]:
        awaitable = self()
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware: delegate to it
            return _delegate(awaitable)  # type: ignore[arg-type]

    def __iter__(self) -> Generator[Any, None, Any]:
        # `yield from next` in old-style generator middleware
        awaitable = self()
        try:
            return awaitable.__await__()
        except AttributeError:  # a converted generator middleware iterates itself
            return awaitable  # type: ignore[return-value]


def _delegate(generator: Generator[Any, None, Any]) -> Generator[Any, None, Any]:
    # __await__ may not return the generator itself (CPython sees a coroutine there)
    return (yield from generator)


class Dispatcher:
    """A composed stack: `await dispatcher(ctx)` or use it as middleware `(ctx, next)`."""

    __slots__ = ("middleware",)

    def __init__(self, middleware: tuple[Callable[..., Awaitable[Any]], ...]) -> None:
        self.middleware = middleware

    def __call__(self, ctx: Any, next: Any = None) -> Awaitable[Any]:  # noqa: A002
        stack = self.middleware
        if not stack:
            return DONE if next is None else next()
        return stack[0](ctx, _Next(stack, 1, ctx, next))
