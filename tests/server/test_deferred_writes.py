"""A whole small answer is written at the end of the event loop's pass, not at once (Sender._defer).

Answers to many connections then leave in one burst, so a client on the same host is woken
once per burst rather than once per answer. What must not change: every answer goes out,
in order, before anything else on its connection (an error, a close, a pipelined stream),
and nothing is written to a connection that is gone.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from security.fuzz.inproc import MemoryTransport

from koa import Koa
from koa.context import Context
from koa.transports._sending import DEFER_BATCH, DEFER_SIZE
from koa.transports.httptools_server import HttpToolsProtocol, Hub
from koa.transports.options import ServerOptions
from koa.types import Next

GET = b"GET /%s HTTP/1.1\r\nHost: x\r\n\r\n"


class Recording(MemoryTransport):
    """The fuzzer's in-memory transport, also recording what happens to it, in order:
    ("write", bytes), ("eof",), ("close",)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: HttpToolsProtocol) -> None:
        super().__init__(loop)
        self.protocol = protocol
        self.events: list[tuple[Any, ...]] = []

    @property
    def written(self) -> bytes:
        return b"".join(e[1] for e in self.events if e[0] == "write")

    def write(self, data: Any) -> None:
        assert not self.closed, "write after close"
        self.events.append(("write", bytes(data)))
        super().write(data)

    def close(self) -> None:
        if not self.closed:
            self.events.append(("close",))
        super().close()

    def write_eof(self) -> None:
        self.events.append(("eof",))
        super().write_eof()


def _app() -> Koa:
    app = Koa(silent=True)

    async def handler(ctx: Context, next: Next) -> None:
        if ctx.path == "/stream":
            async def chunks() -> AsyncIterator[bytes]:
                yield b"s1"
                yield b"s2"
            ctx.body = chunks()
        elif ctx.path == "/big":
            ctx.body = b"x" * (DEFER_SIZE + 1)
        else:
            ctx.body = ctx.path

    app.use(handler)
    return app


async def _connect(hub: Hub) -> tuple[HttpToolsProtocol, Recording]:
    protocol = hub.protocol()
    transport = Recording(hub.loop, protocol)
    protocol.connection_made(transport)
    await asyncio.sleep(0)  # the connection's task starts
    return protocol, transport


def _deliver(protocol: HttpToolsProtocol, data: bytes) -> None:
    """Hand `data` to the protocol as the loop does: from a callback, not from inside a task."""
    asyncio.get_running_loop().call_soon(protocol.data_received, data)


async def _settle(steps: int = 10) -> None:
    for _ in range(steps):
        await asyncio.sleep(0)


async def test_answers_to_many_connections_leave_together_after_the_pass() -> None:
    loop = asyncio.get_running_loop()
    hub = Hub(_app(), ServerOptions(), loop)
    try:
        conns = [await _connect(hub) for _ in range(3)]
        seen: list[Any] = []
        for i, (protocol, _transport) in enumerate(conns):
            _deliver(protocol, GET % str(i).encode())
        # runs after the three reads, in the same pass: every request ran to its answer, none is written
        loop.call_soon(lambda: seen.append(([t.events[:] for _p, t in conns], len(hub.deferred.conns))))
        await _settle()
        assert seen == [([[], [], []], 3)]
        for i, (_protocol, transport) in enumerate(conns):
            assert len(transport.events) == 1, transport.events  # the whole answer in one write
            assert transport.written.startswith(b"HTTP/1.1 200 OK\r\n")
            assert transport.written.endswith(b"\r\n\r\n/%d" % i)
        assert hub.deferred.conns == []
    finally:
        hub.stop_timer()


async def test_a_burst_waits_for_at_most_a_batch_of_connections() -> None:
    # the first answer of a burst waits for the others: a cap keeps that wait (and p99) short
    loop = asyncio.get_running_loop()
    hub = Hub(_app(), ServerOptions(), loop)
    try:
        conns = [await _connect(hub) for _ in range(DEFER_BATCH + 3)]
        seen: list[int] = []
        for i, (protocol, _transport) in enumerate(conns):
            _deliver(protocol, GET % str(i).encode())
        loop.call_soon(lambda: seen.append(sum(1 for _p, t in conns if t.events)))
        await _settle()
        assert seen == [DEFER_BATCH]  # the first batch went out during the pass, the rest after it
        assert all(len(t.events) == 1 for _p, t in conns)
    finally:
        hub.stop_timer()


async def test_a_big_answer_is_written_at_once() -> None:
    loop = asyncio.get_running_loop()
    hub = Hub(_app(), ServerOptions(), loop)
    try:
        protocol, transport = await _connect(hub)
        seen: list[int] = []
        _deliver(protocol, GET % b"big")
        loop.call_soon(lambda: seen.append(len(transport.events)))
        await _settle()
        assert seen == [1] and hub.deferred.conns == []
        assert transport.written.endswith(b"x" * (DEFER_SIZE + 1))
    finally:
        hub.stop_timer()


async def test_pipelined_answers_keep_their_order() -> None:
    hub = Hub(_app(), ServerOptions(), asyncio.get_running_loop())
    try:
        protocol, transport = await _connect(hub)
        _deliver(protocol, GET % b"a" + GET % b"stream" + GET % b"b" + GET % b"big" + GET % b"c")
        await _settle()
        out = transport.written
        marks = [out.index(x) for x in (b"\r\n\r\n/a", b"s1", b"s2", b"\r\n\r\n/b", b"xxx", b"\r\n\r\n/c")]
        assert marks == sorted(marks), out
        assert out.count(b"HTTP/1.1 200 OK") == 5
    finally:
        hub.stop_timer()


async def test_an_answer_goes_out_before_the_connection_closes() -> None:
    hub = Hub(_app(), ServerOptions(), asyncio.get_running_loop())
    try:
        protocol, transport = await _connect(hub)
        _deliver(protocol, b"GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await _settle()
        kinds = [e[0] for e in transport.events]
        assert kinds[0] == "write", transport.events  # the answer, then the end of the connection
        assert "close" in kinds or "eof" in kinds, transport.events
        assert b"Connection: close" in transport.written and transport.written.endswith(b"/bye")
    finally:
        hub.stop_timer()


async def test_an_answer_goes_out_before_a_pipelined_error() -> None:
    hub = Hub(_app(), ServerOptions(), asyncio.get_running_loop())
    try:
        protocol, transport = await _connect(hub)
        _deliver(protocol, GET % b"ok" + b"GET /bad HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")
        await _settle()
        out = transport.written
        assert out.index(b"200 OK") < out.index(b"400 Bad Request"), out
    finally:
        hub.stop_timer()


async def test_nothing_is_written_to_a_connection_that_is_gone() -> None:
    hub = Hub(_app(), ServerOptions(), asyncio.get_running_loop())
    try:
        protocol, transport = await _connect(hub)
        _deliver(protocol, GET % b"x")
        asyncio.get_running_loop().call_soon(protocol.connection_lost, None)  # before the pass ends
        await _settle()
        assert transport.events == []
        assert hub.deferred.conns == []
    finally:
        hub.stop_timer()


async def test_a_transport_refusing_its_write_does_not_cost_the_others_theirs() -> None:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    hub = Hub(_app(), ServerOptions(), loop)
    try:
        (bad, bad_transport), (good, good_transport) = [await _connect(hub) for _ in range(2)]

        def refuse(data: Any) -> None:
            raise RuntimeError("Cannot call write() after write_eof()")

        bad_transport.write = refuse  # type: ignore[method-assign]
        _deliver(bad, GET % b"bad")
        _deliver(good, GET % b"good")
        await _settle()
        assert good_transport.written.endswith(b"/good")
        assert [r["message"] for r in reports] == ["koa: writing a response failed"]
    finally:
        loop.set_exception_handler(None)
        hub.stop_timer()
