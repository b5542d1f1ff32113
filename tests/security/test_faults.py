"""Faults: handlers that raise, hang, or write after the client left; shutdown under load; workers killed.

Every test runs on our server and on the aiohttp transport (the `koa serve` ones on our
server, as the CLI runs it). Besides the answer the client gets, each test checks what the
server keeps afterwards: no error reached the event loop's exception handler, the
connections are gone, and the tasks are back to what there were before.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from koa import Context, Koa
from koa.middleware import timeout
from security._wire import parse_responses

TRANSPORTS = ["httptools", "aiohttp"]
ROOT = Path(__file__).resolve().parents[2]


class Watch:
    """What the running loop reports, and the tasks that were there before the test."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.errors: list[dict[str, Any]] = []
        self.before = set(asyncio.all_tasks())
        self._previous = self.loop.get_exception_handler()
        self.loop.set_exception_handler(lambda _loop, context: self.errors.append(context))

    def leftover_tasks(self) -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks() if t not in self.before and not t.done()]

    async def settled(self, server: Any, timeout: float = 3.0) -> None:
        """Wait until the server holds no connection and no task is left; fail if that never happens."""
        deadline = self.loop.time() + timeout
        while True:
            connections = _connections(server)
            tasks = self.leftover_tasks()
            if connections == 0 and not tasks:
                return
            if self.loop.time() > deadline:
                raise AssertionError(f"{connections} connection(s) and tasks {tasks} left after {timeout}s")
            await asyncio.sleep(0.02)

    def restore(self) -> None:
        self.loop.set_exception_handler(self._previous)


def _connections(server: Any) -> int:
    hub = getattr(server, "_hub", None)
    if hub is not None:
        return len(hub.connections)
    web = getattr(server, "_web", None)
    return len(web.live) if web is not None else 0


@contextlib.asynccontextmanager
async def serving(app: Koa, transport: str, **options: Any) -> AsyncIterator[tuple[Any, Watch]]:
    watch = Watch()
    server = await app.create_server("127.0.0.1", 0, transport=transport, **options)
    try:
        yield server, watch
    finally:
        await asyncio.wait_for(server.shutdown(2.0), 10)
        watch.restore()


async def request(port: int, raw: bytes, *, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send `raw`, read to the close; (what came back, whether the server closed)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        data = await asyncio.wait_for(reader.read(), timeout)
        return data, True
    except TimeoutError:
        return b"", False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()


# -- handlers that fail -----------------------------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_handler_raising_is_a_clean_500(transport: str) -> None:
    app = Koa()
    app.silent = True
    reported: list[BaseException] = []
    app.on("error", lambda err, ctx: reported.append(err))

    async def boom(ctx: Context, next: Any) -> None:
        ctx.set("X-Before", "set before the error")
        raise RuntimeError("db password is hunter2, see /srv/app/secret.py line 3")

    app.use(boom)
    async with serving(app, transport) as (server, watch):
        data, closed = await request(server.port, get("/"))
        (response,), _, _ = parse_responses(data, closed=closed)
        assert response.status == 500
        assert response.body == b"Internal Server Error"
        for leak in (b"hunter2", b"Traceback", b".py", b"X-Before"):
            assert leak not in data
        assert len(reported) == 1  # app.emit("error") saw it; the loop did not
        await watch.settled(server)
        assert not watch.errors


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_stream_raising_mid_body_closes_the_connection(transport: str) -> None:
    app = Koa()
    app.silent = True

    async def stream(ctx: Context, next: Any) -> None:
        async def body() -> AsyncIterator[bytes]:
            yield b"first part "
            await asyncio.sleep(0.01)
            raise RuntimeError("failed mid-stream")

        ctx.body = body()

    app.use(stream)
    async with serving(app, transport) as (server, watch):
        data, closed = await request(server.port, get("/"))
        assert closed and data.startswith(b"HTTP/1.1 200")
        assert b"first part" in data
        assert not data.endswith(b"0\r\n\r\n")  # the body is cut short, never "completed"
        again, _ = await request(server.port, get("/"))
        assert again.startswith(b"HTTP/1.1 200")
        await watch.settled(server)
        assert not watch.errors


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_hanging_handler_is_cut_by_timeout(transport: str) -> None:
    app = Koa()
    app.silent = True
    cancelled = asyncio.Event()

    async def hang(ctx: Context, next: Any) -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    app.use(timeout(0.2)).use(hang)
    async with serving(app, transport) as (server, watch):
        start = time.monotonic()
        data, _ = await request(server.port, get("/"))
        assert data.startswith(b"HTTP/1.1 408"), data[:80]
        assert time.monotonic() - start < 2.0
        assert cancelled.is_set()  # downstream really stopped, not left running
        await watch.settled(server)
        assert not watch.errors


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_client_leaving_cancels_a_hanging_handler(transport: str) -> None:
    app = Koa()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hang(ctx: Context, next: Any) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    app.use(hang)
    async with serving(app, transport) as (server, watch):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(get("/"))
        await asyncio.wait_for(started.wait(), 5)
        writer.close()
        await asyncio.wait_for(cancelled.wait(), 5)
        await watch.settled(server)
        assert not watch.errors


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_writing_after_the_client_left(transport: str) -> None:
    """An endless stream to a client that leaves: the generator is closed, nothing leaks, nothing crashes."""
    app = Koa()
    app.silent = True
    closed_generators = 0
    late_writes: list[str] = []

    async def endless(ctx: Context, next: Any) -> None:
        if ctx.path == "/late":
            await asyncio.sleep(0.3)  # the client is gone by now
            late_writes.append("body set")
            ctx.body = "too late"
            return

        async def body() -> AsyncIterator[bytes]:
            nonlocal closed_generators
            try:
                while True:
                    yield b"x" * 16384
                    await asyncio.sleep(0)
            finally:
                closed_generators += 1

        ctx.body = body()

    app.use(endless)
    async with serving(app, transport) as (server, watch):
        for _ in range(5):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(get("/"))
            await reader.readexactly(1024)
            writer.transport.abort()  # RST: the harshest way to leave
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(get("/late"))
        await asyncio.sleep(0.05)
        writer.close()
        await watch.settled(server, timeout=5.0)
        assert closed_generators == 5
        assert not watch.errors, watch.errors
        data, _ = await request(server.port, get("/late"))
        assert data.startswith(b"HTTP/1.1 200")


# -- shutdown under load -------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_shutdown_under_load_drops_no_request_in_flight(transport: str) -> None:
    """N slow requests in flight, shutdown(): each gets its whole response; new connections are refused."""
    n = 40
    app = Koa()
    arrived = 0
    all_in = asyncio.Event()

    async def slow(ctx: Context, next: Any) -> None:
        nonlocal arrived
        arrived += 1
        if arrived == n:
            all_in.set()
        await asyncio.sleep(0.4)
        ctx.body = f"done {ctx.path}" + "." * 20000

    app.use(slow)
    watch = Watch()
    server = await app.create_server("127.0.0.1", 0, transport=transport)
    try:
        port = server.port
        clients = [asyncio.create_task(request(port, get(f"/{i}"), timeout=10)) for i in range(n)]
        await asyncio.wait_for(all_in.wait(), 10)
        shutting = asyncio.create_task(server.shutdown(10.0))
        await asyncio.sleep(0.05)
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)  # no longer accepting
        results = await asyncio.gather(*clients)
        await asyncio.wait_for(shutting, 15)
    finally:
        watch.restore()
    for i, (data, closed) in enumerate(results):
        (response,), _, _ = parse_responses(data, closed=closed)
        assert response.status == 200 and response.complete
        assert response.body.startswith(f"done /{i}".encode()) and len(response.body) == len(f"done /{i}") + 20000
    assert not watch.errors


# -- koa serve: workers killed, SIGTERM under load ---------------------------------------------------------
APP_MODULE = textwrap.dedent('''
    import asyncio, os
    from koa import Koa

    app = Koa()

    async def handler(ctx, next):
        if ctx.path == "/slow":
            await asyncio.sleep(0.5)
        ctx.body = f"pid {os.getpid()}"

    app.use(handler)
''')


@pytest.fixture
def koa_serve(tmp_path: Path) -> Iterator[Any]:
    """Start `koa serve faultapp:app --workers 2 --port 0`; yield (process, port)."""
    (tmp_path / "faultapp.py").write_text(APP_MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "koa", "serve", "faultapp:app", "--workers", "2", "--port", "0",
         "--shutdown-timeout", "5"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    port = 0
    deadline = time.monotonic() + 20
    assert proc.stderr is not None
    while not port and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"http://[^:]+:(\d+) with 2 workers", line)
        if found:
            port = int(found.group(1))
    assert port, "koa serve did not start: " + "".join(lines)
    drain = threading.Thread(target=proc.stderr.read, daemon=True)  # keep the pipe from filling up
    drain.start()
    _wait_for(lambda: len(psutil.Process(proc.pid).children()) == 2 and _answers(port), 20)
    try:
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                for child in psutil.Process(proc.pid).children():
                    child.kill()
                proc.kill()
                proc.wait(5)
        drain.join(5)
        proc.stderr.close()


def _answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(get("/"))
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def _wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {seconds}s")
        time.sleep(0.05)


class Load:
    """Threads sending requests in a loop; (time, ok) of every request."""

    def __init__(self, port: int, threads: int = 4, path: str = "/") -> None:
        self.port = port
        self.path = path
        self.results: list[tuple[float, bool]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _run(self) -> None:
        import socket

        while not self.stop.is_set():
            ok = False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=3) as sock:
                    sock.sendall(get(self.path))
                    data = b""
                    while chunk := sock.recv(65536):
                        data += chunk
                    ok = data.startswith(b"HTTP/1.1 200") and b"pid " in data
            except OSError:
                ok = False
            self.results.append((time.monotonic(), ok))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)


def test_worker_killed_under_load_is_restarted(koa_serve: Any) -> None:
    proc, port = koa_serve
    supervisor = psutil.Process(proc.pid)
    workers = {c.pid for c in supervisor.children()}
    assert len(workers) == 2
    with Load(port) as load:
        time.sleep(0.5)
        victim = sorted(workers)[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        _wait_for(lambda: len({c.pid for c in supervisor.children()} - workers) == 1
                  and len(supervisor.children()) == 2, 10)
        restarted_at = time.monotonic()
        time.sleep(1.0)
    replacement = ({c.pid for c in supervisor.children()} - workers).pop()
    assert restarted_at - killed_at < 5.0
    before = [ok for t, ok in load.results if t < killed_at]
    after = [ok for t, ok in load.results if t > killed_at + 1.0]
    assert before and all(before)
    # only requests the dead worker held (or had queued) may fail; after that the port answers every one
    assert len(after) > 20 and all(after), f"{after.count(False)} of {len(after)} failed after the restart"
    failed = [t for t, ok in load.results if not ok]
    assert all(t - killed_at < 1.0 for t in failed), failed
    _wait_for(lambda: _pid_answering(port, replacement), 10)  # the new worker serves too
    assert proc.poll() is None


def _pid_answering(port: int, pid: int) -> bool:
    import socket

    for _ in range(20):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(get("/"))
            data = b""
            while chunk := sock.recv(4096):
                data += chunk
        if f"pid {pid}".encode() in data:
            return True
    return False


def test_sigterm_under_load_finishes_requests_in_flight(koa_serve: Any) -> None:
    """SIGTERM to `koa serve --workers 2` with slow requests in flight: every one completes, exit 0."""
    import socket

    proc, port = koa_serve
    socks = []
    for _ in range(10):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(get("/slow"))
        socks.append(sock)
    time.sleep(0.2)  # in the handlers now
    proc.send_signal(signal.SIGTERM)
    answers = []
    for sock in socks:
        data = b""
        with sock:
            while chunk := sock.recv(4096):
                data += chunk
        answers.append(data)
    assert all(a.startswith(b"HTTP/1.1 200") and b"pid " in a for a in answers), [a[:40] for a in answers]
    assert proc.wait(15) == 0
