"""Conditional GET, like koa-conditional-get: 304 when the client's copy is fresh."""
from __future__ import annotations

from koa.context import Context
from koa.types import Middleware, Next


def conditional() -> Middleware:
    """koa-conditional-get: after downstream, answer 304 without a body when `ctx.fresh`.

    Use it before `etag()` (or anything setting ETag / Last-Modified), so that it runs
    once those headers are known.
    """

    async def conditional_middleware(ctx: Context, next: Next) -> None:
        await next()
        if ctx.fresh:
            ctx.status = 304
            ctx.body = None

    return conditional_middleware
