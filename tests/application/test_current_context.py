"""Koa's __tests__/application/currentContext.test.js: koa.current_context() (contextvars)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import koa
from koa import Context, Koa
from koa.testing import TestClient


def test_none_outside_a_request() -> None:
    assert koa.current_context() is None


async def test_none_outside_a_request_in_a_loop() -> None:
    assert koa.current_context() is None


async def test_current_context_across_awaits(fetch: Callable[..., Any]) -> None:
    app = Koa()
    checks: list[bool] = []

    async def mw(ctx: Context, next: Any) -> None:
        checks.append(koa.current_context() is ctx)
        await asyncio.sleep(0.001)
        checks.append(koa.current_context() is ctx)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        loop.call_soon(fut.set_result, None)
        await fut
        checks.append(koa.current_context() is ctx)
        current = koa.current_context()
        assert current is not None
        current.body = "ok"

    app.use(mw)
    assert (await fetch(app)).text == "ok"
    assert checks == [True, True, True]
    assert koa.current_context() is None


async def test_concurrent_requests_see_their_own_context() -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        await asyncio.sleep(0.001 * int(ctx.query["n"]))
        current = koa.current_context()
        assert current is ctx
        ctx.body = current.query["n"]

    app.use(mw)
    async with TestClient(app) as client:
        responses = await asyncio.gather(*(client.get(f"/?n={n}") for n in range(5, 0, -1)))
    assert [r.text for r in responses] == ["5", "4", "3", "2", "1"]
    assert koa.current_context() is None


async def test_tasks_spawned_in_a_request_inherit_it(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def background() -> Context | None:
        return koa.current_context()

    async def mw(ctx: Context, next: Any) -> None:
        found = await asyncio.create_task(background())
        ctx.body = "same" if found is ctx else "different"

    app.use(mw)
    assert (await fetch(app)).text == "same"


async def test_current_context_in_error_handler(fetch: Callable[..., Any]) -> None:
    app = Koa()
    seen: list[bool] = []

    def on_error(err: BaseException, ctx: Context) -> None:
        assert str(err) == "error message"
        seen.append(koa.current_context() is ctx)

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("error message")

    app.on("error", on_error)
    app.use(boom)
    res = await fetch(app)
    assert res.text == "Internal Server Error"
    assert seen == [True]


async def test_current_context_is_reset_after_the_request(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", "x"))
    ctx = make_ctx(app=app)
    await app.handle(ctx)
    assert koa.current_context() is None
