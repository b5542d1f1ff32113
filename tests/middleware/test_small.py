"""response_time, timeout, conditional, etag, and the byte-size helpers."""
from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

import pytest

from koa import Koa
from koa.middleware import conditional, etag, response_time, timeout
from koa.middleware._bytes import format_size, parse_size
from koa.middleware.etag import entity_tag


# -- sizes ------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    (0, 0), (1024, 1024), ("1kb", 1024), ("56kb", 56 * 1024), ("1mb", 1 << 20), ("1.5MB", 1572864),
    ("10", 10), (" 2 gb ", 2 << 30),
])
def test_parse_size(value: Any, expected: int) -> None:
    assert parse_size(value, "limit") == expected


@pytest.mark.parametrize("value", ["lots", "1 zb", "-1kb", ""])
def test_parse_size_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="limit"):
        parse_size(value, "limit")


@pytest.mark.parametrize("value", [True, 1.5, None, [1]])
def test_parse_size_types(value: Any) -> None:
    with pytest.raises(TypeError, match="limit"):
        parse_size(value, "limit")


@pytest.mark.parametrize(("n", "text"), [
    (0, "0b"), (512, "512b"), (1024, "1kb"), (1234, "1.21kb"), (1536, "1.5kb"), (1 << 20, "1mb"),
    (5 * (1 << 30), "5gb"),
])
def test_format_size(n: int, text: str) -> None:
    assert format_size(n) == text


# -- response_time ----------------------------------------------------------------
async def test_response_time_whole_ms_by_default(fetch: Any) -> None:
    app = Koa()
    app.use(response_time())

    async def slow(ctx: Any, next: Any) -> None:
        await asyncio.sleep(0.02)
        ctx.body = "ok"

    app.use(slow)
    r = await fetch(app)
    value = r.headers["x-response-time"]
    assert re.fullmatch(r"\d+ms", value)
    assert int(value[:-2]) >= 19


async def test_response_time_options(fetch: Any) -> None:
    app = Koa()
    app.use(response_time(header="Server-Timing-Total", hrtime=True))
    r = await fetch(app)
    assert re.fullmatch(r"\d+\.\d{6}ms", r.headers["server-timing-total"])
    app = Koa()
    app.use(response_time(digits=2))
    assert re.fullmatch(r"\d+\.\d{2}ms", (await fetch(app)).headers["x-response-time"])


def test_response_time_checks_options() -> None:
    with pytest.raises(ValueError):
        response_time(digits=-1)
    with pytest.raises(TypeError):
        response_time(digits=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        response_time(header="Bad Header")


# -- timeout ----------------------------------------------------------------------
async def test_timeout_408_and_cancels_downstream(fetch: Any) -> None:
    app = Koa(silent=True)
    seen: dict[str, Any] = {}

    async def record(ctx: Any, next: Any) -> None:
        try:
            await next()
        finally:
            seen["timeout"] = ctx.state.get("timeout")

    async def slow(ctx: Any, next: Any) -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            seen["cancelled"] = True
            raise
        ctx.body = "too late"

    app.use(record).use(timeout(0.05)).use(slow)
    r = await fetch(app)
    assert r.status_code == 408
    assert r.text == "Request Timeout"
    assert seen == {"cancelled": True, "timeout": True}


async def test_timeout_fast_request_untouched(fetch: Any) -> None:
    app = Koa()

    async def fast(ctx: Any, next: Any) -> None:
        ctx.body = "fast"

    app.use(timeout(1)).use(fast)
    r = await fetch(app)
    assert (r.status_code, r.text) == (200, "fast")


async def test_timeout_custom_status_message_callback(fetch: Any) -> None:
    app = Koa(silent=True)
    calls: list[float] = []

    async def on_timeout(ctx: Any, seconds: float) -> None:
        calls.append(seconds)

    async def slow(ctx: Any, next: Any) -> None:
        await asyncio.sleep(5)

    errors: list[Any] = []
    app.on("error", lambda err, ctx: errors.append(err))
    app.use(timeout(0.01, status=503, message="busy, try later", callback=on_timeout)).use(slow)
    r = await fetch(app)
    assert (r.status_code, r.text) == (503, "Service Unavailable")  # a 5xx message is not exposed
    assert calls == [0.01]
    assert errors[0].message == "busy, try later"

    app = Koa()
    app.use(timeout(0.01, status=429, message="slow down")).use(slow)
    r = await fetch(app)
    assert (r.status_code, r.text) == (429, "slow down")


async def test_timeout_keeps_downstream_timeout_error(fetch: Any) -> None:
    # a TimeoutError raised by downstream itself is not turned into a 408
    app = Koa(silent=True)

    async def own(ctx: Any, next: Any) -> None:
        raise TimeoutError("upstream service")

    app.use(timeout(5)).use(own)
    assert (await fetch(app)).status_code == 500


@pytest.mark.parametrize(("args", "kwargs", "exc"), [
    ((0,), {}, ValueError), ((-1,), {}, ValueError), (("5",), {}, TypeError), ((True,), {}, TypeError),
    ((1,), {"status": 200}, ValueError), ((1,), {"callback": 3}, TypeError),
])
def test_timeout_checks_options(args: Any, kwargs: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        timeout(*args, **kwargs)


# -- conditional + etag ------------------------------------------------------------
def conditional_app(body: Any) -> Koa:
    app = Koa()
    app.use(conditional()).use(etag())

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = body

    app.use(respond)
    return app


def test_entity_tag_matches_the_etag_package() -> None:
    # values computed with Node: require('etag')('Hello World'), etag('')
    assert entity_tag(b"Hello World") == '"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA"'
    assert entity_tag(b"") == '"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"'


async def test_etag_on_text_then_304(client: Any) -> None:
    app = conditional_app("Hello World")
    async with client(app) as c:
        r = await c.get("/")
        assert r.headers["etag"] == '"b-Ck1VqNd45QIvq3AZd8XYQLvEhtA"'
        r2 = await c.get("/", headers={"If-None-Match": r.headers["etag"]})
        assert r2.status_code == 304
        assert r2.content == b""
        assert "content-length" not in r2.headers and "content-type" not in r2.headers
        r3 = await c.get("/", headers={"If-None-Match": '"other"'})
        assert r3.status_code == 200 and r3.text == "Hello World"


async def test_etag_json_and_bytes(fetch: Any) -> None:
    r = await fetch(conditional_app({"a": 1}))
    assert r.headers["etag"] == entity_tag(b'{"a":1}')
    r = await fetch(conditional_app(b"\x00\x01"))
    assert r.headers["etag"] == entity_tag(b"\x00\x01")


async def test_etag_weak_option_and_existing(fetch: Any) -> None:
    app = Koa()
    app.use(etag(weak=True))

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = "x"

    app.use(respond)
    assert (await fetch(app)).headers["etag"].startswith('W/"1-')

    app = Koa()
    app.use(etag())

    async def tagged(ctx: Any, next: Any) -> None:
        ctx.body = "x"
        ctx.etag = "mine"

    app.use(tagged)
    assert (await fetch(app)).headers["etag"] == '"mine"'


async def test_etag_file_is_weak_from_stat(tmp_path: Path, fetch: Any) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"12345")
    st = os.stat(f)
    r = await fetch(conditional_app(f))
    assert r.headers["etag"] == f'W/"5-{st.st_mtime_ns // 1_000_000:x}"'
    r = await fetch(conditional_app(f), headers={"If-None-Match": r.headers["etag"]})
    assert r.status_code == 304


async def test_etag_skips_streams_errors_and_empty(fetch: Any, make_agen: Any) -> None:
    r = await fetch(conditional_app(make_agen(b"a", b"b")))
    assert "etag" not in r.headers and r.content == b"ab"
    app = Koa()
    app.use(etag())
    assert "etag" not in (await fetch(app)).headers  # 404, no body

    app = Koa()
    app.use(etag())

    async def not_found(ctx: Any, next: Any) -> None:
        ctx.status = 404
        ctx.body = "nope"

    app.use(not_found)
    assert "etag" not in (await fetch(app)).headers


async def test_conditional_last_modified(fetch: Any) -> None:
    app = Koa()
    app.use(conditional())

    async def respond(ctx: Any, next: Any) -> None:
        ctx.set("Last-Modified", "Tue, 01 Jan 2030 00:00:00 GMT")
        ctx.body = "x"

    app.use(respond)
    r = await fetch(app, headers={"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"})
    assert r.status_code == 304
    r = await fetch(app, headers={"If-Modified-Since": "Mon, 31 Dec 2029 00:00:00 GMT"})
    assert r.status_code == 200
    r = await fetch(app, "POST", headers={"If-Modified-Since": "Tue, 01 Jan 2030 00:00:00 GMT"})
    assert r.status_code == 200  # only GET and HEAD are conditional


def test_etag_checks_options() -> None:
    with pytest.raises(TypeError):
        etag(weak="yes")  # type: ignore[arg-type]
