"""Our HTTP/1.1 server's protocol fed from memory: fast enough for atheris, no sockets.

`Wire()` holds an event loop, a `Hub` (what `create_server()` builds) for `fuzz_app()`,
and the loop's error reports. `wire.feed(data, cuts)` opens a connection on an in-memory
transport, delivers `data` in the reads that `cuts` describe, lets the loop run until the
connection settles, then has the client leave. It returns what the server wrote and
whether it closed. `check_wire()` is the oracle: the server wrote parseable HTTP/1.x
responses only, never a 500 (the app below cannot fail), and nothing reached the loop's
exception handler.
"""
from __future__ import annotations

import asyncio
from typing import Any

from koa import Context, Koa
from koa.middleware import timeout
from koa.transports.httptools_server import Hub
from koa.transports.options import ServerOptions
from security._wire import HEAD_MARK, Garbage, parse_responses

SETTLE_STEPS = 50  # loop iterations to let a connection finish what it can


BODY_WAIT = 0.3  # seconds the fuzz app waits for a body (timeout() answers 408 after that)


def fuzz_app(*, body_timeout: bool = False) -> Koa:
    """An app that reads the body and touches every request view an attacker feeds (no route can fail).

    `body_timeout`: wrap it in `timeout(BODY_WAIT)`, so that a body that never comes ends in a
    408 (the live fuzzer needs every exchange to end by itself).
    """
    app = Koa(keys=["k"], proxy=True)
    app.silent = True
    if body_timeout:
        app.use(timeout(BODY_WAIT))

    async def touch_everything(ctx: Context, next: Any) -> None:
        ctx.set(HEAD_MARK, ctx.method if ctx.method.isalpha() else "other")
        body = await ctx.request.read()
        request = ctx.request
        seen = (
            ctx.method, ctx.url, ctx.path, ctx.querystring, ctx.query, ctx.host, ctx.hostname, ctx.origin,
            ctx.href, ctx.protocol, ctx.secure, ctx.ips, ctx.ip, ctx.subdomains, ctx.fresh, request.length,
            request.type, request.charset, request.idempotent, ctx.is_("json", "urlencoded", "multipart"),
            ctx.get("Content-Type"),
            ctx.accepts("html", "json"), ctx.accepts_encodings("gzip", "br"), ctx.accepts_charsets("utf-8"),
            ctx.accepts_languages("en", "fr"), ctx.cookies.get("a"), ctx.cookies.get("b", signed=True),
            dict(ctx.headers),
        )
        ctx.body = {"n": len(body), "seen": len(seen)}

    errors: list[BaseException] = []
    app.errors = errors  # type: ignore[attr-defined]
    app.on("error", lambda err, ctx: errors.append(err) if getattr(err, "status", 500) >= 500 else None)
    app.use(touch_everything)
    return app


class MemoryTransport(asyncio.Transport):
    """Just enough of a transport for HttpToolsProtocol: writes are kept, close is reported back."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self.protocol: Any = None
        self.out = bytearray()
        self.closed = False
        self.eof = False

    def write(self, data: Any) -> None:
        if not self.closed and not self.eof:
            self.out += data

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._loop.call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def is_closing(self) -> bool:
        return self.closed

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 80)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def is_reading(self) -> bool:
        return True

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass


async def _spin(steps: int) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


class Wire:
    """A loop and a Hub serving `fuzz_app()` to in-memory connections."""

    def __init__(self, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.errors: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda _loop, context: self.errors.append(context))
        self.hub = Hub(fuzz_app(), ServerOptions.from_kwargs(options), self.loop)

    def feed(self, data: bytes, cuts: list[int] | None = None) -> tuple[bytes, bool]:
        """Deliver `data` (split at `cuts`), settle, disconnect; (what was written, closed by the server)."""
        transport = MemoryTransport(self.loop)
        protocol = transport.protocol = self.hub.protocol()
        protocol.connection_made(transport)
        start = 0
        for cut in sorted(set(c for c in cuts or () if 0 < c < len(data))) + [len(data)]:
            if transport.closed:
                break
            protocol.data_received(data[start:cut])
            start = cut
            self._settle()
        closed_by_server = transport.closed or transport.eof
        if not transport.closed:
            transport.close()  # the client leaves
        self._settle()
        return bytes(transport.out), closed_by_server

    def _settle(self) -> None:
        self.loop.run_until_complete(_spin(SETTLE_STEPS))

    def close(self) -> None:
        self.hub.stop_timer()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def check_wire(wire: Wire, data: bytes, cuts: list[int] | None = None) -> list[int]:
    """Feed `data`; assert the server's output is HTTP with no 500 and no loop error; the statuses."""
    out, _closed = wire.feed(data, cuts)
    assert not wire.errors, [f"{e.get('message')}: {e.get('exception')!r}" for e in wire.errors]
    try:
        responses, _interim, rest = parse_responses(out, closed=True)
    except Garbage as exc:
        raise AssertionError(f"not HTTP: {exc}; input {data[:200]!r}") from None
    statuses = [r.status for r in responses]
    app_errors = wire.hub.app.errors  # type: ignore[attr-defined]
    assert not app_errors, (data[:300], [repr(e) for e in app_errors])
    assert 500 not in statuses, (data[:300], out[:300])
    assert not rest.strip(), rest[:100]
    return statuses


__all__ = ["BODY_WAIT", "MemoryTransport", "Wire", "check_wire", "fuzz_app"]
