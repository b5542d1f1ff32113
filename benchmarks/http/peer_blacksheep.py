"""BlackSheep on uvicorn: `uvicorn --app-dir benchmarks/http peer_blacksheep:app`."""
# ruff: noqa: A002  (the route parameter `id` is bound by name)
from __future__ import annotations

from _common import BIG, HELLO, MESSAGE, MIDDLEWARE, grouped_routes
from blacksheep import Application, Content, Request, Response, json, text

app = Application(show_error_details=False)


def make_no_op():
    async def no_op(request, handler):  # a distinct function per layer, as a real stack has
        return await handler(request)
    return no_op


for _ in range(MIDDLEWARE):
    app.middlewares.append(make_no_op())


async def hello() -> Response:
    return text(HELLO)


async def json_() -> Response:
    return json(MESSAGE)


async def user(id: str) -> Response:
    return text("user " + id)


async def big() -> Response:
    return Response(200, None, Content(b"application/octet-stream", BIG))


async def echo(request: Request) -> Response:
    return json(await request.json())


async def other() -> Response:
    return text("ok")


app.router.add_get("/", hello)
app.router.add_get("/json", json_)
app.router.add_get("/mw", hello)
app.router.add_get("/64k", big)
app.router.add_post("/echo", echo)
for path, methods in grouped_routes("braces").items():
    for method in methods:
        app.router.add(method, path, user if path == "/users/{id}" else other)
