"""Starting and stepping a request's coroutine inside its contextvars context: the readable twin of _step_c.pyx.

The transports run a request's coroutine themselves (see koa/transports/_driver.py).
`start()` makes it, inside the request's context, with koa's current-context variable set
there (so that whatever runs as the coroutine is made, and everything after, sees it);
`send()` advances it once and says whether it finished, so that the compiled twin can
do it without raising and catching a StopIteration per request.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from contextvars import Context, ContextVar
from typing import Any


def send(context: Context, coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Send None into `coro` inside `context`: (True, what it returned) or (False, what it yielded)."""
    try:
        return False, context.run(coro.send, None)
    except StopIteration as stop:
        return True, stop.value


def start(context: Context, var: ContextVar[Any], ctx: Any, fn: Callable[[Any], Any]) -> Any:
    """In `context`: set the ContextVar `var` to `ctx`, then call `fn(ctx)`; the awaitable it
    returned, as something send() steps (a coroutine awaiting it, when it is not a coroutine)."""
    awaitable = context.run(_start, var, ctx, fn)
    if isinstance(awaitable, Coroutine):
        return awaitable
    if not isinstance(awaitable, Awaitable):
        raise TypeError(f"object {type(awaitable).__name__} can't be used in 'await' expression")
    return _await(awaitable)


def _start(var: ContextVar[Any], ctx: Any, fn: Callable[[Any], Any]) -> Any:
    var.set(ctx)
    return fn(ctx)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
