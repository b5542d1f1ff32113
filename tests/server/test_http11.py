"""HTTP/1.1 as clients expect it: keep-alive, pipelining, chunked both ways, 100-continue, HEAD,
HTTP/1.0, Date, no Server header, Connection: close both ways, header values never split."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

from koa.context import Context
from server._wire import exchange, is_closed, parse_responses
from server.conftest import Recorder, Start, app_with

H = b"Host: x\r\n"


def get(path: str = "/", extra: bytes = b"") -> bytes:
    return b"GET " + path.encode() + b" HTTP/1.1\r\n" + H + extra + b"\r\n"


async def test_keep_alive_serves_many_requests_on_one_connection(start: Start) -> None:
    server = await start(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for i in range(20):
            writer.write(get(f"/{i}"))
            await writer.drain()
            got = await asyncio.wait_for(reader.readuntil(f"ok GET /{i} 0".encode()), 3)
            assert got.startswith(b"HTTP/1.1 200 OK\r\n")
    finally:
        writer.close()
    assert server.connections <= 1


async def test_pipelined_requests_are_answered_in_order(start: Start) -> None:
    async def h(ctx: Context) -> None:
        if ctx.path.endswith("slow"):
            await asyncio.sleep(0.05)
        body = await ctx.request.read()
        ctx.body = f"{ctx.path}:{body.decode()}"

    app = app_with(h)
    server = await start(app)
    requests = []
    for i in range(12):
        path = f"/{i}" + ("slow" if i % 3 == 0 else "")
        if i % 2:
            requests.append(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nb{i:02d}".encode())
        else:
            requests.append(get(path))
    reply = await exchange(server.port, b"".join(requests), responses=12)
    assert reply.statuses == [200] * 12
    expected = [f"/{i}{'slow' if i % 3 == 0 else ''}:{f'b{i:02d}' if i % 2 else ''}" for i in range(12)]
    assert [r.body.decode() for r in reply.responses] == expected


async def test_pipelined_request_with_a_body_split_over_reads(start: Start) -> None:
    async def h(ctx: Context) -> None:
        await asyncio.sleep(0.05)
        ctx.body = await ctx.request.read()

    server = await start(app_with(h))
    steps = [(get("/a") + b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234", 0.0),
             (b"56789" + get("/c"), 0.02)]
    reply = await exchange(server.port, steps, responses=3)
    assert [r.body for r in reply.responses] == [b"", b"0123456789", b""]


async def test_chunked_request_body_streams_to_the_app(start: Start) -> None:
    seen: list[bytes] = []

    async def h(ctx: Context) -> None:
        async for chunk in ctx.request.stream():
            seen.append(chunk)
        ctx.body = b"".join(seen)

    server = await start(app_with(h))
    steps = [(b"POST / HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0.0),
             (b"6\r\n world\r\n", 0.05), (b"0\r\n\r\n", 0.05)]
    reply = await exchange(server.port, steps, responses=1)
    assert reply.responses[0].body == b"hello world"
    assert len(seen) >= 2  # it arrived as it came


async def test_streamed_response_is_chunked(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes | str]:
            yield b"one,"
            await asyncio.sleep(0)
            yield "two,"
            yield b""  # empty pieces are skipped, not a last-chunk
            yield b"three"

        ctx.body = gen()

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get(), responses=2)
    for response in reply.responses:
        assert response.header("transfer-encoding") == "chunked"
        assert response.header("content-length") is None
        assert response.chunked
        assert response.body == b"one,two,three"


async def test_streamed_response_with_a_length_is_not_chunked(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"12345"
            yield b"67890"

        ctx.body = gen()
        ctx.length = 10

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get(), responses=2)
    assert [r.body for r in reply.responses] == [b"1234567890"] * 2
    assert reply.responses[0].header("content-length") == "10"
    assert not reply.responses[0].chunked


async def test_streamed_response_shorter_than_its_length_closes(start: Start) -> None:
    errors: list[BaseException] = []

    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"12345"

        ctx.body = gen()
        ctx.length = 10

    app = app_with(h)
    app.on("error", lambda err, ctx: errors.append(err))
    server = await start(app)
    reply = await exchange(server.port, get() + get())
    assert reply.closed
    assert reply.raw.endswith(b"12345")
    assert reply.raw.count(b"HTTP/1.1") == 1
    assert errors and "shorter" in str(errors[0])


async def test_streamed_response_longer_than_its_length_is_cut_and_closed(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"12345"
            yield b"678901234"

        ctx.body = gen()
        ctx.length = 10

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get())
    assert reply.closed
    assert reply.raw.endswith(b"\r\n\r\n1234567890")


async def test_expect_100_continue_is_sent_when_the_app_reads(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = (await ctx.request.read()).upper()

    server = await start(app_with(h))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert await asyncio.wait_for(reader.readexactly(5), 3) == b"HELLO"
        # the connection stays usable
        writer.write(get())
        await writer.drain()
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()


async def test_no_100_continue_when_the_body_is_not_read_then_close(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = 401
        ctx.body = "no"

    server = await start(app_with(h))
    expect = b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    reply = await exchange(server.port, expect)
    assert reply.statuses == [401]
    assert b"100 Continue" not in reply.raw
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed


async def test_no_100_continue_when_the_body_is_already_there(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = await ctx.request.read()

    server = await start(app_with(h))
    expect = b"POST / HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n"
    reply = await exchange(server.port, expect + b"hello", responses=1)
    assert reply.raw.startswith(b"HTTP/1.1 200 OK")
    assert reply.responses[0].body == b"hello"


async def test_head_sends_the_head_only(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "x" * 100

    server = await start(app_with(h))
    reply = await exchange(server.port, b"HEAD / HTTP/1.1\r\n" + H + b"\r\n" + get(), timeout=1)
    heads = reply.raw.split(b"HTTP/1.1 ")
    assert len(heads) == 3
    first, _, rest = reply.raw.partition(b"\r\n\r\n")
    assert b"Content-Length: 100" in first
    assert rest.startswith(b"HTTP/1.1 200 OK")  # no body after the HEAD response
    assert rest.endswith(b"x" * 100)


async def test_head_of_a_streamed_body(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"never"

        ctx.body = gen()

    server = await start(app_with(h))
    reply = await exchange(server.port, b"HEAD / HTTP/1.1\r\n" + H + b"\r\n", timeout=0.5)
    assert reply.raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert reply.raw.endswith(b"\r\n\r\n")


async def test_http10_closes_unless_keep_alive_is_asked(start: Start) -> None:
    server = await start(Recorder())
    plain = await exchange(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert plain.statuses == [200]
    assert plain.responses[0].header("connection") == "close"
    assert plain.closed
    kept = await exchange(server.port, b"GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                          b"GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", responses=2)
    assert kept.statuses == [200, 200]
    assert kept.responses[0].header("connection") == "keep-alive"
    assert not kept.closed


async def test_http10_stream_is_close_delimited(start: Start) -> None:
    async def h(ctx: Context) -> None:
        async def gen() -> AsyncIterator[bytes]:
            yield b"ab"
            yield b"cd"

        ctx.body = gen()

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head, _, body = reply.raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: close" in head
    assert body == b"abcd"
    assert reply.closed


async def test_date_header_cached_and_no_server_header(start: Start) -> None:
    server = await start(Recorder())
    reply = await exchange(server.port, get() + get(), responses=2)
    dates = [r.header("date") for r in reply.responses]
    assert dates[0] is not None and dates[0] == dates[1]
    assert parsedate_to_datetime(dates[0]).tzinfo is not None
    assert all(r.header("server") is None for r in reply.responses)


async def test_connection_close_from_the_client(start: Start) -> None:
    server = await start(Recorder())
    reply = await exchange(server.port, get("/", b"Connection: close\r\n") + get("/never"))
    assert reply.statuses == [200]
    assert reply.responses[0].header("connection") == "close"
    assert reply.closed


async def test_connection_close_from_the_app(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.set("Connection", "close")
        ctx.body = "bye"

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get())
    assert reply.statuses == [200]
    assert [v for k, v in reply.responses[0].headers if k.lower() == "connection"] == ["close"]
    assert reply.closed


async def test_the_framing_is_the_servers(start: Start) -> None:
    async def h(ctx: Context) -> None:
        if ctx.path == "/chunked":
            ctx.set("Transfer-Encoding", "chunked")  # Koa: the length then yields to chunking
        else:
            ctx.set("Transfer-Encoding", "gzip, chunked")  # nothing here is gzipped: not claimed
            ctx.set("Content-Length", "1")
        ctx.set("Connection", "keep-alive")
        ctx.body = "abc"

    server = await start(app_with(h))
    reply = await exchange(server.port, get("/chunked") + get("/other") + get("/chunked"), responses=3)
    assert [r.body for r in reply.responses] == [b"abc", b"abc", b"abc"]
    assert reply.error is None
    # one Transfer-Encoding, ours: the app's codings are not claimed, its length not trusted
    assert [r.header("transfer-encoding") for r in reply.responses] == ["chunked"] * 3
    assert all(r.header("content-length") is None and r.header("connection") is None for r in reply.responses)


async def test_cr_lf_in_a_header_value_is_a_500_and_nothing_of_it_is_written(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.set("X-Bad", "a\r\nSet-Cookie: evil=1")

    server = await start(app_with(h))
    reply = await exchange(server.port, get(), responses=1)
    assert reply.statuses == [500]
    assert b"evil" not in reply.raw


async def test_cr_lf_that_bypassed_ctx_set_is_stopped_by_the_server(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = "fine"
        ctx.response._headers["x-bad"] = ("X-Bad", "a\nSet-Cookie: evil=1")

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get(), responses=2)
    assert reply.statuses == [500, 500]
    assert b"evil" not in reply.raw


async def test_flush_headers_then_body(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.set("X-Early", "1")
        ctx.flush_headers()
        await asyncio.sleep(0.01)
        ctx.body = "later"

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get(), responses=2)
    assert [r.body for r in reply.responses] == [b"later", b"later"]
    assert reply.responses[0].header("x-early") == "1"
    assert reply.responses[0].chunked


async def test_error_after_flush_headers_closes_without_a_complete_body(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = 200
        ctx.flush_headers()
        raise RuntimeError("too late to say")

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get())
    assert reply.closed
    assert reply.raw.count(b"HTTP/1.1 200") == 1
    assert b"0\r\n\r\n" not in reply.raw
    assert b"too late" not in reply.raw


async def test_no_body_statuses(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = 304 if ctx.path == "/304" else 204

    server = await start(app_with(h))
    reply = await exchange(server.port, get("/204") + get("/304") + get("/"), responses=3)
    assert reply.statuses == [204, 304, 204]
    assert all(r.body == b"" and r.header("content-length") is None for r in reply.responses)


async def test_custom_reason_phrase_and_set_cookie_lines(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.status = 299
        ctx.message = "Fine Thanks"
        ctx.append("Set-Cookie", "a=1")
        ctx.append("Set-Cookie", "b=2")
        ctx.body = "ok"

    server = await start(app_with(h))
    reply = await exchange(server.port, get(), responses=1)
    assert reply.raw.startswith(b"HTTP/1.1 299 Fine Thanks\r\n")
    assert [v for k, v in reply.responses[0].headers if k == "Set-Cookie"] == ["a=1", "b=2"]


async def test_respond_false_closes_the_connection(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.respond = False
        ctx.socket.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw")

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get())
    assert reply.raw == b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nraw"
    assert reply.closed


async def test_request_fields(start: Start) -> None:
    async def h(ctx: Context) -> None:
        ctx.body = {
            "method": ctx.method, "url": ctx.url, "path": ctx.path, "query": ctx.query,
            "version": ctx.request.http_version, "ip": ctx.ip, "protocol": ctx.protocol,
            "host": ctx.host, "headers": [[k.decode(), v.decode()] for k, v in ctx.request._raw_headers],
        }

    server = await start(app_with(h))
    reply = await exchange(server.port, b"GET /p%20q?a=1&a=2 HTTP/1.1\r\nHost: ex.com:8\r\nX-Mixed-Case: V\r\n\r\n",
                           responses=1)
    import json

    got = json.loads(reply.responses[0].body)
    assert got["method"] == "GET"
    assert got["url"] == "/p%20q?a=1&a=2"
    assert got["path"] == "/p%20q"
    assert got["query"] == {"a": ["1", "2"]}
    assert got["version"] == "1.1"
    assert got["ip"] == "127.0.0.1"
    assert got["protocol"] == "http"
    assert got["host"] == "ex.com:8"
    assert got["headers"] == [["host", "ex.com:8"], ["x-mixed-case", "V"]]


async def test_context_variables_do_not_leak_between_requests(start: Start) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def h(ctx: Context) -> None:
        before = var.get()
        var.set(ctx.path)
        if ctx.path == "/wait":
            await asyncio.sleep(0.01)
        ctx.body = before

    server = await start(app_with(h))
    reply = await exchange(server.port, get("/a") + get("/wait") + get("/b"), responses=3)
    assert [r.body for r in reply.responses] == [b"unset"] * 3
    assert var.get() == "unset"


async def test_current_task_and_asyncio_timeout_work_in_handlers(start: Start) -> None:
    async def h(ctx: Context) -> None:
        assert asyncio.current_task() is not None
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(1)
        except TimeoutError:
            ctx.body = "timed out"
        async with asyncio.timeout(1):
            await asyncio.sleep(0)
        assert asyncio.current_task() is not None

    server = await start(app_with(h))
    reply = await exchange(server.port, get() + get(), responses=2)
    assert [r.body for r in reply.responses] == [b"timed out", b"timed out"]


def test_parse_helper_rejects_bad_framing() -> None:
    _, error = parse_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert error is not None


async def test_eof_from_the_client_is_a_disconnect(start: Start) -> None:
    server = await start(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(get())
        writer.write_eof()
        data = await asyncio.wait_for(reader.read(), 3)
        assert data.startswith(b"HTTP/1.1 200 OK")  # answered (the handler did not wait), then closed
        assert await is_closed(reader, 1)
    finally:
        writer.close()


async def test_a_ctx_kept_past_its_response_cannot_touch_the_next_request(start: Start) -> None:
    kept: list[Context] = []
    late: list[object] = []

    async def h(ctx: Context) -> None:
        if ctx.path == "/first":
            kept.append(ctx)
            ctx.body = "first"
            return
        old = kept[0]
        late.append((await old.request.read(), old.writable, old.socket))
        old.flush_headers()
        ctx.body = await ctx.request.read()

    server = await start(app_with(h))
    reply = await exchange(server.port, get("/first") + b"POST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n"
                           b"secret", responses=2)
    assert [r.body for r in reply.responses] == [b"first", b"secret"]
    assert late == [(b"", False, None)]
