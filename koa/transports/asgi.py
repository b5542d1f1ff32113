"""Serve a Koa app over ASGI 3: http and lifespan scopes (uvicorn, hypercorn, granian, TestClient)."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from koa.transports.channel import ClientDisconnected

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.response import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FILE_CHUNK = 64 * 1024


class ASGIChannel:
    """The Channel of one ASGI request: body from `receive`, head and body to `send`."""

    __slots__ = ("_receive", "_send", "_more_body", "_disconnected", "_head_task", "header_sent", "discarded", "socket")

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self._more_body = True
        self._disconnected = False
        self._head_task: asyncio.Future[None] | None = None
        self.header_sent = False
        self.discarded = False
        self.socket = None

    async def receive(self) -> bytes:
        while self._more_body:
            message = await self._receive()
            kind = message["type"]
            if kind == "http.request":
                self._more_body = message.get("more_body", False)
                body = message.get("body", b"")
                if body:
                    return bytes(body)
            elif kind == "http.disconnect":
                self._disconnected = True
                self._more_body = False
                raise ClientDisconnected("client disconnected while sending the body")
        return b""

    def discard_body(self) -> None:
        self.discarded = True

    @property
    def writable(self) -> bool:
        return not self._disconnected

    def flush_headers(self, response: Response) -> None:
        # ASGI send is async; queue the head now, later sends wait for it
        self._head_task = asyncio.ensure_future(self._send(_start_message(response, chunked=True)))
        response.header_sent = True
        self.header_sent = True

    async def send(self, message: Message) -> None:
        if self._head_task is not None:
            task, self._head_task = self._head_task, None
            await task
        await self._send(message)

    async def watch_disconnect(self) -> None:
        """Return once the client has gone (used while streaming a response)."""
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                return


def _start_message(response: Response, *, chunked: bool = False) -> Message:
    headers = []
    for key, (_, value) in response._headers.items():
        name = key.encode("latin-1")
        if isinstance(value, str):
            headers.append((name, value.encode("latin-1")))
        else:
            headers.extend((name, v.encode("latin-1")) for v in value)
    return {"type": "http.response.start", "status": response._status, "headers": headers}


def _target(scope: Scope) -> str:
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else _quote_path(scope.get("path", "/"))
    qs = scope.get("query_string", b"")
    return f"{path}?{qs.decode('latin-1')}" if qs else path


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/:@!$&'()*+,;=-._~%")


async def serve_asgi(app: Koa, scope: Scope, receive: Receive, send: Send) -> None:
    """Handle one ASGI connection scope for `app`."""
    kind = scope["type"]
    if kind == "http":
        await _serve_http(app, scope, receive, send)
    elif kind == "lifespan":
        await _serve_lifespan(app, receive, send)
    else:
        raise ValueError(f"koa does not handle ASGI scope type {kind!r}")


async def _serve_lifespan(app: Koa, receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await app.startup()
            except Exception as exc:  # noqa: BLE001 - reported to the server
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                await app.shutdown()
            except Exception as exc:  # noqa: BLE001 - reported to the server
                await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _serve_http(app: Koa, scope: Scope, receive: Receive, send: Send) -> None:
    channel = ASGIChannel(receive, send)
    client = scope.get("client")
    request = app.request(
        scope["method"],
        _target(scope),
        list(scope.get("headers") or ()),
        channel,
        http_version=scope.get("http_version", "1.1"),
        scheme="https" if scope.get("scheme") in ("https", "wss") else "http",
        client=(client[0], client[1]) if client else None,
    )
    ctx = app.create_context(request)
    payload = await app.handle(ctx)
    if payload is False or channel._disconnected:
        return
    response = ctx.response
    if isinstance(payload, (bytes, type(None))):
        if not channel.header_sent:
            await channel.send(_start_message(response))
        await channel.send({"type": "http.response.body", "body": payload or b""})
        return
    await _stream(app, ctx, channel, payload)


async def _stream(app: Koa, ctx: Any, channel: ASGIChannel, body: Any) -> None:
    response = ctx.response
    if not channel.header_sent:
        channel.header_sent = response.header_sent = True
        await channel.send(_start_message(response))
    source = _file_chunks(body) if isinstance(body, PurePath) or hasattr(body, "read") else body
    watcher = asyncio.ensure_future(channel.watch_disconnect()) if not channel._more_body else None
    try:
        async for chunk in source:
            if watcher is not None and watcher.done():
                break
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if chunk:
                await channel.send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
        else:
            await channel.send({"type": "http.response.body", "body": b""})
    except Exception as err:  # noqa: BLE001 - the head is out: report, then end the response
        ctx.onerror(err)
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


async def _file_chunks(body: Any) -> Any:
    """Read a Path or binary file in chunks without blocking the loop for long."""
    loop = asyncio.get_running_loop()
    close = isinstance(body, PurePath)
    f = open(os.fspath(body), "rb") if close else body  # noqa: SIM115 - closed below
    try:
        while True:
            chunk = await loop.run_in_executor(None, f.read, FILE_CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        f.close()
