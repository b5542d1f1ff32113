"""koa: Koa.js for Python asyncio: middleware-first, minimal, fast."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from koa._speedups import USING_EXTENSIONS
from koa.application import Koa, current_context
from koa.compose import compose
from koa.context import Context
from koa.errors import HttpError
from koa.request import Request
from koa.response import Response
from koa.router import Router

if TYPE_CHECKING:
    from koa.middleware.mount import mount

__version__ = "1.0.0.dev0"
__speedups__ = USING_EXTENSIONS

__all__ = [
    "Context",
    "HttpError",
    "Koa",
    "Request",
    "Response",
    "Router",
    "__speedups__",
    "__version__",
    "compose",
    "current_context",
    "mount",
]


def __getattr__(name: str) -> Any:
    # koa.mount without importing every middleware module on `import koa`
    if name == "mount":
        from koa.middleware.mount import mount

        return mount
    raise AttributeError(f"module 'koa' has no attribute {name!r}")
