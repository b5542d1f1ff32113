"""koa's own HTTP/1.1 server: an asyncio protocol driving httptools (llhttp), on uvloop when installed.

One `HttpToolsProtocol` per connection. The parser's callbacks collect the request head
(names lower-cased once, framing headers checked as they pass), build the `Request` when
the head is complete, and buffer the body. After each read, the request at the front
runs synchronously with the connection's task as the current task (see _driver.py): the
server runs the app's middleware itself, as `Koa.handle()` would (`_begin`, `_settle`). A
request that completes there is answered at once, its head and body in one
`transport.write` (at the end of the loop's pass when small: `Sender._defer`). A request
that waits is resumed by the connection's task.

The protocol is also each request's Channel (koa/transports/channel.py): `receive()`,
`discard_body()`, `writable`, `flush_headers()` and `socket`. Requests on a connection are
answered one at a time, in order; pipelined ones wait in `_queue` with their bodies.

Everything llhttp leaves to the server is checked here (see tests/server/test_framing.py):
Host on HTTP/1.1, versions other than 1.0/1.1, CONNECT, transfer codings other than one
final `chunked` (501 for an unknown coding), chunk extensions over 4 KiB, the size of the
head (414/431), the number of headers (431), `header_timeout` from a request's first byte
(408), `keep_alive_timeout`; and `body_timeout` while the app waits for more of a body (408).
A refused request gets a short response and the connection
is closed; nothing of it reaches the app.
"""
from __future__ import annotations

import asyncio
import logging
import time
from asyncio.tasks import _enter_task, _leave_task
from collections import deque
from collections.abc import Callable, Mapping
from contextvars import Context as _VarsContext
from contextvars import copy_context as _copy_context
from typing import TYPE_CHECKING, Any

from httptools import HttpParserError, HttpParserUpgrade, HttpRequestParser

from koa._speedups import send, start
from koa.application import Koa, respond
from koa.application import _current as current_var
from koa.context import Context, release
from koa.request import Request
from koa.response import Response
from koa.transports import _http11
from koa.transports._driver import TaskBody
from koa.transports._sending import Deferred, Sender
from koa.transports.channel import ClientDisconnected

if TYPE_CHECKING:
    from koa.transports.options import ServerOptions

log = logging.getLogger("koa.server")

try:
    import cython  # type: ignore[import-untyped]
except ImportError:  # the pure twin, Cython not installed
    from koa._speedups import _shadow as cython
if not cython.compiled:  # compiled, httptools_server.pxd does this in C (base's tp_new, no lookup)

    def _alloc(base: Any, cls: type[Any]) -> Any:
        """base.__new__(cls): an instance of the subclass `cls`, not initialised."""
        return base.__new__(cls)

    def _reusable(obj: Any, base: type[Any]) -> bool:
        """Whether Hub.keep() may pool `obj`: never in the pure twin, whose fields are its __dict__."""
        return False

_lower = bytes.lower  # perf: called per header, without a method lookup each time
_NOTHING: Any = object()  # no handover pending (None is a valid thing for a coroutine to yield)

# request-head flags, set by on_header
_HOST = 1
_HOST_TWICE = 2
_TE = 4
_EXPECT = 8
_CONNECTION = 16

def _method_name(method: bytes) -> str:
    # perf: the usual two by comparing bytes (no hash of a new bytes object), the others by a lookup
    if method == b"GET":
        return "GET"
    if method == b"POST":
        return "POST"
    return _METHODS.get(method) or method.decode("latin-1")


_METHODS = {m.encode(): m for m in (
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "QUERY",
)}
# reg-name / IP-literal characters and the port separator (RFC 3986); anything else in Host is a 400
_HOST_CHARS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%"
# parser error messages that mean "not an HTTP version we speak"
_VERSION_ERRORS = ("Invalid HTTP version", "Invalid major version", "Invalid minor version", "Pause on PRI")

LINGER = 2.0  # seconds to read (and drop) what a client still sends after we answered and closed
BODY_HIGH_WATER = 256 * 1024  # buffered, unread request body: stop reading past this
MAX_QUEUED = 32  # pipelined requests waiting: stop reading past this
SPARES = 32  # finished requests' objects kept for reuse (Hub.keep), per server
CHUNK_EXTENSION_LIMIT = 4096  # bytes of chunk extensions per chunk
_CHUNK_LINE_SLACK = 64  # the chunk-size digits and CRLFs around the extensions


class InvalidBody(ConnectionError):
    """The request body's framing broke mid-way (a bad chunk, ...): the request cannot go on."""

    status = 400
    expose = True


class BodyTimeout(InvalidBody):
    """The client sent no more of the request body for `body_timeout` seconds while the app read it."""

    status = 408


class _Refused(Exception):
    """Raised from a parser callback to stop parsing; the status is in `protocol._error`."""


class _Queued:
    """A pipelined request waiting for the ones before it, with its body as it arrives."""

    __slots__ = ("request", "keep_alive", "version10", "is_head", "expect", "body", "size", "done", "error")

    def __init__(self, request: Request | None, keep_alive: bool, version10: bool, is_head: bool, expect: bool) -> None:
        self.request = request
        self.keep_alive = keep_alive
        self.version10 = version10
        self.is_head = is_head
        self.expect = expect
        self.body: list[bytes] | None = None
        self.size = 0
        self.done = False
        self.error = 0  # not a request: answer this status and close


async def _raise(err: BaseException) -> None:
    raise err


class Hub:
    """What the connections of one server share: the app, the options, a coarse clock, the live set.

    A tick (every `interval` seconds while there are connections) refreshes the Date header
    and the clock, and closes the connections whose timeouts have passed.
    """

    def __init__(self, app: Koa, options: ServerOptions, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.options = options
        self.loop = loop
        self.request_class = app.request
        self.create_context = app.create_context
        self.handle = app.handle
        # the server does what Koa.handle() does itself (see HttpToolsProtocol._begin), unless a
        # subclass of Koa has its own handle()
        self.direct = getattr(type(app), "handle", None) is Koa.handle
        self.context_class = app.context
        self.response_class = app.response
        # the objects of a request are made without their class calls (see HttpToolsProtocol._new_request)
        # when the app's classes keep koa's constructors and create_context()
        self.fast_new = (
            getattr(type(app), "create_context", None) is Koa.create_context
            and app.request.__init__ is Request.__init__
            and app.response.__init__ is Response.__init__
            and app.context.__init__ is Context.__init__
        )
        # finished requests' objects, for the next requests to make again (see keep()): stacks of
        # a fixed size, so that taking and putting back never resizes a list
        self.spare_requests: list[Any] = [None] * SPARES
        self.spare_contexts: list[Any] = [None] * SPARES
        self.requests_kept = self.contexts_kept = 0
        self.scheme = "https" if options.ssl is not None else "http"
        self.max_head = options.max_header_size
        self.max_headers = options.max_headers
        self.keep_alive_timeout = options.keep_alive_timeout
        self.header_timeout = options.header_timeout
        self.body_timeout = options.body_timeout
        self.access_log = options.access_logger
        self.connections: set[HttpToolsProtocol] = set()
        self.now = loop.time()
        self.closing = False  # shutting down: finish what is in flight, then close
        self.interval = max(0.01, min(
            1.0, self.keep_alive_timeout / 10, self.header_timeout / 10, self.body_timeout / 10))
        self.starting: asyncio.Future[None] | None = None  # the app's startup, when a request must wait for it
        self.startup_task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._empty: asyncio.Event | None = None
        self.deferred = Deferred(loop)  # connections with an answer to write (Sender._defer)

    def protocol(self) -> HttpToolsProtocol:
        """The protocol factory handed to `loop.create_server()`."""
        return HttpToolsProtocol(self)

    def add(self, conn: HttpToolsProtocol) -> None:
        self.connections.add(conn)
        if self._timer is None:
            _http11.refresh_date()
            self.now = self.loop.time()
            self._timer = self.loop.call_later(self.interval, self._tick)

    def discard(self, conn: HttpToolsProtocol) -> None:
        self.connections.discard(conn)
        if not self.connections and self._empty is not None:
            self._empty.set()

    def _tick(self) -> None:
        _http11.refresh_date()
        now = self.now = self.loop.time()
        if not self.connections:
            self._timer = None
            return
        for conn in list(self.connections):
            conn.check_timeouts(now)
        self._timer = self.loop.call_later(self.interval, self._tick)

    # -- shutdown -------------------------------------------------------------------------
    def close_idle(self) -> None:
        """Stop keeping connections alive; close the ones with no request in flight."""
        self.closing = True
        for conn in list(self.connections):
            conn.close_if_idle()

    async def wait_empty(self, timeout: float | None) -> bool:
        """Wait until every connection has closed; False if `timeout` passed first."""
        if not self.connections:
            return True
        if self._empty is None or self._empty.is_set():
            self._empty = asyncio.Event()
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def abort(self) -> None:
        """Cancel every request in flight and close every connection now."""
        self.closing = True
        for conn in list(self.connections):
            conn.abort()

    def stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def keep(self, ctx: Context) -> None:
        """Pool a released request's objects, for _new_request() and _new_context() to make again.

        Only what nothing can tell apart from a new object is kept: no weak reference to it, no
        attribute of its own, no slot a subclass added (see _reusable). Its fields are set again
        by the next request's _init(); what could hold the app's data is dropped now.
        """
        request = ctx.request
        response = ctx.response
        if (self.requests_kept == SPARES or self.contexts_kept == SPARES or not _reusable(ctx, Context)
                or not _reusable(request, Request) or not _reusable(response, Response)):
            return
        ctx.request = None  # type: ignore[assignment]
        ctx.params = ctx._state = ctx._cookies = ctx.router = None  # type: ignore[assignment]
        request.channel = request.client = request._raw_headers = request._headers = request._query = None  # type: ignore[assignment]
        request._body = request.body = request.raw_body = request.files = None
        response._body = response._headers = response._message = None  # type: ignore[assignment]
        self.spare_requests[self.requests_kept] = request
        self.requests_kept += 1
        self.spare_contexts[self.contexts_kept] = ctx
        self.contexts_kept += 1


class HttpToolsProtocol(Sender):
    """One HTTP/1.1 connection (see the module docstring); also the Channel of its requests."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._loop = hub.loop
        self._request_class = hub.request_class
        self._create_context = hub.create_context
        self._handle = hub.handle
        self._app = hub.app
        self._direct = False  # the active request's middleware run without app.handle() (see _begin)
        self._scheme = hub.scheme
        self._access_log = hub.access_log
        self._max_head = hub.max_head
        self._max_headers = hub.max_headers
        parser = HttpRequestParser(self)
        self._parser: Any = parser
        self._feed: Callable[[bytes], None] = parser.feed_data  # perf: bound once (again when _parser changes)
        # perf: bound once; on_headers_complete is only ever called by this parser
        self._keep_alive_of = parser.should_keep_alive
        self._method_of = parser.get_method
        self._transport: asyncio.Transport | None = None
        self.socket: Any = None
        self.writable = False  # Channel: False once the client is gone or the connection is closing
        self._client: tuple[str, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False  # the transport is closing or gone: no more requests
        self._linger_until = 0.0  # > 0: half-closed, dropping input until then (a lingering close)
        self._reading_paused = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        # the connection's task (see _driver.py)
        self._coro: Any = None  # the coroutine the task is running, if any
        self._handover: Any = _NOTHING  # what a request yielded when it first waited
        self._parked: asyncio.Future[None] | None = None
        self._context: _VarsContext | None = None
        # the head being parsed
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] | None = None
        self._head_size = 0
        self._flags = 0
        self._host = b""
        self._good_host = b""  # the last Host value found well-formed (a connection keeps sending the same)
        self._te = b""
        self._expect = b""
        self._error = 0
        self._head_since: float | None = None  # the current head's first byte, on the hub's clock
        self._head_new = False  # a head began during this read
        self._head_fed = 0  # bytes read while a head that began in an earlier read is incomplete
        # chunk-extension accounting (see _check_chunk_extensions)
        self._chunk_check = False  # a chunked body was being read during this read
        self._chunked_open = False  # ... and is not complete yet
        self._chunk_extra = 0  # framing bytes carried over from earlier reads
        self._chunks = 0  # chunk headers completed in this read
        self._known = 0  # bytes of this read that the callbacks accounted for (bodies, heads)
        self._upgrade_body = 0  # Content-Length of an Upgrade request's body (llhttp skips it)
        self._idle_since = hub.now
        # where request body bytes go: None -> the active request, a _Queued -> that one
        self._into: _Queued | None = None
        self._into_nothing = True
        # the active request
        self._request: Request | None = None
        self._ctx: Context | None = None
        self._finished: Context | None = None  # the ctx of the request just answered, until released
        self._ready = False  # the active request's head is in; run it after this read
        self._queue: deque[_Queued] | None = None
        self._keep_alive = True
        self._version10 = False
        self._is_head = False
        self._expect_continue = False
        self._body: list[bytes] | None = None
        self._body_size = 0
        self._body_done = False
        self._body_error = 0
        self._body_waiter: asyncio.Future[None] | None = None
        self._body_since = 0.0  # when the app began waiting for more of the body
        self._must_close = False
        self._started = 0.0
        Sender.__init__(self)
        self._deferred = hub.deferred

    # -- asyncio.Protocol -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self.socket = transport
        self.writable = True
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple):
            self._client = (str(peer[0]), int(peer[1]))
        hub = self._hub
        self._task = self._loop.create_task(TaskBody(self))
        hub.add(self)
        self._idle_since = hub.now
        if hub.closing:
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._out = None
        self._closed = True
        self.writable = False
        self._transport = None
        self._hub.discard(self)
        self._wake_body()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._coro is not None or self._handover is not _NOTHING:
            assert self._task is not None
            self._task.cancel()  # the client is gone: so is its request's work
        else:
            parked = self._parked
            if parked is not None:
                self._parked = None
                parked.set_result(None)  # the task sees the connection is over and ends

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        self._known = 0
        try:
            self._feed(data)
        except HttpParserUpgrade as exc:
            self._upgraded(data, exc)
        except HttpParserError as exc:
            self._refuse(self._error or _status_of(exc, self._te if self._flags & _TE else b""))
        if self._head_since is not None:
            self._check_partial_head(len(data))
        if self._chunk_check:
            self._check_chunk_extensions(len(data))
        if self._ready:
            self._ready = False
            self._run(self._begin())

    def eof_received(self) -> bool | None:
        return None  # the client has finished: close (cancelling what is still in flight)

    # -- parser callbacks -------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._flags = 0
        self._head_since = self._hub.now
        self._head_new = True

    def on_url(self, url: bytes) -> None:
        if self._url:
            url = self._url + url
        self._url = url
        size = self._head_size = len(url)
        if size > self._max_head:
            self._error = 414
            raise _Refused

    @cython.locals(name=bytes, value=bytes, headers=list, size=cython.Py_ssize_t)  # type: ignore[untyped-decorator]
    def on_header(self, name: bytes, value: bytes) -> None:
        headers = self._headers
        if headers is None:
            self._trailer(name, value)
            return
        name = _lower(name)
        headers.append((name, value))
        size = self._head_size = self._head_size + len(name) + len(value) + 4
        if size > self._max_head:  # (the number of headers, bounded by this, is checked once complete)
            self._error = 431
            raise _Refused
        if name == b"host":
            self._flags |= _HOST_TWICE if self._flags & _HOST else _HOST
            self._host = value
        elif name == b"connection":
            self._flags |= _CONNECTION
        elif name == b"transfer-encoding":
            self._te = self._te + b"," + value if self._flags & _TE else value
            self._flags |= _TE
        elif name == b"expect":
            self._expect = value
            self._flags |= _EXPECT

    @cython.locals(flags=cython.int, keep_alive=cython.bint, expect=cython.bint, version=str, method=bytes,  # type: ignore[untyped-decorator]
                   headers=list, host=bytes)
    def on_headers_complete(self) -> None:
        parser = self._parser
        flags = self._flags
        keep_alive = self._keep_alive_of()
        if keep_alive and not flags & _CONNECTION:
            # perf: llhttp keeps a connection alive without a Connection header for HTTP/1.1 only
            # (it accepts 0.9, 1.0, 1.1 and 2.0; tests/server/test_framing.py holds it to that)
            version = "1.1"
        else:
            version = parser.get_http_version()
        if version == "1.1":
            if flags & 3 != _HOST:
                self._refuse_head(400)  # missing or repeated Host
            host = self._host
            if host != self._good_host:
                if host.translate(None, _HOST_CHARS):
                    self._refuse_head(400)  # a malformed Host
                self._good_host = host
        elif version != "1.0":
            self._refuse_head(505)
        elif flags & _HOST_TWICE:
            self._refuse_head(400)
        method = self._method_of()
        if method == b"CONNECT":
            self._refuse_head(501)
        expect = False
        if flags & (_TE | _EXPECT):
            if flags & _TE:
                self._check_transfer_encoding(version)
            if flags & _EXPECT:
                if self._expect.strip().lower() != b"100-continue":
                    self._refuse_head(417)
                expect = version == "1.1"
        self._head_since = None
        headers = self._headers
        if len(headers) > self._max_headers:  # type: ignore[arg-type]
            self._refuse_head(431)
        self._headers = None  # from here on, on_header means trailers
        self._known += self._head_size + len(method) + 14
        request = self._new_request(
            _method_name(method), self._url.decode("latin-1"), headers or [], version)
        if flags & _CONNECTION and parser.should_upgrade():  # (CONNECT, the other upgrade, is refused above)
            # we do not switch protocols: answer over HTTP/1.1, then close. llhttp leaves the
            # body of such a request unread; _upgraded() reads a Content-Length one itself
            keep_alive = False
            if flags & _TE:
                self._refuse_head(501)
            self._upgrade_body = _content_length(headers or [])
        if self._request is None and not self._queue:
            self._request = request
            self._keep_alive = keep_alive
            self._version10 = version == "1.0"
            self._is_head = method == b"HEAD"
            self._expect_continue = expect
            self._body_done = False  # (_finish left _body empty)
            self._into = None
            self._into_nothing = False
            self._ready = True
        else:
            entry = _Queued(request, keep_alive, version == "1.0", method == b"HEAD", expect)
            if self._queue is None:
                self._queue = deque()
            self._queue.append(entry)
            self._into = entry
            self._into_nothing = False
            if len(self._queue) >= MAX_QUEUED:
                self._pause_reading()

    def on_body(self, body: bytes) -> None:
        self._known += len(body)
        if self._into_nothing:
            return
        into = self._into
        if into is None:
            buffered = self._body
            if buffered is None:
                self._body = [body]
            else:
                buffered.append(body)
            size = self._body_size = self._body_size + len(body)
            waiter = self._body_waiter
            if waiter is not None:
                self._body_waiter = None
                if not waiter.done():
                    waiter.set_result(None)
            elif size > BODY_HIGH_WATER:
                self._pause_reading()
        else:
            if into.body is None:
                into.body = [body]
            else:
                into.body.append(body)
            into.size += len(body)
            if into.size > BODY_HIGH_WATER:
                self._pause_reading()

    def on_message_complete(self) -> None:
        if not self._into_nothing:
            into = self._into
            if into is None:
                self._body_done = True
                if self._body_waiter is not None:
                    self._wake_body()
            else:
                into.done = True
        self._into_nothing = True
        self._chunked_open = False

    def on_chunk_header(self) -> None:
        self._chunks += 1

    def on_chunk_complete(self) -> None:
        pass

    # -- head checks --------------------------------------------------------------------------
    def _refuse_head(self, status: int) -> None:
        self._error = status
        raise _Refused

    def _check_transfer_encoding(self, version: str) -> None:
        if version != "1.1":
            self._refuse_head(400)  # RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing
        codings = [c.strip() for c in self._te.lower().split(b",")]
        if codings[-1] != b"chunked" or b"chunked" in codings[:-1]:
            # chunked not last, or twice: the length is unknowable
            self._refuse_head(400 if b"chunked" in codings else 501)
        if len(codings) > 1:
            self._refuse_head(501)  # a coding we do not decode (gzip, ...) before chunked
        self._chunk_check = self._chunked_open = True
        self._chunk_extra = 0

    def _trailer(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 4
        self._known += size
        self._head_size += size
        if self._head_size > self._max_head:
            self._error = 431
            raise _Refused

    def _check_partial_head(self, size: int) -> None:
        # a head still incomplete after this read: count the bytes that went into it, so that
        # a head trickled over many reads (one huge header, say) is bounded too
        if self._head_new:
            self._head_new = False  # where it began in this read is unknown: the callbacks counted it
            self._head_fed = 0
            return
        self._head_fed += size
        if self._head_fed > self._max_head:
            self._error = 431
            self._refuse(431)

    def _check_chunk_extensions(self, size: int) -> None:
        # llhttp reads chunk extensions without a bound. What a read holds beyond the bodies and
        # heads the callbacks saw is chunk framing: size lines with their extensions, CRLFs. Allow
        # CHUNK_EXTENSION_LIMIT of extensions per read (and per chunk-size line that spans reads)
        # on top of a few bytes per chunk.
        extra = self._chunk_extra + max(size - self._known, 0)
        chunks = self._chunks
        self._chunks = 0
        if extra > CHUNK_EXTENSION_LIMIT + _CHUNK_LINE_SLACK * (chunks + 1):
            self._refuse(400, drop_unstarted=True)  # which message of this read went over is unknown
            return
        self._chunk_check = self._chunked_open
        self._chunk_extra = (0 if chunks else extra) if self._chunked_open else 0

    # -- refusing -------------------------------------------------------------------------------
    def _refuse(self, status: int, *, drop_unstarted: bool = False) -> None:
        """A request could not be parsed: answer `status` once the ones before it are answered, close.

        The broken request never reaches the app; with `drop_unstarted`, neither does any request
        not yet started (when which message of a read was at fault is unknown).
        """
        self._error = 0
        self._head_since = None
        self._chunk_check = self._chunked_open = False
        self._pause_reading()
        self._closed_for_reading()
        broken_body = not self._into_nothing  # the fault is in the body of the request being read
        into = self._into
        self._into_nothing = True
        if drop_unstarted:
            self._queue = None
        if self._ready and (drop_unstarted or (broken_body and into is None)):
            self._ready = False  # read in this same read and not started: it never reaches the app
            self._request = None
        elif broken_body and into is None and self._request is not None:
            # the running request's body broke: receive() tells it; the connection closes after
            self._body_error = status
            self._must_close = True
            self._wake_body()
            return
        elif broken_body and into is not None and self._queue:
            self._queue.pop()
        if self._request is None and not self._queue:
            self._write_error(status)
        else:
            entry = _Queued(None, False, False, False, False)
            entry.error = status
            if self._queue is None:
                self._queue = deque()
            self._queue.append(entry)

    def _closed_for_reading(self) -> None:
        self._parser = _Dead()
        self._feed = self._parser.feed_data

    def _write_error(self, status: int) -> None:
        self._flush_out()
        transport = self._transport
        if transport is not None and not self._closed:
            transport.write(_http11.error_response(status))
            if self._hub.access_log is not None:
                self._hub.access_log.info('%s - "-" %d -', self._client[0] if self._client else "-", status)
        self._close(linger=True)

    def _upgraded(self, data: bytes, exc: HttpParserUpgrade) -> None:
        # llhttp stops after a head asking to switch protocols; we stay on HTTP/1.1 (the response
        # says Connection: close), read the request's body if it has one, and nothing after it
        length = self._upgrade_body
        self._upgrade_body = 0
        if not length:
            self._closed_for_reading()
            return
        target = self._queue[-1] if self._queue else None
        if target is None:
            self._body_done = False
        else:
            target.done = False
        self._into = target
        self._into_nothing = False
        raw = self._parser = _RawBody(self, length)
        self._feed = raw.feed_data
        raw.feed_data(data[exc.args[0]:])

    # -- timeouts and shutdown ---------------------------------------------------------------------
    def check_timeouts(self, now: float) -> None:
        """Called by the hub's tick: close a connection idle or slow past its timeout."""
        if self._closed:
            if self._linger_until and now >= self._linger_until and self._transport is not None:
                self._transport.close()
            return
        if self._body_waiter is not None and now - self._body_since >= self._hub.body_timeout:
            self._body_timed_out()
            return
        if self._request is not None or self._queue:
            return
        since = self._head_since
        if since is not None:
            if now - since >= self._hub.header_timeout:
                self._head_since = None
                self._write_error(408)
        elif now - self._idle_since >= self._hub.keep_alive_timeout:
            self._close()

    def _body_timed_out(self) -> None:
        # the app waits for body bytes that do not come: its read fails (408), and the
        # connection closes after the response, since the body's end is unknown
        self._body_error = 408
        self._must_close = True
        self._pause_reading()
        self._wake_body()

    def close_if_idle(self) -> None:
        if self._request is None and not self._queue:
            self._close()

    def abort(self) -> None:
        if self._coro is not None or self._handover is not _NOTHING:
            assert self._task is not None
            self._task.cancel()
        transport = self._transport
        if transport is not None:
            transport.abort()

    def _close(self, linger: bool = False) -> None:
        """Close the connection; with `linger`, half-close and drop input for a while first, so that
        a client still sending (a body we did not read) gets our response rather than a reset."""
        self._closed = True
        self.writable = False
        self._parser = _Dead()
        self._feed = self._parser.feed_data
        self._flush_out()
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if linger and not self._linger_until and transport.can_write_eof():
            self._linger_until = self._hub.now + LINGER
            transport.write_eof()
            if self._reading_paused:
                self._reading_paused = False
                transport.resume_reading()
            return
        transport.close()

    # -- reading flow -------------------------------------------------------------------------------
    def _pause_reading(self) -> None:
        if not self._reading_paused and self._transport is not None:
            self._reading_paused = True
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if self._reading_paused and not self._closed and self._transport is not None:
            if self._body_size > BODY_HIGH_WATER or (self._queue and len(self._queue) >= MAX_QUEUED):
                return
            self._reading_paused = False
            self._transport.resume_reading()

    def _wake_body(self) -> None:
        waiter = self._body_waiter
        if waiter is not None:
            self._body_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    # -- Channel ----------------------------------------------------------------------------------
    async def receive(self) -> bytes:
        """The next chunk of the active request's body; b"" at its end."""
        while True:
            body = self._body
            if body:
                self._body = None
                self._body_size = 0
                if self._reading_paused:
                    self._resume_reading()
                return body[0] if len(body) == 1 else b"".join(body)
            if self._body_done:
                return b""
            if self._body_error:
                if self._body_error == 408:
                    raise BodyTimeout("the request body stopped arriving")
                raise InvalidBody("the request body is malformed")
            if self._transport is None:
                raise ClientDisconnected("client disconnected while sending the body")
            if self._expect_continue:
                self._expect_continue = False
                if self._ctx is None or not self._ctx.response.header_sent:
                    self._transport.write(_http11.CONTINUE)
            if self._reading_paused:
                self._resume_reading()
            self._body_since = self._hub.now  # body_timeout counts from here (see check_timeouts)
            waiter = self._body_waiter = self._loop.create_future()
            await waiter

    def discard_body(self) -> None:
        """The app does not want the rest of the body (a 413): close after the response."""
        self._must_close = True

    async def send(self, message: Mapping[str, Any]) -> None:
        """Write an ASGI response message: the raw response for `ctx.respond = False` (as on ASGI).

        The server frames it (chunked, or counted against the Content-Length given) and
        closes the connection after it, as after any response the app wrote itself.
        """
        kind = message["type"]
        ctx = self._ctx
        if ctx is None or self._transport is None:
            raise ClientDisconnected("client disconnected during the response")
        response = ctx.response
        if kind == "http.response.start":
            if response.header_sent:
                raise RuntimeError("the response has already started")
            response._clear_headers()
            response.status = int(message["status"])
            for name, value in message.get("headers", ()):
                response.append(name.decode("latin-1"), value.decode("latin-1"))  # checked as ctx.set() checks
            self._must_close = True  # (said in the head: Connection: close)
            self._start_stream(response)
        elif kind == "http.response.body":
            if not response.header_sent:
                raise RuntimeError("http.response.body before http.response.start")
            body = message.get("body", b"")
            if body:
                self._write_body(bytes(body))
                if self._write_paused:
                    await self._drain()
            if not message.get("more_body", False):
                self._end_body()
        else:
            raise ValueError(f"unsupported message type {kind!r}")


    # -- running requests -----------------------------------------------------------------------
    def _begin(self) -> Any:
        """The coroutine that handles the active request (a fresh Context, a fresh contextvars context)."""
        self._flush_out()  # the answer before this one (pipelining), if it waits: out first
        ctx = self._ctx = self._new_context(self._request)  # type: ignore[arg-type]  # set by the caller
        self._context = _copy_context()
        if self._access_log is not None:
            self._started = time.perf_counter()
        hub = self._hub
        if hub.starting is not None:
            return self._handle_after_startup(ctx)
        if not hub.direct:
            return self._handle(ctx)
        # perf: Koa.handle()'s steps, without its coroutine: the middleware's coroutine runs as
        # the request, and _settle() does the rest once it ends (see _run and _step)
        app = self._app
        self._direct = True
        try:
            return start(self._context, current_var, ctx, app._fn or app._composed())
        except Exception as err:  # noqa: BLE001 - the first middleware failed before awaiting
            return _raise(err)

    # perf: the request's objects, made without the class calls (type call, argument tuple and
    # parsing) when the app's classes keep koa's constructors (Hub.fast_new)
    def _new_request(self, method: str, url: str, headers: list[tuple[bytes, bytes]], version: str) -> Request:
        hub = self._hub
        if not hub.fast_new:
            return self._request_class(method, url, headers, self, version, self._scheme, self._client)
        n = hub.requests_kept
        if n:
            n = hub.requests_kept = n - 1
            request = hub.spare_requests[n]
            hub.spare_requests[n] = None
        else:
            request = _alloc(Request, self._request_class)
        request._init(method, url, headers, self, version, self._scheme, self._client)
        return request  # type: ignore[no-any-return]

    def _new_context(self, request: Request) -> Context:
        hub = self._hub
        if not hub.fast_new:
            return self._create_context(request)
        n = hub.contexts_kept
        if n:
            n = hub.contexts_kept = n - 1
            ctx = hub.spare_contexts[n]
            hub.spare_contexts[n] = None
            response = ctx.response
        else:
            response = _alloc(Response, hub.response_class)
            ctx = _alloc(Context, hub.context_class)
        response._init()
        ctx._init(hub.app, request, response)
        return ctx  # type: ignore[no-any-return]

    def _settle(self, exc: Exception | None) -> Any:
        """The middleware are done (or failed with `exc`): what Koa.handle() then does, and returns."""
        self._direct = False
        ctx = self._ctx
        assert ctx is not None
        if exc is None:
            try:
                return respond(ctx)
            except Exception as err:  # noqa: BLE001 - e.g. a body that is not JSON-serialisable
                exc = err
        self._context.run(ctx.onerror, exc)  # type: ignore[union-attr]  # in the request's context, as the app's code
        return respond(ctx)

    async def _handle_after_startup(self, ctx: Context) -> Any:
        starting = self._hub.starting
        if starting is not None:
            await asyncio.shield(starting)
        return await self._hub.handle(ctx)

    def _run(self, coro: Any) -> None:
        """Step `coro` now, as the connection's task; if it waits, the task takes it over."""
        loop = self._loop
        task = self._task
        assert task is not None
        while coro is not None:
            _enter_task(loop, task)
            try:
                done, yielded = send(self._context, coro)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001
                _leave_task(loop, task)
                if not self._direct:  # a bug of ours: report it, drop the connection
                    self._crashed(exc)
                    return
                try:
                    done, yielded = True, self._settle(exc)  # the app's error: its response
                except BaseException as err:  # noqa: BLE001
                    self._crashed(err)
                    return
            except BaseException as exc:  # noqa: BLE001 - a bug of ours: report it, drop the connection
                _leave_task(loop, task)
                self._crashed(exc)
                return
            else:
                _leave_task(loop, task)
            if done:
                if self._sending:
                    self._sending = False
                    coro = self._finish()
                else:
                    if self._direct:
                        try:
                            yielded = self._settle(None)
                        except BaseException as err:  # noqa: BLE001 - a bug of ours
                            self._crashed(err)
                            return
                    coro = self._respond(yielded)
                if self._finished is not None:
                    self._release_finished()
                continue
            self._coro = coro
            self._handover = yielded
            parked = self._parked
            if parked is not None:
                self._parked = None
                parked.set_result(None)
            return

    def task_send(self) -> Any:
        """The connection task's step (see _driver.py)."""
        yielded = self._handover
        if yielded is not _NOTHING:
            self._handover = _NOTHING
            return yielded
        coro = self._coro
        if coro is None:
            return self._park()
        return self._step(coro, None)

    def task_throw(self, exc: BaseException) -> Any:
        """The connection's task was cancelled: pass it on to the request it runs."""
        yielded = self._handover
        if yielded is not _NOTHING:
            self._handover = _NOTHING
            if isinstance(yielded, asyncio.Future):
                yielded.cancel()  # as Task.cancel() cancels what the task waits for
        coro = self._coro
        if coro is None:
            self._parked = None
            raise StopIteration
        return self._step(coro, exc)

    def _step(self, coro: Any, exc: BaseException | None) -> Any:
        while True:
            try:
                try:
                    if exc is None:
                        done, yielded = send(self._context, coro)  # type: ignore[arg-type]
                    else:
                        try:
                            done, yielded = False, self._context.run(coro.throw, exc)  # type: ignore[union-attr]
                        except StopIteration as stop:
                            done, yielded = True, stop.value
                except Exception as err:  # noqa: BLE001
                    if not self._direct:
                        raise
                    done, yielded = True, self._settle(err)  # the app's error: its response
                else:
                    if done and self._direct:  # (never while _sending: _settle() ended it)
                        yielded = self._settle(None)
            except BaseException as err:  # noqa: BLE001 - cancelled (client gone, shutdown) or a bug of ours
                self._coro = None
                if not isinstance(err, asyncio.CancelledError):
                    self._crashed(err)
                else:
                    self._abandon()
                raise StopIteration from None
            if done:
                exc = None
                if self._sending:
                    self._sending = False
                    coro = self._coro = self._finish()
                else:
                    coro = self._coro = self._respond(yielded)
                if self._finished is not None:
                    self._release_finished()
                if coro is None:
                    return self._park()
                continue
            return yielded

    def _server_closing(self) -> bool:
        return self._hub.closing

    def _release_finished(self) -> None:
        ctx = self._finished
        self._finished = None
        # freed now rather than by the cycle collector, unless kept; or made again by the next request
        if release(ctx) and self._hub.fast_new:  # type: ignore[arg-type]
            self._hub.keep(ctx)  # type: ignore[arg-type]

    def _park(self) -> Any:
        if self._transport is None:
            raise StopIteration  # the connection is over: so is its task
        waiter = self._parked = self._loop.create_future()
        waiter._asyncio_future_blocking = True
        return waiter

    def _crashed(self, exc: BaseException) -> None:
        self._loop.call_exception_handler({
            "message": "koa: unexpected error while serving a request",
            "exception": exc,
            "protocol": self,
        })
        self._abandon()

    def _abandon(self) -> None:
        """The active request ended without a response (cancelled, or broken): drop the connection."""
        self._request = None
        self._ctx = None
        self._queue = None
        self._sending = False
        self._close()

    def _finish(self) -> Any:
        """The active request is answered: log it, then start the next one or wait for it."""
        hub = self._hub
        if self._access_log is not None:
            self._log_access()
        request = self._request
        if request is not None:
            # a ctx kept past its response must not read the next request's body or write into
            # the next response: its channel is now a closed one
            request.channel = FINISHED
            request = None
        self._request = None
        # unlinked by _release_finished() once the caller's frames are gone (see koa.context.release)
        self._finished = self._ctx
        self._ctx = None
        self._context = None  # (it holds ctx too: koa.current_context()'s variable, see _begin)
        if not self._keep_alive or self._must_close or not self._body_done or hub.closing:
            self._must_close = False
            self._close(linger=not self._body_done)
            return None
        self._body = None
        self._body_size = 0
        self._idle_since = hub.now
        queue = self._queue
        if queue:
            return self._next(queue)
        if self._reading_paused:
            self._resume_reading()
        return None

    def _next(self, queue: deque[_Queued]) -> Any:
        entry = queue.popleft()
        if entry.error:
            self._write_error(entry.error)
            return None
        self._request = entry.request
        self._keep_alive = entry.keep_alive
        self._version10 = entry.version10
        self._is_head = entry.is_head
        self._expect_continue = entry.expect
        self._body = entry.body
        self._body_size = entry.size
        self._body_done = entry.done
        self._body_error = 0
        if self._into is entry:
            self._into = None  # its body is still arriving: now straight to it
        if self._reading_paused:
            self._resume_reading()
        return self._begin()

    def _log_access(self) -> None:
        ctx = self._ctx
        request = self._request
        logger = self._hub.access_log
        if ctx is None or request is None or logger is None:
            return
        elapsed = (time.perf_counter() - self._started) * 1000
        logger.info(
            '%s - "%s %s HTTP/%s" %d %s %.3fms',
            self._client[0] if self._client else "-", request.method, request.original_url,
            request.http_version, ctx.response._status, ctx.response.get("Content-Length") or "-", elapsed,
        )

    def __repr__(self) -> str:
        return f"<HttpToolsProtocol {self._client}>"


class FinishedChannel:
    """The Channel of a request whose response is complete: no body left, nothing writable."""

    __slots__ = ()

    socket = None
    writable = False

    async def receive(self) -> bytes:
        return b""

    def discard_body(self) -> None:
        pass

    def flush_headers(self, response: Any) -> None:
        pass

    async def send(self, message: Any) -> None:
        raise RuntimeError("the response is complete: nothing more can be sent")


FINISHED = FinishedChannel()


class _Dead:
    """Stands in for the parser once a connection reads no more."""

    __slots__ = ()

    def feed_data(self, data: bytes) -> None:
        pass


class _RawBody:
    """Stands in for the parser after an Upgrade request: its Content-Length body, then nothing."""

    __slots__ = ("_protocol", "_left")

    def __init__(self, protocol: HttpToolsProtocol, length: int) -> None:
        self._protocol = protocol
        self._left = length

    def feed_data(self, data: bytes) -> None:
        left = self._left
        if left <= 0:
            return
        if len(data) > left:
            data = data[:left]
        self._left = left - len(data)
        if data:
            self._protocol.on_body(data)
        if not self._left:
            self._protocol.on_message_complete()


def _content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name == b"content-length":
            return int(value)  # llhttp checked it
    return 0


def _status_of(exc: HttpParserError, te: bytes) -> int:
    """The status answering a request llhttp refused (`te`: its Transfer-Encoding, if any)."""
    message = str(exc)
    if message.startswith(_VERSION_ERRORS):
        return 505
    if message.startswith("Request has invalid `Transfer-Encoding`") and b"chunked" not in te.lower():
        return 501  # an unknown coding (on_headers_complete refuses most of those first)
    return 400


__all__ = ["BodyTimeout", "Hub", "HttpToolsProtocol", "InvalidBody"]
