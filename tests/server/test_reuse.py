"""A finished request's ctx, request and response are made again by a later request (Hub.keep).

Compiled, when nothing but the server held them (koa.context.release) and nothing could tell
them from new objects, they are pooled and their fields are set again, which skips an
allocation and a deallocation of each. What must hold in both modes: no request ever sees
anything of an earlier one, and what the app keeps is never reused.
"""
from __future__ import annotations

import asyncio
import gc
import re
import weakref
from typing import Any

import pytest
from security.fuzz.inproc import MemoryTransport

from koa import Koa, Router, __speedups__
from koa.context import Context
from koa.transports.httptools_server import SPARES, HttpToolsProtocol, Hub
from koa.transports.options import ServerOptions
from koa.types import Next

compiled_only = pytest.mark.skipif(not __speedups__, reason="the pure twin never pools (its fields are its __dict__)")


async def _connect(hub: Hub) -> tuple[HttpToolsProtocol, MemoryTransport]:
    protocol = hub.protocol()
    transport = MemoryTransport(hub.loop)
    transport.protocol = protocol
    protocol.connection_made(transport)
    await asyncio.sleep(0)  # the connection's task starts
    return protocol, transport


async def _exchange(hub: Hub, *paths: str, one_read: bool = False) -> bytes:
    """GET each path on one connection (one read each, or all pipelined in one read); what came back."""
    protocol, transport = await _connect(hub)
    requests = [b"GET %s HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n\r\n" % p.encode() for p in paths]
    for data in [b"".join(requests)] if one_read else requests:
        _deliver(protocol, data)
        await _settle()
    return bytes(transport.out)


def _deliver(protocol: HttpToolsProtocol, data: bytes) -> None:
    """Hand `data` to the protocol as the loop does: from a callback, not from inside a task."""
    asyncio.get_running_loop().call_soon(protocol.data_received, data)


async def _settle(steps: int = 10) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


def _statuses(out: bytes) -> list[bytes]:
    return re.findall(rb"HTTP/1\.1 (\d{3}) ", out)


@pytest.mark.parametrize("one_read", [False, True], ids=["sequential", "pipelined"])
async def test_no_request_sees_anything_of_the_one_before(one_read: bool) -> None:
    seen: list[dict[str, Any]] = []
    router = Router()

    async def first(ctx: Context, next: Next) -> None:
        # everything a request can leave on its objects, without attributes of its own
        ctx.state["user"] = "alice"
        ctx.cookies.set("session", "s1")
        ctx.set("X-First", "1")
        ctx.status = 201
        ctx.message = "Made"
        ctx.type = "application/json"
        ctx.respond = True
        ctx.body = {"first": True}
        ctx.request.body = {"parsed": 1}
        ctx.query  # noqa: B018 - parsed and cached on the request

    router.get("/first/:id", first)
    app = Koa(silent=True)

    async def look(ctx: Context, next: Next) -> None:
        seen.append({
            "state": dict(ctx.state), "params": dict(ctx.params), "route": ctx.route_path,
            "status": ctx.status, "message": ctx.message, "body": ctx.body, "type": ctx.type,
            "headers": dict(ctx.response.headers), "request body": ctx.request.body,
            "query": dict(ctx.query), "url": ctx.url, "cookies": (ctx.cookies.get("a"), ctx.cookies.get("session")),
        })
        await next()

    app.use(look).use(router.routes())
    hub = Hub(app, ServerOptions(), asyncio.get_running_loop())
    try:
        out = await _exchange(hub, "/first/7?q=1", "/second", one_read=one_read)
    finally:
        hub.stop_timer()
    assert _statuses(out) == [b"201", b"404"]
    assert b"X-First" in out.split(b"\r\n\r\n")[0] and b"X-First" not in out.split(b"HTTP/1.1 404")[1]
    assert seen[1] == {
        "state": {}, "params": {}, "route": None, "status": 404, "message": "Not Found", "body": None,
        "type": "", "headers": {}, "request body": None, "query": {}, "url": "/second", "cookies": ("1", None),
    }


@compiled_only
async def test_the_objects_of_a_finished_request_are_made_again() -> None:
    ids: list[tuple[int, int, int]] = []
    app = Koa(silent=True)

    async def handler(ctx: Context, next: Next) -> None:
        ids.append((id(ctx), id(ctx.request), id(ctx.response)))  # (ids only: holding them would keep them)
        ctx.body = "ok"

    app.use(handler)
    hub = Hub(app, ServerOptions(), asyncio.get_running_loop())
    try:
        await _exchange(hub, "/a")
        assert (hub.contexts_kept, hub.requests_kept) == (1, 1)
        kept = hub.spare_contexts[0]
        assert kept is not None and kept.request is None  # unlinked: the request is pooled apart
        spare = (id(kept), id(hub.spare_requests[0]), id(kept.response))
        del kept
        await _exchange(hub, "/b")
    finally:
        hub.stop_timer()
    assert ids == [ids[0], spare]
    assert (hub.contexts_kept, hub.requests_kept) == (1, 1)


@compiled_only
async def test_the_pool_is_bounded() -> None:
    app = Koa(silent=True)
    release = asyncio.Event()

    async def handler(ctx: Context, next: Next) -> None:
        await release.wait()  # all in flight at once, then all finished
        ctx.body = "ok"

    app.use(handler)
    hub = Hub(app, ServerOptions(), asyncio.get_running_loop())
    try:
        conns = [await _connect(hub) for _ in range(SPARES + 5)]
        for protocol, _transport in conns:
            _deliver(protocol, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await _settle()
        release.set()
        await _settle(20)
        assert all(t.out.startswith(b"HTTP/1.1 200 OK") for _p, t in conns)
        assert hub.contexts_kept == hub.requests_kept == SPARES
    finally:
        hub.stop_timer()


async def _served_then_pooled(app: Koa) -> int:
    hub = Hub(app, ServerOptions(), asyncio.get_running_loop())
    try:
        await _exchange(hub, "/")
        return hub.contexts_kept
    finally:
        hub.stop_timer()


@compiled_only
async def test_what_can_be_told_from_a_new_object_is_not_reused() -> None:
    gc.collect()
    gc.disable()  # (the weak references below must not be cleared by a collection)
    try:
        refs: list[Any] = []

        async def weakly_referenced(ctx: Context, next: Next) -> None:
            refs.append(weakref.ref(ctx.request))
            ctx.body = "ok"

        async def with_an_attribute(ctx: Context, next: Next) -> None:
            ctx.user = "alice"  # type: ignore[attr-defined]  # the app's own attribute, in ctx.__dict__
            ctx.body = "ok"

        async def kept(ctx: Context, next: Next) -> None:
            refs.append(ctx.response)
            ctx.body = "ok"

        async def plain(ctx: Context, next: Next) -> None:
            ctx.body = "ok"

        assert await _served_then_pooled(Koa(silent=True).use(weakly_referenced)) == 0
        assert await _served_then_pooled(Koa(silent=True).use(with_an_attribute)) == 0
        assert await _served_then_pooled(Koa(silent=True).use(kept)) == 0

        # an app whose context class adds a slot: its value would outlive the request
        app = Koa(silent=True).use(plain)

        class SlottedContext(app.context):  # type: ignore[name-defined,misc]
            __slots__ = ("extra",)

        app.context = SlottedContext
        assert await _served_then_pooled(app) == 0
        assert await _served_then_pooled(Koa(silent=True).use(plain)) == 1
    finally:
        gc.enable()
