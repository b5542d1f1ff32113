"""Request framing and syntax: everything ambiguous is refused, closed, and never reaches the app.

Each case goes out byte for byte on a fresh connection. A refused request gets exactly one
short response with the expected status and `Connection: close`, the connection is closed,
and the app sees nothing of it (in particular no second request smuggled inside the first).
These are checked against our server, not taken on trust from llhttp.
"""
# ruff: noqa: E501  (the cases are byte strings, one per line)
from __future__ import annotations

import pytest

from server._wire import exchange
from server.conftest import Recorder, Start

H = b"Host: x\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

REFUSED = [
    # Content-Length and Transfer-Encoding together, either order (CL.TE / TE.CL)
    ("cl-te", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400),
    ("te-cl", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n" + SMUGGLED, 400),
    # transfer codings: unknown -> 501, chunked not last or twice -> 400
    ("te-gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip\r\n\r\n" + SMUGGLED, 501),
    ("te-gzip-chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    ("te-identity", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\n\r\n" + SMUGGLED, 501),
    ("te-chunked-gzip", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
    ("te-chunked-twice", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
    ("te-two-headers", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ("te-http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED, 400),
    ("te-empty", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: \r\n\r\n", 400),
    # Content-Length: repeated (same or different), a list, signs, hex, inner spaces, overflow
    ("cl-twice-same", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
    ("cl-twice-differing", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3\r\nContent-Length: 30\r\n\r\nabc", 400),
    ("cl-list", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 3, 3\r\n\r\nabc", 400),
    ("cl-plus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: +3\r\n\r\nabc", 400),
    ("cl-minus", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: -3\r\n\r\nabc", 400),
    ("cl-hex", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 0x3\r\n\r\nabc", 400),
    ("cl-inner-space", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 1 2\r\n\r\nabc", 400),
    ("cl-empty", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: \r\n\r\n", 400),
    ("cl-overflow", b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 99999999999999999999999\r\n\r\n", 400),
    ("cl-space-before-colon", b"POST / HTTP/1.1\r\n" + H + b"Content-Length : 3\r\n\r\nabc", 400),
    ("cl-space-before-name", b"POST / HTTP/1.1\r\n" + H + b" Content-Length: 3\r\n\r\nabc", 400),
    # chunk sizes: invalid, negative, 0x, overflowing, with spaces; chunk data not followed by CRLF
    ("chunk-size-invalid", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-negative", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n", 400),
    ("chunk-size-0x", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0x1\r\na\r\n0\r\n\r\n", 400),
    ("chunk-size-overflow",
     b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF1\r\na\r\n0\r\n\r\n", 400),
    ("chunk-size-space", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1 \r\na\r\n0\r\n\r\n", 400),
    ("chunk-data-overrun", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1\r\naXX0\r\n\r\n", 400),
    ("chunk-bare-lf", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1\na\n0\n\n", 400),
    # chunk extensions over 4 KiB (llhttp reads them without a bound)
    ("chunk-extension-5k",
     b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1;a=" + b"b" * 5000 + b"\r\na\r\n0\r\n\r\n", 400),
    # obs-fold, bare CR, bare LF, NUL and control characters in the head
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n b\r\n\r\n", 400),
    ("obs-fold-tab", b"GET / HTTP/1.1\r\n" + H + b"X-A: a\r\n\tb\r\n\r\n", 400),
    ("bare-lf-head", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    ("bare-lf-header", b"GET / HTTP/1.1\r\nHost: x\nX: b\r\n\r\n", 400),
    ("bare-cr-header", b"GET / HTTP/1.1\r\nHost: x\rX: b\r\n\r\n", 400),
    ("bare-cr-in-value", b"GET / HTTP/1.1\r\n" + H + b"X: b\rc\r\n\r\n", 400),
    ("cr-lf-cr", b"GET / HTTP/1.1\r\n" + H + b"\rX\r\n\r\n", 400),
    ("nul-in-value", b"GET / HTTP/1.1\r\n" + H + b"X: b\x00c\r\n\r\n", 400),
    ("nul-in-target", b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("ctl-in-value", b"GET / HTTP/1.1\r\n" + H + b"X: a\x01b\r\n\r\n", 400),
    ("space-in-target", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("empty-header-name", b"GET / HTTP/1.1\r\n" + H + b": b\r\n\r\n", 400),
    ("header-without-colon", b"GET / HTTP/1.1\r\n" + H + b"X b\r\n\r\n", 400),
    ("lower-case-method", b"get / HTTP/1.1\r\n" + H + b"\r\n", 400),
    # Host on HTTP/1.1: missing, twice, malformed
    ("host-missing", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("host-twice", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("host-twice-http10", b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("host-with-slash", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    ("host-with-at", b"GET / HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
    ("host-with-space", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    # versions other than 1.0 and 1.1
    ("http-2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("http-0.9-line", b"GET /\r\n\r\n", 505),
    ("http-0.9", b"GET / HTTP/0.9\r\n\r\n", 505),
    ("http-1.2", b"GET / HTTP/1.2\r\n" + H + b"\r\n", 505),
    ("http-3.0", b"GET / HTTP/3.0\r\n" + H + b"\r\n", 505),
    ("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    # CONNECT
    ("connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501),
    # an unknown expectation
    ("expect-unknown", b"POST / HTTP/1.1\r\n" + H + b"Expect: 200-ok\r\nContent-Length: 0\r\n\r\n", 417),
]


@pytest.mark.parametrize(("raw", "status"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
async def test_refused(start: Start, raw: bytes, status: int) -> None:
    app = Recorder()
    server = await start(app)
    reply = await exchange(server.port, raw)
    assert reply.error is None, reply.raw
    assert reply.statuses == [status], reply.raw
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed
    assert app.seen == []  # nothing of it reached the app, least of all a second request
    assert b"Traceback" not in reply.raw
    # the server is fine: a new connection is answered
    again = await exchange(server.port, b"GET /again HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert again.statuses == [200]


ACCEPTED = [
    ("chunked", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "ok POST / 5"),
    ("chunked-upper-case", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: CHUNKED\r\n\r\n1\r\na\r\n0\r\n\r\n",
     "ok POST / 1"),
    ("chunk-extension", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;n=v;q=\"a ; b\"\r\nhello\r\n0\r\n\r\n",
     "ok POST / 5"),
    ("chunk-extension-4k", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1;a=" + b"b" * 4000
     + b"\r\na\r\n0\r\n\r\n", "ok POST / 1"),
    ("trailers", b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\n\r\n",
     "ok POST / 1"),
    ("cl-ows", b"POST / HTTP/1.1\r\n" + H + b"Content-Length:  3 \r\n\r\nabc", "ok POST / 3"),
    ("leading-crlf", b"\r\nGET / HTTP/1.1\r\n" + H + b"\r\n", "ok GET / 0"),
    ("absolute-form", b"GET http://x/a?b=1 HTTP/1.1\r\n" + H + b"\r\n", "ok GET http://x/a?b=1 0"),
    ("asterisk-form", b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n", "ok OPTIONS * 0"),
    ("http10-no-host", b"GET / HTTP/1.0\r\n\r\n", "ok GET / 0"),
    ("host-ipv6-port", b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "ok GET / 0"),
    ("host-empty", b"GET / HTTP/1.1\r\nHost: \r\n\r\n", "ok GET / 0"),
    ("obs-text-value", b"GET / HTTP/1.1\r\n" + H + b"X: caf\xe9\r\n\r\n", "ok GET / 0"),
    ("upgrade-ignored", b"GET / HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "ok GET / 0"),
    ("upgrade-with-body", b"POST / HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\nabc",
     "ok POST / 3"),
]


@pytest.mark.parametrize(("raw", "body"), [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
async def test_accepted(start: Start, raw: bytes, body: str) -> None:
    app = Recorder()
    server = await start(app)
    reply = await exchange(server.port, raw, responses=1)
    assert reply.error is None, reply.raw
    assert reply.statuses == [200], reply.raw
    assert reply.responses[0].body.decode() == body
    assert len(app.seen) == 1


async def test_upgrade_is_answered_over_http11_then_closed(start: Start) -> None:
    server = await start(Recorder())
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + H + b"Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                           + SMUGGLED)
    assert reply.statuses == [200]
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed


async def test_a_good_request_before_garbage_is_answered_first(start: Start) -> None:
    app = Recorder()
    server = await start(app)
    reply = await exchange(server.port, b"GET /first HTTP/1.1\r\n" + H + b"\r\nGARBAGE\r\n\r\n")
    assert reply.statuses == [200, 400]
    assert reply.closed
    assert app.seen == [("GET", "/first")]


async def test_a_pipelined_request_after_a_refused_one_is_never_read(start: Start) -> None:
    app = Recorder()
    server = await start(app)
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SMUGGLED)
    assert reply.statuses == [400]
    assert app.seen == []


async def test_broken_chunk_after_the_app_started_ends_the_request(start: Start) -> None:
    import asyncio

    from koa.context import Context
    from server.conftest import app_with

    started = asyncio.Event()

    async def h(ctx: Context) -> None:
        started.set()
        ctx.body = await ctx.request.read()

    app = app_with(h)
    server = await start(app)
    steps = [
        (b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0.0),
        (b"zz\r\n" + SMUGGLED, 0.3),
    ]
    reply = await exchange(server.port, steps)
    assert started.is_set()
    assert reply.statuses == [400]
    assert reply.closed
    assert app.seen == [("POST", "/")]


async def test_chunk_extension_trickled_over_reads_is_refused(start: Start) -> None:
    server = await start(Recorder())
    steps = [(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;a=", 0.0)]
    steps += [(b"b" * 500, 0.01) for _ in range(30)]
    reply = await exchange(server.port, steps)
    assert reply.statuses == [400]
    assert reply.closed


async def test_chunk_extension_endless_in_one_write_never_reaches_the_app(start: Start) -> None:
    app = Recorder()
    server = await start(app)
    reply = await exchange(server.port, b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5;a=" + b"b" * 100_000)
    assert reply.statuses == [400]
    assert reply.closed
    assert app.seen == []
