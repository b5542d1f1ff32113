"""Static files from a directory, like koa-static (on top of send())."""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Literal

from koa.context import Context
from koa.errors import HttpError
from koa.middleware.send import SetHeaders, send_file, send_options
from koa.types import Middleware, Next

_METHODS = frozenset(("GET", "HEAD"))


def serve(
    root: str | os.PathLike[str],
    *,
    index: str | Literal[False] | None = "index.html",
    defer: bool = False,
    hidden: bool = False,
    max_age: float = 0,
    immutable: bool = False,
    brotli: bool = True,
    gzip: bool = True,
    format: bool = True,
    extensions: Iterable[str] | None = None,
    set_headers: SetHeaders | None = None,
    etag: bool = True,
    last_modified: bool = True,
    accept_ranges: bool = True,
) -> Middleware:
    """koa-static: answer GET and HEAD with the file under `root` at `ctx.path`.

    Nothing above `root` is ever served (see send()). A request that finds no file goes
    on downstream; with `defer=True` downstream runs first and the file is sent only
    when nothing answered. `max_age` is in seconds; `index` (None to turn off) is served
    for a directory; dot files stay hidden unless `hidden=True`.
    """
    if not isinstance(root, (str, os.PathLike)) or not os.fspath(root):
        raise TypeError(f"serve() needs the root directory to serve files from, got {root!r}")
    if not os.path.isdir(root):
        raise ValueError(f"serve() root {os.fspath(root)!r} is not a directory")
    options = send_options(
        root=root, index=index, max_age=max_age, immutable=immutable, hidden=hidden, format=format,
        extensions=extensions, brotli=brotli, gzip=gzip, set_headers=set_headers, etag=etag,
        last_modified=last_modified, accept_ranges=accept_ranges,
    )

    async def try_send(ctx: Context) -> bool:
        try:
            return await send_file(ctx, ctx.path, options) is not None
        except HttpError as err:
            if err.status != 404:
                raise
            return False

    if not defer:

        async def serve_middleware(ctx: Context, next: Next) -> None:
            if ctx.method in _METHODS and await try_send(ctx):
                return
            await next()

        return serve_middleware

    async def serve_deferred_middleware(ctx: Context, next: Next) -> None:
        await next()
        if ctx.method not in _METHODS or ctx.body is not None or ctx.status != 404:
            return  # downstream answered
        await try_send(ctx)

    return serve_deferred_middleware
