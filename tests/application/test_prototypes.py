"""Koa's __tests__/application/context.test.js, request.test.js, response.test.js: per-app prototypes."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from koa import Context, Koa, Request, Response


async def test_context_extension_is_visible(fetch: Callable[..., Any]) -> None:
    app1 = Koa()
    app1.context.msg = "hello"  # type: ignore[attr-defined]
    seen: list[str] = []

    async def mw(ctx: Context, next: Any) -> None:
        seen.append(ctx.msg)  # type: ignore[attr-defined]
        ctx.status = 204

    app1.use(mw)
    assert (await fetch(app1)).status_code == 204
    assert seen == ["hello"]


async def test_context_extension_does_not_leak_to_other_apps(fetch: Callable[..., Any]) -> None:
    app1 = Koa()
    app1.context.msg = "hello"  # type: ignore[attr-defined]
    app2 = Koa()
    seen: list[bool] = []

    async def mw(ctx: Context, next: Any) -> None:
        seen.append(hasattr(ctx, "msg"))
        ctx.status = 204

    app2.use(mw)
    assert (await fetch(app2)).status_code == 204
    assert seen == [False]
    assert not hasattr(Context, "msg")


async def test_context_methods_can_be_added(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def greet(self: Context, name: str) -> None:
        self.body = f"hi {name} from {self.path}"

    app.context.greet = greet  # type: ignore[attr-defined]
    app.use(lambda ctx, next: ctx.greet("tobi"))
    assert (await fetch(app, "GET", "/here")).text == "hi tobi from /here"


async def test_request_extension(fetch: Callable[..., Any]) -> None:
    app1 = Koa()
    app1.request.message = "hello"  # type: ignore[attr-defined]
    app2 = Koa()
    seen: list[Any] = []

    async def mw1(ctx: Context, next: Any) -> None:
        seen.append(ctx.request.message)  # type: ignore[attr-defined]
        ctx.status = 204

    async def mw2(ctx: Context, next: Any) -> None:
        seen.append(hasattr(ctx.request, "message"))
        ctx.status = 204

    app1.use(mw1)
    app2.use(mw2)
    assert (await fetch(app1)).status_code == 204
    assert (await fetch(app2)).status_code == 204
    assert seen == ["hello", False]
    assert not hasattr(Request, "message")


async def test_response_extension(fetch: Callable[..., Any]) -> None:
    app1 = Koa()
    app1.response.msg = "hello"  # type: ignore[attr-defined]
    app2 = Koa()
    seen: list[Any] = []

    async def mw1(ctx: Context, next: Any) -> None:
        seen.append(ctx.response.msg)  # type: ignore[attr-defined]
        ctx.status = 204

    async def mw2(ctx: Context, next: Any) -> None:
        seen.append(hasattr(ctx.response, "msg"))
        ctx.status = 204

    app1.use(mw1)
    app2.use(mw2)
    assert (await fetch(app1)).status_code == 204
    assert (await fetch(app2)).status_code == 204
    assert seen == ["hello", False]
    assert not hasattr(Response, "msg")


def test_prototypes_are_per_app_subclasses() -> None:
    app1, app2 = Koa(), Koa()
    assert issubclass(app1.context, Context) and app1.context is not Context
    assert issubclass(app1.request, Request) and issubclass(app1.response, Response)
    assert app1.context is not app2.context
    assert app1.request is not app2.request
    assert app1.response is not app2.response


def test_create_context_uses_the_prototypes(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    ctx = make_ctx(app=app)
    assert type(ctx) is app.context
    assert type(ctx.request) is app.request
    assert type(ctx.response) is app.response


def test_create_context_wires_everything(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    ctx = make_ctx("/items?x=1", app=app)
    assert ctx.app is app
    assert ctx.request.app is app and ctx.response.app is app
    assert ctx.request.ctx is ctx and ctx.response.ctx is ctx
    assert ctx.request.response is ctx.response
    assert ctx.response.request is ctx.request
    assert ctx.original_url == "/items?x=1"
    assert ctx.state == {}
    assert ctx.respond is True


def test_each_context_has_its_own_state(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    a, b = make_ctx(app=app), make_ctx(app=app)
    a.state.user = "tobi"
    assert b.state == {}
