"""Responses look the same on every transport: status, body kinds, headers, cookies, errors."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from koa import HttpError, Koa
from koa.context import Context
from koa.types import Next
from transports.serving import Served


def app_with(handler: Any, **app_options: Any) -> Koa:
    app = Koa(silent=True, **app_options)

    async def mw(ctx: Context, next: Next) -> None:
        await handler(ctx)

    app.use(mw)
    return app


async def test_text_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "Hello, World!"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.text == "Hello, World!"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["content-length"] == "13"


async def test_html_and_unicode_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "<p>héllo ✓</p>"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<p>héllo ✓</p>"
    assert r.headers["content-length"] == str(len("<p>héllo ✓</p>".encode()))


async def test_bytes_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = bytes(range(256))

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.content == bytes(range(256))
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.headers["content-length"] == "256"


async def test_json_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = {"a": [1, 2, None], "ü": True}

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.json() == {"a": [1, 2, None], "ü": True}
    assert r.headers["content-type"] == "application/json; charset=utf-8"


async def test_default_404(served: Served) -> None:
    async def h(ctx: Context) -> None:
        pass

    async with served(app_with(h)) as c:
        r = await c.get("/nothing")
    assert r.status_code == 404
    assert r.text == "Not Found"
    assert r.headers["content-type"] == "text/plain; charset=utf-8"


async def test_null_body_is_204_without_length(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = None

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 204
    assert r.content == b""
    assert "content-type" not in r.headers
    assert "transfer-encoding" not in r.headers


async def test_explicit_status_with_null_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = None
        ctx.status = 200

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == "0"


@pytest.mark.parametrize("status", [201, 202, 418, 451, 599])
async def test_status_codes(served: Served, status: int) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = status
        ctx.body = f"s{status}"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == status
    assert r.text == f"s{status}"


async def test_304_has_no_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "cached"
        ctx.etag = "abc"
        if ctx.fresh:
            ctx.status = 304

    async with served(app_with(h)) as c:
        r = await c.get("/", headers={"If-None-Match": '"abc"'})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == '"abc"'


async def test_custom_headers_and_multiple_values(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.set("X-One", "1")
        ctx.set({"X-Two": "2", "X-Three": "3"})
        ctx.append("Link", "<a>")
        ctx.append("Link", "<b>")
        ctx.vary("Accept")
        ctx.vary("Origin")
        ctx.body = "ok"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert (r.headers["x-one"], r.headers["x-two"], r.headers["x-three"]) == ("1", "2", "3")
    assert r.headers.get_list("link") == ["<a>", "<b>"]
    assert r.headers["vary"] == "Accept, Origin"


async def test_header_with_newline_is_500_and_not_sent(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "ok"
        ctx.set("X-Evil", "a\r\nInjected: yes")

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 500
    assert "injected" not in r.headers
    assert "x-evil" not in r.headers


async def test_cookies_round_trip(served: Served) -> None:
    async def h(ctx: Context) -> None:
        seen = {name: ctx.cookies.get(name, signed=name == "s") for name in ("plain", "s")}
        ctx.cookies.set("plain", "v1", signed=False)
        ctx.cookies.set("s", "v2", signed=True)
        ctx.body = seen

    async with served(app_with(h, keys=["k1"])) as c:
        first = await c.get("/")
        set_cookies = first.headers.get_list("set-cookie")
        assert len(set_cookies) == 3  # plain, s, s.sig
        assert any(v.startswith("plain=v1; path=/; httponly") for v in set_cookies)
        second = await c.get("/")
    assert first.json() == {"plain": None, "s": None}
    assert second.json() == {"plain": "v1", "s": "v2"}


async def test_thrown_http_error(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.set("X-Dropped", "1")
        ctx.throw(418, "short and stout", headers={"X-Kept": "yes"})

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 418
    assert r.text == "short and stout"
    assert r.headers["x-kept"] == "yes"
    assert "x-dropped" not in r.headers


async def test_uncaught_exception_is_500_and_emits_error(served: Served) -> None:
    errors: list[BaseException] = []

    async def h(ctx: Context) -> None:
        raise RuntimeError("secret detail")

    app = app_with(h)
    app.on("error", lambda err, ctx: errors.append(err))
    async with served(app) as c:
        r = await c.get("/")
    assert r.status_code == 500
    assert r.text == "Internal Server Error"
    assert "secret" not in r.text
    assert [type(e) for e in errors] == [RuntimeError]


async def test_error_after_flush_headers_cuts_the_response(served: Served) -> None:
    async def h(ctx: Context) -> None:
        async def body() -> Any:
            yield b"partial"
            raise HttpError(500, "boom")

        ctx.body = body()

    errors: list[BaseException] = []
    app = app_with(h)
    app.on("error", lambda err, ctx: errors.append(err))
    async with served(app) as c:
        try:
            r = await c.get("/")
        except Exception:  # noqa: BLE001 - a cut response is a transport error for the client
            pass
        else:
            # the status was sent before the error: the client sees 200 and a truncated body
            assert r.status_code == 200
            assert r.content in (b"", b"partial")
    assert [type(e) for e in errors] == [HttpError]


async def test_head_keeps_length_drops_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "x" * 1000

    async with served(app_with(h)) as c:
        r = await c.head("/")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == "1000"


async def test_head_of_a_stream(served: Served) -> None:
    async def h(ctx: Context) -> None:
        async def body() -> Any:
            yield b"never sent"

        ctx.body = body()

    async with served(app_with(h)) as c:
        r = await c.head("/")
    assert r.status_code == 200
    assert r.content == b""


async def test_redirect(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.redirect("/elsewhere?a=<b>")

    async with served(app_with(h)) as c:
        r = await c.get("/", headers={"Accept": "text/html"})
    assert r.status_code == 302
    assert r.headers["location"] == "/elsewhere?a=%3Cb%3E"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text.startswith("Redirecting to ")
    assert "<b>" not in r.text


async def test_streamed_body_is_chunked(served: Served) -> None:
    async def h(ctx: Context) -> None:
        async def body() -> Any:
            for i in range(5):
                yield f"line {i}\n"

        ctx.body = body()
        ctx.type = "text"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.text == "".join(f"line {i}\n" for i in range(5))
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-length" not in r.headers


async def test_streamed_body_with_length(served: Served) -> None:
    async def h(ctx: Context) -> None:
        async def body() -> Any:
            yield b"abc"
            yield b"def"

        ctx.body = body()
        ctx.length = 6

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.content == b"abcdef"
    assert r.headers["content-length"] == "6"
    assert "transfer-encoding" not in r.headers


async def test_large_body(served: Served) -> None:
    blob = bytes(range(256)) * (8 * 4096)  # 8 MiB

    async def h(ctx: Context) -> None:
        ctx.body = blob

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.headers["content-length"] == str(len(blob))
    assert r.content == blob


async def test_path_body(served: Served, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(b"<h1>" + b"x" * 200_000 + b"</h1>")

    async def h(ctx: Context) -> None:
        ctx.body = page

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-length"] == str(page.stat().st_size)
    assert r.content == page.read_bytes()


async def test_file_object_body(served: Served) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = io.BytesIO(b"in memory file")

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 200
    assert r.content == b"in memory file"


async def test_respond_false_sends_nothing_from_koa(served: Served) -> None:
    """`ctx.respond = False` after flush_headers(): the head that went out is all there is."""

    async def h(ctx: Context) -> None:
        ctx.status = 202
        ctx.set("X-Flushed", "1")
        ctx.flush_headers()
        ctx.respond = False

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert r.status_code == 202
    assert r.headers["x-flushed"] == "1"
    assert r.content == b""


async def test_raw_response_through_ctx_req_send(served: Served, transport: str) -> None:
    """`ctx.respond = False` and ASGI messages to `ctx.req.send()`: the raw response on every transport."""
    async def h(ctx: Context) -> None:
        ctx.respond = False
        await ctx.req.send({"type": "http.response.start", "status": 201, "headers": [(b"x-raw", b"1")]})
        await ctx.req.send({"type": "http.response.body", "body": b"raw ", "more_body": True})
        await ctx.req.send({"type": "http.response.body", "body": b"body"})
        ctx.set("X-Ignored", "1")

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert (r.status_code, r.text, r.headers["x-raw"]) == (201, "raw body", "1")
    assert "x-ignored" not in r.headers


async def test_status_without_a_reason_phrase(served: Served, transport: str) -> None:
    if transport == "uvicorn":
        # uvicorn's httptools protocol has status lines for 100-599 only (KeyError, connection dropped)
        pytest.skip("uvicorn (httptools) cannot send a status of 600 or more")

    async def h(ctx: Context) -> None:
        ctx.status = 799

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert (r.status_code, r.text) == (799, "799")


async def test_custom_reason_phrase(served: Served, transport: str) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = 200
        ctx.message = "Everything Fine"
        ctx.body = "ok"

    async with served(app_with(h)) as c:
        r = await c.get("/")
    assert (r.status_code, r.text) == (200, "ok")
    if transport in ("httptools", "aiohttp"):
        assert r.reason_phrase == "Everything Fine"
    else:
        # ASGI has no reason phrase: each server writes its own (or none: hypercorn)
        assert r.reason_phrase in ("OK", "")
