"""Streaming both ways with back-pressure, files (sendfile), and clients that leave."""
from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from koa.context import Context
from server._wire import exchange
from server.conftest import Start, app_with

H = b"Host: x\r\n"

def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


async def test_unread_request_body_pauses_reading(start: Start) -> None:
    go = asyncio.Event()
    paused: list[bool] = []

    async def h(ctx: Context) -> None:
        await asyncio.sleep(0.3)  # the client keeps sending; the server must stop reading
        paused.append(not ctx.socket.is_reading())
        await go.wait()
        digest = hashlib.sha256()
        size = 0
        async for chunk in ctx.request.stream():
            size += len(chunk)
            digest.update(chunk)
        ctx.body = f"{size} {digest.hexdigest()}"

    server = await start(app_with(h))
    body = os.urandom(8 * 1024 * 1024)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(body))
        writer.write(body)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(writer.drain(), 0.6)  # the server is not reading it
        go.set()
        await asyncio.wait_for(writer.drain(), 10)
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        answer = await asyncio.wait_for(reader.read(200), 5)
    finally:
        writer.close()
    assert paused == [True]
    assert answer.decode() == f"{len(body)} {hashlib.sha256(body).hexdigest()}"


async def test_streamed_response_waits_for_a_slow_client(start: Start) -> None:
    produced = 0
    piece = b"x" * 65536

    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            nonlocal produced
            for _ in range(400):  # 25 MiB
                produced += 1
                yield piece

        ctx.body = gen()

    server = await start(app_with(h))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port, limit=1024)
    try:
        writer.write(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
        await writer.drain()
        await asyncio.sleep(0.5)  # read nothing: the generator must be held back
        held = produced
        total = 0
        while True:
            data = await asyncio.wait_for(reader.read(1 << 20), 10)
            total += len(data)
            if data.endswith(b"0\r\n\r\n") or not data:
                break
    finally:
        writer.close()
    assert held < 200, f"{held} pieces produced for a client that read nothing"
    assert produced == 400
    assert total > 400 * 65536


@pytest.mark.parametrize("size", [0, 100, 64 * 1024, 3 * 1024 * 1024 + 17])
async def test_path_body(start: Start, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)

    async def h(ctx: Context) -> None:
        ctx.body = path

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"\r\n" * 1 + b"GET / HTTP/1.1\r\n" + H + b"\r\n",
                           responses=2, timeout=10)
    assert [len(r.body) for r in reply.responses] == [size, size]
    assert reply.responses[0].body == data
    assert reply.responses[0].header("content-length") == str(size)


async def test_big_file_to_a_slow_client(start: Start, tmp_path: Path) -> None:
    data = os.urandom(12 * 1024 * 1024)
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    async def h(ctx: Context) -> None:
        ctx.body = path

    server = await start(app_with(h))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"GET / HTTP/1.1\r\n" + H + b"\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert b"Content-Length: %d" % len(data) in head
        got = bytearray()
        while len(got) < len(data):
            got += await asyncio.wait_for(reader.read(256 * 1024), 10)
            await asyncio.sleep(0.001)
        assert bytes(got) == data
        writer.write(b"GET / HTTP/1.1\r\n" + H + b"\r\n")  # the connection is still good
        await writer.drain()
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()


async def test_open_file_and_bytesio_bodies(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"0123456789" * 10000)
    opened: list[io.BufferedReader] = []

    async def h(ctx: Context) -> None:
        if ctx.path == "/file":
            f = open(path, "rb")  # noqa: SIM115 - the server closes it
            f.seek(10)
            opened.append(f)
            ctx.body = f
        elif ctx.path == "/chunked-file":
            f = open(path, "rb")  # noqa: SIM115
            opened.append(f)
            ctx.body = f
            ctx.remove("Content-Length")
        else:
            ctx.body = io.BytesIO(b"in memory")

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET /file HTTP/1.1\r\n" + H + b"\r\nGET /mem HTTP/1.1\r\n" + H + b"\r\n"
                           + b"GET /chunked-file HTTP/1.1\r\n" + H + b"\r\n", responses=3, timeout=10)
    assert reply.responses[0].body == (b"0123456789" * 10000)[10:]
    assert reply.responses[1].body == b"in memory"
    assert reply.responses[2].body == b"0123456789" * 10000
    assert all(f.closed for f in opened)


async def test_head_of_a_file(start: Start, tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100_000)

    async def h(ctx: Context) -> None:
        ctx.body = path

    server = await start(app_with(h))
    reply = await exchange(server.port, b"HEAD / HTTP/1.1\r\n" + H + b"\r\n", timeout=0.5)
    assert reply.raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 100000" in reply.raw
    assert reply.raw.endswith(b"\r\n\r\n")


async def test_missing_file_is_a_500_before_the_head(start: Start, tmp_path: Path) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = tmp_path / "gone.bin"

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"\r\n", responses=1)
    assert reply.statuses == [500]


async def test_stream_error_after_the_head_cuts_the_response(start: Start) -> None:
    errors: list[BaseException] = []

    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"partial"
            raise RuntimeError("broken stream")

        ctx.body = gen()

    app = app_with(h)
    app.on("error", lambda err, ctx: errors.append(err))
    server = await start(app)
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    assert reply.closed
    assert b"partial" in reply.raw
    assert not reply.raw.endswith(b"0\r\n\r\n")  # no last chunk: the client sees it is incomplete
    assert [str(e) for e in errors] == ["broken stream"]


async def test_stream_error_before_the_first_piece(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            raise RuntimeError("nothing")
            yield b""  # pragma: no cover

        ctx.body = gen()

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"\r\n")
    assert reply.closed
    assert b"nothing" not in reply.raw


async def test_disconnect_cancels_the_handler_and_leaks_nothing(start: Start) -> None:
    started = asyncio.Event()
    cancelled = 0
    closed = 0

    async def h(ctx: Context) -> None:
        nonlocal cancelled, closed
        if ctx.path == "/warm":
            ctx.body = "warm"
            return
        if ctx.path == "/stream":
            async def gen() -> AsyncIterator[bytes]:
                nonlocal closed
                try:
                    while True:
                        yield b"tick\n"
                        await asyncio.sleep(0.005)
                finally:
                    closed += 1

            ctx.body = gen()
            return
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    server = await start(app_with(h))
    loop = asyncio.get_running_loop()
    await exchange(server.port, b"GET /warm HTTP/1.1\r\n" + H + b"\r\n", responses=1)
    fds = open_fds()
    for _ in range(10):
        for path in (b"/", b"/stream"):
            started.clear()
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"GET " + path + b" HTTP/1.1\r\n" + H + b"\r\n")
            await writer.drain()
            if path == b"/":
                await asyncio.wait_for(started.wait(), 3)
            else:
                await asyncio.wait_for(reader.readuntil(b"tick\n"), 3)
            writer.close()
            await writer.wait_closed()
    deadline = loop.time() + 5
    while (cancelled < 10 or closed < 10 or server.connections) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert (cancelled, closed, server.connections) == (10, 10, 0)
    assert open_fds() <= fds
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and "TaskBody" in repr(t)]
    assert others == []
