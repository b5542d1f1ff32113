"""Development request logger, like koa-logger: `<-- GET /path` then `--> GET /path 200 12ms 1.2kb`."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from koa._status import EMPTY
from koa.context import Context
from koa.middleware._bytes import format_size
from koa.types import Middleware, Next

Transporter = Callable[[str, list[Any]], Any]

_STATUS_COLORS = {7: 35, 5: 31, 4: 33, 3: 36, 2: 32, 1: 32, 0: 33}  # magenta red yellow cyan green


class _Paint:
    """chalk's few styles, as ANSI escapes (or nothing without colors)."""

    __slots__ = ("on",)

    def __init__(self, on: bool) -> None:
        self.on = on

    def __call__(self, code: int, text: str, close: int = 39) -> str:
        return f"\x1b[{code}m{text}\x1b[{close}m" if self.on else text

    def gray(self, text: str) -> str:
        return self(90, text)

    def bold(self, text: str) -> str:
        return self(1, text, 22)


class _Counted:
    """Pass a streamed body through, counting bytes; report once it is finished or closed.

    A class rather than a generator so that aclose() reports (and closes the inner
    stream) even when the transport never started reading.
    """

    __slots__ = ("_body", "_iter", "_done", "_sent")

    def __init__(self, body: Any, done: Callable[[int, str], None]) -> None:
        self._body = body
        self._iter: Any = None
        self._done: Callable[[int, str], None] | None = done
        self._sent = 0

    def __aiter__(self) -> _Counted:
        return self

    async def __anext__(self) -> Any:
        if self._iter is None:
            self._iter = self._body.__aiter__()
        try:
            chunk = await self._iter.__anext__()
        except StopAsyncIteration:
            await self._finish("finish")
            raise
        except BaseException:
            await self._finish("close")
            raise
        self._sent += len(chunk.encode() if isinstance(chunk, str) else chunk)
        return chunk

    async def _finish(self, event: str) -> None:
        done, self._done = self._done, None
        if done is None:
            return
        try:
            aclose = getattr(self._iter if self._iter is not None else self._body, "aclose", None)
            if aclose is not None:
                await aclose()
        finally:
            done(self._sent, event)

    async def aclose(self) -> None:
        await self._finish("close")


def _duration(start: float) -> str:
    """humanize-number of the elapsed time: `12ms`, `1,234ms`, then whole seconds past 10 s."""
    delta = int((time.perf_counter() - start) * 1000)
    return f"{delta:,}ms" if delta < 10000 else f"{round(delta / 1000):,}s"


def logger(
    transporter: Transporter | None = None,
    *,
    colors: bool | None = None,
    stream: TextIO | None = None,
) -> Middleware:
    """koa-logger: log each request and its response, to stdout unless `stream` or `transporter`.

    `transporter(line, args)` receives each line instead (args are `[format, method,
    url, status, time, length]`, as in Koa). Colors are on when the output is a TTY;
    `colors=True/False` decides instead. A streamed body is logged once it has been
    sent (`-x-` when the client went away first); an uncaught error as `xxx`.
    """
    if transporter is not None and not callable(transporter):
        raise TypeError(f"transporter must be callable (line, args), got {transporter!r}")
    if stream is not None and not callable(getattr(stream, "write", None)):
        raise TypeError(f"stream must be a text stream, got {stream!r}")
    if colors is None:
        target = stream if stream is not None else sys.stdout
        isatty = getattr(target, "isatty", None)
        colors = bool(isatty and isatty())
    paint = _Paint(bool(colors))
    arrow_in = "  " + paint.gray("<--") + " "
    arrows = {"finish": paint.gray("-->"), "close": paint(33, "-x-"), "error": paint(31, "xxx")}

    def emit(line: str, args: list[Any]) -> None:
        if transporter is not None:
            transporter(line, args)
        else:
            print(line, file=stream if stream is not None else sys.stdout, flush=True)

    def log(ctx: Context, start: float, status: Any, length: int | None, event: str) -> None:
        code = status if isinstance(status, int) and not isinstance(status, bool) else 500
        s = code // 100
        color = _STATUS_COLORS[0 if s > 7 else s] if s >= 0 else 33
        if code in EMPTY:
            size = ""
        else:
            size = format_size(length) if length else "-"
        elapsed = _duration(start)
        method, url = ctx.method, ctx.original_url
        line = (f"  {arrows[event]} {paint.bold(method)} {paint.gray(url)} {paint(color, str(code))} "
                f"{paint.gray(elapsed)} {paint.gray(size)}")
        emit(line, ["%s %s %s %s %s", method, url, code, elapsed, size])

    async def logger_middleware(ctx: Context, next: Next) -> None:
        start = time.perf_counter()
        method, url = ctx.method, ctx.original_url
        emit(arrow_in + paint.bold(method) + " " + paint.gray(url), ["%s %s", method, url])
        try:
            await next()
        except Exception as err:
            log(ctx, start, getattr(err, "status", 500), None, "error")
            raise
        response = ctx.response
        body = response.body
        if (hasattr(body, "__aiter__") and ctx.respond is not False and ctx.method != "HEAD"
                and response.status not in EMPTY):
            # a stream: log once it has been sent, with the bytes actually sent
            length = response.get("Content-Length")
            ctx.body = _Counted(body, lambda sent, event: log(ctx, start, ctx.status, sent, event))
            if length is not None:
                response.set("Content-Length", length)
            return
        log(ctx, start, response.status, response.length, "finish")

    return logger_middleware
