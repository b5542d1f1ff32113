"""Connections behave the same on every transport: events, streaming, disconnects, 100-continue."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.context import Context
from koa.types import Next
from transports.serving import Served, serve

WIRE = 5.0  # seconds any single wire-level wait may take


def app_with(handler: Any) -> Koa:
    app = Koa(silent=True)

    async def mw(ctx: Context, next: Next) -> None:
        await handler(ctx)

    app.use(mw)
    return app


def needs_wire(transport: str) -> None:
    if transport == "testclient":
        pytest.skip("TestClient has no connection: nothing streams or disconnects")


async def raw_exchange(client: httpx.AsyncClient, data: bytes, *, read_until: bytes | None = None) -> bytes:
    """Send raw bytes to the server behind `client`; read until `read_until`, EOF or a quiet second."""
    reader, writer = await asyncio.open_connection(client.base_url.host, client.base_url.port)
    try:
        writer.write(data)
        await writer.drain()
        got = b""
        while read_until is None or read_until not in got:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 1.0)
            except TimeoutError:
                break
            if not chunk:
                break
            got += chunk
        return got
    finally:
        writer.close()


async def test_startup_and_shutdown_events(transport: str) -> None:
    events: list[str] = []
    app = Koa()
    app.on("startup", lambda a: events.append("startup"))

    async def on_shutdown(a: Koa) -> None:
        await asyncio.sleep(0)
        events.append("shutdown")

    app.on("shutdown", on_shutdown)

    async def mw(ctx: Context, next: Next) -> None:
        events.append("request")
        ctx.body = "ok"

    app.use(mw)
    async with serve(app, transport) as c:
        assert events == ["startup"]
        assert (await c.get("/")).text == "ok"
    assert events == ["startup", "request", "shutdown"]


async def test_failing_startup_stops_the_server(transport: str) -> None:
    app = Koa()

    def boom(a: Koa) -> None:
        raise RuntimeError("no database")

    app.on("startup", boom)
    with pytest.raises(BaseException):  # noqa: B017,PT011 - each server reports it its own way
        async with serve(app, transport) as c:
            await c.get("/")


async def test_keep_alive_serves_many_requests(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = ctx.path

    async with served(app_with(h)) as c:
        for i in range(20):
            assert (await c.get(f"/{i}")).text == f"/{i}"


async def test_concurrent_requests(served: Served) -> None:
    async def h(ctx: Context) -> None:
        await asyncio.sleep(0.05)
        ctx.body = ctx.path

    async with served(app_with(h)) as c:
        rs = await asyncio.wait_for(asyncio.gather(*(c.get(f"/{i}") for i in range(20))), 10)
    assert [r.text for r in rs] == [f"/{i}" for i in range(20)]


async def test_response_streams_as_produced(served: Served, transport: str) -> None:
    needs_wire(transport)
    first_seen = asyncio.Event()

    async def h(ctx: Context) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"first;"
            await asyncio.wait_for(first_seen.wait(), WIRE)  # only once the client has it
            yield b"second"

        ctx.body = body()

    async with served(app_with(h)) as c, c.stream("GET", "/") as r:
        got = b""
        async for chunk in r.aiter_raw():
            got += chunk
            if got == b"first;":
                first_seen.set()
    assert got == b"first;second"
    assert first_seen.is_set()


async def test_flush_headers_sends_the_head_first(served: Served, transport: str) -> None:
    needs_wire(transport)
    head_seen = asyncio.Event()

    async def h(ctx: Context) -> None:
        ctx.set("X-Early", "yes")
        ctx.type = "text"
        ctx.flush_headers()
        await asyncio.wait_for(head_seen.wait(), WIRE)
        ctx.body = "late body"

    async with served(app_with(h)) as c, c.stream("GET", "/") as r:
        assert r.headers["x-early"] == "yes"
        head_seen.set()
        body = await r.aread()
    assert body == b"late body"


async def test_client_disconnect_cancels_a_long_handler(served: Served, transport: str) -> None:
    needs_wire(transport)
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def h(ctx: Context) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        ctx.body = "too late"

    async with served(app_with(h)) as c:
        reader, writer = await asyncio.open_connection(c.base_url.host, c.base_url.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(started.wait(), WIRE)
        writer.close()
        await asyncio.wait_for(cancelled.wait(), WIRE)


async def test_client_disconnect_closes_a_streaming_body(served: Served, transport: str) -> None:
    needs_wire(transport)
    closed = asyncio.Event()

    async def h(ctx: Context) -> None:
        async def body() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"tick\n"
                    await asyncio.sleep(0.01)
            finally:
                closed.set()

        ctx.body = body()

    async with served(app_with(h)) as c:
        reader, writer = await asyncio.open_connection(c.base_url.host, c.base_url.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"tick\n"), WIRE)
        writer.close()
        await asyncio.wait_for(closed.wait(), WIRE)


async def test_expect_100_continue(served: Served, transport: str) -> None:
    needs_wire(transport)

    async def h(ctx: Context) -> None:
        ctx.body = (await ctx.request.read()).upper()

    async with served(app_with(h)) as c:
        reader, writer = await asyncio.open_connection(c.base_url.host, c.base_url.port)
        try:
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            await writer.drain()
            interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WIRE)
            assert interim.startswith(b"HTTP/1.1 100 ")
            writer.write(b"hello")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WIRE)
            assert head.startswith(b"HTTP/1.1 200 ")
            assert await asyncio.wait_for(reader.readexactly(5), WIRE) == b"HELLO"
        finally:
            writer.close()


async def test_no_100_continue_when_the_body_is_not_read(served: Served, transport: str) -> None:
    needs_wire(transport)

    async def h(ctx: Context) -> None:
        ctx.status = 401
        ctx.body = "no"

    async with served(app_with(h)) as c:
        got = await raw_exchange(
            c, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", read_until=b"no"
        )
    if transport == "hypercorn":
        # hypercorn answers `100 Continue` as soon as the head arrives, before the app runs
        assert got.startswith(b"HTTP/1.1 100 ")
        got = got.split(b"\r\n\r\n", 1)[1]
    assert got.startswith(b"HTTP/1.1 401 ")
    assert b" 100 " not in got.split(b"\r\n", 1)[0]


async def test_http_1_0(served: Served, transport: str) -> None:
    needs_wire(transport)

    async def h(ctx: Context) -> None:
        ctx.body = "v" + ctx.request.http_version

    async with served(app_with(h)) as c:
        got = await raw_exchange(c, b"GET / HTTP/1.0\r\n\r\n")
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.split(b" ", 1)[0] in (b"HTTP/1.0", b"HTTP/1.1")
    assert b" 200 " in head.split(b"\r\n")[0]
    assert body == b"v1.0"


async def test_pipelined_requests(served: Served, transport: str) -> None:
    needs_wire(transport)

    async def h(ctx: Context) -> None:
        ctx.body = ctx.path

    async with served(app_with(h)) as c:
        got = await raw_exchange(
            c, b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n", read_until=b"/two"
        )
    assert got.count(b"HTTP/1.1 200 ") == 2
    assert got.index(b"/one") < got.index(b"/two")
