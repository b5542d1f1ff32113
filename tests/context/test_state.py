"""Koa's __tests__/context/state.test.js: ctx.state, a per-request namespace."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, Koa


async def test_state_is_an_empty_namespace(fetch: Callable[..., Any]) -> None:
    app = Koa()
    seen: list[Any] = []
    app.use(lambda ctx, next: seen.append(dict(ctx.state)))
    assert (await fetch(app)).status_code == 404
    assert seen == [{}]


def test_attribute_and_item_access(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.state.user = "tobi"
    ctx.state["role"] = "admin"
    assert ctx.state["user"] == "tobi"
    assert ctx.state.role == "admin"
    assert dict(ctx.state) == {"user": "tobi", "role": "admin"}
    del ctx.state.user
    assert "user" not in ctx.state
    with pytest.raises(AttributeError):
        _ = ctx.state.missing
    with pytest.raises(AttributeError):
        del ctx.state.missing


def test_state_can_be_replaced(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.state = {"a": 1}
    assert ctx.state.a == 1
    assert ctx.state == {"a": 1}


def test_state_is_the_same_object_each_time(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.state is ctx.state


async def test_state_is_shared_down_the_stack(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def auth(ctx: Context, next: Any) -> None:
        ctx.state.user = {"name": "tobi"}
        await next()

    async def show(ctx: Context, next: Any) -> None:
        ctx.body = ctx.state.user

    app.use(auth).use(show)
    assert (await fetch(app)).json() == {"name": "tobi"}
