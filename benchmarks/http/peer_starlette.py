"""Starlette on uvicorn: `uvicorn --app-dir benchmarks/http peer_starlette:app`."""
from __future__ import annotations

from _common import BIG, HELLO, MESSAGE, MIDDLEWARE, grouped_routes
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route


class NoOp:
    """A pure ASGI middleware that passes everything through (Starlette's fastest kind)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


async def hello(request: Request) -> Response:
    return PlainTextResponse(HELLO)


async def json_(request: Request) -> Response:
    return JSONResponse(MESSAGE)


async def user(request: Request) -> Response:
    return PlainTextResponse("user " + request.path_params["id"])


async def big(request: Request) -> Response:
    return Response(BIG, media_type="application/octet-stream")


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def other(request: Request) -> Response:
    return PlainTextResponse("ok")


routes = [
    Route("/", hello),
    Route("/json", json_),
    Route("/mw", hello),
    Route("/64k", big),
    Route("/echo", echo, methods=["POST"]),
]
for path, methods in grouped_routes("braces").items():
    routes.append(Route(path, user if path == "/users/{id}" else other, methods=methods))

app = Starlette(routes=routes, middleware=[Middleware(NoOp) for _ in range(MIDDLEWARE)])
