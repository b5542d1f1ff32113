"""Run a third-party ASGI app (Starlette, FastAPI, ...) inside a koa app, like koa-mount for ASGI."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from koa.context import Context
from koa.types import Middleware, Next

if TYPE_CHECKING:
    from koa.application import Koa

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

_STREAM_BACKLOG = 16  # body chunks the mounted app may run ahead of the client


def asgi(asgi_app: ASGIApp, *, prefix: str | None = None, lifespan: Koa | None = None) -> Middleware:
    """Answer requests (under `prefix`, when given) with an ASGI 3 app.

    The ASGI app gets an `http` scope built from ctx: the path with `prefix` moved into
    `root_path` (as uvicorn passes it: `path` keeps the full path), the query string, the
    request headers as koa middleware left them, `ctx.ip` and `ctx.protocol` as `client`
    and `scheme`, and `scope["koa.context"]`. Its body is read from `ctx.request.stream()`.
    What it sends becomes ctx.status, headers and ctx.body, so koa middleware around it
    sees the response and may change it; a streamed response (several body messages)
    stays streamed. `prefix` matches as koa-mount's does (`/api` matches `/api` and
    `/api/...`, not `/apifoo`); other requests go to `next`.

    `lifespan`: the koa app whose "startup" and "shutdown" events run the ASGI app's
    lifespan protocol (FastAPI's lifespan and on_event handlers, Starlette's lifespan
    state, which then reaches each request's `scope["state"]`).
    """
    if not callable(asgi_app):
        raise TypeError(f"asgi() takes an ASGI application, got {asgi_app!r}")
    if prefix is not None:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, got {type(prefix).__name__}")
        if not prefix.startswith("/"):
            raise ValueError(f'prefix must begin with "/", got {prefix!r}')
        prefix = prefix.rstrip("/")  # "/" mounts everywhere
    size = len(prefix or "")

    def split(path: str) -> str | None:
        """The path below the prefix, or None when the request is not ours."""
        if not size:
            return path
        if not path.startswith(prefix or ""):
            return None
        rest = path[size:]
        if not rest:
            return ""
        return rest if rest[0] == "/" else None

    runner = _Lifespan(asgi_app) if lifespan is not None else None
    if lifespan is not None and runner is not None:
        lifespan.on("startup", runner.startup).on("shutdown", runner.shutdown)

    async def asgi_middleware(ctx: Context, next: Next) -> None:
        rest = split(ctx.path)
        if rest is None:
            await next()
            return
        scope = _scope(ctx, (prefix or ""), rest)
        if runner is not None:
            scope["state"] = dict(runner.state)
        await _run(asgi_app, ctx, scope)

    return asgi_middleware


class _Lifespan:
    """Drive an ASGI app's lifespan protocol from koa's startup and shutdown events."""

    def __init__(self, asgi_app: ASGIApp) -> None:
        self.asgi_app = asgi_app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Future[None] | None = None

    async def _reply(self, event: str) -> None:
        task = self._task
        if task is None or task.done():
            return
        await self._to_app.put({"type": f"lifespan.{event}"})
        getter = asyncio.ensure_future(self._from_app.get())
        pending: set[asyncio.Future[Any]] = {getter, task}
        try:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            getter.cancel()
        if not getter.done() or getter.cancelled():
            if not task.cancelled() and task.exception() is not None and event == "startup":
                self._task = None  # like uvicorn's "auto": an app without lifespan support is served anyway
            return
        message = getter.result()
        if message["type"] == f"lifespan.{event}.failed":
            raise RuntimeError(f"the mounted ASGI app's {event} failed: {message.get('message', '')}")

    async def startup(self, app: Any) -> None:
        self._to_app = asyncio.Queue()
        self._from_app = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        self._task = asyncio.ensure_future(self.asgi_app(scope, self._to_app.get, self._from_app.put))
        await self._reply("startup")

    async def shutdown(self, app: Any) -> None:
        await self._reply("shutdown")
        task, self._task = self._task, None
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(task, 5.0)
            except (TimeoutError, asyncio.CancelledError):
                pass


def _scope(ctx: Context, prefix: str, rest: str) -> Scope:
    request = ctx.request
    mounted = getattr(ctx, "mount_path", None) or ""  # inside koa's mount(): its prefix comes first
    root_path = mounted.rstrip("/") + prefix
    raw_path = root_path + (rest or ("/" if not root_path else ""))
    client = request.client
    hostname = ctx.hostname
    host = ctx.host
    port = host[len(hostname) + 1:] if host.startswith(hostname) and len(host) > len(hostname) else ""
    scheme = ctx.protocol
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.http_version,
        "method": ctx.method,
        "scheme": scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1", "replace"),
        "query_string": ctx.querystring.encode("latin-1", "replace"),
        "root_path": unquote(root_path),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in request.headers.items()
        ],
        "client": (ctx.ip, client[1] if client else 0),
        "server": (hostname.strip("[]"), int(port) if port.isdigit() else (443 if scheme == "https" else 80)),
        "extensions": {},
        "koa.context": ctx,
    }


async def _run(asgi_app: ASGIApp, ctx: Context, scope: Scope) -> None:
    """Run the ASGI app; return once ctx holds its response (its body maybe still streaming)."""
    finished = asyncio.Event()  # the response is complete: receive() may report a disconnect
    decided = asyncio.Event()  # ctx has the status and headers, and a whole body or a stream
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(_STREAM_BACKLOG)
    body_parts: list[bytes] = []
    state = {"started": False, "streaming": False}
    incoming = _body_messages(ctx)

    async def receive() -> Message:
        if not finished.is_set():
            message = await anext(incoming, None)
            if message is not None:
                return message
            await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if state["started"]:
                raise RuntimeError("ASGI app sent http.response.start twice")
            state["started"] = True
            _apply_head(ctx, message)
        elif kind == "http.response.body":
            if not state["started"] or finished.is_set():
                raise RuntimeError("ASGI app sent a body outside a response")
            body = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if state["streaming"]:
                if body:
                    await chunks.put(body)
                if not more:
                    finished.set()
                    await chunks.put(None)
            elif more:
                state["streaming"] = True
                if body:
                    chunks.put_nowait(body)
                decided.set()
            else:
                body_parts.append(body)
                finished.set()
                decided.set()

    task = asyncio.ensure_future(asgi_app(scope, receive, send))
    waiter = asyncio.ensure_future(decided.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()  # the client left: stop the mounted app too
        raise
    finally:
        waiter.cancel()
    if not decided.is_set():
        task.result()  # its exception, if it raised: koa turns it into the error response
        raise RuntimeError("ASGI app returned without sending a response")
    if not state["streaming"]:
        try:
            await task
        finally:
            finished.set()
        _apply_body(ctx, body_parts[0] if body_parts else b"")
        return
    _apply_body(ctx, _stream(task, chunks, finished))


def _apply_head(ctx: Context, message: Message) -> None:
    response = ctx.response
    response.status = int(message["status"])
    grouped: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for raw_name, raw_value in message.get("headers", ()):
        name = raw_name.decode("latin-1")
        key = name.lower()
        names.setdefault(key, name)
        grouped.setdefault(key, []).append(raw_value.decode("latin-1"))
    for key, values in grouped.items():
        response.set(names[key], values if len(values) > 1 else values[0])


def _apply_body(ctx: Context, body: bytes | AsyncIterator[bytes]) -> None:
    response = ctx.response
    if ctx.method == "HEAD" and isinstance(body, bytes) and not body:
        return  # keep the app's Content-Length: HEAD sends headers only
    # the status is already explicit, so the body setter keeps it; the app's Content-Type
    # stays, and a stream keeps the Content-Length the app announced (else it is chunked)
    response.body = body


async def _body_messages(ctx: Context) -> AsyncIterator[Message]:
    async for chunk in ctx.request.stream():
        yield {"type": "http.request", "body": chunk, "more_body": True}
    yield {"type": "http.request", "body": b"", "more_body": False}


async def _stream(task: asyncio.Future[None], chunks: asyncio.Queue[bytes | None], finished: asyncio.Event) -> Any:
    """The response body of a streaming ASGI app, as koa streams it."""
    try:
        while True:
            if chunks.empty():
                getter: asyncio.Future[bytes | None] = asyncio.ensure_future(chunks.get())
                pending: set[asyncio.Future[Any]] = {getter, task}
                try:
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                except BaseException:
                    getter.cancel()
                    raise
                if not getter.done():
                    getter.cancel()
                    task.result()  # raised: cut the response short (koa reports it)
                    raise RuntimeError("ASGI app returned before finishing its response body")
                chunk = getter.result()
            else:
                chunk = chunks.get_nowait()
            if chunk is None:
                break
            yield chunk
        await task
    finally:
        finished.set()
        if not task.done():
            task.cancel()  # the client left (the generator was closed): stop the app
            with contextlib.suppress(asyncio.CancelledError):
                await task
