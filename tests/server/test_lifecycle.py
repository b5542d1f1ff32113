"""Starting and stopping: startup/shutdown handlers, graceful shutdown, close(), the Server surface,
server_options checks, the protocol factory, Unix sockets, TLS, the access log."""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from koa import Koa
from koa.context import Context
from koa.transports.options import DEFAULTS, ServerOptions
from koa.transports.server import HttpToolsServer, Server, create_server
from server._wire import exchange, is_closed
from server.conftest import Recorder, Start, app_with

H = b"Host: x\r\n"
GET = b"GET / HTTP/1.1\r\n" + H + b"\r\n"


async def test_server_surface(start: Start) -> None:
    server = await start(Recorder())
    assert isinstance(server, Server) and isinstance(server, HttpToolsServer)
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.sockets[0].getsockname()[1] == server.port
    assert str(server.port) in repr(server)


async def test_startup_runs_before_serving_and_shutdown_after() -> None:
    events: list[str] = []
    app = Koa()

    async def on_startup(a: Koa) -> None:
        await asyncio.sleep(0.01)
        events.append("startup")

    app.on("startup", on_startup)
    app.on("shutdown", lambda a: events.append("shutdown"))

    async def h(ctx: Context, next: object) -> None:
        events.append("request")
        ctx.body = "ok"

    app.use(h)
    server = await app.create_server()
    assert events == ["startup"]
    assert (await exchange(server.port, GET, responses=1)).statuses == [200]
    await server.shutdown(1)
    await server.shutdown(1)  # twice is harmless
    assert events == ["startup", "request", "shutdown"]


async def test_failing_startup_does_not_serve() -> None:
    app = Koa()

    def boom(a: Koa) -> None:
        raise RuntimeError("no database")

    app.on("startup", boom)
    with pytest.raises(RuntimeError, match="no database"):
        await app.create_server()


async def test_shutdown_lets_a_request_in_flight_finish() -> None:
    started = asyncio.Event()

    async def h(ctx: Context) -> None:
        started.set()
        await asyncio.sleep(0.3)
        ctx.body = "finished"

    app = app_with(h)
    server = await app.create_server()
    port = server.port
    idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
    request = asyncio.ensure_future(exchange(port, GET))
    await asyncio.wait_for(started.wait(), 3)
    stopping = asyncio.ensure_future(server.shutdown(5))
    await asyncio.sleep(0.05)
    assert await is_closed(idle_reader, 1)  # idle keep-alive connections close at once
    idle_writer.close()
    with pytest.raises(OSError):  # no longer accepting
        await asyncio.open_connection("127.0.0.1", port)
    reply = await request
    await stopping
    assert reply.statuses == [200]
    assert reply.responses[0].body == b"finished"
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed
    assert server.connections == 0


async def test_shutdown_timeout_cancels_what_is_still_running() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def h(ctx: Context) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    server = await app_with(h).create_server()
    request = asyncio.ensure_future(exchange(server.port, GET, timeout=5))
    await asyncio.wait_for(started.wait(), 3)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await server.shutdown(0.3)
    assert 0.25 <= loop.time() - began < 2
    assert cancelled.is_set()
    reply = await request
    assert reply.closed
    assert server.connections == 0


async def test_close_then_wait_closed() -> None:
    events: list[str] = []
    started = asyncio.Event()

    async def h(ctx: Context) -> None:
        started.set()
        await asyncio.sleep(30)

    app = app_with(h)
    app.on("shutdown", lambda a: events.append("shutdown"))
    server = await app.create_server()
    request = asyncio.ensure_future(exchange(server.port, GET, timeout=5))
    await asyncio.wait_for(started.wait(), 3)
    server.close()
    await asyncio.wait_for(server.wait_closed(), 3)
    assert (await request).closed
    assert events == ["shutdown"]


async def test_async_with_shuts_down() -> None:
    app = Recorder()
    async with await app.create_server() as server:
        assert (await exchange(server.port, GET, responses=1)).statuses == [200]
    assert server.connections == 0


def test_options_defaults_are_the_contracts() -> None:
    assert DEFAULTS == {
        "keep_alive_timeout": 5.0, "header_timeout": 10.0, "body_timeout": 30.0, "max_header_size": 16 * 1024,
        "max_headers": 100,
        "max_body_size": 1024 * 1024, "backlog": 2048, "reuse_port": False, "ssl": None, "access_log": False,
    }


@pytest.mark.parametrize(("options", "error"), [
    ({"keep_alive": 5}, TypeError),
    ({"keep_alive_timeout": 0}, ValueError),
    ({"keep_alive_timeout": "5"}, TypeError),
    ({"header_timeout": -1}, ValueError),
    ({"header_timeout": True}, TypeError),
    ({"body_timeout": 0}, ValueError),
    ({"body_timeout": "30"}, TypeError),
    ({"max_header_size": 10}, ValueError),
    ({"max_header_size": 1.5}, TypeError),
    ({"max_headers": 0}, ValueError),
    ({"max_body_size": -1}, ValueError),
    ({"backlog": 0}, ValueError),
    ({"reuse_port": 1}, TypeError),
    ({"ssl": "yes"}, TypeError),
    ({"access_log": "yes"}, TypeError),
])
async def test_bad_options_are_refused_before_binding(options: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        await Recorder().create_server(**options)
    with pytest.raises(error):
        ServerOptions.from_kwargs(options)


async def test_unknown_transport_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown transport 'carrier-pigeon'"):
        await create_server(Recorder(), transport="carrier-pigeon")


async def test_aiohttp_transport_is_dispatched() -> None:
    pytest.importorskip("aiohttp")
    server = await Recorder().create_server(transport="aiohttp")
    try:
        assert (await exchange(server.port, GET, responses=1)).statuses == [200]
    finally:
        await server.shutdown(1)


async def test_get_http_request_handler_with_loop_create_server() -> None:
    events: list[str] = []
    app = Recorder()

    async def on_startup(a: Koa) -> None:
        await asyncio.sleep(0.05)
        events.append("startup")

    app.on("startup", on_startup)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(app.get_http_request_handler, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        reply = await exchange(port, GET, responses=1)
        assert reply.statuses == [200]
        assert events == ["startup"]  # ran before the first request was handled
    finally:
        server.close()
        await server.wait_closed()


async def test_unix_socket(start: Start, tmp_path: Path) -> None:
    path = str(tmp_path / "koa.sock")
    server = await Recorder().create_server(uds=path)
    try:
        assert server.host == path and server.port == 0
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(GET)
        await writer.drain()
        data = await asyncio.wait_for(reader.readuntil(b"ok GET / 0"), 3)
        assert data.startswith(b"HTTP/1.1 200 OK")
        writer.close()
    finally:
        await server.shutdown(1)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


async def test_tls(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def h(ctx: Context) -> None:
        ctx.body = f"{ctx.protocol} {ctx.secure}"

    server = await app_with(h).create_server(ssl=context)
    try:
        client = ssl.create_default_context(cafile=str(cert))
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, ssl=client)
        writer.write(GET + GET)
        await writer.drain()
        data = await asyncio.wait_for(reader.readuntil(b"https True"), 3)
        data += await asyncio.wait_for(reader.readuntil(b"https True"), 3)
        assert data.count(b"HTTP/1.1 200 OK") == 2
        writer.close()
    finally:
        await server.shutdown(1)


async def test_tls_file_body(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    data = os.urandom(1024 * 1024 + 3)
    (tmp_path / "f.bin").write_bytes(data)

    async def h(ctx: Context) -> None:
        ctx.body = tmp_path / "f.bin"

    server = await app_with(h).create_server(ssl=context)
    try:
        client = ssl.create_default_context(cafile=str(cert))
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port, ssl=client)
        writer.write(GET)
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
        assert await asyncio.wait_for(reader.readexactly(len(data)), 5) == data
        writer.close()
    finally:
        await server.shutdown(1)


async def test_access_log(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    server = await start(Recorder(), access_log=True)
    with caplog.at_level(logging.INFO, logger="koa.access"):
        await exchange(server.port, b"GET /logged?x=1 HTTP/1.1\r\n" + H + b"\r\n", responses=1)
        await exchange(server.port, b"GET / HTTP/1.1\r\n\r\n")  # refused: logged too
    lines = [r.getMessage() for r in caplog.records if r.name == "koa.access"]
    assert any('"GET /logged?x=1 HTTP/1.1" 200' in line and line.startswith("127.0.0.1") for line in lines)
    assert any(" 400 " in line for line in lines)


async def test_no_access_log_by_default(start: Start, caplog: pytest.LogCaptureFixture) -> None:
    server = await start(Recorder())
    with caplog.at_level(logging.INFO, logger="koa.access"):
        await exchange(server.port, GET, responses=1)
    assert not [r for r in caplog.records if r.name == "koa.access"]


async def test_max_body_size_option_sets_the_apps_default_limit(start: Start) -> None:
    app = Recorder()
    await start(app, max_body_size=123)
    assert app.max_body_size == 123
