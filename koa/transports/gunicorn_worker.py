"""Gunicorn workers that run koa's own server: `gunicorn -k koa.transports.gunicorn_worker.KoaWorker app:app`.

Gunicorn forks the processes and owns the listening sockets; each worker serves the app
on them with koa's server (httptools on uvloop) or, with `KoaAiohttpWorker`, with the
aiohttp transport. Gunicorn is optional: it is imported here only.

From gunicorn's settings the workers honour `keepalive` (koa's keep_alive_timeout),
`backlog`, `graceful_timeout`, `timeout` (the heartbeat), the TLS settings (`certfile`,
`keyfile`, `ssl_context`, ...) and `accesslog` (on when set). SIGTERM stops gracefully
(in-flight requests get `graceful_timeout` seconds), SIGINT and SIGQUIT at once, SIGUSR1
reopens the log files. Not honoured: `max_requests`, `limit_request_*` (koa's own
limits apply: see server_options) and `forwarded_allow_ips` (use `app.proxy`).
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
from gunicorn.sock import ssl_context  # type: ignore[import-untyped]
from gunicorn.workers.base import Worker  # type: ignore[import-untyped]

from koa.application import Koa

HEARTBEAT = 1.0  # seconds between checks of the stop flag, the parent and gunicorn's timeout


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows, or uvloop not installed: asyncio's loop
        return None
    return uvloop.new_event_loop


class KoaWorker(Worker):  # type: ignore[misc]  # gunicorn ships no type hints
    """A gunicorn worker serving a `Koa` app with koa's own HTTP/1.1 server."""

    transport = "httptools"

    def init_signals(self) -> None:
        # the signals are handled inside the event loop (see _serve); until it runs, defaults
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    def run(self) -> None:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(self._serve())

    def _server_options(self) -> dict[str, Any]:
        cfg = self.cfg
        options: dict[str, Any] = {"keep_alive_timeout": float(cfg.keepalive) or 5.0}
        if cfg.backlog:
            options["backlog"] = int(cfg.backlog)
        if cfg.is_ssl:
            options["ssl"] = ssl_context(cfg)
        if cfg.accesslog:
            options["access_log"] = True
        return options

    async def _start(self, app: Koa, sock: socket.socket, options: dict[str, Any]) -> Any:
        if self.transport == "aiohttp":
            from koa.transports.aiohttp_server import create_aiohttp_server

            return await create_aiohttp_server(app, None, None, sock=sock, **options)
        from koa.transports.server import create_server

        return await create_server(app, None, None, transport=self.transport, sock=sock, **options)

    async def _serve(self) -> None:
        app = self.wsgi
        if not isinstance(app, Koa):
            self.log.error("koa's worker serves a koa.Koa app, got %r", app)
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        grace = [float(self.cfg.graceful_timeout)]

        def quit_now() -> None:
            grace[0] = 0.0
            stop.set()

        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, quit_now)
        loop.add_signal_handler(signal.SIGQUIT, quit_now)
        loop.add_signal_handler(signal.SIGABRT, quit_now)
        loop.add_signal_handler(signal.SIGUSR1, self.log.reopen_files)

        options = self._server_options()
        try:
            servers = [await self._start(app, listener.sock, options) for listener in self.sockets]
        except Exception:  # noqa: BLE001 - a startup handler or a bind failed: tell the arbiter
            self.log.exception("koa worker failed to start")
            sys.exit(Arbiter.WORKER_BOOT_ERROR)
        self.log.info("koa worker %s serving (%s)", os.getpid(), self.transport)

        beat = min(HEARTBEAT, self.timeout / 2) if self.timeout else HEARTBEAT
        while not stop.is_set():
            self.notify()
            if os.getppid() != self.ppid:
                self.log.info("parent changed, shutting down: %s", self)
                break
            try:
                await asyncio.wait_for(stop.wait(), beat)
            except TimeoutError:
                pass
        self.alive = False
        if grace[0] == 0.0:
            self.cfg.worker_int(self)
        await asyncio.gather(*(server.shutdown(grace[0]) for server in servers))


class KoaAiohttpWorker(KoaWorker):
    """The same worker, serving with the aiohttp transport."""

    transport = "aiohttp"
