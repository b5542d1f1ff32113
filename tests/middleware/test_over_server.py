"""The middleware through our own server, on a real socket: files, ranges, traversal, limits, streams."""
from __future__ import annotations

import asyncio
import contextlib
import gzip
import os
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.middleware import body_parser, compress, conditional, etag, serve

SECRET = b"TOP SECRET"
BIG = os.urandom(3 * 1024 * 1024)  # past any small-file shortcut: sent with sendfile


@pytest.fixture(params=["httptools", "aiohttp"], autouse=True)
def transport(request: pytest.FixtureRequest) -> str:
    """Every test here runs on both of our servers."""
    TRANSPORT[0] = request.param
    return str(request.param)


TRANSPORT = ["httptools"]


@contextlib.asynccontextmanager
async def running(app: Koa) -> AsyncIterator[tuple[int, httpx.AsyncClient]]:
    server = await app.create_server("127.0.0.1", 0, transport=TRANSPORT[0])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            yield server.port, client
    finally:
        await server.shutdown(timeout=2)


async def raw_request(port: int, data: bytes) -> bytes:
    """Send bytes as they are (no client-side normalisation); the whole answer until close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(-1), 10)
    finally:
        writer.close()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "public"
    root.mkdir()
    (root / "big.bin").write_bytes(BIG)
    (root / "page.html").write_text("<p>" + "hello " * 1000 + "</p>")
    (root / ".env").write_bytes(b"PASSWORD=1")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (root / "escape").symlink_to(tmp_path / "secret.txt")
    return root


async def test_files_ranges_and_conditional(tree: Path) -> None:
    app = Koa()
    app.use(serve(tree))
    async with running(app) as (_, c):
        r = await c.get("/big.bin")
        assert r.status_code == 200 and r.content == BIG
        assert r.headers["content-length"] == str(len(BIG))
        r = await c.head("/big.bin")
        assert r.headers["content-length"] == str(len(BIG)) and r.content == b""
        r = await c.get("/big.bin", headers={"Range": "bytes=1000000-1999999"})
        assert r.status_code == 206 and r.content == BIG[1000000:2000000]
        r = await c.get("/big.bin", headers={"Range": "bytes=-10"})
        assert r.content == BIG[-10:]
        r = await c.get("/big.bin", headers={"Range": f"bytes={len(BIG)}-"})
        assert r.status_code == 416
        etag_value = (await c.head("/big.bin")).headers["etag"]
        r = await c.get("/big.bin", headers={"If-None-Match": etag_value})
        assert r.status_code == 304 and r.content == b""
        # the connection is still usable after all of these
        assert (await c.get("/page.html")).status_code == 200


@pytest.mark.parametrize("target", [
    b"/../secret.txt", b"/%2e%2e/secret.txt", b"/..%2fsecret.txt", b"/..\\secret.txt", b"/%5c..%5csecret.txt",
    b"/escape", b"/.env", b"/%00", b"//secret.txt", b"/page.html/../../secret.txt",
])
async def test_no_way_out_of_root_on_the_wire(tree: Path, target: bytes) -> None:
    app = Koa(silent=True)
    app.use(serve(tree))
    async with running(app) as (port, _):
        answer = await raw_request(port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 403, 404)
    assert SECRET not in answer and b"PASSWORD" not in answer


async def test_compress_file_and_etag(tree: Path) -> None:
    app = Koa()
    app.use(compress()).use(conditional()).use(etag()).use(serve(tree))
    async with running(app) as (_, c):
        r = await c.get("/page.html", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert r.text.startswith("<p>hello")
        r2 = await c.get("/page.html", headers={"Accept-Encoding": "gzip", "If-None-Match": r.headers["etag"]})
        assert r2.status_code == 304
        r3 = await c.get("/big.bin", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in r3.headers and r3.content == BIG  # octet-stream: not compressed


async def test_compressed_stream_is_chunked(tree: Path) -> None:
    app = Koa()
    app.use(compress())

    async def stream(ctx: Any, next: Any) -> None:
        async def gen() -> AsyncIterator[str]:
            for i in range(100):
                yield f"line {i}\n" * 20

        ctx.type = "text"
        ctx.body = gen()

    app.use(stream)
    async with running(app) as (port, _):
        answer = await raw_request(port, b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
                                         b"Connection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower() and b"content-encoding: gzip" in head.lower()
    data = b""
    while True:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        data += body[:size]
        body = body[size + 2:]
    assert gzip.decompress(data) == b"".join(f"line {i}\n".encode() * 20 for i in range(100))


async def test_body_limit_413_closes_the_connection(transport: str) -> None:
    app = Koa()
    app.use(body_parser(json_limit=1000))
    app.use(lambda ctx, next: setattr(ctx, "body", "parsed"))
    async with running(app) as (port, c):
        big = b'{"a": "' + b"x" * 100_000 + b'"}'
        r = await c.post("/", content=big, headers={"content-type": "application/json"})
        assert r.status_code == 413
        # chunked: no length announced, refused as soon as the limit is passed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            writer.write(b"400\r\n" + b"{" + b" " * 1023 + b"\r\n")
            writer.write(b"400\r\n" + b" " * 1024 + b"\r\n")
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith(b"HTTP/1.1 413")
            assert b"connection: close" in head.lower()
            if transport == "httptools":
                await asyncio.wait_for(reader.read(-1), 10)  # and it does close
                assert reader.at_eof()
        finally:
            writer.close()
        assert (await c.post("/", json={"a": 1})).text == "parsed"


async def test_multipart_upload_over_the_wire(tmp_path: Path) -> None:
    app = Koa()
    app.use(body_parser(enable_types=["multipart"], multipart_limit="10mb", spool_max_size="64kb",
                        upload_dir=str(tmp_path)))

    async def handler(ctx: Any, next: Any) -> None:
        upload = ctx.request.files["file"]
        data = await upload.read()
        ctx.body = {"name": ctx.request.body["name"], "size": upload.size, "same": data == BIG,
                    "on_disk": not upload.in_memory}

    app.use(handler)
    async with running(app) as (_, c):
        r = await c.post("/", data={"name": "big"}, files={"file": ("big.bin", BIG)})
        assert r.json() == {"name": "big", "size": len(BIG), "same": True, "on_disk": True}
        r = await c.post("/", data={"name": "x"}, files={"file": ("huge.bin", BIG * 4)})
        assert r.status_code == 413
    assert list(tmp_path.iterdir()) == []  # spooled files are anonymous and gone


async def test_sse_through_compress_on_the_wire() -> None:
    gate = asyncio.Event()
    app = Koa()
    app.use(compress())

    async def events(ctx: Any, next: Any) -> None:
        async def gen() -> AsyncIterator[str]:
            yield "data: one\n\n"
            await gate.wait()
            yield "data: two\n\n"

        ctx.type = "text/event-stream"
        ctx.body = gen()

    app.use(events)
    async with running(app) as (_, c), c.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as r:
        d = zlib.decompressobj(31)
        got = b""
        raw = r.aiter_raw()
        while b"data: one" not in got:
            got += d.decompress(await asyncio.wait_for(raw.__anext__(), 5))
        gate.set()
        async for chunk in raw:
            got += d.decompress(chunk)
        assert got == b"data: one\n\ndata: two\n\n"
