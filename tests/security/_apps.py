"""The app the corpus and the live fuzzers talk to: it records every request that reaches it.

Routes (all of them record `(method, url)` in `app.seen` first):
- `/static/...`   `serve()` of a directory whose parent holds `SECRET` (traversal target)
- `/echo-header`  `ctx.set("X-Echo", query v)`: request data into a response header
- `/boom`         raises with `TRACE_MARKER` in the message (must not reach the client)
- `/hang`         sleeps past the `timeout()` middleware
- `/static/...` that serve() did not answer: 404
- `/back`         `ctx.back("/fallback")` (Referer is attacker input: open-redirect cases)
- `/redirect`     `ctx.redirect(query to)`
- `/whoami`       `protocol://host ip` as koa sees them (app.proxy is off: X-Forwarded-* ignored)
- `/form`         `await ctx.request.form()`, answers the number of fields
- `/json`         `await ctx.request.json()`, answers the type of the value
- anything else   reads the whole body, answers `ok METHOD URL LENGTH`
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from koa import Context, Koa
from koa.middleware import mount, serve, timeout

SECRET = "TOPSECRET-do-not-serve"
TRACE_MARKER = "secret-traceback-marker"
HANG_TIMEOUT = 0.3


def make_static_root(base: Path) -> Path:
    """`base/public` (served) next to `base/secret.txt`, `base/public/.env`, and a symlink out."""
    public = base / "public"
    public.mkdir(parents=True, exist_ok=True)
    (public / "index.html").write_text("<h1>index</h1>")
    (public / "hello.txt").write_text("hello world\n" * 10)
    (public / ".env").write_text(SECRET)
    (base / "secret.txt").write_text(SECRET)
    link = public / "link.txt"
    if not link.exists():
        link.symlink_to(base / "secret.txt")
    return public


def corpus_app(static_root: Path) -> Koa:
    """The recording app (see the module docstring); `app.seen` lists `(method, url)`."""
    app = Koa()
    app.silent = True
    seen: list[tuple[str, str]] = []
    app.seen = seen  # type: ignore[attr-defined]

    async def record(ctx: Context, next: Any) -> None:
        seen.append((ctx.method, ctx.url))
        await next()

    async def routes(ctx: Context, next: Any) -> None:
        path = ctx.path
        if path == "/echo-header":
            ctx.set("X-Echo", str(ctx.query.get("v", "")))
            ctx.body = "echoed"
        elif path == "/boom":
            raise RuntimeError(f"{TRACE_MARKER} at {__file__}")
        elif path == "/hang":
            await asyncio.sleep(30)
        elif path.startswith("/static/"):
            ctx.throw(404)  # serve() found no file: not the generic answer below
        elif path == "/back":
            ctx.back("/fallback")
        elif path == "/redirect":
            ctx.redirect(str(ctx.query.get("to", "/")))
        elif path == "/whoami":
            ctx.body = f"{ctx.protocol}://{ctx.host} {ctx.ip}"
        elif path == "/form":
            form = await ctx.request.form()
            ctx.body = f"fields {len(form)}"
            for value in form.values():
                if hasattr(value, "file"):
                    value.file.close()
        elif path == "/json":
            ctx.body = f"json {type(await ctx.request.json()).__name__}"
        else:
            body = await ctx.request.read()
            ctx.body = f"ok {ctx.method} {ctx.url} {len(body)}"

    app.use(record)
    app.use(mount("/static", serve(static_root)))
    app.use(timeout(HANG_TIMEOUT))
    app.use(routes)
    return app


__all__ = ["HANG_TIMEOUT", "SECRET", "TRACE_MARKER", "corpus_app", "make_static_root"]
