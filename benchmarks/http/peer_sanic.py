"""Sanic on its own server, one process: `python benchmarks/http/peer_sanic.py PORT`."""
# ruff: noqa: A002  (the route parameter `id` is bound by name)
from __future__ import annotations

from _common import BIG, HELLO, HOST, MESSAGE, MIDDLEWARE, grouped_routes, port_from_argv
from sanic import Sanic
from sanic.response import json, raw, text

app = Sanic("bench", configure_logging=False)
app.config.ACCESS_LOG = False
app.config.MOTD = False


def make_no_op():
    # a new function each time: Sanic drops a middleware registered twice
    async def no_op(request):
        return None
    return no_op


for _ in range(MIDDLEWARE):
    app.register_middleware(make_no_op(), "request")


async def hello(request):
    return text(HELLO)


async def json_(request):
    return json(MESSAGE)


async def user(request, id):
    return text("user " + id)


async def big(request):
    return raw(BIG, content_type="application/octet-stream")


async def echo(request):
    return json(request.json)


async def other(request, **params):
    return text("ok")


app.add_route(hello, "/", name="hello")
app.add_route(json_, "/json", name="json")
app.add_route(hello, "/mw", name="mw")
app.add_route(big, "/64k", name="big")
app.add_route(echo, "/echo", methods=["POST"], name="echo")
for i, (path, methods) in enumerate(grouped_routes("angle").items()):
    handler = user if path == "/users/<id>" else other
    app.add_route(handler, path, methods=methods, name=f"github{i}")

if __name__ == "__main__":
    app.run(host=HOST, port=port_from_argv(), single_process=True, access_log=False, debug=False,
            backlog=2048)
