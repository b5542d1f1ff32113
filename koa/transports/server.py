"""Start and stop koa's servers: `create_server()`, `run()` (app.listen), `protocol_factory()`, `Server`.

`create_server(app, host, port, transport=...)` is the one place that picks a transport:
"httptools" is koa's own HTTP/1.1 server (httptools_server.py), "aiohttp" the aiohttp one.
Both hand back an object with the `Server` surface: `.host`, `.port`, `.sockets`,
`close()`, `await wait_closed()`, `await shutdown(timeout)`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket as _socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast, runtime_checkable

from koa.application import DEFAULT_MAX_BODY_SIZE
from koa.transports.httptools_server import HttpToolsProtocol, Hub
from koa.transports.options import ServerOptions

if TYPE_CHECKING:
    from koa.application import Koa

log = logging.getLogger("koa.server")

TRANSPORTS = ("httptools", "aiohttp")
SHUTDOWN_TIMEOUT = 10.0


@runtime_checkable
class Server(Protocol):
    """What `app.create_server()` returns, whatever the transport (API.md section 2)."""

    host: str
    port: int  # 0 on a Unix socket, whose path is `host`

    @property
    def sockets(self) -> tuple[_socket.socket, ...]:
        """The listening sockets."""

    def close(self) -> None:
        """Stop accepting and close the connections."""

    async def wait_closed(self) -> None:
        """Wait until closed; the app's "shutdown" handlers have run."""

    async def shutdown(self, timeout: float = ...) -> None:
        """Stop accepting, let requests in flight finish within `timeout`, close, run "shutdown"."""


class HttpToolsServer(Server):
    """koa's own server, running (create_server(transport="httptools"))."""

    def __init__(self, app: Koa, server: asyncio.AbstractServer, hub: Hub) -> None:
        self.app = app
        self._server = server
        self._hub = hub
        self._closing = False
        self._finished = False
        self._shutdown_lock = asyncio.Lock()
        sockets = self.sockets
        name = sockets[0].getsockname() if sockets else ("", 0)
        if isinstance(name, tuple):
            self.host: str = str(name[0])
            self.port: int = int(name[1])
        else:  # a Unix socket: its path
            self.host = str(name)
            self.port = 0

    @property
    def sockets(self) -> tuple[_socket.socket, ...]:
        """The listening sockets."""
        return tuple(getattr(self._server, "sockets", None) or ())

    @property
    def connections(self) -> int:
        """How many connections are open."""
        return len(self._hub.connections)

    def close(self) -> None:
        """Stop accepting and close every connection now (requests in flight are cancelled)."""
        self._closing = True
        self._server.close()
        self._hub.abort()

    async def wait_closed(self) -> None:
        """Wait until the server and its connections are closed; then run the app's "shutdown" handlers."""
        await self._hub.wait_empty(None)
        await self._server.wait_closed()
        await self._finish()

    async def shutdown(self, timeout: float = SHUTDOWN_TIMEOUT) -> None:
        """Stop accepting, close idle connections, let requests in flight finish within `timeout`
        (then cancel them), and run the app's "shutdown" handlers."""
        async with self._shutdown_lock:
            self._closing = True
            self._server.close()
            hub = self._hub
            hub.close_idle()
            if not await hub.wait_empty(timeout):
                busy = len(hub.connections)
                log.warning("shutdown: cancelling %d connection(s) still busy after %.1fs", busy, timeout)
                hub.abort()
                await hub.wait_empty(1.0)
            hub.stop_timer()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
            await self._finish()

    async def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            await self.app.shutdown()

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        await asyncio.get_running_loop().create_future()

    async def __aenter__(self) -> HttpToolsServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    def __repr__(self) -> str:
        return f"<Server http{'s' if self._hub.scheme == 'https' else ''}://{self.host}:{self.port}>"


def _apply_body_limit(app: Koa, options: ServerOptions) -> None:
    # app.max_body_size wins when the app set its own (API.md: it overrides the server option)
    if app.max_body_size == DEFAULT_MAX_BODY_SIZE:
        app.max_body_size = options.max_body_size


async def create_server(
    app: Koa,
    host: str | None = "127.0.0.1",
    port: int | None = 0,
    *,
    transport: str = "httptools",
    sock: _socket.socket | None = None,
    uds: str | None = None,
    **server_options: Any,
) -> Server:
    """Serve `app` inside the running loop; returns a `Server` once it accepts connections.

    `sock`: serve on this listening socket (a supervisor's or gunicorn's) instead of binding
    `host`:`port`; `uds`: bind this Unix socket path instead.
    """
    if transport == "aiohttp":
        if uds is not None:
            raise ValueError("the aiohttp transport takes sock=, not uds=")
        from koa.transports.aiohttp_server import create_aiohttp_server

        return await create_aiohttp_server(app, host, port, sock=sock, **server_options)
    if transport != "httptools":
        raise ValueError(f"unknown transport {transport!r}: choose one of {', '.join(TRANSPORTS)}")
    options = ServerOptions.from_kwargs(server_options)
    _apply_body_limit(app, options)
    loop = asyncio.get_running_loop()
    hub = Hub(app, options, loop)
    # (a C type when compiled, so not an asyncio.Protocol subclass; the loop needs only the methods)
    factory = cast("Callable[[], asyncio.Protocol]", hub.protocol)
    await app.startup()  # before the first request
    try:
        if sock is not None:
            server = await loop.create_server(factory, sock=sock, backlog=options.backlog, ssl=options.ssl)
        elif uds is not None:
            with contextlib.suppress(FileNotFoundError):
                if _is_socket(uds):
                    os.unlink(uds)  # a stale socket from an earlier run
            server = await loop.create_unix_server(factory, uds, backlog=options.backlog, ssl=options.ssl)
        else:
            server = await loop.create_server(
                factory, host, port or 0, backlog=options.backlog,
                reuse_port=options.reuse_port or None, ssl=options.ssl,
            )
    except BaseException:
        await app.shutdown()
        raise
    return HttpToolsServer(app, server, hub)


def _is_socket(path: str) -> bool:
    import stat

    return stat.S_ISSOCK(os.stat(path).st_mode)


def protocol_factory(app: Koa, **server_options: Any) -> Callable[[], HttpToolsProtocol]:
    """A protocol factory for `loop.create_server(factory, host, port)` (app.get_http_request_handler).

    The app's "startup" handlers run before the first request is handled.
    """
    options = ServerOptions.from_kwargs(server_options)
    _apply_body_limit(app, options)
    hubs: dict[asyncio.AbstractEventLoop, Hub] = {}

    def factory() -> HttpToolsProtocol:
        loop = asyncio.get_running_loop()
        hub = hubs.get(loop)
        if hub is None:
            hub = hubs[loop] = Hub(app, options, loop)
            starting = hub.starting = loop.create_future()

            async def start() -> None:
                try:
                    await app.startup()
                finally:
                    hub.starting = None
                    starting.set_result(None)

            hub.startup_task = loop.create_task(start())
        return HttpToolsProtocol(hub)

    return factory


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed, else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(
    app: Koa,
    host: str | None = "127.0.0.1",
    port: int | None = 3000,
    *,
    transport: str = "httptools",
    sock: _socket.socket | None = None,
    uds: str | None = None,
    shutdown_timeout: float = SHUTDOWN_TIMEOUT,
    on_ready: Callable[[Any], None] | None = None,
    **server_options: Any,
) -> None:
    """Serve `app` until SIGINT or SIGTERM, then shut down gracefully (app.listen())."""
    ServerOptions.from_kwargs(server_options)  # fail before the loop starts
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(_serve(app, host, port, transport, sock, uds, shutdown_timeout, on_ready, server_options))


async def _serve(
    app: Koa, host: str | None, port: int | None, transport: str, sock: _socket.socket | None, uds: str | None,
    shutdown_timeout: float, on_ready: Callable[[Any], None] | None, server_options: dict[str, Any],
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    server: Any = None

    def on_signal() -> None:
        if stop.is_set() and server is not None:
            log.warning("second signal: closing every connection now")
            server.close()  # an impatient second Ctrl-C: cancel what is in flight
        stop.set()

    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not the main thread
            pass
    try:
        server = await create_server(app, host, port, transport=transport, sock=sock, uds=uds, **server_options)
        if on_ready is not None:
            on_ready(server)
        try:
            await stop.wait()
        finally:
            await server.shutdown(shutdown_timeout)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if uds is not None:
            with contextlib.suppress(OSError):
                os.unlink(uds)


def print_banner(server: Any, *, file: Any = None) -> None:
    """`koa: serving http://host:port (pid N)` on stderr."""
    scheme = "https" if getattr(getattr(server, "_hub", None), "scheme", "http") == "https" else "http"
    where = f"{scheme}://{server.host}:{server.port}" if server.port else f"unix:{server.host}"
    print(f"koa: serving {where} (pid {os.getpid()})", file=file or sys.stderr, flush=True)


__all__ = [
    "SHUTDOWN_TIMEOUT", "TRANSPORTS", "HttpToolsServer", "Server", "create_server", "new_event_loop",
    "protocol_factory", "run",
]
