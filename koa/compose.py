"""koa-compose: turn a list of middleware into one; argument checks and conversion live here."""
from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from koa._speedups import Dispatcher


def to_middleware(fn: Any) -> Callable[..., Awaitable[Any]]:
    """Normalise one middleware so that calling it always returns an awaitable.

    `async def` functions and objects whose `__call__` is async (routers, composed
    stacks, apps) are used as they are; a generator function (`yield from next`, the
    original koa package's style) becomes a coroutine function; any other callable is
    wrapped so that its result is awaited only when it is awaitable.
    """
    if not callable(fn):
        raise TypeError(f"middleware must be a callable (ctx, next), got {fn!r}")
    if isinstance(fn, Dispatcher) or getattr(fn, "_koa_async_middleware", False):
        return fn  # type: ignore[no-any-return]
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None)):
        return fn  # type: ignore[no-any-return]
    if inspect.isgeneratorfunction(fn):
        return types.coroutine(fn)  # type: ignore[no-any-return]

    @functools.wraps(fn)
    async def plain_middleware(ctx: Any, next: Any) -> Any:  # noqa: A002
        result = fn(ctx, next)
        if inspect.isawaitable(result):
            return await result
        return result

    return plain_middleware


def compose(middleware: Iterable[Any]) -> Dispatcher:
    """koa-compose: one middleware `(ctx, next=None)` that runs `middleware` as an onion."""
    if isinstance(middleware, (str, bytes)) or not isinstance(middleware, (list, tuple)):
        raise TypeError(f"compose() takes a list of middleware, got {type(middleware).__name__}")
    return Dispatcher(tuple(to_middleware(fn) for fn in middleware))
