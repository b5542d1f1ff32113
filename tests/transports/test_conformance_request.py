"""Requests look the same to the app on every transport: method, URL, headers, addresses, body."""
from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.context import Context
from koa.types import Next
from transports.serving import Served


def echo_app(view: Any, **app_options: Any) -> Koa:
    """An app answering with `await view(ctx)` as JSON."""
    app = Koa(silent=True, **app_options)

    async def mw(ctx: Context, next: Next) -> None:
        ctx.body = await view(ctx)

    app.use(mw)
    return app


async def test_method_path_and_query(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return {"method": ctx.method, "path": ctx.path, "querystring": ctx.querystring, "query": ctx.query,
                "url": ctx.url, "search": ctx.search}

    async with served(echo_app(view)) as c:
        r = await c.request("PATCH", "/a%20b/%C3%A9?x=1&x=2&y=%20")
    assert r.json() == {
        "method": "PATCH", "path": "/a%20b/%C3%A9", "querystring": "x=1&x=2&y=%20",
        "query": {"x": ["1", "2"], "y": " "}, "url": "/a%20b/%C3%A9?x=1&x=2&y=%20", "search": "?x=1&x=2&y=%20",
    }


async def test_request_headers(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return {"custom": ctx.get("X-Custom"), "missing": ctx.get("X-Missing"), "multi": ctx.get("X-Multi"),
                "ua": ctx.headers.get("user-agent"), "cookie": ctx.get("Cookie")}

    headers = [("X-Custom", "Value With Case"), ("X-Multi", "a"), ("X-Multi", "b"), ("User-Agent", "t/1"),
               ("Cookie", "a=1"), ("Cookie", "b=2")]
    async with served(echo_app(view)) as c:
        r = await c.get("/", headers=headers)
    assert r.json() == {"custom": "Value With Case", "missing": "", "multi": "a, b", "ua": "t/1", "cookie": "a=1; b=2"}


async def test_addresses_without_proxy(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return {"ip": ctx.ip, "ips": ctx.ips, "protocol": ctx.protocol, "secure": ctx.secure, "host": ctx.host,
                "hostname": ctx.hostname, "origin": ctx.origin, "href": ctx.href}

    spoof = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    async with served(echo_app(view)) as c:
        r = await c.get("/p?q=1", headers=spoof)
        host = c.base_url.netloc.decode()
    assert r.json() == {"ip": "127.0.0.1", "ips": [], "protocol": "http", "secure": False, "host": host,
                        "hostname": "127.0.0.1", "origin": None, "href": f"http://{host}/p?q=1"}


async def test_addresses_with_proxy(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return {"ip": ctx.ip, "ips": ctx.ips, "protocol": ctx.protocol, "host": ctx.host, "href": ctx.href}

    headers = {"X-Forwarded-For": "203.0.113.9, 10.0.0.1", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "shop.example"}
    async with served(echo_app(view, proxy=True)) as c:
        r = await c.get("/p", headers=headers)
    assert r.json() == {"ip": "203.0.113.9", "ips": ["203.0.113.9", "10.0.0.1"], "protocol": "https",
                        "host": "shop.example", "href": "https://shop.example/p"}


async def test_json_body(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return {"got": await ctx.request.json(), "type": ctx.request.type, "length": ctx.request.length}

    async with served(echo_app(view)) as c:
        r = await c.post("/", json={"a": [1, "ü"]})
    assert r.json() == {"got": {"a": [1, "ü"]}, "type": "application/json", "length": len(r.request.content)}


async def test_bad_json_is_400(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        return await ctx.request.json()

    async with served(echo_app(view)) as c:
        r = await c.post("/", content=b"{nope", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


async def test_urlencoded_form(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        form = await ctx.request.form()
        return {k: form.getall(k) for k in set(form)}

    async with served(echo_app(view)) as c:
        r = await c.post("/", data={"a": ["1", "2"], "b": "é"})
    assert r.json() == {"a": ["1", "2"], "b": ["é"]}


async def test_multipart_form(served: Served) -> None:
    pytest.importorskip("multipart")

    async def view(ctx: Context) -> Any:
        form = await ctx.request.form()
        upload = form["file"]
        try:
            return {"field": form["field"], "name": upload.filename, "size": len(await upload.read())}
        finally:
            await upload.close()

    async with served(echo_app(view)) as c:
        r = await c.post("/", data={"field": "v"}, files={"file": ("f.bin", b"\0" * 100_000)})
    assert r.json() == {"field": "v", "name": "f.bin", "size": 100_000}


async def test_large_body_read_with_limit(served: Served) -> None:
    blob = bytes(range(256)) * 12 * 1024  # 3 MiB

    async def view(ctx: Context) -> Any:
        body = await ctx.request.read(limit=4 * 1024 * 1024)
        return {"size": len(body), "sha": hashlib.sha256(body).hexdigest()}

    async with served(echo_app(view)) as c:
        r = await c.post("/", content=blob)
    assert r.json() == {"size": len(blob), "sha": hashlib.sha256(blob).hexdigest()}


NO_LINGERING = ("hypercorn", "granian")


async def post_unread(c: httpx.AsyncClient, transport: str, content: Any) -> httpx.Response:
    try:
        return await c.post("/", content=content)
    except httpx.TransportError:
        if transport not in NO_LINGERING:
            raise
        # these servers close at once after answering a body nobody read; the kernel then resets
        # the connection and a client still sending may lose the 413 (aiohttp, uvicorn and our
        # server drain it first: a lingering close)
        pytest.xfail(f"{transport} closes without draining the unread request body")


async def test_body_over_limit_is_413(served: Served, transport: str) -> None:
    async def view(ctx: Context) -> Any:
        return len(await ctx.request.read())

    async with served(echo_app(view)) as c:
        r = await post_unread(c, transport, b"x" * (1024 * 1024 + 1))
        assert r.status_code == 413
        # the client recovers (on a new connection where the server closed it)
        try:
            again = await c.get("/")
        except httpx.RemoteProtocolError:
            if transport not in NO_LINGERING:
                raise
            # these do not say Connection: close, so the pool may reuse the connection they are closing
            again = await c.get("/")
    assert again.status_code == 200


async def test_chunked_body_over_limit_is_413(served: Served, transport: str) -> None:
    async def view(ctx: Context) -> Any:
        return len(await ctx.request.read(limit=1000))

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"y" * 500

    async with served(echo_app(view)) as c:
        r = await post_unread(c, transport, chunks())
    assert r.status_code == 413


async def test_streamed_upload(served: Served) -> None:
    async def view(ctx: Context) -> Any:
        h = hashlib.sha256()
        size = 0
        async for chunk in ctx.request.stream():
            size += len(chunk)
            h.update(chunk)
        return {"size": size, "sha": h.hexdigest()}

    part = bytes(range(256)) * 256  # 64 KiB

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield part

    async with served(echo_app(view)) as c:
        r = await c.post("/", content=chunks())
    assert r.json() == {"size": 40 * len(part), "sha": hashlib.sha256(part * 40).hexdigest()}


async def test_echo_stream_through(served: Served) -> None:
    """A streamed response fed by the streamed request body (a proxy, an echo)."""

    async def view(ctx: Context) -> Any:
        async def upper() -> AsyncIterator[bytes]:
            async for chunk in ctx.request.stream():
                yield chunk.upper()

        return upper()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(20):
            yield b"chunk %d;" % i

    async with served(echo_app(view)) as c:
        r = await c.post("/", content=chunks())
    assert r.content == b"".join(b"CHUNK %d;" % i for i in range(20))


async def test_gzip_body_reaches_the_app_as_sent(served: Served) -> None:
    import gzip

    raw = gzip.compress(b"hello" * 100)

    async def view(ctx: Context) -> Any:
        body = await ctx.request.read()
        return {"encoding": ctx.get("Content-Encoding"), "same": body == raw}

    async with served(echo_app(view)) as c:
        r = await c.post("/", content=raw, headers={"Content-Encoding": "gzip"})
    assert r.json() == {"encoding": "gzip", "same": True}
