"""The response half of koa's HTTP/1.1 protocol: heads, bodies, streams and files.

`Sender` is mixed into `HttpToolsProtocol`. A body known in advance goes out with its head
in one `transport.write`; when the whole answer is small, that write waits for the end of the
event loop's pass, with the other connections' answers (see `_defer`). A stream (an async
iterable) is chunked unless a Content-Length was set, in which case its bytes are counted and
the connection closed on a mismatch; an HTTP/1.0 client gets it close-delimited. A file goes
out with `os.sendfile` (uvloop, whose `loop.sendfile` is not implemented) or `loop.sendfile`
(asyncio's loop), and in chunks read off the loop over TLS. Writing waits whenever the
transport asks to pause.
"""
from __future__ import annotations

import asyncio
import io
import os
import stat
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from koa.application import respond
from koa.response import FILE, NONE, length_entry
from koa.transports import _http11
from koa.transports.channel import ClientDisconnected

if TYPE_CHECKING:
    from koa.context import Context
    from koa.response import Response

FILE_CHUNK = 256 * 1024  # a read of a file over TLS, or of a file object without a descriptor
SMALL_FILE = 64 * 1024  # read at once and sent with the head
SENDFILE_CHUNK = 4 * 1024 * 1024
# deferred writes (see Sender._defer): answers up to this size wait for the end of the loop's
# pass, and at most this many connections wait (the first answer of a burst waits for the rest)
DEFER_SIZE = 16 * 1024
DEFER_BATCH = 32
_NO_BODY = frozenset((204, 304))


class BodyLengthError(ValueError):
    """A streamed body did not match the Content-Length that was sent."""


class Sender:
    """Writing responses; the protocol provides the attributes declared here."""

    _transport: asyncio.Transport | None
    _loop: asyncio.AbstractEventLoop
    _ctx: Context | None
    _keep_alive: bool
    _version10: bool
    _is_head: bool
    _must_close: bool
    _body_done: bool
    _closed: bool
    _write_paused: bool
    _drain_waiter: asyncio.Future[None] | None

    def __init__(self) -> None:
        self._sending = False  # the active request's body is being streamed
        self._chunked_out = False
        self._out_left = -1  # bytes the sent Content-Length still promises (-1: not counting)
        self._silent_out = False  # HEAD, 204, 304: a head and no body
        # a whole small response waits here for the end of the loop's pass (see _defer)
        self._out: bytes | None = None
        self._out_queued = False
        self._deferred: Deferred | None = None  # shared by the server's connections (the hub's)

    def _finish(self) -> Any: ...  # provided by the protocol

    def _server_closing(self) -> bool:  # provided by the protocol: the server is shutting down
        raise NotImplementedError

    # -- heads --------------------------------------------------------------------------------
    def _head(self, response: Response, streaming: bool) -> bytes:
        """The head of `response`, with the server's Connection (and framing, when streaming) lines."""
        headers = response._headers
        if response._framing and ("connection" in headers or "transfer-encoding" in headers):
            self._take_framing_headers(headers)
        status = response._status
        # after a 413 the body was not read (API.md: close)
        if (self._keep_alive and self._body_done and not self._must_close and status != 413
                and not self._server_closing()):
            close = False
            extra = _http11.KEEP_ALIVE if self._version10 else ""
        else:
            close = self._must_close = True
            extra = _http11.CLOSE
        if streaming:
            self._chunked_out = False
            self._out_left = -1
            self._silent_out = self._is_head or status in _NO_BODY or status < 200
            if not self._silent_out:
                length = headers.get("content-length")
                if length is not None:
                    self._out_left = _int(length[1])
                elif self._version10:
                    self._must_close = True  # no chunked in HTTP/1.0: the end of the body is the close
                    if not close:
                        extra = _http11.CLOSE
                else:
                    self._chunked_out = True
                    extra += _http11.CHUNKED
        return _http11.head(response, extra)

    def _take_framing_headers(self, headers: dict[str, tuple[str, str | list[str]]]) -> None:
        # the framing is ours: the app's Transfer-Encoding goes, its Connection: close is honoured
        headers.pop("transfer-encoding", None)
        entry = headers.pop("connection", None)
        if entry is not None:
            value = entry[1]
            if "close" in (value if isinstance(value, str) else ",".join(value)).lower():
                self._must_close = True

    def flush_headers(self, response: Response) -> None:
        """Write the head now (Koa's flushHeaders): chunked from here unless a Content-Length is set."""
        transport = self._transport
        if response.header_sent or transport is None:
            return
        head = self._head(response, True)
        response.header_sent = True
        transport.write(head)

    # -- deferred writes ------------------------------------------------------------------------
    def _defer(self, data: bytes) -> None:
        """Write `data` at the end of this pass of the event loop, with the other connections' answers.

        Answers written in one burst wake a client waiting on them once, not once each: on one
        host (a proxy, a load generator) that wake-up costs the writer more than the write does.
        Order is kept by flushing before anything else is written or the connection closed.
        """
        deferred = self._deferred
        if deferred is None or len(data) > DEFER_SIZE:
            self._flush_out()
            transport = self._transport
            if transport is not None:
                transport.write(data)
            return
        out = self._out
        if out is None:
            self._out = data
            if not self._out_queued:
                self._out_queued = True
                deferred.add(self)
        else:
            self._out = out + data

    def _flush_out(self) -> None:
        out = self._out
        if out is not None:
            self._out = None
            transport = self._transport
            if transport is not None:
                transport.write(out)

    # -- settling a response --------------------------------------------------------------------
    def _respond(self, payload: Any) -> Any:
        """Write what `app.handle()` returned; the coroutine still to run for a streamed body, or what _finish gives."""
        ctx = self._ctx
        assert ctx is not None
        response = ctx.response
        transport = self._transport
        if transport is None or transport.is_closing():
            _close_body(payload)
            return self._finish()
        if not response.header_sent:
            if type(payload) is bytes and "content-length" not in response._headers:
                # the app set Transfer-Encoding (respond() then leaves the length out): chunk it
                try:
                    self._start_stream(response)
                    self._write_body(payload)
                    self._end_body()
                except BodyLengthError as err:
                    ctx.onerror(err)
                return self._finish()
            if type(payload) is bytes or payload is None:
                try:
                    head = self._head(response, False)
                except ValueError as err:  # a CR or LF got past ctx.set(): a 500 instead
                    head, payload = self._head_of_error(ctx, err)
                if payload is None or self._is_head:
                    self._defer(head)
                elif len(payload) <= SMALL_FILE:
                    self._defer(head + payload)
                else:
                    transport.writelines((head, payload))
                return self._finish()
        elif type(payload) is bytes or payload is None:
            # the head went out with flush_headers(): this is the body, or the end of it
            if payload is None and response._kind == NONE and not response._explicit_null_body:
                # nothing was set after the flush: the handler failed (ctx.onerror reported it)
                # or gave up; either way the response is not complete, so do not say it is
                self._must_close = True
                self._chunked_out = False
                return self._finish()
            try:
                if payload:
                    self._write_body(payload)
                self._end_body()
            except BodyLengthError as err:
                ctx.onerror(err)
            return self._finish()
        if payload is False:
            # ctx.respond = False: the app owns the response. End what was flushed, then the connection.
            self._must_close = True
            if response.header_sent:
                try:
                    self._end_body()
                except BodyLengthError:
                    pass
            return self._finish()
        self._sending = True
        return self._send_body(ctx, payload)

    def _head_of_error(self, ctx: Context, err: Exception) -> tuple[bytes, bytes | None]:
        ctx.onerror(err)
        payload = respond(ctx)
        return self._head(ctx.response, False), payload if type(payload) is bytes else None

    # -- bodies ------------------------------------------------------------------------------------
    def _write_body(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:
            raise ClientDisconnected("client disconnected during the response")
        if self._silent_out:
            return
        if self._chunked_out:
            if len(data) <= SMALL_FILE:
                transport.write(_http11.chunk(data))
            else:
                transport.writelines((b"%x\r\n" % len(data), data, b"\r\n"))
            return
        left = self._out_left
        if left >= 0:
            if len(data) > left:
                transport.write(data[:left])
                self._out_left = 0
                self._must_close = True
                raise BodyLengthError("the body is longer than its Content-Length")
            self._out_left = left - len(data)
        transport.write(data)

    def _end_body(self) -> None:
        transport = self._transport
        if self._chunked_out:
            self._chunked_out = False
            if transport is not None:
                transport.write(_http11.LAST_CHUNK)
        elif self._out_left > 0:
            self._out_left = -1
            self._must_close = True
            raise BodyLengthError("the body is shorter than its Content-Length")
        self._out_left = -1

    async def _drain(self) -> None:
        if self._transport is None:
            raise ClientDisconnected("client disconnected during the response")
        if self._write_paused:
            waiter = self._drain_waiter
            if waiter is None:
                waiter = self._drain_waiter = self._loop.create_future()
            await waiter
            if self._transport is None:
                raise ClientDisconnected("client disconnected during the response")

    async def _send_body(self, ctx: Context, body: Any) -> None:
        response = ctx.response
        try:
            if response._kind == FILE:
                await self._send_file(ctx, body)
            else:
                await self._send_stream(ctx, body)
        except ClientDisconnected:
            self._must_close = True
        except Exception as err:  # noqa: BLE001 - the app's stream failed: report it, end the response
            if response.header_sent:
                ctx.onerror(err)  # knows the head is out: only reports
                self._must_close = True
                self._chunked_out = False  # no last chunk: the client sees the response is cut short
            else:
                ctx.onerror(err)
                payload = respond(ctx)
                transport = self._transport
                if transport is not None:
                    head = self._head(response, False)
                    transport.write(head + payload if type(payload) is bytes and not self._is_head else head)

    def _start_stream(self, response: Response) -> None:
        if not response.header_sent:
            transport = self._transport
            if transport is None:
                raise ClientDisconnected("client disconnected during the response")
            head = self._head(response, True)
            response.header_sent = True
            transport.write(head)

    async def _send_stream(self, ctx: Context, body: Any) -> None:
        iterator = body.__aiter__()
        try:
            self._start_stream(ctx.response)
            async for chunk in iterator:
                if type(chunk) is not bytes:
                    chunk = chunk.encode() if isinstance(chunk, str) else bytes(chunk)
                if chunk:
                    self._write_body(chunk)
                    if self._write_paused:
                        await self._drain()
            self._end_body()
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _send_file(self, ctx: Context, body: Any) -> None:
        response = ctx.response
        if isinstance(body, PurePath):
            try:
                f = open(os.fspath(body), "rb")  # noqa: SIM115 - closed below
            except OSError as err:
                if response.header_sent:
                    raise
                ctx.onerror(err)  # a 500 (Koa 3), or what err says
                payload = respond(ctx)
                transport = self._transport
                if transport is not None:
                    head = self._head(response, False)
                    transport.write(head + payload if type(payload) is bytes and not self._is_head else head)
                return
        else:
            f = body
        try:
            await self._send_open_file(ctx, f)
        finally:
            f.close()

    async def _send_open_file(self, ctx: Context, f: Any) -> None:
        response = ctx.response
        fd, size, offset = _file_info(f)
        length = size
        if "content-length" in response._headers and not response.header_sent:
            length = _int(response._headers["content-length"][1])
        transport = self._transport
        if transport is None:
            raise ClientDisconnected("client disconnected during the response")
        if fd >= 0 and length is not None and length <= SMALL_FILE and not response.header_sent:
            data = os.pread(fd, length, offset) if length else b""
            if len(data) != length:  # the file changed under us: say what we send
                response._headers["content-length"] = length_entry(len(data))
            head = self._head(response, False)
            transport.write(head if self._is_head else head + data)
            return
        self._start_stream(response)
        if self._silent_out:
            return
        if fd >= 0 and size is not None and (self._out_left >= 0 or self._chunked_out or self._must_close):
            count = size if self._out_left < 0 else min(size, self._out_left)
            chunked = self._chunked_out
            if chunked and count:
                transport.write(b"%x\r\n" % count)
            sent = await self._sendfile(f, fd, offset, count)
            if chunked:
                self._chunked_out = False
                if count:
                    transport.write(b"\r\n")
                transport.write(_http11.LAST_CHUNK)
                if sent != count:
                    raise BodyLengthError("the file is shorter than it was")
                return
            if self._out_left >= 0:
                self._out_left -= sent
            self._end_body()
            return
        read = f.read if isinstance(f, io.BytesIO) else None
        while True:
            if read is not None:
                chunk = read(FILE_CHUNK)
            else:
                chunk = await self._loop.run_in_executor(None, f.read, FILE_CHUNK)
            if not chunk:
                break
            self._write_body(chunk)
            if self._write_paused:
                await self._drain()
        self._end_body()

    async def _sendfile(self, f: Any, fd: int, offset: int, count: int) -> int:
        """Send `count` bytes of the file from `offset` as they are; the number sent."""
        transport = self._transport
        if transport is None:
            raise ClientDisconnected("client disconnected during the response")
        loop = self._loop
        if transport.get_extra_info("sslcontext") is None and type(loop).__module__.startswith("uvloop"):
            sock = transport.get_extra_info("socket")
            if sock is not None:
                return await self._zero_copy(transport, sock.fileno(), fd, offset, count)
        if not type(loop).__module__.startswith("uvloop"):
            f.seek(offset)
            try:
                return await loop.sendfile(transport, f, offset, count)
            except (ConnectionError, RuntimeError) as exc:
                raise ClientDisconnected("client disconnected during the response") from exc
        sent = 0  # TLS on uvloop: read off the loop, write through the transport
        while sent < count:
            chunk = await loop.run_in_executor(None, os.pread, fd, min(FILE_CHUNK, count - sent), offset + sent)
            if not chunk:
                break
            if self._transport is None:
                raise ClientDisconnected("client disconnected during the response")
            transport.write(chunk)
            sent += len(chunk)
            if self._write_paused:
                await self._drain()
        return sent

    async def _zero_copy(self, transport: asyncio.Transport, out: int, fd: int, offset: int, count: int) -> int:
        # os.sendfile straight to the socket whenever the transport has nothing buffered; with
        # write limits at 0 the transport calls pause_writing()/resume_writing() around anything
        # it buffers, which tells when it is empty again
        transport.set_write_buffer_limits(high=0)
        sent = 0
        try:
            while sent < count:
                if self._transport is None:
                    raise ClientDisconnected("client disconnected during the response")
                if transport.get_write_buffer_size():
                    if self._write_paused:
                        await self._drain()
                    else:
                        await asyncio.sleep(0)
                    continue
                try:
                    n = os.sendfile(out, fd, offset + sent, min(SENDFILE_CHUNK, count - sent))
                except BlockingIOError:
                    # the socket is full: hand a piece to the transport, which waits for it
                    data = os.pread(fd, min(SMALL_FILE, count - sent), offset + sent)
                    if not data:
                        break
                    transport.write(data)
                    n = len(data)
                except OSError as exc:
                    raise ClientDisconnected("client disconnected during the response") from exc
                if n == 0:
                    break  # the file ended early
                sent += n
        finally:
            if self._transport is not None:
                transport.set_write_buffer_limits()
        return sent


class Deferred:
    """The connections of a server with an answer waiting for the end of the loop's pass."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.conns: list[Sender] = []
        self.scheduled = False

    def add(self, conn: Sender) -> None:
        conns = self.conns
        conns.append(conn)
        if len(conns) >= DEFER_BATCH:
            self.flush()
        elif not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.run)

    def run(self) -> None:
        self.scheduled = False
        self.flush()

    def flush(self) -> None:
        """Write every waiting answer, in the order they were deferred."""
        conns = self.conns
        self.conns = []
        for conn in conns:
            conn._out_queued = False
            try:
                conn._flush_out()
            except Exception as exc:  # noqa: BLE001 - a transport refusing a write: that connection's alone
                self.loop.call_exception_handler({
                    "message": "koa: writing a response failed", "exception": exc, "protocol": conn})


def _file_info(f: Any) -> tuple[int, int | None, int]:
    """(descriptor or -1, bytes left to read when it is a regular file, current offset)."""
    try:
        fd = f.fileno()
        st = os.fstat(fd)
        offset = f.tell()
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        if isinstance(f, io.BytesIO):
            return -1, len(f.getbuffer()) - f.tell(), f.tell()
        return -1, None, 0
    if not stat.S_ISREG(st.st_mode):
        return -1, None, 0
    return fd, max(st.st_size - offset, 0), offset


def _int(value: str | list[str]) -> int:
    text = value if isinstance(value, str) else value[0]
    try:
        n = int(text.strip())
    except ValueError:
        raise BodyLengthError(f"invalid Content-Length {text!r}") from None
    if n < 0:
        raise BodyLengthError(f"invalid Content-Length {text!r}")
    return n


def _close_body(payload: Any) -> None:
    close = getattr(payload, "close", None)
    if close is not None and not isinstance(payload, (bytes, PurePath)) and hasattr(payload, "read"):
        close()


__all__ = ["BodyLengthError", "Sender"]
