"""The original koa package's `koa.common`: logger, body_parser, router(), static(), mount(), basic_auth().

`logger` and `body_parser` are ready middleware (`app.use(koa.common.logger)`), as they
were; the others are factories. They are koa.middleware's, with the original defaults.
"""
from __future__ import annotations

import base64
import binascii
import inspect
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from koa.context import Context
from koa.middleware.body_parser import body_parser as _body_parser
from koa.middleware.logger import logger as _logger
from koa.middleware.mount import mount as _mount
from koa.middleware.serve import serve
from koa.types import Middleware, Next

if TYPE_CHECKING:
    from koa.router import Router

logger: Middleware = _logger()
"""koa-logger, ready to use: `app.use(koa.common.logger)`."""

body_parser: Middleware = _body_parser(enable_types=("json", "form", "text"))
"""A body parser, ready to use: JSON, urlencoded forms and text into `ctx.request.body`."""


def router() -> Router:
    """A new Router (@koa/router's API: `.get(path, handler)`, `.middleware()`)."""
    from koa.router import Router

    return Router()


def static(root: str | os.PathLike[str]) -> Middleware:
    """koa-static: serve the files under the directory `root` (see koa.middleware.serve)."""
    return serve(root)


def mount(prefix: str, app: Any) -> Middleware:
    """koa-mount: run `app` (an app, a middleware or a list) under `prefix`."""
    return _mount(prefix, app)


def basic_auth(credential_validator: Callable[[str, str], bool | Awaitable[bool]]) -> Middleware:
    """HTTP Basic authentication: `credential_validator(user, password)` (sync or async) must say yes, else 401."""
    if not callable(credential_validator):
        raise TypeError("basic_auth() takes a function (user, password) -> bool")
    challenge = {"WWW-Authenticate": 'Basic realm="Authorization Required"'}

    async def basic_auth_middleware(ctx: Context, next: Next) -> None:  # noqa: A002
        scheme, _, payload = ctx.get("Authorization").partition(" ")
        authenticated = False
        if scheme.lower() == "basic":
            try:
                user, colon, password = base64.b64decode(payload.strip(), validate=True).decode("utf-8").partition(":")
            except (binascii.Error, ValueError):
                colon = ""
            if colon:
                result = credential_validator(user, password)
                authenticated = bool(await result if inspect.isawaitable(result) else result)
        if not authenticated:
            ctx.throw(401, headers=challenge)
        await next()

    return basic_auth_middleware


__all__ = ["basic_auth", "body_parser", "logger", "mount", "router", "static"]
