"""Type aliases shared across koa: Middleware, Next."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from koa.context import Context


class Next(Protocol):
    """Koa's `next`: call it (`await next()`) or await it directly (`await next`)."""

    def __call__(self) -> Awaitable[None]: ...

    def __await__(self) -> Generator[Any, None, None]: ...


Middleware = Callable[["Context", Next], Awaitable[Any]]
"""`async def (ctx, next)`: one layer of the onion."""

AnyMiddleware = Callable[..., Any]
"""What `use()` and `compose()` accept: any callable `(ctx, next)`, converted as needed."""
