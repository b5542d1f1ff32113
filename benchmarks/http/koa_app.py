"""koa, written against the public contract (shared/spec/API.md), like node_koa.js line for line.

    python -m koa serve benchmarks.http.koa_app:app --port 8080          # koa's own server
    uvicorn benchmarks.http.koa_app:app --port 8080                        # the same app as ASGI
    python benchmarks/http/koa_app.py 8080                                 # app.listen()
"""
# ruff: noqa: A002  (Koa's `next`, as in koa/middleware)
from __future__ import annotations

from typing import Any

from koa import Koa, Router
from koa.middleware import body_parser

try:
    from ._common import BIG, HELLO, MESSAGE, MIDDLEWARE, github_routes, port_from_argv
except ImportError:  # run as a script: benchmarks/http is sys.path[0]
    from _common import BIG, HELLO, MESSAGE, MIDDLEWARE, github_routes, port_from_argv  # type: ignore[no-redef]


def make_no_op() -> Any:
    async def no_op(ctx: Any, next: Any) -> None:  # a distinct function per layer, as a real stack has
        await next()
    return no_op


async def hello(ctx: Any, next: Any) -> None:
    ctx.body = HELLO


async def json_(ctx: Any, next: Any) -> None:
    ctx.body = MESSAGE


async def big(ctx: Any, next: Any) -> None:
    ctx.body = BIG


async def echo(ctx: Any, next: Any) -> None:
    ctx.body = ctx.request.body


async def user(ctx: Any, next: Any) -> None:
    ctx.body = "user " + ctx.params["id"]


async def other(ctx: Any, next: Any) -> None:
    ctx.body = "ok"


app = Koa()
for _ in range(MIDDLEWARE):
    app.use(make_no_op())

router = Router()
router.get("/", hello)
router.get("/json", json_)
router.get("/mw", hello)
router.get("/64k", big)
router.post("/echo", body_parser(), echo)
for method, path in github_routes():
    router.register(path, [method], user if path == "/users/:id" else other)
app.use(router.routes()).use(router.allowed_methods())

if __name__ == "__main__":
    app.listen(port_from_argv())
