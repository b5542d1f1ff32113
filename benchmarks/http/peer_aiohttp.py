"""aiohttp.web on its own server and uvloop: `python benchmarks/http/peer_aiohttp.py PORT`."""
from __future__ import annotations

import asyncio

import uvloop
from _common import BIG, HELLO, HOST, MESSAGE, MIDDLEWARE, grouped_routes, port_from_argv
from aiohttp import web


def make_no_op():
    @web.middleware
    async def no_op(request, handler):  # a distinct function per layer, as a real stack has
        return await handler(request)
    return no_op


async def hello(request: web.Request) -> web.Response:
    return web.Response(text=HELLO)


async def json_(request: web.Request) -> web.Response:
    return web.json_response(MESSAGE)


async def user(request: web.Request) -> web.Response:
    return web.Response(text="user " + request.match_info["id"])


async def big(request: web.Request) -> web.Response:
    return web.Response(body=BIG, content_type="application/octet-stream")


async def echo(request: web.Request) -> web.Response:
    return web.json_response(await request.json())


async def other(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def make_app() -> web.Application:
    app = web.Application(middlewares=[make_no_op() for _ in range(MIDDLEWARE)])
    app.router.add_get("/", hello)
    app.router.add_get("/json", json_)
    app.router.add_get("/mw", hello)
    app.router.add_get("/64k", big)
    app.router.add_post("/echo", echo)
    for path, methods in grouped_routes("braces").items():
        for method in methods:
            app.router.add_route(method, path, user if path == "/users/{id}" else other)
    return app


if __name__ == "__main__":
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    web.run_app(make_app(), host=HOST, port=port_from_argv(), access_log=None, backlog=2048,
                print=None)
