"""Fixtures of the server tests: `start(app, **server_options)` serves on 127.0.0.1 for one test.

Every async test here runs twice: on asyncio's event loop and on uvloop (what `app.listen()`
and `koa serve` use), whose transports differ (uvloop has no `loop.sendfile`, for one).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from koa import Koa
from koa.context import Context
from koa.transports.server import Server
from koa.types import Next

Start = Callable[..., Awaitable[Server]]


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> Mapping[str, Callable[[], Any]]:
    factories: dict[str, Callable[[], Any]] = {"asyncio": asyncio.new_event_loop}
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return factories
    factories["uvloop"] = uvloop.new_event_loop
    return factories


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    servers: list[Server] = []

    async def make(app: Koa, **options: Any) -> Server:
        server = await app.create_server("127.0.0.1", 0, **options)
        servers.append(server)
        return server

    yield make
    for server in servers:
        await asyncio.wait_for(server.shutdown(1.0), 10)


class Recorder(Koa):
    """An app that remembers every request it saw (method and URL) and answers `ok <method> <url>`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(silent=True, **kwargs)
        self.seen: list[tuple[str, str]] = []

        async def record(ctx: Context, next: Next) -> None:
            self.seen.append((ctx.method, ctx.url))
            await next()
            if ctx.body is None and ctx.status == 404:
                body = await ctx.request.read() if ctx.request.has_body else b""
                ctx.body = f"ok {ctx.method} {ctx.url} {len(body)}"

        self.use(record)


def app_with(handler: Callable[[Context], Awaitable[None]], **kwargs: Any) -> Recorder:
    """A Recorder whose answer is `handler(ctx)`."""
    app = Recorder(**kwargs)

    async def mw(ctx: Context, next: Next) -> None:
        await handler(ctx)

    app.use(mw)
    return app
