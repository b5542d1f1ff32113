"""Shared fixtures: a Context without a server, and an in-process client.

`make_ctx(...)` builds a Context from a fake request head, the way Koa's tests use
test-helpers/context.js; `fetch(app, ...)` sends one request through koa.testing.TestClient
(like supertest's `request(app.callback())`).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx
import pytest

from koa import Context, Koa
from koa.response import Response
from koa.testing import TestClient

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None


class FakeChannel:
    """A transport Channel fed from a list of body chunks (no socket)."""

    socket = None

    def __init__(self, chunks: Iterable[bytes] = ()) -> None:
        self.chunks = list(chunks)
        self.discarded = False
        self.flushed = False
        self.writable = True

    async def receive(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    def discard_body(self) -> None:
        self.discarded = True

    def flush_headers(self, response: Response) -> None:
        self.flushed = True
        response.header_sent = True


def raw_headers(headers: HeadersArg) -> list[tuple[bytes, bytes]]:
    """Headers as a transport hands them over: lower-case latin-1 bytes pairs."""
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in items]


def _make_ctx(
    url: str = "/",
    method: str = "GET",
    headers: HeadersArg = None,
    *,
    app: Koa | None = None,
    body: bytes | Iterable[bytes] | None = None,
    channel: Any = None,
    **request_options: Any,
) -> Context:
    app = app if app is not None else Koa()
    if channel is None and body is not None:
        channel = FakeChannel([body] if isinstance(body, bytes) else body)
    request = app.request(method, url, raw_headers(headers), channel, **request_options)
    return app.create_context(request)


@pytest.fixture
def make_ctx() -> Callable[..., Context]:
    """`make_ctx(url="/", method="GET", headers=None, *, app=None, body=None, **request_options)`."""
    return _make_ctx


@pytest.fixture
def fetch() -> Callable[..., Awaitable[httpx.Response]]:
    """`await fetch(app, method="GET", url="/", **httpx_options)`: one request via TestClient."""

    async def do(app: Koa, method: str = "GET", url: str = "/", **kwargs: Any) -> httpx.Response:
        async with TestClient(app) as client:
            return await client.request(method, url, **kwargs)

    return do


@pytest.fixture
def client() -> Callable[..., TestClient]:
    """`async with client(app) as c: await c.get("/")`."""

    def make(app: Koa, **kwargs: Any) -> TestClient:
        return TestClient(app, **kwargs)

    return make


async def agen(*chunks: bytes | str) -> AsyncIterator[bytes | str]:
    """An async generator body."""
    for chunk in chunks:
        yield chunk


@pytest.fixture
def make_agen() -> Callable[..., AsyncIterator[bytes | str]]:
    return agen


class ASGIResult:
    """What an app sent over ASGI for one request."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.messages = messages
        start = next((m for m in messages if m["type"] == "http.response.start"), None)
        self.status: int | None = start["status"] if start else None
        self.raw_headers: list[tuple[bytes, bytes]] = list(start["headers"]) if start else []
        self.body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")

    def header(self, name: str) -> str | None:
        """The first value of a response header, or None."""
        key = name.lower().encode("latin-1")
        return next((v.decode("latin-1") for k, v in self.raw_headers if k == key), None)

    def header_all(self, name: str) -> list[str]:
        key = name.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self.raw_headers if k == key]

    @property
    def header_names(self) -> list[str]:
        return [k.decode("latin-1") for k, _ in self.raw_headers]


async def _asgi(
    app: Any,
    method: str = "GET",
    path: str = "/",
    headers: HeadersArg = None,
    body: bytes | Iterable[bytes] = b"",
    *,
    query_string: bytes = b"",
    scheme: str = "http",
    http_version: str = "1.1",
    client: tuple[str, int] | None = ("127.0.0.1", 5000),
) -> ASGIResult:
    chunks = [body] if isinstance(body, bytes) else list(body)
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
    ] or [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await finished.wait()  # like a server: disconnect only once the response is done
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(dict(message))
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": http_version, "method": method,
        "scheme": scheme, "path": path, "raw_path": path.encode("latin-1"), "query_string": query_string,
        "headers": raw_headers(headers), "client": client, "server": ("127.0.0.1", 80), "root_path": "",
    }
    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    return ASGIResult(sent)


@pytest.fixture
def asgi() -> Callable[..., Awaitable[ASGIResult]]:
    """`await asgi(app, method="GET", path="/", headers=None, body=b"")`: raw ASGI messages, no client."""
    return _asgi
