"""X-Response-Time header, like koa-response-time."""
from __future__ import annotations

import time

from koa._headers import check_name
from koa.context import Context
from koa.types import Middleware, Next


def response_time(*, header: str = "X-Response-Time", hrtime: bool = False, digits: int | None = None) -> Middleware:
    """koa-response-time: time everything downstream and report it in milliseconds.

    As in Koa the value is whole milliseconds (`12ms`); `hrtime=True` keeps six decimals
    (nanoseconds), and `digits` picks any other precision.
    """
    check_name(header)
    if digits is None:
        digits = 6 if hrtime else 0
    elif isinstance(digits, bool) or not isinstance(digits, int):
        raise TypeError(f"digits must be an int, got {digits!r}")
    if digits < 0:
        raise ValueError("digits must be >= 0")  # fails at wiring time, not per request
    template = f"{{:.{digits}f}}ms"
    clock = time.perf_counter

    async def response_time_middleware(ctx: Context, next: Next) -> None:
        start = clock()
        await next()
        ctx.set(header, template.format((clock() - start) * 1000))

    return response_time_middleware
