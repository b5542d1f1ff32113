"""compress(): koa-compress' choices, encodings, thresholds, and streaming."""
from __future__ import annotations

import asyncio
import gzip
import io
import zlib
from pathlib import Path
from typing import Any

import brotli
import pytest

from koa import Koa
from koa.middleware import compress, etag
from koa.middleware.compress import choose_encoding, compressible

TEXT = "Hello, compression! " * 200  # 4000 bytes


def app_with(body: Any, *, content_type: str | None = None, **options: Any) -> Koa:
    app = Koa()
    app.use(compress(**options))

    async def respond(ctx: Any, next: Any) -> None:
        if content_type:
            ctx.type = content_type
        ctx.body = body() if callable(body) else body

    app.use(respond)
    return app


async def raw(app: Koa, asgi: Any, accept: str | None = "gzip", method: str = "GET") -> Any:
    headers = {"Accept-Encoding": accept} if accept is not None else {}
    return await asgi(app, method, "/", headers)


async def test_compresses_strings(asgi: Any) -> None:
    result = await raw(app_with(TEXT), asgi)
    assert result.status == 200
    assert result.header("content-encoding") == "gzip"
    assert result.header("vary") == "Accept-Encoding"
    assert result.header("content-type") == "text/plain; charset=utf-8"
    assert gzip.decompress(result.body) == TEXT.encode()
    assert result.header("content-length") == str(len(result.body))  # small bodies: an exact length


async def test_below_threshold_untouched(asgi: Any) -> None:
    result = await raw(app_with("small"), asgi)
    assert result.header("content-encoding") is None
    assert result.body == b"small"
    assert result.header("vary") == "Accept-Encoding"
    result = await raw(app_with("small", threshold=0), asgi)
    assert gzip.decompress(result.body) == b"small"
    result = await raw(app_with(TEXT, threshold="5kb"), asgi)
    assert result.header("content-encoding") is None


async def test_json_and_bytes(asgi: Any) -> None:
    data = {"items": list(range(1000))}
    result = await raw(app_with(data), asgi)
    assert result.header("content-type") == "application/json; charset=utf-8"
    assert gzip.decompress(result.body) == b'{"items":[' + ",".join(map(str, range(1000))).encode() + b"]}"
    result = await raw(app_with(TEXT.encode(), content_type="text/css"), asgi)
    assert gzip.decompress(result.body) == TEXT.encode()


async def test_not_compressible_types(asgi: Any) -> None:
    for mime in ("image/png", "application/zip", "application/octet-stream", "video/mp4", "font/woff2"):
        result = await raw(app_with(TEXT.encode(), content_type=mime), asgi)
        assert result.header("content-encoding") is None, mime
    result = await raw(app_with(TEXT.encode(), content_type="image/png", filter=lambda t: True), asgi)
    assert result.header("content-encoding") == "gzip"


def test_compressible() -> None:
    for yes in ("text/html", "text/css; charset=utf-8", "application/json", "application/javascript",
                "image/svg+xml", "application/ld+json", "application/atom+xml", "application/wasm"):
        assert compressible(yes), yes
    for no in ("image/png", "image/jpeg", "application/gzip", "application/pdf", "audio/mpeg", "", "nonsense"):
        assert not compressible(no), no


async def test_ctx_compress_forces(asgi: Any) -> None:
    app = Koa()
    app.use(compress())

    async def respond(ctx: Any, next: Any) -> None:
        ctx.compress = ctx.path == "/yes"
        ctx.type = "image/png"
        ctx.body = TEXT.encode()

    app.use(respond)
    yes = await asgi(app, "GET", "/yes", {"Accept-Encoding": "gzip"})
    assert yes.header("content-encoding") == "gzip"
    app2 = app_with(TEXT)

    async def refuse(ctx: Any, next: Any) -> None:
        ctx.compress = False
        await next()

    app3 = Koa()
    app3.use(refuse).use(compress())
    app3.use(lambda ctx, next: setattr(ctx, "body", TEXT))
    assert (await raw(app3, asgi)).header("content-encoding") is None
    assert (await raw(app2, asgi)).header("content-encoding") == "gzip"


@pytest.mark.parametrize(("accept", "encoding"), [
    ("gzip", "gzip"), ("deflate", "deflate"), ("br", "br"), ("gzip, deflate, br", "br"),
    ("gzip;q=1, br;q=0.5", "gzip"), ("br;q=0, gzip", "gzip"), ("*", "gzip"), ("sdch", None), ("identity", None),
    ("", None), (None, None), ("gzip;q=0", None),
])
async def test_encoding_choice(asgi: Any, accept: str | None, encoding: str | None) -> None:
    result = await raw(app_with(TEXT), asgi, accept)
    assert result.header("content-encoding") == encoding
    decoders = {"gzip": gzip.decompress, "deflate": zlib.decompress, "br": brotli.decompress, None: bytes}
    assert decoders[encoding](result.body) == TEXT.encode()


async def test_default_encoding_and_disabled_encodings(asgi: Any) -> None:
    assert (await raw(app_with(TEXT, default_encoding="*"), asgi, None)).header("content-encoding") == "gzip"
    assert (await raw(app_with(TEXT, br=False), asgi, "br, gzip")).header("content-encoding") == "gzip"
    result = await raw(app_with(TEXT, br=False, gzip=False, deflate=False), asgi, "br, gzip")
    assert result.header("content-encoding") is None


async def test_406_when_identity_refused(asgi: Any) -> None:
    result = await raw(app_with(TEXT, br=False, gzip=False), asgi, "br, identity;q=0")
    assert result.status == 406


def test_choose_encoding_caches_and_ties() -> None:
    assert choose_encoding("gzip, br", ("br", "gzip", "deflate")) == "br"  # ties: our preference
    assert choose_encoding("gzip;q=0.8, identity", ("br", "gzip")) == "identity"


async def test_options(asgi: Any) -> None:
    fast = await raw(app_with(TEXT, gzip={"level": 1}), asgi)
    best = await raw(app_with(TEXT, gzip={"level": 9, "mem_level": 9}), asgi)
    assert gzip.decompress(fast.body) == gzip.decompress(best.body) == TEXT.encode()
    br = await raw(app_with(TEXT, br={"quality": 11, "mode": "text"}), asgi, "br")
    assert brotli.decompress(br.body) == TEXT.encode()


async def test_skips(asgi: Any) -> None:
    # HEAD gets GET's headers, without a body
    head = await raw(app_with(TEXT), asgi, method="HEAD")
    get = await raw(app_with(TEXT), asgi)
    assert head.header("content-encoding") == "gzip" and head.body == b""
    assert head.header("content-length") == get.header("content-length")
    # already encoded, no-transform, 204/304
    app = Koa()
    app.use(compress())

    async def respond(ctx: Any, next: Any) -> None:
        if ctx.path == "/encoded":
            ctx.set("Content-Encoding", "identity")
        if ctx.path == "/no-transform":
            ctx.set("Cache-Control", "public, no-transform")
        ctx.body = TEXT
        if ctx.path == "/304":
            ctx.status = 304

    app.use(respond)
    for path in ("/encoded", "/no-transform"):
        result = await asgi(app, "GET", path, {"Accept-Encoding": "gzip"})
        assert result.body == TEXT.encode(), path
    result = await asgi(app, "GET", "/304", {"Accept-Encoding": "gzip"})
    assert result.status == 304 and result.body == b"" and result.header("content-encoding") is None


async def test_big_bodies_in_a_thread(asgi: Any) -> None:
    big = ("x" * 1000 + "\n") * 500
    result = await raw(app_with(big), asgi)
    assert gzip.decompress(result.body) == big.encode()
    assert result.header("content-length") == str(len(result.body))


async def test_streams_are_compressed_and_flushed(asgi: Any, make_agen: Any) -> None:
    result = await raw(app_with(lambda: make_agen("a" * 2000, b"b" * 2000), content_type="text/plain"), asgi)
    assert result.header("content-encoding") == "gzip"
    assert result.header("content-length") is None
    assert gzip.decompress(result.body) == b"a" * 2000 + b"b" * 2000
    chunks = [m["body"] for m in result.messages if m["type"] == "http.response.body" and m["body"]]
    # each chunk was flushed on its own: the first decodes without the rest
    d = zlib.decompressobj(31)
    assert d.decompress(chunks[0]) == b"a" * 2000


async def test_server_sent_events_flow_one_by_one() -> None:
    """Each event reaches the client, decodable, before the next one is produced."""
    gate = asyncio.Event()
    app = Koa()
    app.use(compress())

    async def events(ctx: Any, next: Any) -> None:
        async def stream() -> Any:
            yield "data: first\n\n"
            await gate.wait()
            yield "data: second\n\n"

        ctx.type = "text/event-stream"
        ctx.body = stream()

    app.use(events)
    sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not done.is_set():
            done.set()
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # the client stays
        return {}

    async def send(message: dict[str, Any]) -> None:
        await sent.put(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80), "headers": [(b"accept-encoding", b"gzip")]}
    task = asyncio.ensure_future(app(scope, receive, send))
    try:
        start = await asyncio.wait_for(sent.get(), 5)
        assert dict(start["headers"])[b"content-encoding"] == b"gzip"
        d = zlib.decompressobj(31)
        first = await asyncio.wait_for(sent.get(), 5)
        assert d.decompress(first["body"]) == b"data: first\n\n"
        gate.set()
        rest = b""
        while True:
            message = await asyncio.wait_for(sent.get(), 5)
            rest += d.decompress(message.get("body", b""))
            if not message.get("more_body"):
                break
        assert rest == b"data: second\n\n" and d.eof
        await asyncio.wait_for(task, 5)
    finally:
        task.cancel()


async def test_files(tmp_path: Path, asgi: Any) -> None:
    f = tmp_path / "page.html"
    f.write_text(TEXT)
    result = await raw(app_with(f), asgi)
    assert result.header("content-type") == "text/html; charset=utf-8"
    assert gzip.decompress(result.body) == TEXT.encode()
    assert result.header("content-length") is None
    handle = f.open("rb")
    handle.read(10)  # an open file is sent from its position
    result = await raw(app_with(handle, content_type="html"), asgi)
    assert gzip.decompress(result.body) == TEXT.encode()[10:]
    assert handle.closed


async def test_head_of_a_file_opens_nothing(tmp_path: Path, asgi: Any) -> None:
    f = tmp_path / "page.html"
    f.write_text(TEXT)
    handle = f.open("rb")
    result = await raw(app_with(handle, content_type="html"), asgi, method="HEAD")
    assert result.header("content-encoding") == "gzip" and result.body == b""
    assert handle.closed


async def test_in_memory_file_left_alone(asgi: Any) -> None:
    result = await raw(app_with(lambda: io.BytesIO(TEXT.encode()), content_type="text/plain"), asgi)
    assert result.header("content-encoding") is None


async def test_strong_etag_becomes_weak(asgi: Any) -> None:
    app = Koa()
    app.use(compress()).use(etag())
    app.use(lambda ctx, next: setattr(ctx, "body", TEXT))
    result = await raw(app, asgi)
    assert result.header("etag").startswith('W/"')
    plain = await raw(app, asgi, "identity")
    assert plain.header("etag") == result.header("etag")[2:]


@pytest.mark.parametrize(("options", "exc"), [
    ({"threshold": "big"}, ValueError), ({"filter": 1}, TypeError), ({"gzip": "fast"}, TypeError),
    ({"gzip": {"level": 12}}, ValueError), ({"gzip": {"speed": 1}}, TypeError), ({"br": {"quality": 12}}, ValueError),
    ({"br": {"mode": "x"}}, ValueError), ({"default_encoding": 1}, TypeError),
])
def test_options_are_checked(options: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        compress(**options)
