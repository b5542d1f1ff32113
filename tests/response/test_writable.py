"""Koa's __tests__/response/writable, flushHeaders and socket tests (in-process versions)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from koa import Context, Koa
from koa.testing import TestClient


def test_writable_without_a_channel(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().writable is True


def test_writable_follows_the_channel(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    assert ctx.writable is True
    ctx.request.channel.writable = False  # type: ignore[union-attr]
    assert ctx.writable is False


async def test_writable_in_consecutive_requests(client: Callable[..., TestClient]) -> None:
    app = Koa()
    count = 0

    def mw(ctx: Context, next: Any) -> None:
        nonlocal count
        count += 1
        ctx.body = f"request {count}, writable: {ctx.writable}"

    app.use(mw)
    async with client(app) as c:
        assert (await c.get("/")).text == "request 1, writable: True"
        assert (await c.get("/")).text == "request 2, writable: True"


def test_unwritable_response_is_not_sent(make_ctx: Callable[..., Context]) -> None:
    from koa.application import respond

    ctx = make_ctx(body=b"")
    ctx.body = "never"
    ctx.request.channel.writable = False  # type: ignore[union-attr]
    assert respond(ctx) is None


def test_error_when_unwritable_is_only_reported(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))
    ctx = make_ctx(app=app, body=b"")
    ctx.request.channel.writable = False  # type: ignore[union-attr]
    ctx.set("X-Keep", "1")
    err = RuntimeError("client gone")
    ctx.onerror(err)
    assert seen == [err]
    assert err.header_sent is True  # type: ignore[attr-defined]
    assert ctx.response.get("X-Keep") == "1"  # nothing was reset: there is nobody to answer


def test_flush_headers_marks_them_sent(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    ctx.body = "Body"
    ctx.status = 200
    ctx.flush_headers()
    assert ctx.header_sent is True
    assert ctx.request.channel.flushed is True  # type: ignore[union-attr]


def test_flush_headers_without_a_channel_does_nothing(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.flush_headers()
    assert ctx.header_sent is False


def test_flush_headers_twice_flushes_once(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    calls: list[int] = []
    channel = ctx.request.channel
    original = channel.flush_headers  # type: ignore[union-attr]

    def counting(response: Any) -> None:
        calls.append(1)
        original(response)

    channel.flush_headers = counting  # type: ignore[union-attr]
    ctx.flush_headers()
    ctx.flush_headers()
    assert calls == [1]


async def test_body_after_flush_headers(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def mw(ctx: Context, next: Any) -> None:
        ctx.body = "Body"
        ctx.status = 200
        ctx.flush_headers()
        assert ctx.header_sent is True

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.text == "Body"


async def test_response_allowed_after_flush(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def mw(ctx: Context, next: Any) -> None:
        ctx.status = 401
        ctx.set("Content-Type", "text/plain")
        ctx.flush_headers()
        ctx.body = "Body"
        ctx.set("X-Shouldnt-Work", "Value")
        ctx.remove("Content-Type")
        ctx.vary("Content-Type")

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 401
    assert res.headers["content-type"] == "text/plain"
    assert res.text == "Body"
    assert "x-shouldnt-work" not in res.headers
    assert "vary" not in res.headers


async def test_stream_after_flush_headers(fetch: Callable[..., Any], make_agen: Any) -> None:
    app = Koa()

    def mw(ctx: Context, next: Any) -> None:
        ctx.type = "json"
        ctx.status = 200
        ctx.set("Link", "</css/mycss.css>; as=style; rel=preload")
        ctx.flush_headers()
        ctx.body = make_agen(b'{"message":', b'"hello!"}')

    app.use(mw)
    res = await fetch(app)
    assert res.json() == {"message": "hello!"}
    assert res.headers["link"] == "</css/mycss.css>; as=style; rel=preload"
