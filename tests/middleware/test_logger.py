"""logger(): koa-logger's lines, colors, transporter, streamed bodies and errors."""
from __future__ import annotations

import io
import re
from typing import Any

import pytest

from koa import Koa
from koa.middleware import logger

ANSI = re.compile(r"\x1b\[\d+m")


def app_logging(lines: list[str], respond: Any, **options: Any) -> Koa:
    app = Koa(silent=True)
    app.use(logger(lambda line, args: lines.append(line), **options))
    app.use(respond)
    return app


async def test_request_and_response_lines(fetch: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = "x" * 1234

    await fetch(app_logging(lines, respond), "GET", "/path?q=1")
    assert lines[0] == "  <-- GET /path?q=1"
    assert re.fullmatch(r"  --> GET /path\?q=1 200 \d+ms 1\.21kb", lines[1])


async def test_statuses_and_lengths(fetch: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        if ctx.path == "/204":
            ctx.status = 204

    app = app_logging(lines, respond)
    await fetch(app, "GET", "/204")
    await fetch(app, "GET", "/missing")
    assert re.fullmatch(r"  --> GET /204 204 \d+ms ", lines[1])
    assert re.fullmatch(r"  --> GET /missing 404 \d+ms -", lines[3])  # no body set: length unknown, as in Koa


async def test_errors_are_xxx(fetch: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        ctx.throw(418)

    await fetch(app_logging(lines, respond), "GET", "/tea")
    assert re.fullmatch(r"  xxx GET /tea 418 \d+ms -", lines[1])

    lines.clear()

    async def crash(ctx: Any, next: Any) -> None:
        raise RuntimeError("boom")

    await fetch(app_logging(lines, crash))
    assert re.fullmatch(r"  xxx GET / 500 \d+ms -", lines[1])


async def test_streams_are_logged_when_sent(fetch: Any, make_agen: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = make_agen(b"a" * 1000, "é" * 100)

    r = await fetch(app_logging(lines, respond))
    assert r.content == b"a" * 1000 + "é".encode() * 100
    assert re.fullmatch(r"  --> GET / 200 \d+ms 1\.17kb", lines[1])  # 1200 bytes actually sent


async def test_stream_head_logged_at_once(fetch: Any, make_agen: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = make_agen(b"abc")

    await fetch(app_logging(lines, respond), "HEAD", "/")
    assert len(lines) == 2 and lines[1].startswith("  --> HEAD / 200")


async def test_stream_closed_early_is_dash_x_dash() -> None:
    lines: list[str] = []
    closed: list[bool] = []

    async def body() -> Any:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = body()

    app = app_logging(lines, respond)
    ctx = app.create_context(app.request("GET", "/", []))
    stream = await app.handle(ctx)
    assert await stream.__anext__() == b"a"
    await stream.aclose()  # what a transport does when the client goes away
    assert closed == [True]
    assert re.fullmatch(r"  -x- GET / 200 \d+ms 1b", lines[1])


async def test_colors(fetch: Any) -> None:
    lines: list[str] = []

    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = "ok"

    await fetch(app_logging(lines, respond, colors=True))
    assert lines[0] == "  \x1b[90m<--\x1b[39m \x1b[1mGET\x1b[22m \x1b[90m/\x1b[39m"
    assert "\x1b[32m200\x1b[39m" in lines[1]  # 2xx in green
    assert ANSI.sub("", lines[1]).startswith("  --> GET / 200 ")


async def test_stdout_and_tty_detection(fetch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    app.use(logger())  # pytest's captured stdout is not a TTY: no colors
    await fetch(app, "GET", "/x")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  <-- GET /x"
    assert out[1].startswith("  --> GET /x 404 ")

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    app = Koa()
    app.use(logger(stream=stream))
    await fetch(app)
    assert "\x1b[" in stream.getvalue()


def test_options_are_checked() -> None:
    with pytest.raises(TypeError):
        logger("not callable")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        logger(stream=42)  # type: ignore[arg-type]
