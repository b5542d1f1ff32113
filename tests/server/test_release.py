"""A finished request's ctx, request and response are freed at once unless the app keeps them.

They point at one another (ctx.request.ctx is ctx): left alone, every request would be work
for the cycle collector. The server unlinks them once the response is out, but only when
nothing else holds them (koa.context.release), so a ctx the app keeps stays whole.
"""
from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from koa import Koa
from koa.context import Context
from koa.types import Next
from server._wire import exchange

from .conftest import Start

PIPELINED = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.fixture
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_finished_requests_are_freed_without_the_collector(start: Start, no_gc: None) -> None:
    refs: list[weakref.ref[Any]] = []
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        refs.extend(weakref.ref(o) for o in (ctx, ctx.request, ctx.response))
        if ctx.path == "/b":
            await asyncio.sleep(0)  # one that waits: finished by the connection's task
        ctx.body = ctx.path

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, PIPELINED, responses=3)
    assert [r.body for r in reply.responses] == [b"/a", b"/b", b"/c"]
    assert len(refs) == 9
    assert [r() for r in refs] == [None] * 9


async def test_a_kept_context_stays_whole(start: Start, no_gc: None) -> None:
    kept: list[Context] = []
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        kept.append(ctx)  # e.g. for work after the response
        ctx.body = "ok"

    app.use(handler)
    server = await start(app)
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", responses=1)
    assert reply.responses[0].body == b"ok"
    ctx = kept[0]
    assert ctx.request.ctx is ctx and ctx.response.ctx is ctx
    assert ctx.request.response is ctx.response and ctx.response.request is ctx.request


async def test_a_kept_request_keeps_its_links(start: Start, no_gc: None) -> None:
    kept: list[Any] = []
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        kept.append(ctx.response)  # only the response: the ctx is reachable through it
        ctx.body = "ok"

    app.use(handler)
    server = await start(app)
    await exchange(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", responses=1)
    response = kept[0]
    assert response.ctx is not None and response.ctx.response is response
    assert response.request is not None and response.request.ctx is response.ctx

