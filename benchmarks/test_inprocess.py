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
