"""The original koa package's example_server.py, modernized: logger + router, static + mount, POST bodies.

`koa.core.app()` and `koa.common` as the original had them; handlers are `async def`,
read `ctx.params` / `ctx.query` as @koa/router and Koa give them, and the static files
come from `examples/testdata`. Run `python examples/example_server.py` (port 8480, or
$PORT), then:

    curl localhost:8480/admin/version                  # 0.1.5
    curl localhost:8480/admin/users                    # the users
    curl -X POST -H "Content-Type: application/json" -d '{"name": "easterbunny"}' localhost:8480/admin/users
    curl "localhost:8480/admin/users?start_id=2"       # paging
    curl localhost:8480/admin/users/1                  # one user
    curl localhost:8480/data/foo/bar.txt               # static files, mounted under /data
"""
import asyncio
import os
from pathlib import Path

import koa.common
import koa.core

TESTDATA = Path(__file__).parent / "testdata"
PAGE_SIZE = 6

users = [{"name": "testuser" + str(i)} for i in range(0, 3)]


# GET /users, with simple paging to demo query parameters: /users?start_id=123
async def handle_get_users(ctx, next):
    start = ctx.query.get("start_id", "0")
    start_id = int(start) if start.isdigit() else 0
    ctx.body = users[start_id:start_id + PAGE_SIZE]


# GET /users/:id
async def handle_get_user(ctx, next):
    user_id = ctx.params["id"]
    if not user_id.isdigit() or int(user_id) >= len(users):
        ctx.status = 404
        ctx.body = "out of range"
        return
    ctx.body = users[int(user_id)]


# POST /users: the body parser put the posted JSON in ctx.request.body
async def handle_post_user(ctx, next):
    user = ctx.request.body
    ctx.assert_(isinstance(user, dict) and user, 400, "POST a JSON object")
    users.append(user)
    ctx.status = 201
    ctx.body = "OK"


# a koa app of its own, to demo composition of apps
def create_users_app():
    app = koa.core.app()
    router = koa.common.router()
    router.get("/users", handle_get_users)
    router.get("/users/:id", handle_get_user)
    router.post("/users", handle_post_user)
    app.use(router.middleware())
    return app


# GET /admin/version
async def handle_get_version(ctx, next):
    ctx.body = "0.1.5"


def create_app():
    app = koa.core.app()
    app.use(koa.common.logger)
    app.use(koa.common.body_parser)
    router = koa.common.router()
    router.get("/admin/version", handle_get_version)
    app.use(router.middleware())
    # everything under ./testdata at /data: GET /data/foo/bar.txt is testdata/foo/bar.txt
    app.use(koa.common.mount("/data", koa.common.static(TESTDATA)))
    # composition of koa apps: GET /admin/users
    app.use(koa.common.mount("/admin", create_users_app().middleware()))
    return app


app = create_app()


def run_server_forever():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    port = int(os.environ.get("PORT", 8480))
    srv = loop.run_until_complete(loop.create_server(app.get_http_request_handler, "0.0.0.0", port))
    print("serving on", srv.sockets[0].getsockname())
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    run_server_forever()
