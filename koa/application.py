"""Koa: use(), callback(), listen(), create_server(), events and respond() (Koa's lib/application.js)."""
from __future__ import annotations

import asyncio
import contextvars
import inspect
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from koa._speedups import Dispatcher
from koa._status import EMPTY
from koa.compose import compose, to_middleware
from koa.context import Context, print_error
from koa.request import Request
from koa.response import BYTES, FILE, JSON, NONE, STREAM, TEXT, Response, encode_json, length_entry

if TYPE_CHECKING:
    from koa.transports.server import Server

_current: contextvars.ContextVar[Context | None] = contextvars.ContextVar("koa_context", default=None)
_set_current, _reset_current = _current.set, _current.reset  # perf: bound once, used per request

DEFAULT_MAX_BODY_SIZE = 1024 * 1024
# async event handlers started by emit(): keep a reference until they finish
_background: set[asyncio.Future[Any]] = set()


def current_context() -> Context | None:
    """The Context of the request being handled (Koa's app.currentContext), or None."""
    return _current.get()


class Koa:
    """A Koa application: a stack of middleware plus the settings shared by its requests."""

    def __init__(
        self,
        *,
        env: str | None = None,
        keys: list[str] | None = None,
        proxy: bool = False,
        subdomain_offset: int = 2,
        proxy_ip_header: str = "X-Forwarded-For",
        max_ips_count: int = 0,
        silent: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    ) -> None:
        self.env = env or os.environ.get("KOA_ENV") or "development"
        self.keys = keys
        self.proxy = proxy
        self.subdomain_offset = subdomain_offset
        self.proxy_ip_header = proxy_ip_header
        self.max_ips_count = max_ips_count
        self.silent = silent
        self.max_body_size = max_body_size
        self.middleware: list[Callable[..., Awaitable[Any]]] = []
        # per-app prototypes: `app.context.db = db` shows as ctx.db in this app only
        self.context: type[Context] = type("Context", (Context,), {"__module__": __name__})
        self.request: type[Request] = type("Request", (Request,), {"__module__": __name__})
        self.response: type[Response] = type("Response", (Response,), {"__module__": __name__})
        self._listeners: dict[str, list[Callable[..., Any]]] = {}
        self._fn: Dispatcher | None = None
        self._started = False

    # -- middleware ------------------------------------------------------------------
    def use(self, fn: Any) -> Koa:
        """Add a middleware `(ctx, next)` to the stack; returns the app (chainable)."""
        if not callable(fn):
            raise TypeError(f"middleware must be a callable (ctx, next), got {fn!r}")
        self.middleware.append(to_middleware(fn))
        self._fn = None
        return self

    def callback(self) -> Callable[[Context], Awaitable[Any]]:
        """The request handler the transports call: `await handler(ctx)` settles ctx.response."""
        return self.handle

    def _composed(self) -> Dispatcher:
        fn = self._fn
        if fn is None:
            fn = self._fn = compose(self.middleware)
        return fn

    # -- events ----------------------------------------------------------------------
    def on(self, event: str, handler: Callable[..., Any]) -> Koa:
        """Listen for "error" `(err, ctx)`, "startup" and "shutdown" `(app)`."""
        if not callable(handler):
            raise TypeError(f"event handler must be callable, got {handler!r}")
        self._listeners.setdefault(event, []).append(handler)
        return self

    def off(self, event: str, handler: Callable[..., Any]) -> Koa:
        """Remove a listener added with on()."""
        handlers = self._listeners.get(event, [])
        if handler in handlers:
            handlers.remove(handler)
        return self

    def listeners(self, event: str) -> list[Callable[..., Any]]:
        """The handlers of `event`."""
        return list(self._listeners.get(event, ()))

    def emit(self, event: str, *args: Any) -> bool:
        """Call the handlers of `event`; an "error" with no listener goes to app.onerror."""
        handlers = self._listeners.get(event)
        if not handlers:
            if event == "error" and args:
                self.onerror(args[0])
            return False
        for handler in list(handlers):
            result = handler(*args)
            if inspect.isawaitable(result):
                _background.add(task := asyncio.ensure_future(result))
                task.add_done_callback(_background.discard)
        return True

    async def emit_async(self, event: str, *args: Any) -> None:
        """Call the handlers of `event` in order, awaiting the async ones."""
        for handler in list(self._listeners.get(event, ())):
            result = handler(*args)
            if inspect.isawaitable(result):
                await result

    async def startup(self) -> None:
        """Run the "startup" handlers once (every transport calls this before serving)."""
        if not self._started:
            self._started = True
            await self.emit_async("startup", self)

    async def shutdown(self) -> None:
        """Run the "shutdown" handlers once."""
        if self._started:
            self._started = False
            await self.emit_async("shutdown", self)

    def onerror(self, err: BaseException, ctx: Context | None = None) -> None:
        """Koa's default error reporter: the traceback to stderr, unless expected."""
        if not isinstance(err, BaseException):
            raise TypeError(f"non-error thrown: {err!r}")
        if getattr(err, "status", None) == 404 or getattr(err, "expose", False) is True:
            return
        if self.silent:
            return
        print_error(err)

    # -- requests --------------------------------------------------------------------
    def create_context(self, request: Request) -> Context:
        """Wire a Context, its Request and a fresh Response (Koa's createContext)."""
        return self.context(self, request, self.response())

    async def handle(self, ctx: Context) -> Any:
        """Run the middleware on `ctx` and settle the response (Koa's handleRequest).

        Returns what the transport must send as the body: None, bytes, or the stream
        or file object of a streamed body; `False` when `ctx.respond` is False.
        """
        fn = self._fn or self._composed()
        token = _set_current(ctx)
        try:
            await fn(ctx)
            return respond(ctx)
        except Exception as err:  # noqa: BLE001 - every error becomes a response
            ctx.onerror(err)
            return respond(ctx)
        finally:
            _reset_current(token)

    # -- ASGI and composition ------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any = None) -> Any:
        """ASGI 3 entry point; called as `(ctx, next)` the app is middleware of another app."""
        if send is None:
            # mounted inside another app: run our stack on the parent's ctx
            return await (self._fn or self._composed())(scope, receive)
        from koa.transports.asgi import serve_asgi

        await serve_asgi(self, scope, receive, send)
        return None

    # -- servers ---------------------------------------------------------------------
    def listen(self, port: int = 3000, host: str = "127.0.0.1", **server_options: Any) -> None:
        """Serve until SIGINT/SIGTERM on uvloop (when installed) + httptools."""
        from koa.transports.server import run

        run(self, host=host, port=port, **server_options)

    async def create_server(
        self, host: str = "127.0.0.1", port: int = 0, *, transport: str = "httptools", **server_options: Any
    ) -> Server:
        """Start serving inside the running loop; returns the Server."""
        from koa.transports.server import create_server

        return await create_server(self, host, port, transport=transport, **server_options)

    @property
    def get_http_request_handler(self) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server()` (the original koa package's way)."""
        from koa.transports.server import protocol_factory

        # (a C type when compiled, so not an asyncio.Protocol subclass; the loop needs only the methods)
        return cast("Callable[[], asyncio.Protocol]", protocol_factory(self))

    def to_json(self) -> dict[str, Any]:
        """Koa's app.toJSON(): subdomain_offset, proxy and env."""
        return {"subdomain_offset": self.subdomain_offset, "proxy": self.proxy, "env": self.env}

    inspect = to_json

    def __repr__(self) -> str:
        return f"<Koa env={self.env!r} middleware={len(self.middleware)}>"


def respond(ctx: Context) -> Any:
    """Koa's respond(): settle status, headers and body; give the transport the payload.

    Text and JSON bodies are encoded here, once, so transports see bytes, a stream, a
    file, None (no body), or False (`ctx.respond` is False: leave the response alone).
    """
    if ctx.respond is False:
        return False
    response = ctx.response
    channel = ctx.request.channel
    if channel is not None and not channel.writable:
        return None
    status = response._status
    headers = response._headers
    if status in EMPTY:
        response._body = None
        response._kind = NONE
        headers.pop("content-type", None)
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
        return None
    kind = response._kind
    body = response._body
    if kind == NONE:
        if ctx.request.method == "HEAD":
            return None  # koa: HEAD before the status body, headers as they are
        if response._explicit_null_body:
            headers.pop("content-type", None)
            headers.pop("transfer-encoding", None)
            headers["content-length"] = length_entry(0)
            return None
        if response.header_sent:
            return None
        # koa: HTTP/2 has no reason phrase, the code is the body
        text = str(status) if ctx.request.http_version[:1] == "2" else response.message or str(status)
        payload = text.encode()
        headers["content-type"] = ("Content-Type", "text/plain; charset=utf-8")
    elif kind == TEXT:
        if type(body) is str:
            text = body
            payload = text.encode()  # (compiled: typed, so a direct C call)
        else:
            payload = body.encode()
    elif kind == BYTES:
        payload = body if isinstance(body, bytes) else bytes(body)
    elif kind == JSON:
        payload = encode_json(body)
    elif kind == STREAM or kind == FILE:
        if ctx.request.method == "HEAD":
            if kind == FILE and hasattr(body, "close"):
                body.close()
            return None
        return body
    else:  # pragma: no cover
        raise AssertionError(f"unknown body kind {kind}")
    # the real size, whatever Content-Length middleware may have set: framing is ours,
    # unless the app asked for chunking (koa: the length setter yields to Transfer-Encoding)
    if response._framing and "transfer-encoding" in headers:
        headers.pop("content-length", None)
    else:
        headers["content-length"] = length_entry(len(payload))
    if ctx.request.method == "HEAD":
        return None
    return payload

