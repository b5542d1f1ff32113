"""Raw-socket helpers of the security suites: a server on its own thread, a byte-exact client.

`ServerThread(app, transport, **server_options)` runs `app.create_server()` on a private
event loop (uvloop when installed, as `app.listen()` does) in a daemon thread, so that the
tests can talk to it with blocking sockets, hypothesis can drive it, and a wedged server
cannot wedge the test's own loop. The loop's exception handler records what reaches it:
an "unexpected error while serving a request" is a bug of ours, and the tests assert that
none happened.

`exchange(port, data)` writes bytes exactly as given (optionally in timed steps) and reads
until the server closes or the expected responses are in; `parse_responses()` cuts what
came back into responses without trusting the server's framing more than it must.
"""
from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from koa import Koa
from koa.transports.server import new_event_loop

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class ServerThread:
    """`app` served by `transport` on 127.0.0.1, on a loop of its own in a daemon thread."""

    def __init__(self, app: Koa, transport: str = "httptools", **options: Any) -> None:
        self.app = app
        self.transport = transport
        self.options = options
        self.errors: list[dict[str, Any]] = []  # what reached the loop's exception handler
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: Any = None
        self.port = 0
        self._thread: threading.Thread | None = None

    def start(self) -> ServerThread:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = self.loop = new_event_loop()
            asyncio.set_event_loop(loop)
            loop.set_exception_handler(lambda _loop, context: self.errors.append(context))
            try:
                self.server = loop.run_until_complete(
                    self.app.create_server("127.0.0.1", 0, transport=self.transport, **self.options)
                )
                self.port = self.server.port
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"koa-{self.transport}", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT):
            raise TimeoutError(f"the {self.transport} server did not start")
        if failure:
            raise failure[0]
        return self

    def call(self, coro: Any, timeout: float = STOP_TIMEOUT) -> Any:
        """Run `coro` on the server's loop and return its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stats(self) -> dict[str, int]:
        """Tasks alive on the server's loop and connections the server holds."""

        async def count() -> dict[str, int]:
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            return {"tasks": len(tasks), "connections": _connections(self.server)}

        return self.call(count())  # type: ignore[no-any-return]

    def unexpected_errors(self) -> list[str]:
        """The loop's exception reports, as text (empty when the server never crashed)."""
        return [f"{c.get('message')}: {c.get('exception')!r}" for c in self.errors]

    def stop(self, timeout: float = 2.0) -> None:
        if self.loop is None or self._thread is None:
            return
        if self.server is not None and not self.loop.is_closed():
            with contextlib.suppress(Exception):
                self.call(self.server.shutdown(timeout), timeout + STOP_TIMEOUT)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(STOP_TIMEOUT)
        self.server = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _connections(server: Any) -> int:
    hub = getattr(server, "_hub", None)
    if hub is not None:
        return len(hub.connections)
    web = getattr(server, "_web", None) or getattr(server, "web", None)
    live = getattr(web, "live", None)
    return len(live) if live is not None else -1


# -- responses ------------------------------------------------------------------------------------

@dataclass
class Response:
    """One response cut out of the bytes a server sent."""

    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    complete: bool = True  # False: its body was cut short

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def closes(self) -> bool:
        value = (self.header("Connection") or "").lower()
        return "close" in value


class Garbage(ValueError):
    """The server sent bytes that are not an HTTP/1.x response."""


HEAD_MARK = "X-Request-Method"  # a response saying `X-Request-Method: HEAD` answers a HEAD: no body


def parse_responses(data: bytes, *, closed: bool, head: bool = False) -> tuple[list[Response], list[int], bytes]:
    """(final responses, interim 1xx statuses, unparsed rest) of `data`; Garbage if it is not HTTP.

    `head`: every response answers a HEAD request (no bodies); a response carrying
    `X-Request-Method: HEAD` (as the fuzz apps set it) is read as one too.
    """
    responses: list[Response] = []
    interim: list[int] = []
    rest = data
    while rest:
        end = rest.find(b"\r\n\r\n")
        if end < 0:
            if not rest.startswith(b"HTTP/"[: len(rest)]):
                raise Garbage(f"not a status line: {rest[:60]!r}")
            break
        lines = rest[:end].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise Garbage(f"not a status line: {lines[0]!r}")
        status = int(parts[1])
        headers = []
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise Garbage(f"not a header line: {line!r}")
            headers.append((name, value.strip()))
        body_start = end + 4
        if 100 <= status < 200:
            interim.append(status)
            rest = rest[body_start:]
            continue
        response = Response(status, parts[2] if len(parts) > 2 else "", parts[0], headers, b"")
        names = {k.lower(): v for k, v in headers}
        if head or status in (204, 304) or names.get(HEAD_MARK.lower()) == "HEAD":
            rest = rest[body_start:]
        elif "chunked" in names.get("transfer-encoding", "").lower():
            body, used = _dechunk(rest[body_start:])
            if used < 0:
                response.body, response.complete = body, False
                if not closed:
                    break
                rest = b""
            else:
                response.body = body
                rest = rest[body_start + used:]
        elif "content-length" in names:
            length = int(names["content-length"])
            response.body = rest[body_start: body_start + length]
            if len(response.body) < length:
                response.complete = False
                if not closed:
                    break
            rest = rest[body_start + length:]
        else:  # delimited by the close
            if not closed:
                break
            response.body, rest = rest[body_start:], b""
        responses.append(response)
    return responses, interim, rest


def _dechunk(data: bytes) -> tuple[bytes, int]:
    """The body of a chunked message and the bytes it used, or (partial, -1) if incomplete."""
    body = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return bytes(body), -1
        size = int(data[pos:eol].split(b";", 1)[0], 16)
        pos = eol + 2
        if size == 0:
            end = data.find(b"\r\n\r\n", pos - 2)
            if end < 0:
                return bytes(body), -1
            return bytes(body), end + 4
        if len(data) < pos + size + 2:
            body += data[pos:]
            return bytes(body), -1
        body += data[pos: pos + size]
        pos += size + 2


# -- the client ---------------------------------------------------------------------------------

@dataclass
class Exchange:
    """What a raw exchange produced."""

    raw: bytes = b""
    responses: list[Response] = field(default_factory=list)
    interim: list[int] = field(default_factory=list)
    closed: bool = False  # the server closed (FIN or reset)
    reset: bool = False
    half_closed: bool = False  # we shut our writing side to get an answer (see exchange())
    elapsed: float = 0.0  # seconds from the first byte sent to the end of reading
    garbage: str | None = None

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.responses]


Step = tuple[bytes, float]  # bytes to send, then seconds to wait before the next step


def exchange(
    port: int,
    data: bytes | Sequence[Step],
    *,
    responses: int | None = None,
    until_close: bool = False,
    timeout: float = 5.0,
    grace: float = 0.25,
    head: bool = False,
    half_close_after: float | None = None,
) -> Exchange:
    """Send `data`, read what comes back.

    Reading stops when the server closes, or `timeout` seconds have passed, or (unless
    `until_close`) `responses` complete responses are in and nothing more arrived within
    `grace` seconds (a smuggled second response would arrive in that window). With
    `responses=None` and not `until_close`, reading stops after `grace` quiet seconds.
    `half_close_after`: if the server has not closed after that many seconds, shut our
    writing side (the client has nothing more to send) and go on reading; `Exchange.half_closed`
    tells whether that was needed.
    """
    steps: list[Step] = [(data, 0.0)] if isinstance(data, (bytes, bytearray)) else list(data)
    result = Exchange()
    buf = bytearray()
    start = time.monotonic()
    deadline = start + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for chunk, pause in steps:
            try:
                if chunk:
                    sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                result.closed = result.reset = True
                break
            # the server may answer (408, 400) while we are still trickling: notice it
            if pause and _read_for(sock, buf, min(pause, max(deadline - time.monotonic(), 0)), result):
                break
        quiet_since = time.monotonic()
        while not result.closed:
            now = time.monotonic()
            if half_close_after is not None and not result.half_closed and now - start >= half_close_after:
                result.half_closed = True
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_WR)
            if now >= deadline:
                break
            if not until_close:
                done = _count(buf, result.closed, head)
                if (responses is None or done >= responses) and now - quiet_since >= grace:
                    break
            wait = min(deadline - now, grace if not until_close else deadline - now)
            if half_close_after is not None and not result.half_closed:
                wait = min(wait, start + half_close_after - now)
            sock.settimeout(max(wait, 0.01))
            try:
                got = sock.recv(65536)
            except TimeoutError:
                continue
            except (ConnectionResetError, ConnectionAbortedError):
                result.closed = result.reset = True
                break
            if not got:
                result.closed = True
                break
            buf += got
            quiet_since = time.monotonic()
    result.elapsed = time.monotonic() - start
    result.raw = bytes(buf)
    try:
        result.responses, result.interim, _ = parse_responses(result.raw, closed=result.closed, head=head)
    except Garbage as exc:
        result.garbage = str(exc)
    return result


def _read_for(sock: socket.socket, buf: bytearray, seconds: float, result: Exchange) -> bool:
    """Read during `seconds`; True when the server closed the connection."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            got = sock.recv(65536)
        except TimeoutError:
            return False
        except (ConnectionResetError, ConnectionAbortedError):
            result.closed = result.reset = True
            return True
        if not got:
            result.closed = True
            return True
        buf += got


def _count(buf: bytearray, closed: bool, head: bool) -> int:
    try:
        return len(parse_responses(bytes(buf), closed=closed, head=head)[0])
    except Garbage:
        return 1 << 30  # stop reading; the caller reports it


def good_request(port: int, path: str = "/", timeout: float = 5.0) -> Exchange:
    """One well-formed request on a new connection."""
    return exchange(
        port, f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode(),
        until_close=True, timeout=timeout,
    )


def trickle(data: bytes, every: float, size: int = 1) -> Iterable[Step]:
    """`data` in `size`-byte steps, `every` seconds apart (a slowloris client)."""
    return [(data[i: i + size], every) for i in range(0, len(data), size)]


__all__ = [
    "HEAD_MARK", "Exchange", "Garbage", "Response", "ServerThread", "exchange", "good_request", "parse_responses",
    "trickle",
]
