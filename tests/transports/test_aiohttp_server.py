"""The aiohttp transport honours koa's server_options and the Server surface."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.context import Context
from koa.types import Next

pytest.importorskip("aiohttp")

from koa.transports.aiohttp_server import AiohttpServer, create_aiohttp_server  # noqa: E402


def hello_app(**app_options: Any) -> Koa:
    app = Koa(silent=True, **app_options)

    async def mw(ctx: Context, next: Next) -> None:
        if ctx.path == "/slow":
            await asyncio.sleep(0.5)
        if ctx.method == "POST":
            ctx.body = {"size": len(await ctx.request.read())}
            return
        ctx.body = "hello"

    app.use(mw)
    return app


async def start(app: Koa | None = None, **options: Any) -> AiohttpServer:
    return await create_aiohttp_server(app or hello_app(), "127.0.0.1", 0, **options)


async def exchange(server: AiohttpServer, data: bytes, *, timeout: float = 3.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(data)
        await writer.drain()
        got = b""
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), timeout)
            if not chunk:
                return got
            got += chunk
    finally:
        writer.close()


async def test_server_surface() -> None:
    server = await start()
    try:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.sockets and server.sockets[0].getsockname()[1] == server.port
    finally:
        await server.shutdown(1.0)


async def test_unknown_option_is_an_error() -> None:
    with pytest.raises(TypeError, match="nope"):
        await start(nope=1)
    with pytest.raises(ValueError):
        await start(keep_alive_timeout=0)


async def test_keep_alive_timeout_closes_idle_connections() -> None:
    server = await start(keep_alive_timeout=0.3)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"hello"), 3)
        assert head.startswith(b"HTTP/1.1 200 ")
        assert await asyncio.wait_for(reader.read(), 3) == b""  # closed after ~0.3 s idle
        writer.close()
    finally:
        await server.shutdown(1.0)


async def test_header_timeout_counts_from_the_first_byte() -> None:
    server = await start(header_timeout=0.4, keep_alive_timeout=5)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        loop = asyncio.get_running_loop()
        began = loop.time()

        async def trickle() -> None:  # trickling does not extend it
            with contextlib.suppress(OSError):
                writer.write(b"GET / HTTP/1.1\r\n")
                for _ in range(30):
                    await asyncio.sleep(0.1)
                    writer.write(b"X-A: b\r\n")
                    await writer.drain()

        trickler = asyncio.ensure_future(trickle())
        got = await asyncio.wait_for(reader.read(), 3)
        trickler.cancel()
        assert got.startswith(b"HTTP/1.1 408 ")
        assert loop.time() - began < 2
        writer.close()
    finally:
        await server.shutdown(1.0)


async def test_idle_connection_waits_for_keep_alive_not_header_timeout() -> None:
    server = await start(header_timeout=0.2, keep_alive_timeout=1.0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        await asyncio.sleep(0.5)  # idle longer than header_timeout: still open
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        assert (await asyncio.wait_for(reader.readuntil(b"hello"), 3)).startswith(b"HTTP/1.1 200 ")
        writer.close()
    finally:
        await server.shutdown(1.0)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 2000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(20)) + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        (b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\nContent-Length: 5\r\n\r\nhello", 400),
        (b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: x\r\nFoo: a\r\n  folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\nFoo: a\r\n\r\n", 400),
    ],
    ids=["long-target", "long-header", "many-headers", "two-lengths", "length-and-chunked", "garbage", "no-host",
         "two-hosts", "bad-host", "http2-line", "connect", "unknown-coding", "gzip-then-chunked", "empty-coding",
         "http1.2", "obs-fold", "bare-lf"],
)
async def test_bad_requests(request_bytes: bytes, status: int) -> None:
    server = await start(max_header_size=1024, max_headers=10)
    try:
        got = await exchange(server, request_bytes)
    finally:
        await server.shutdown(1.0)
    assert got.startswith(b"HTTP/1.1 %d " % status), got[:200]
    assert b"\r\nconnection: close\r\n" in got.lower()  # and `exchange` read up to EOF: closed


async def test_max_body_size_sets_the_app_limit() -> None:
    app = hello_app()
    server = await start(app, max_body_size=1000)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
            ok = await c.post("/", content=b"x" * 1000)
            big = await c.post("/", content=b"x" * 1001)
    finally:
        await server.shutdown(1.0)
    assert ok.json() == {"size": 1000}
    assert big.status_code == 413
    assert app.max_body_size == 1000


async def test_shutdown_lets_in_flight_requests_finish() -> None:
    events: list[str] = []
    app = hello_app()
    app.on("shutdown", lambda a: events.append("shutdown"))
    server = await start(app)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
        await c.get("/")  # an idle keep-alive connection
        slow = asyncio.ensure_future(c.get("/slow"))
        await asyncio.sleep(0.1)
        await asyncio.wait_for(server.shutdown(5.0), 5)
        r = await slow
    assert r.text == "hello"
    assert events == ["shutdown"]
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)


async def test_shutdown_timeout_cancels_the_rest() -> None:
    cancelled = asyncio.Event()
    app = Koa(silent=True)

    async def forever(ctx: Context, next: Next) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    app.use(forever)
    server = await start(app)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    await asyncio.sleep(0.1)
    await asyncio.wait_for(server.shutdown(0.3), 5)
    assert cancelled.is_set()
    assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()


async def test_close_and_wait_closed() -> None:
    events: list[str] = []
    app = hello_app()
    app.on("shutdown", lambda a: events.append("shutdown"))
    server = await start(app)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
        await c.get("/")
        server.close()
        await asyncio.wait_for(server.wait_closed(), 5)
    assert events == ["shutdown"]


async def test_serves_on_a_given_socket() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = await create_aiohttp_server(hello_app(), sock=sock)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as c:
            assert (await c.get("/")).text == "hello"
    finally:
        await server.shutdown(1.0)


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_tls(tls_context: ssl.SSLContext) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Next) -> None:
        ctx.body = {"protocol": ctx.protocol, "secure": ctx.secure, "href": ctx.href}

    app.use(mw)
    server = await start(app, ssl=tls_context)
    try:
        async with httpx.AsyncClient(base_url=f"https://127.0.0.1:{server.port}", verify=False) as c:
            r = await c.get("/x")
    finally:
        await server.shutdown(1.0)
    assert r.json() == {"protocol": "https", "secure": True, "href": f"https://127.0.0.1:{server.port}/x"}


async def test_access_log(caplog: pytest.LogCaptureFixture) -> None:
    server = await start(access_log=True)
    try:
        with caplog.at_level("INFO", logger="koa.access"):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
                await c.get("/logged")
    finally:
        await server.shutdown(1.0)
    assert any("/logged" in rec.getMessage() for rec in caplog.records if rec.name == "koa.access")


async def test_a_stream_that_fails_midway_cuts_the_connection() -> None:
    app = Koa(silent=True)

    async def mw(ctx: Context, next: Next) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("boom")

        ctx.body = body()

    app.use(mw)
    server = await start(app)
    try:
        got = await exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    finally:
        await server.shutdown(1.0)
    assert got.startswith(b"HTTP/1.1 200 ")
    assert b"partial" in got
    assert not got.endswith(b"0\r\n\r\n")  # no final chunk: the client knows it was cut


async def test_same_bytes_as_our_server() -> None:
    """koa's two transports answer with the same status line and headers (bar the Date)."""
    pytest.importorskip("koa.transports.server")
    app = Koa(silent=True)

    async def mw(ctx: Context, next: Next) -> None:
        if ctx.path == "/stream":
            async def body() -> AsyncIterator[bytes]:
                yield b"a"

            ctx.body = body()
        elif ctx.path == "/error":
            ctx.throw(418, "teapot", headers={"X-Why": "tea"})
        else:
            ctx.cookies.set("c", "1")
            ctx.set("X-Multi", ["1", "2"])
            ctx.body = {"ok": True}

    app.use(mw)
    heads: dict[str, list[list[tuple[bytes, bytes]]]] = {}
    for transport in ("httptools", "aiohttp"):
        server = await app.create_server("127.0.0.1", 0, transport=transport)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as c:
                rs = [await c.get(p) for p in ("/", "/stream", "/error")] + [await c.head("/")]
        finally:
            await server.shutdown(1.0)
        heads[transport] = [[(k, v) for k, v in r.headers.raw if k.lower() != b"date"] for r in rs]
        heads[transport + " status"] = [[(str(r.status_code).encode(), r.reason_phrase.encode())] for r in rs]
    assert heads["aiohttp"] == heads["httptools"]
    assert heads["aiohttp status"] == heads["httptools status"]
