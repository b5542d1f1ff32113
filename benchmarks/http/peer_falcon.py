"""Falcon (ASGI) on uvicorn: `uvicorn --app-dir benchmarks/http peer_falcon:app`."""
# ruff: noqa: A002  (the route parameter `id` is bound by name)
from __future__ import annotations

import falcon
import falcon.asgi
from _common import BIG, HELLO, MESSAGE, MIDDLEWARE, grouped_routes


class NoOp:
    """A middleware component with the request and response hooks, doing nothing."""

    async def process_request(self, req, resp):
        pass

    async def process_response(self, req, resp, resource, req_succeeded):
        pass


class Hello:
    async def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = HELLO


class Json:
    async def on_get(self, req, resp):
        resp.media = MESSAGE


class Big:
    async def on_get(self, req, resp):
        resp.content_type = "application/octet-stream"
        resp.data = BIG


class Echo:
    async def on_post(self, req, resp):
        resp.media = await req.get_media()


class User:
    async def on_get(self, req, resp, id):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "user " + id


class Other:
    """Any GitHub route: one responder per method the route set uses."""

    async def _ok(self, req, resp, **params):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok"

    on_get = on_post = on_put = on_patch = on_delete = _ok


app = falcon.asgi.App(middleware=[NoOp() for _ in range(MIDDLEWARE)])
app.add_route("/", Hello())
app.add_route("/json", Json())
app.add_route("/mw", Hello())
app.add_route("/64k", Big())
app.add_route("/echo", Echo())
_other = Other()
for path in grouped_routes("braces"):
    app.add_route(path, User() if path == "/users/{id}" else _other)
