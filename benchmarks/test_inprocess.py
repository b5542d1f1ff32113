"""A whole request in-process: Request + Context creation -> 2 middleware -> response bytes.

No socket and no event loop: this is the framework's own cost per request, the number
the transports add their parsing and syscalls to.
"""
from __future__ import annotations

from typing import Any

from benchmarks._drive import drive
from koa import Koa
from koa.transports.asgi import _start_message

HEADERS = [(b"host", b"127.0.0.1:3000"), (b"user-agent", b"wrk"), (b"accept", b"*/*")]


def _app() -> Koa:
    app = Koa()

    async def passthrough(ctx: Any, next: Any) -> None:
        await next()

    async def hello(ctx: Any, next: Any) -> None:
        ctx.body = "Hello, World!"

    return app.use(passthrough).use(hello)


def test_request_to_bytes(benchmark: Any) -> None:
    app = _app()
    request_cls, create, handle = app.request, app.create_context, app.handle

    def one() -> Any:
        ctx = create(request_cls("GET", "/", HEADERS, None))
        payload = drive(handle(ctx))
        return _start_message(ctx.response), payload

    benchmark.group = "in-process request"
    head, payload = benchmark(one)
    assert payload == b"Hello, World!" and head["status"] == 200


class _BufferedBody:
    """A transport channel whose small body is already in (as the httptools server's is)."""

    __slots__ = ("_body",)
    socket = None
    writable = True

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def receive(self) -> bytes:
        body = self._body
        self._body = b""
        return body

    def discard_body(self) -> None:
        pass

    def flush_headers(self, response: Any) -> None:
        pass


def test_post_json_echo_to_bytes(benchmark: Any) -> None:
    """benchmarks/http/koa_app.py's POST /echo: body_parser() on a small JSON body, echoed."""
    from koa.middleware import body_parser

    app = Koa()

    async def passthrough(ctx: Any, next: Any) -> None:
        await next()

    async def echo(ctx: Any, next: Any) -> None:
        ctx.body = ctx.request.body

    app.use(passthrough).use(body_parser()).use(echo)
    request_cls, create, handle = app.request, app.create_context, app.handle
    body = b'{"message":"Hello, World!"}'
    headers = [*HEADERS, (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    def one() -> Any:
        ctx = create(request_cls("POST", "/echo", headers, _BufferedBody(body)))
        payload = drive(handle(ctx))
        return _start_message(ctx.response), payload

    benchmark.group = "in-process request"
    head, payload = benchmark(one)
    assert payload == body and head["status"] == 200
