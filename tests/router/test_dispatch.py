"""router.routes() and router.allowed_methods() inside an app, through TestClient."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from koa import HttpError, Koa
from koa.router import Router

Fetch = Callable[..., Awaitable[httpx.Response]]


def app_with(*routers: Router, allowed: Router | None = None, **options: Any) -> Koa:
    app = Koa()
    for router in routers:
        app.use(router.routes())
    if allowed is not None:
        app.use(allowed.allowed_methods(**options))
    return app


def body(text: str) -> Callable[..., Awaitable[None]]:
    async def set_body(ctx: Any, next: Any) -> None:
        ctx.body = text

    return set_body


def mark(name: str) -> Callable[..., Awaitable[None]]:
    """Middleware that appends `name` to ctx.state.seen, then goes on."""

    async def marker(ctx: Any, next: Any) -> None:
        ctx.state.seen = [*getattr(ctx.state, "seen", []), name]
        await next()

    return marker


async def seen(ctx: Any, next: Any) -> None:
    ctx.body = {"seen": getattr(ctx.state, "seen", []), "params": ctx.params}


async def test_route_sets_params_path_name_and_router(fetch: Fetch) -> None:
    router = Router(prefix="/api")

    @router.get("user", "/users/:id")
    async def show(ctx: Any, next: Any) -> None:
        ctx.body = {
            "params": ctx.params, "path": ctx.route_path, "name": ctx.route_name, "router": ctx.router is router
        }

    res = await fetch(app_with(router), "GET", "/api/users/J%C3%BCrgen%20K")
    assert res.status_code == 200
    assert res.json() == {"params": {"id": "Jürgen K"}, "path": "/api/users/:id", "name": "user", "router": True}
    assert (await fetch(app_with(router), "GET", "/api/nope")).status_code == 404


async def test_several_middleware_run_in_order_then_downstream(fetch: Fetch) -> None:
    router = Router().get("/a", mark("one"), mark("two"), mark("three"))
    app = app_with(router)
    app.use(seen)
    assert (await fetch(app, "GET", "/a")).json()["seen"] == ["one", "two", "three"]


async def test_not_calling_next_stops_the_chain(fetch: Fetch) -> None:
    router = Router().get("/a", body("first"), body("second"))
    assert (await fetch(app_with(router), "GET", "/a")).text == "first"


async def test_same_pattern_twice_runs_both(fetch: Fetch) -> None:
    router = Router().get("/echo/:saying", mark("first")).get("/echo/:saying", seen)
    res = await fetch(app_with(router), "GET", "/echo/hi")
    assert res.json() == {"seen": ["first"], "params": {"saying": "hi"}}


async def test_two_routers_with_the_same_path(fetch: Fetch) -> None:
    first, second = Router().get("/echo/:saying", mark("first")), Router().get("/echo/:saying", seen)
    res = await fetch(app_with(first, second), "GET", "/echo/hi")
    assert res.json() == {"seen": ["first"], "params": {"saying": "hi"}}


async def test_head_from_get_and_explicit_head(fetch: Fetch) -> None:
    router = Router().get("/users/:id", body("user"))
    res = await fetch(app_with(router), "HEAD", "/users/1")
    assert res.status_code == 200 and res.text == "" and res.headers["content-length"] == "4"
    explicit = Router().get("/a", body("get"))

    @explicit.head("/a")
    async def head(ctx: Any, next: Any) -> None:
        ctx.status = 204
        ctx.set("X-Head", "explicit")

    res = await fetch(app_with(explicit), "HEAD", "/a")
    assert (res.status_code, res.headers["x-head"]) == (204, "explicit")
    post = Router().post("/a", body("post"))
    assert (await fetch(app_with(post), "HEAD", "/a")).status_code == 404


async def test_errors_propagate(fetch: Fetch) -> None:
    router = Router()

    @router.get("/fail")
    async def fail(ctx: Any, next: Any) -> None:
        ctx.throw(418, "teapot")

    res = await fetch(app_with(router), "GET", "/fail")
    assert (res.status_code, res.text) == (418, "teapot")


async def test_plain_function_middleware(fetch: Fetch) -> None:
    router = Router().get("/sync", lambda ctx, next: setattr(ctx, "body", "sync"))
    assert (await fetch(app_with(router), "GET", "/sync")).text == "sync"


# ---------------------------------------------------------------- router.use


async def test_use_runs_only_when_a_route_matches(fetch: Fetch) -> None:
    router = Router().use(mark("use")).get("/a", seen)
    app = app_with(router)
    app.use(seen)
    assert (await fetch(app, "GET", "/a")).json()["seen"] == ["use"]
    assert (await fetch(app, "GET", "/b")).json()["seen"] == []
    assert (await fetch(app, "POST", "/a")).json()["seen"] == []


async def test_use_keeps_registration_order_with_routes(fetch: Fetch) -> None:
    router = Router().use(mark("before")).get("/a", mark("route")).use(mark("after"))
    app = app_with(router)
    app.use(seen)
    assert (await fetch(app, "GET", "/a")).json()["seen"] == ["before", "route", "after"]


async def test_use_with_a_path(fetch: Fetch) -> None:
    router = Router()
    router.use("/users", mark("users"))
    router.use(["/a", "/b"], mark("list"))
    router.use(re.compile(r"^/a"), mark("regex"))
    for path in ("/users", "/users/:id", "/usersx", "/a", "/b", "/c"):
        router.get(path, seen)
    app = app_with(router)
    cases = {
        "/users": ["users"], "/users/": ["users"], "/users/1": ["users"], "/usersx": [],
        "/a": ["list", "regex"], "/b": ["list"], "/c": [],
    }
    for path, expected in cases.items():
        assert (await fetch(app, "GET", path)).json()["seen"] == expected, path


async def test_use_root_path_is_the_root_only_and_empty_path_is_everything(fetch: Fetch) -> None:
    root = Router(prefix="/accounts").use("/", mark("root")).get("/", seen).get("/:id", seen)
    assert (await fetch(app_with(root), "GET", "/accounts")).json()["seen"] == ["root"]
    assert (await fetch(app_with(root), "GET", "/accounts/1")).json()["seen"] == []
    everything = Router(prefix="/accounts").use("", mark("all")).get("/", seen).get("/:id", seen)
    assert (await fetch(app_with(everything), "GET", "/accounts")).json()["seen"] == ["all"]
    assert (await fetch(app_with(everything), "GET", "/accounts/1")).json()["seen"] == ["all"]


async def test_use_path_that_covers_a_route_only_sometimes(fetch: Fetch) -> None:
    router = Router()
    router.use("/users/admin", mark("admin"))
    router.use("/users/:uid", mark("any user"))
    router.get("/users/:id/profile", seen)
    app = app_with(router)
    res = await fetch(app, "GET", "/users/admin/profile")
    assert res.json() == {"seen": ["admin", "any user"], "params": {"id": "admin", "uid": "admin"}}
    res = await fetch(app, "GET", "/users/bob/profile")
    assert res.json() == {"seen": ["any user"], "params": {"id": "bob", "uid": "bob"}}


async def test_use_sees_prefix_params(fetch: Fetch) -> None:
    router = Router(prefix="/:category/:color").use(mark("use")).get("/:active/suffix", seen)
    res = await fetch(app_with(router), "GET", "/cats/gray/true/suffix")
    assert res.json() == {"seen": ["use"], "params": {"category": "cats", "color": "gray", "active": "true"}}


# ---------------------------------------------------------------- nested routers


async def test_nested_router_with_prefixes(fetch: Fetch) -> None:
    forums = Router()
    posts = Router().get("/", seen).get("/:pid", seen)
    forums.use("/forums/:fid/posts", posts.routes())
    app = app_with(forums)
    assert (await fetch(app, "GET", "/forums/1/posts")).json()["params"] == {"fid": "1"}
    assert (await fetch(app, "GET", "/forums/1/posts/2")).json()["params"] == {"fid": "1", "pid": "2"}
    assert (await fetch(app, "GET", "/forums/1")).status_code == 404


async def test_parent_middleware_runs_before_child_middleware(fetch: Fetch) -> None:
    parent = Router().use(mark("parent"))
    child = Router().use(mark("child")).get("/bar", seen)
    parent.use("/foo", child.routes())
    assert (await fetch(app_with(parent), "GET", "/foo/bar")).json()["seen"] == ["parent", "child"]


async def test_child_middleware_is_scoped_to_the_child(fetch: Fetch) -> None:
    accounts = Router(prefix="/accounts").use(mark("accounts")).get("/", seen)
    users = Router(prefix="/users").get("/:uid/accounts", seen)
    api = Router(prefix="/api")
    api.use(accounts.routes())
    api.use(users)  # a Router works as well as its routes()
    app = app_with(api)
    assert (await fetch(app, "GET", "/api/accounts")).json()["seen"] == ["accounts"]
    res = await fetch(app, "GET", "/api/users/12/accounts")
    assert res.json() == {"seen": [], "params": {"uid": "12"}}


async def test_three_levels(fetch: Fetch) -> None:
    inner = Router().get("user", "/:id", seen)
    middle = Router().use("/users", inner.routes())
    outer = Router(prefix="/v1").use(mark("outer")).use("/api", middle.routes())
    res = await fetch(app_with(outer), "GET", "/v1/api/users/3")
    assert res.json() == {"seen": ["outer"], "params": {"id": "3"}}
    assert outer.url("user", {"id": 3}) == "/v1/api/users/3"


# ---------------------------------------------------------------- router.param


async def test_param_hooks_run_in_url_order_once(fetch: Fetch) -> None:
    calls: list[str] = []

    def hook(label: str) -> Callable[..., Awaitable[None]]:
        async def run(value: str, ctx: Any, next: Any) -> None:
            calls.append(f"{label}={value}")
            await next()

        return run

    router = Router()
    router.param("post", hook("post"))
    router.use("/users/:user", mark("use"))
    router.get("/users/:user/posts/:post", seen)
    router.param("user", hook("user"))  # after the route: still applies
    router.param("user", hook("user again"))
    res = await fetch(app_with(router), "GET", "/users/3/posts/4")
    assert res.json()["seen"] == ["use"]
    assert calls == ["user=3", "user again=3", "post=4"]


async def test_param_hook_can_stop_the_request(fetch: Fetch) -> None:
    users = {"1": "alex"}

    async def load(value: str, ctx: Any, next: Any) -> None:
        ctx.state.user = users.get(value)
        if ctx.state.user is None:
            ctx.status = 404
            return
        await next()

    async def show(ctx: Any, next: Any) -> None:
        ctx.body = ctx.state.user

    router = Router().param("user", load).get("/users/:user", show)
    assert (await fetch(app_with(router), "GET", "/users/1")).text == "alex"
    assert (await fetch(app_with(router), "GET", "/users/2")).status_code == 404


async def test_parent_param_hooks_apply_to_nested_routes(fetch: Fetch) -> None:
    calls: list[str] = []

    async def hook(value: str, ctx: Any, next: Any) -> None:
        calls.append(value)
        await next()

    child = Router().get("/:id", seen)
    parent = Router().param("id", hook)
    parent.use("/items", child.routes())
    await fetch(app_with(parent), "GET", "/items/9")
    assert calls == ["9"]


# ---------------------------------------------------------------- redirect, host, options


async def test_redirect(fetch: Fetch) -> None:
    router = Router()
    router.get("home", "/", body("home"))
    router.get("sign-in", "/login", body("login"))
    router.redirect("/old", "/new")
    router.redirect("/signin", "sign-in", 302)
    router.redirect("home", "https://example.com/")
    app = app_with(router)
    res = await fetch(app, "GET", "/old")
    assert (res.status_code, res.headers["location"]) == (301, "/new")
    res = await fetch(app, "POST", "/signin")
    assert (res.status_code, res.headers["location"]) == (302, "/login")
    res = await fetch(app, "POST", "/")  # GET / runs "home" first, which does not call next
    assert (res.status_code, res.headers["location"]) == (301, "https://example.com/")
    with pytest.raises(KeyError):
        router.redirect("nope", "/x")


async def test_host(fetch: Fetch) -> None:
    router = Router(host="test.domain").get("/", body("hi"))
    app = app_with(router)
    assert (await fetch(app, "GET", "/", headers={"Host": "test.domain"})).status_code == 200
    assert (await fetch(app, "GET", "/", headers={"Host": "test.domain:8080"})).status_code == 200
    assert (await fetch(app, "GET", "/", headers={"Host": "a.domain"})).status_code == 404


async def test_strict_and_sensitive_requests(fetch: Fetch) -> None:
    strict = Router(strict=True, prefix="/v1").get("/users", body("users"))
    assert (await fetch(app_with(strict), "GET", "/v1/users")).status_code == 200
    assert (await fetch(app_with(strict), "GET", "/v1/users/")).status_code == 404
    loose = Router(prefix="/foo").get("/", body("root"))
    assert (await fetch(app_with(loose), "GET", "/foo")).status_code == 200
    assert (await fetch(app_with(loose), "GET", "/foo/")).status_code == 200
    sensitive = Router(sensitive=True)
    sensitive.use("/Api", Router(sensitive=True).get("/Items", body("items")).routes())
    assert (await fetch(app_with(sensitive), "GET", "/Api/Items")).status_code == 200
    assert (await fetch(app_with(sensitive), "GET", "/api/items")).status_code == 404


# ---------------------------------------------------------------- allowed_methods


def users_router() -> Router:
    return Router().get("/users", body("get")).put("/users", body("put")).post("/events", body("post"))


async def test_options_lists_the_methods(fetch: Fetch) -> None:
    router = users_router()
    res = await fetch(app_with(router, allowed=router), "OPTIONS", "/users")
    assert (res.status_code, res.headers["allow"], res.headers["content-length"]) == (200, "HEAD, GET, PUT", "0")
    assert res.headers.get_list("allow") == ["HEAD, GET, PUT"]


async def test_405_and_501(fetch: Fetch) -> None:
    router = users_router()
    app = app_with(router, allowed=router)
    res = await fetch(app, "POST", "/users")
    assert (res.status_code, res.headers["allow"]) == (405, "HEAD, GET, PUT")
    res = await fetch(app, "SEARCH", "/users")
    assert res.status_code == 501
    assert (await fetch(app, "GET", "/nope")).status_code == 404
    assert (await fetch(app, "DELETE", "/nope")).status_code == 404


async def test_no_405_when_a_route_matched_but_left_404(fetch: Fetch) -> None:
    async def not_found(ctx: Any, next: Any) -> None:
        ctx.status = 404

    router = Router().get("/users", not_found)
    assert (await fetch(app_with(router, allowed=router), "GET", "/users")).status_code == 404


async def test_custom_methods_option(fetch: Fetch) -> None:
    router = Router(methods=["GET", "PURGE"]).get("/a", body("a")).register("/a", ["PURGE"], body("purged"))
    app = app_with(router, allowed=router)
    assert (await fetch(app, "PURGE", "/a")).text == "purged"
    assert (await fetch(app, "POST", "/a")).status_code == 501
    res = await fetch(app, "OPTIONS", "/a")
    assert res.status_code == 501  # OPTIONS is not among the router's methods


@pytest.mark.parametrize(
    ("method", "status", "name"), [("POST", 405, "MethodNotAllowed"), ("SEARCH", 501, "NotImplemented")]
)
async def test_throw_raises_http_errors_with_allow(fetch: Fetch, method: str, status: int, name: str) -> None:
    router = users_router()
    caught: list[HttpError] = []

    async def catch(ctx: Any, next: Any) -> None:
        try:
            await next()
        except HttpError as error:
            caught.append(error)
            raise

    app = Koa().use(router.routes()).use(catch).use(router.allowed_methods(throw=True))
    res = await fetch(app, method, "/users")
    assert res.status_code == status
    assert type(caught[0]).__name__ == name
    assert caught[0].headers == {"Allow": "HEAD, GET, PUT"}
    assert res.headers["allow"] == "HEAD, GET, PUT"


async def test_throw_with_custom_errors(fetch: Fetch) -> None:
    router = users_router()

    def not_allowed() -> HttpError:
        return HttpError(405, "custom not allowed")

    app = app_with(router, allowed=router, throw=True, method_not_allowed=not_allowed)
    res = await fetch(app, "POST", "/users")
    assert (res.status_code, res.text) == (405, "custom not allowed")
    assert "allow" not in res.headers
