"""Mount an app or middleware under a path prefix, like koa-mount."""
from __future__ import annotations

from typing import Any

from koa.compose import compose, to_middleware
from koa.types import Middleware, Next


def mount(prefix: Any, app: Any = None) -> Middleware:
    """koa-mount: run `app` (a Koa app, a middleware or a list of them) under `prefix`.

    `mount(app)` mounts at `/`. Inside, `ctx.path` has the prefix stripped (`/` at
    least) and `ctx.mount_path` is the prefix; both are restored when the stack
    unwinds and while the mounted stack calls `next` into the rest of the parent's.
    `/images` matches `/images` and `/images/...`, never `/imagesfoo`; `/images/`
    matches only `/images/...`.
    """
    if app is None:
        prefix, app = "/", prefix
    if not isinstance(prefix, str):
        raise TypeError(f"mount prefix must be a str, got {type(prefix).__name__}")
    if not prefix.startswith("/"):
        raise ValueError(f'mount path must begin with "/", got {prefix!r}')
    if isinstance(app, (list, tuple)):
        stack = list(app)
    elif callable(app):
        stack = [app]  # a Koa app is itself (ctx, next) middleware
    else:
        raise TypeError(f"mount() takes a Koa app, a middleware or a list of middleware, got {app!r}")
    if prefix == "/" and len(stack) == 1:
        return to_middleware(stack[0])  # nothing to strip
    # composed, so that the mounted stack gets a `next` it may call or await
    downstream = compose(stack)
    if prefix == "/":
        return downstream

    trailing_slash = prefix.endswith("/")
    size = len(prefix)

    def match(path: str) -> str | None:
        if not path.startswith(prefix):
            return None
        rest = path[size:]
        if trailing_slash:
            return "/" + rest
        if not rest:
            return "/"
        return rest if rest[0] == "/" else None  # `/mount` does not match `/mountfoo`

    async def mount_middleware(ctx: Any, next: Next) -> None:  # Any: ctx.mount_path is ours
        prev = ctx.path
        new_path = match(prev)
        if new_path is None:
            await next()
            return
        prev_mount_path = getattr(ctx, "mount_path", None)
        ctx.mount_path = prefix
        ctx.path = new_path

        async def upstream() -> None:
            ctx.path = prev
            ctx.mount_path = prev_mount_path
            try:
                await next()
            finally:
                ctx.path = new_path
                ctx.mount_path = prefix

        try:
            await downstream(ctx, upstream)
        finally:
            ctx.path = prev
            ctx.mount_path = prev_mount_path

    return mount_middleware
