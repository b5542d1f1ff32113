"""The ASGI 3 adapter (contract sections 1, 2 and 10): http and lifespan scopes."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from koa import Context, Koa
from koa.transports.channel import ClientDisconnected


async def lifespan(app: Koa, *events: str) -> list[dict[str, Any]]:
    incoming = [{"type": f"lifespan.{event}"} for event in events]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_lifespan_startup_and_shutdown_run_handlers() -> None:
    app = Koa()
    seen: list[tuple[str, Koa]] = []

    async def on_startup(a: Koa) -> None:
        seen.append(("startup", a))

    app.on("startup", on_startup)
    app.on("shutdown", lambda a: seen.append(("shutdown", a)))
    sent = await lifespan(app, "startup", "shutdown")
    assert sent == [{"type": "lifespan.startup.complete"}, {"type": "lifespan.shutdown.complete"}]
    assert seen == [("startup", app), ("shutdown", app)]


async def test_lifespan_startup_failure_is_reported() -> None:
    app = Koa()

    def broken(a: Koa) -> None:
        raise RuntimeError("no database")

    app.on("startup", broken)
    sent = await lifespan(app, "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "no database" in sent[0]["message"]


async def test_lifespan_shutdown_failure_is_reported() -> None:
    app = Koa()

    def broken(a: Koa) -> None:
        raise RuntimeError("flush failed")

    app.on("shutdown", broken)
    sent = await lifespan(app, "startup", "shutdown")
    assert sent[0] == {"type": "lifespan.startup.complete"}
    assert sent[1]["type"] == "lifespan.shutdown.failed"
    assert "flush failed" in sent[1]["message"]


async def test_unknown_scope_type_raises() -> None:
    async def nothing() -> dict[str, Any]:
        raise AssertionError("not called")

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="websocket"):
        await Koa()({"type": "websocket"}, nothing, send)


async def test_http_scope_becomes_the_request(asgi: Callable[..., Any]) -> None:
    app = Koa()
    seen: dict[str, Any] = {}

    async def mw(ctx: Context, next: Any) -> None:
        seen.update(
            method=ctx.method, url=ctx.url, path=ctx.path, query=ctx.query, host=ctx.host,
            ip=ctx.ip, protocol=ctx.protocol, secure=ctx.secure, ua=ctx.get("user-agent"),
        )
        ctx.status = 204

    app.use(mw)
    res = await asgi(app, "GET", "/a%20b/c", {"Host": "example.com", "User-Agent": "ua"},
                     query_string=b"x=1&y=2&x=3", client=("10.0.0.7", 4321))
    assert res.status == 204
    assert seen == {
        "method": "GET", "url": "/a%20b/c?x=1&y=2&x=3", "path": "/a%20b/c",
        "query": {"x": ["1", "3"], "y": "2"}, "host": "example.com", "ip": "10.0.0.7",
        "protocol": "http", "secure": False, "ua": "ua",
    }


async def test_https_scheme_is_secure(asgi: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", f"{ctx.protocol} {ctx.secure} {ctx.href}"))
    res = await asgi(app, "GET", "/x", {"Host": "example.com"}, scheme="https")
    assert res.body == b"https True https://example.com/x"


async def test_no_client_means_empty_ip(asgi: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", f"[{ctx.ip}]"))
    assert (await asgi(app, client=None)).body == b"[]"


async def test_path_without_raw_path_is_quoted() -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", ctx.path))
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/a b/ü", "query_string": b"", "headers": []}
    await app(scope, receive, send)
    assert sent[1]["body"] == b"/a%20b/%C3%BC"


async def test_streaming_request_body_in(asgi: Callable[..., Any]) -> None:
    app = Koa()
    chunks: list[bytes] = []

    async def mw(ctx: Context, next: Any) -> None:
        async for chunk in ctx.request.stream():
            chunks.append(chunk)
        ctx.body = b"|".join(chunks)

    app.use(mw)
    res = await asgi(app, "POST", "/", {"Transfer-Encoding": "chunked"}, [b"one", b"", b"two", b"three"])
    assert chunks == [b"one", b"two", b"three"]
    assert res.body == b"one|two|three"


async def test_request_body_read_whole(asgi: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.body = {"got": (await ctx.request.text()).upper()}

    app.use(mw)
    res = await asgi(app, "POST", "/", {"Content-Length": "11"}, [b"hello", b" world"])
    assert res.body == b'{"got":"HELLO WORLD"}'


async def test_client_disconnect_while_reading_body() -> None:
    app = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def mw(ctx: Context, next: Any) -> None:
        await ctx.request.read()

    app.use(mw)
    incoming = [{"type": "http.request", "body": b"part", "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(b"content-length", b"100")]}
    await app(scope, receive, send)
    assert sent == []  # nobody to answer
    assert isinstance(errors[0], ClientDisconnected)


async def test_streaming_response_out_chunk_by_chunk(asgi: Callable[..., Any]) -> None:
    app = Koa()

    async def gen() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0)
            yield f"chunk{i};".encode()

    app.use(lambda ctx, next: setattr(ctx, "body", gen()))
    res = await asgi(app)
    assert res.messages[0]["type"] == "http.response.start"
    bodies = [m for m in res.messages if m["type"] == "http.response.body"]
    assert [m["body"] for m in bodies] == [b"chunk0;", b"chunk1;", b"chunk2;", b""]
    assert all(m.get("more_body") for m in bodies[:-1])
    assert not bodies[-1].get("more_body", False)


async def test_empty_chunks_are_skipped(asgi: Callable[..., Any], make_agen: Any) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", make_agen(b"", b"a", "", b"b")))
    res = await asgi(app)
    bodies = [m["body"] for m in res.messages if m["type"] == "http.response.body"]
    assert bodies == [b"a", b"b", b""]


async def test_disconnect_mid_stream_closes_the_generator() -> None:
    app = Koa()
    state: list[str] = []
    produced = asyncio.Event()

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                produced.set()
                await asyncio.sleep(0.001)
                yield b"tick"
        finally:
            state.append("closed")

    app.use(lambda ctx, next: setattr(ctx, "body", endless()))
    gone = asyncio.Event()
    body_done = False

    async def receive() -> dict[str, Any]:
        nonlocal body_done
        if not body_done:
            body_done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) == 4:
            gone.set()

    scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": []}
    await asyncio.wait_for(app(scope, receive, send), 2)
    assert state == ["closed"]
    assert sent[0]["type"] == "http.response.start"


async def test_head_sends_no_body_and_does_not_read_a_stream(asgi: Callable[..., Any]) -> None:
    app = Koa()
    pulled: list[int] = []

    async def gen() -> AsyncIterator[bytes]:
        pulled.append(1)
        yield b"never"

    def mw(ctx: Context, next: Any) -> None:
        ctx.body = gen()

    app.use(mw)
    res = await asgi(app, "HEAD")
    assert res.status == 200
    assert res.body == b""
    assert pulled == []
    assert res.header("content-type") == "application/octet-stream"


async def test_flush_headers_sends_the_head_first(asgi: Callable[..., Any]) -> None:
    app = Koa()
    order: list[str] = []

    async def mw(ctx: Context, next: Any) -> None:
        ctx.status = 200
        ctx.type = "text"
        ctx.flush_headers()
        assert ctx.header_sent is True
        await asyncio.sleep(0)
        order.append("after flush")
        ctx.set("X-Too-Late", "1")
        ctx.body = "Body"

    app.use(mw)
    res = await asgi(app)
    assert res.status == 200
    assert res.header("content-type") == "text/plain; charset=utf-8"
    assert res.header("x-too-late") is None
    assert res.body == b"Body"
    assert order == ["after flush"]


async def test_app_is_an_asgi_app_for_httpx(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", {"method": ctx.method}))
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        res = await fetch(app, method, "/")
        assert res.json() == {"method": method}


async def test_stream_body_can_echo_the_request_body(asgi: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.type = "text"
        ctx.body = ctx.request.stream()

    app.use(mw)
    res = await asgi(app, "POST", "/", {"Transfer-Encoding": "chunked"}, [b"ab", b"cd", b"", b"ef"])
    assert res.status == 200
    assert res.body == b"abcdef"


async def test_stream_reading_a_partly_read_request_body(asgi: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        stream = ctx.request.stream()
        first = await stream.__anext__()

        async def rest() -> AsyncIterator[bytes]:
            yield first.upper()
            async for chunk in stream:
                yield chunk

        ctx.body = rest()

    app.use(mw)
    res = await asgi(app, "POST", "/", {"Transfer-Encoding": "chunked"}, [b"ab", b"cd", b"ef"])
    assert res.body == b"ABcdef"


async def test_disconnect_while_stream_waits_cancels_the_wait() -> None:
    app = Koa()
    state: list[str] = []
    forever = asyncio.Event()

    async def waiting() -> AsyncIterator[bytes]:
        try:
            yield b"first"
            await forever.wait()  # e.g. server-sent events with nothing to send
            yield b"never"
        finally:
            state.append("closed")

    app.use(lambda ctx, next: setattr(ctx, "body", waiting()))
    step = 0
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal step
        step += 1
        if step == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message.get("body") == b"first":
            gone.set()

    scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"", "headers": []}
    await asyncio.wait_for(app(scope, receive, send), 2)
    assert state == ["closed"]
    assert [m.get("body") for m in sent[1:]] == [b"first"]


async def test_unread_request_body_does_not_block_disconnect_detection() -> None:
    app = Koa()
    state: list[str] = []

    async def endless() -> AsyncIterator[bytes]:
        try:
            while True:
                await asyncio.sleep(0.001)
                yield b"x"
        finally:
            state.append("closed")

    app.use(lambda ctx, next: setattr(ctx, "body", endless()))
    messages = [
        {"type": "http.request", "body": b"unread", "more_body": True},
        {"type": "http.request", "body": b"body", "more_body": False},
    ]
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    count = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        if count == 5:
            gone.set()

    scope = {"type": "http", "method": "POST", "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(b"content-length", b"10")]}
    await asyncio.wait_for(app(scope, receive, send), 2)
    assert state == ["closed"]
