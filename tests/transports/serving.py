"""Serve a Koa app through each transport and hand back an httpx client pointed at it.

`serve(app, transport)` is an async context manager: it starts `app` on 127.0.0.1 with the
named transport (startup events included), yields an `httpx.AsyncClient` whose base URL
reaches it, and stops the server (shutdown events included) on the way out.

Transports:
- "testclient": koa.testing.TestClient, in-process ASGI, no socket
- "httptools": our own server (koa.transports.server), when it is there
- "aiohttp":   koa.transports.aiohttp_server
- "uvicorn", "hypercorn": the ASGI servers, in this event loop, on a socket bound here
- "granian":   embedded granian (ASGI), in this event loop, on a free port

The `transport` / `served` fixtures, and `client` / `fetch` drop-ins with the signatures of
tests/conftest.py's, are defined at the bottom: a test directory opts in to running on every
transport by importing them into its conftest.py (see tests/transports/conftest.py).
"""
from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.testing import TestClient

ALL_TRANSPORTS = ["testclient", "httptools", "aiohttp", "uvicorn", "hypercorn", "granian"]
# every transport the suites run on; granian is only smoke-tested (its embedded mode is experimental)
TRANSPORTS = ["testclient", "httptools", "aiohttp", "uvicorn", "hypercorn", "granian"]
# transports with a real socket (a client can disconnect, a response streams over the wire)
NETWORKED = [t for t in TRANSPORTS if t != "testclient"]

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def unavailable(transport: str) -> str | None:
    """Why `transport` cannot run here, or None."""
    module = {
        "httptools": "koa.transports.server",
        "aiohttp": "aiohttp",
        "uvicorn": "uvicorn",
        "hypercorn": "hypercorn",
        "granian": "granian",
    }.get(transport)
    if module is None:
        return None
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    return None if found else f"{module} is not installed"


def _listen() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _client(port: int, **kwargs: Any) -> httpx.AsyncClient:
    kwargs.setdefault("timeout", 10.0)
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", **kwargs)


async def _wait_listening(port: int, task: asyncio.Future[Any] | None = None) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_TIMEOUT
    while True:
        if task is not None and task.done():
            task.result()  # the server failed to start: raise its error
            raise RuntimeError("server exited before it was listening")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if loop.time() > deadline:
                raise TimeoutError(f"nothing listening on 127.0.0.1:{port}") from None
            await asyncio.sleep(0.02)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return


class _Lifespan:
    """Wrap an ASGI app to learn when the server has finished (or failed) its lifespan startup."""

    def __init__(self, app: Koa) -> None:
        self.app = app
        self.done = asyncio.Event()
        self.failed: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)  # type: ignore[no-any-return]

        async def watched_send(message: Any) -> None:
            if message["type"] == "lifespan.startup.failed":
                self.failed = message.get("message", "")
            if message["type"] in ("lifespan.startup.complete", "lifespan.startup.failed"):
                self.done.set()
            await send(message)

        return await self.app(scope, receive, watched_send)  # type: ignore[no-any-return]

    async def started(self, task: asyncio.Future[Any]) -> None:
        """Return once startup completed; raise if it failed or the server stopped."""
        waiter = asyncio.ensure_future(self.done.wait())
        try:
            await asyncio.wait({waiter, task}, timeout=START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        if task.done():
            task.result()
            raise RuntimeError("the server exited during startup")
        if not self.done.is_set():
            raise TimeoutError("the server did not start")
        if self.failed is not None:
            raise RuntimeError(f"startup failed: {self.failed}")


@contextlib.asynccontextmanager
async def serve(app: Koa, transport: str, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    """Serve `app` with `transport`; yield a client for it (see the module docstring)."""
    reason = unavailable(transport)
    if reason:
        pytest.skip(reason)
    runner = _RUNNERS[transport]
    async with runner(app, **client_options) as client:
        client.transport_name = transport  # type: ignore[attr-defined]
        yield client


@contextlib.asynccontextmanager
async def _testclient(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with TestClient(app, **client_options) as client:
        yield client


@contextlib.asynccontextmanager
async def _httptools(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    server = await app.create_server("127.0.0.1", 0, transport="httptools")
    try:
        async with _client(server.port, **client_options) as client:
            yield client
    finally:
        await asyncio.wait_for(server.shutdown(2.0), STOP_TIMEOUT)


@contextlib.asynccontextmanager
async def _aiohttp(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    server = await app.create_server("127.0.0.1", 0, transport="aiohttp")
    try:
        async with _client(server.port, **client_options) as client:
            yield client
    finally:
        await asyncio.wait_for(server.shutdown(2.0), STOP_TIMEOUT)


@contextlib.asynccontextmanager
async def _uvicorn(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    import uvicorn

    sock = _listen()
    port = sock.getsockname()[1]
    # proxy_headers=False: uvicorn would otherwise rewrite the client address and scheme from
    # X-Forwarded-* for peers in forwarded_allow_ips (127.0.0.1 by default), and app.proxy
    # could no longer decide (see the README on running under uvicorn)
    config = uvicorn.Config(app, lifespan="on", log_level="warning", timeout_graceful_shutdown=2, proxy_headers=False)
    server = uvicorn.Server(config)
    # serve() would install signal handlers; the test runner keeps its own
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        except SystemExit as exc:  # uvicorn exits when the lifespan startup fails
            raise RuntimeError(f"uvicorn exited with {exc.code}") from None

    task = asyncio.ensure_future(run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn exited during startup")
            if loop.time() > deadline:
                raise TimeoutError("uvicorn did not start")
            await asyncio.sleep(0.01)
        async with _client(port, **client_options) as client:
            yield client
    finally:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, STOP_TIMEOUT)
        finally:
            sock.close()


@contextlib.asynccontextmanager
async def _hypercorn(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    sock = _listen()
    port = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{sock.detach()}"]  # hypercorn owns (and closes) the socket from here
    config.graceful_timeout = 2.0
    config.loglevel = "WARNING"
    config.accesslog = None
    stop = asyncio.Event()
    lifespan = _Lifespan(app)
    task = asyncio.ensure_future(hypercorn_serve(lifespan, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        await lifespan.started(task)
        async with _client(port, **client_options) as client:
            yield client
    finally:
        stop.set()
        await asyncio.wait_for(task, STOP_TIMEOUT)


@contextlib.asynccontextmanager
async def _granian(app: Koa, **client_options: Any) -> AsyncIterator[httpx.AsyncClient]:
    from granian.constants import Interfaces
    from granian.server.embed import Server

    port = free_port()
    lifespan = _Lifespan(app)
    server = Server(lifespan, address="127.0.0.1", port=port, interface=Interfaces.ASGI, log_level="warning")  # type: ignore[arg-type]
    logging.getLogger("_granian").setLevel(logging.ERROR)
    task = asyncio.ensure_future(server.serve())
    try:
        await lifespan.started(task)
        await _wait_listening(port, task)
        async with _client(port, **client_options) as client:
            yield client
    finally:
        server.stop()
        await asyncio.wait_for(task, STOP_TIMEOUT)


_RUNNERS: dict[str, Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]] = {
    "testclient": _testclient,
    "httptools": _httptools,
    "aiohttp": _aiohttp,
    "uvicorn": _uvicorn,
    "hypercorn": _hypercorn,
    "granian": _granian,
}


# -- fixtures (import them into a conftest.py to opt in) ------------------------------------


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The name of the transport this test runs on (one test per transport)."""
    name: str = request.param
    reason = unavailable(name)
    if reason:
        pytest.skip(reason)
    return name


Served = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def served(transport: str) -> Served:
    """`async with served(app) as client: r = await client.get("/")` on the current transport."""

    def make(app: Koa, **client_options: Any) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        return serve(app, transport, **client_options)

    return make


@pytest.fixture
def client(transport: str) -> Served:
    """Drop-in for tests/conftest.py's `client`: `async with client(app) as c:` on each transport."""

    def make(app: Koa, **client_options: Any) -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
        return serve(app, transport, **client_options)

    return make


@pytest.fixture
def fetch(transport: str) -> Callable[..., Awaitable[httpx.Response]]:
    """Drop-in for tests/conftest.py's `fetch`: one request, on each transport."""

    async def do(app: Koa, method: str = "GET", url: str = "/", **kwargs: Any) -> httpx.Response:
        async with serve(app, transport) as c:
            return await c.request(method, url, **kwargs)

    return do
