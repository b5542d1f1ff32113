"""Request timeout, like koa-timeout: downstream gets `seconds`, then a 408."""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from koa._status import MESSAGES
from koa.context import Context
from koa.errors import create_error
from koa.types import Middleware, Next


def timeout(
    seconds: float,
    *,
    status: int = 408,
    message: str | None = None,
    callback: Callable[[Context, float], Any] | None = None,
) -> Middleware:
    """koa-timeout: cancel downstream after `seconds` and throw `HttpError(status)`.

    Unlike Node, where the timed-out work keeps running, downstream is really cancelled
    (`asyncio.CancelledError` inside it). `ctx.state.timeout` is set and `callback(ctx,
    seconds)` called (awaited when async) before the error is raised. A streamed body
    is not covered: the timer stops when downstream returns.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"timeout takes a number of seconds, got {seconds!r}")
    if not seconds > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {seconds}")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ValueError(f"status must be an HTTP error status (400-599), got {status!r}")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable (ctx, seconds)")
    text = message if message is not None else MESSAGES.get(status, "Request Timeout")
    limit = float(seconds)

    async def timeout_middleware(ctx: Context, next: Next) -> None:
        timer = asyncio.timeout(limit)
        try:
            async with timer:
                await next()
        except TimeoutError:
            if not timer.expired():
                raise  # a TimeoutError of downstream's own, not ours
            ctx.state.timeout = True
            if callback is not None:
                result = callback(ctx, limit)
                if inspect.isawaitable(result):
                    await result
            raise create_error(status, text) from None

    return timeout_middleware
