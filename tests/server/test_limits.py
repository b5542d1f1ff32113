"""server_options limits and timeouts: 414, 431, 413 (then close), header_timeout, keep_alive_timeout."""
from __future__ import annotations

import asyncio

import pytest

from koa.context import Context
from server._wire import exchange, is_closed
from server.conftest import Recorder, Start, app_with

H = b"Host: x\r\n"


async def test_request_line_over_max_header_size_is_414(start: Start) -> None:
    app = Recorder()
    server = await start(app, max_header_size=1024)
    reply = await exchange(server.port, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n" + H + b"\r\n")
    assert reply.statuses == [414]
    assert reply.closed
    assert app.seen == []


async def test_default_max_header_size_is_16k(start: Start) -> None:
    server = await start(Recorder())
    ok = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"X: " + b"a" * 15000 + b"\r\n\r\n", responses=1)
    assert ok.statuses == [200]
    big = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"X: " + b"a" * 17000 + b"\r\n\r\n")
    assert big.statuses == [431]
    long = await exchange(server.port, b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\n" + H + b"\r\n")
    assert long.statuses == [414]


async def test_headers_over_max_header_size_are_431(start: Start) -> None:
    app = Recorder()
    server = await start(app, max_header_size=1024)
    one_big = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"X: " + b"a" * 2000 + b"\r\n\r\n")
    many = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: %s\r\n" % (i, b"v" * 40)
                                                                           for i in range(40)) + b"\r\n")
    for reply in (one_big, many):
        assert reply.statuses == [431]
        assert reply.closed
    assert app.seen == []


async def test_a_head_trickled_over_many_reads_is_bounded(start: Start) -> None:
    server = await start(Recorder(), max_header_size=1024, header_timeout=30)
    steps = [(b"GET / HTTP/1.1\r\n" + H + b"X: ", 0.0)] + [(b"a" * 200, 0.02) for _ in range(20)]
    reply = await exchange(server.port, steps)
    assert reply.statuses == [431]
    assert reply.closed


async def test_too_many_headers_is_431(start: Start) -> None:
    app = Recorder()
    server = await start(app, max_headers=10)
    ok = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(9))
                        + b"\r\n", responses=1)
    assert ok.statuses == [200]
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"".join(b"X-%d: v\r\n" % i for i in range(10))
                           + b"\r\n")
    assert reply.statuses == [431]
    assert reply.closed


async def read_app() -> Recorder:
    async def h(ctx: Context) -> None:
        ctx.body = {"size": len(await ctx.request.read())}

    return app_with(h)


async def test_declared_body_over_max_body_size_is_413_then_close(start: Start) -> None:
    server = await start(await read_app(), max_body_size=100)
    reply = await exchange(server.port, b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1000\r\n\r\n" + b"x" * 1000
                           + b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    assert reply.statuses == [413]
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed


async def test_chunked_body_over_max_body_size_is_413_then_close(start: Start) -> None:
    server = await start(await read_app(), max_body_size=100)
    chunks = b"".join(b"32\r\n" + b"y" * 50 + b"\r\n" for _ in range(5))
    steps = [(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" + chunks, 0.0),
             (chunks + b"0\r\n\r\n", 0.2)]
    reply = await exchange(server.port, steps)
    assert reply.statuses == [413]
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed


async def test_413_while_the_client_still_sends_is_delivered(start: Start) -> None:
    # a lingering close: the server reads (and drops) what still comes, so the client gets the 413
    server = await start(await read_app(), max_body_size=1000)
    head = b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3000000\r\n\r\n"
    steps = [(head, 0.0)] + [(b"z" * 100_000, 0.005) for _ in range(30)]
    reply = await exchange(server.port, steps, timeout=5)
    assert reply.statuses == [413]


async def test_app_max_body_size_wins_over_the_server_option(start: Start) -> None:
    app = await read_app()
    app.max_body_size = 10
    server = await start(app, max_body_size=1000)
    reply = await exchange(server.port, b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 20\r\n\r\n" + b"x" * 20)
    assert reply.statuses == [413]
    assert app.max_body_size == 10


async def test_body_within_limits_keeps_the_connection(start: Start) -> None:
    server = await start(await read_app(), max_body_size=100)
    reply = await exchange(server.port, b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello"
                           + b"GET / HTTP/1.1\r\n" + H + b"\r\n", responses=2)
    assert reply.statuses == [200, 200]
    assert reply.responses[0].body == b'{"size":5}'


async def test_header_timeout_counts_from_the_first_byte(start: Start) -> None:
    app = Recorder()
    server = await start(app, header_timeout=0.5, keep_alive_timeout=10)
    loop = asyncio.get_running_loop()
    began = loop.time()
    # slowloris: a header line every 0.1 s would keep a per-read timer alive forever
    steps = [(b"GET / HTTP/1.1\r\n", 0.0)] + [(b"X-A: b\r\n", 0.1) for _ in range(40)]
    reply = await exchange(server.port, steps, timeout=5)
    took = loop.time() - began
    assert reply.statuses == [408]
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed
    assert 0.4 <= took < 2.0
    assert app.seen == []


@pytest.mark.parametrize("transport", ["httptools", "aiohttp"])
async def test_body_timeout_when_the_body_stops(transport: str) -> None:
    app = Recorder()
    server = await app.create_server("127.0.0.1", 0, transport=transport, body_timeout=0.3)
    try:
        loop = asyncio.get_running_loop()
        began = loop.time()
        # 3 of the 10 promised bytes, then nothing: the app's read must not wait forever
        steps = [(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 0.0)]
        reply = await exchange(server.port, steps, timeout=5)
        took = loop.time() - began
        assert reply.statuses == [408]
        assert reply.closed
        assert 0.25 <= took < 3.0
    finally:
        await server.shutdown(1.0)


async def test_a_body_trickling_within_body_timeout_is_read(start: Start) -> None:
    server = await start(Recorder(), body_timeout=0.5)
    steps = [(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n", 0.0)]
    steps += [(b"a", 0.2) for _ in range(4)]  # 0.8 s in all, never 0.5 s without a byte
    reply = await exchange(server.port, steps, responses=1, timeout=5)
    assert reply.statuses == [200]
    assert reply.responses[0].body == b"ok POST / 4"


async def test_a_head_arriving_in_time_is_served(start: Start) -> None:
    server = await start(Recorder(), header_timeout=1.0)
    steps = [(b"GET / HT", 0.0), (b"TP/1.1\r\nHost", 0.2), (b": x\r\n\r\n", 0.2)]
    reply = await exchange(server.port, steps, responses=1)
    assert reply.statuses == [200]


async def test_keep_alive_timeout_closes_idle_connections(start: Start) -> None:
    server = await start(Recorder(), keep_alive_timeout=0.3, header_timeout=10)
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"ok GET / 0"), 3)
        idle = loop.time()
        assert await is_closed(reader, 3)
        assert 0.25 <= loop.time() - idle < 1.5
    finally:
        writer.close()


async def test_an_idle_connection_waits_for_keep_alive_not_header_timeout(start: Start) -> None:
    server = await start(Recorder(), keep_alive_timeout=1.0, header_timeout=0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        await asyncio.sleep(0.5)  # no byte sent: not a slow head, just an idle connection
        writer.write(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
        await writer.drain()
        assert b"200 OK" in await asyncio.wait_for(reader.readuntil(b"ok GET / 0"), 3)
    finally:
        writer.close()


async def test_a_slow_handler_is_not_cut_by_the_timeouts(start: Start) -> None:
    async def h(ctx: Context) -> None:
        await asyncio.sleep(0.6)
        ctx.body = "late"

    server = await start(app_with(h), keep_alive_timeout=0.2, header_timeout=0.2)
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"\r\n", responses=1)
    assert reply.statuses == [200]
    assert reply.responses[0].body == b"late"
