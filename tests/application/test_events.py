"""app.on() / app.off() / app.emit(): "error", "startup", "shutdown" (contract section 2)."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, Koa
from koa.testing import TestClient


def test_on_returns_the_app() -> None:
    app = Koa()
    assert app.on("custom", lambda: None) is app


def test_on_non_callable_raises() -> None:
    with pytest.raises(TypeError, match="event handler must be callable"):
        Koa().on("error", "nope")  # type: ignore[arg-type]


def test_emit_calls_handlers_in_order_with_args() -> None:
    app = Koa()
    calls: list[tuple[str, tuple[Any, ...]]] = []
    app.on("custom", lambda *a: calls.append(("first", a)))
    app.on("custom", lambda *a: calls.append(("second", a)))
    assert app.emit("custom", 1, "two") is True
    assert calls == [("first", (1, "two")), ("second", (1, "two"))]


def test_emit_without_listeners_returns_false() -> None:
    assert Koa().emit("nothing", 1) is False


def test_off_removes_a_handler() -> None:
    app = Koa()
    calls: list[int] = []

    def handler() -> None:
        calls.append(1)

    app.on("x", handler)
    assert app.listeners("x") == [handler]
    app.off("x", handler)
    app.off("x", handler)  # removing twice is harmless
    assert app.listeners("x") == []
    app.emit("x")
    assert calls == []


def test_emit_error_without_listener_goes_to_onerror(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    try:
        raise RuntimeError("unheard")
    except RuntimeError as err:
        assert app.emit("error", err, None) is False
    assert "RuntimeError: unheard" in capsys.readouterr().err


async def test_async_error_handler_is_run(fetch: Callable[..., Any]) -> None:
    app = Koa()
    seen: list[str] = []
    done = asyncio.Event()

    async def on_error(err: BaseException, ctx: Context) -> None:
        await asyncio.sleep(0)
        seen.append(f"{err} at {ctx.path}")
        done.set()

    async def boom(ctx: Context, next: Any) -> None:
        raise ValueError("async listener")

    app.on("error", on_error).use(boom)
    assert (await fetch(app, "GET", "/p")).status_code == 500
    await asyncio.wait_for(done.wait(), 1)
    assert seen == ["async listener at /p"]


async def test_startup_and_shutdown_get_the_app() -> None:
    app = Koa()
    seen: list[tuple[str, Any]] = []

    async def on_startup(a: Koa) -> None:
        await asyncio.sleep(0)
        seen.append(("startup", a))

    def on_shutdown(a: Koa) -> None:
        seen.append(("shutdown", a))

    app.on("startup", on_startup).on("shutdown", on_shutdown)
    await app.startup()
    await app.startup()  # once only
    assert seen == [("startup", app)]
    await app.shutdown()
    await app.shutdown()
    assert seen == [("startup", app), ("shutdown", app)]


async def test_shutdown_without_startup_does_nothing() -> None:
    app = Koa()
    seen: list[Any] = []
    app.on("shutdown", seen.append)
    await app.shutdown()
    assert seen == []


async def test_test_client_runs_startup_and_shutdown() -> None:
    app = Koa()
    seen: list[str] = []
    app.on("startup", lambda a: seen.append("startup"))
    app.on("shutdown", lambda a: seen.append("shutdown"))
    app.use(lambda ctx, next: setattr(ctx, "body", ",".join(seen)))
    async with TestClient(app) as client:
        assert (await client.get("/")).text == "startup"
    assert seen == ["startup", "shutdown"]


async def test_emit_async_awaits_in_order() -> None:
    app = Koa()
    order: list[int] = []

    async def first() -> None:
        await asyncio.sleep(0.002)
        order.append(1)

    def second() -> None:
        order.append(2)

    app.on("e", first).on("e", second)
    await app.emit_async("e")
    assert order == [1, 2]
