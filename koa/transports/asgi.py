"""Serve a Koa app over ASGI 3: http and lifespan scopes (uvicorn, hypercorn, granian, TestClient)."""
from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from koa.application import respond
from koa.transports.channel import ClientDisconnected

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.response import Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FILE_CHUNK = 64 * 1024
WATCH_DELAY = 0.05  # seconds a request runs before a disconnect watcher starts


class ASGIChannel:
    """The Channel of one ASGI request: body from `receive`, head and body to `send`.

    While a response streams, `watch_disconnect()` is the only reader of `receive`: it
    notices the client leaving, and hands request-body chunks to `receive()` through a
    queue (a stream body may be reading the request body: an echo or a proxy). It starts
    earlier, as soon as the request body is all in, so that a client leaving cancels the
    request's task on every ASGI server, as our own server and aiohttp do.
    """

    __slots__ = (
        "_receive", "_send", "_more_body", "_disconnected", "_head_task", "_queue", "limit",
        "_task", "_watcher", "_watch_timer", "header_sent", "discarded", "socket",
    )

    def __init__(self, receive: Receive, send: Send, limit: int = 1024 * 1024) -> None:
        self._receive = receive
        self._send = send
        self._more_body = True
        self._disconnected = False
        self._head_task: asyncio.Future[None] | None = None
        self._queue: asyncio.Queue[bytes | None] | None = None
        self.limit = limit  # request-body bytes the watcher buffers for a reader that lags
        self._task: asyncio.Task[Any] | None = None  # cancelled when the client leaves
        self._watcher: asyncio.Future[None] | None = None
        self._watch_timer: asyncio.TimerHandle | None = None
        self.header_sent = False
        self.discarded = False
        self.socket = None

    async def receive(self) -> bytes:
        queue = self._queue
        if queue is not None:
            return await self._receive_queued(queue)
        while self._more_body:
            message = await self._receive()
            kind = message["type"]
            if kind == "http.request":
                self._more_body = message.get("more_body", False)
                if not self._more_body and self._task is not None:
                    self.watch_soon()  # the body is in: from now on only a disconnect can come
                body = message.get("body", b"")
                if body:
                    return bytes(body)
            elif kind == "http.disconnect":
                self._disconnected = True
                self._more_body = False
                raise ClientDisconnected("client disconnected while sending the body")
        return b""

    async def _receive_queued(self, queue: asyncio.Queue[bytes | None]) -> bytes:
        if not self._more_body:
            return b""
        if self.discarded:
            raise ClientDisconnected("the request body was dropped: nothing read it while the response streamed")
        chunk = await queue.get()
        if chunk is None:
            self._more_body = False
            raise ClientDisconnected("client disconnected while sending the body")
        if not chunk:
            self._more_body = False
        return chunk

    def discard_body(self) -> None:
        self.discarded = True

    @property
    def writable(self) -> bool:
        return not self._disconnected

    def flush_headers(self, response: Response) -> None:
        # ASGI send is async; queue the head now, later sends wait for it
        self._head_task = asyncio.ensure_future(self._flush(_start_message(response, chunked=True)))
        response.header_sent = True
        self.header_sent = True

    async def _flush(self, start: Message) -> None:
        await self._send(start)
        # an empty chunk: servers that hold the head until the body starts (granian) send it now
        await self._send({"type": "http.response.body", "body": b"", "more_body": True})

    async def send(self, message: Message) -> None:
        if self._head_task is not None:
            task, self._head_task = self._head_task, None
            await task
        await self._send(message)

    def watch_soon(self) -> None:
        """Start the watcher if the request is still running after WATCH_DELAY.

        perf: a watcher is a Task and a Queue; most requests are answered long before a
        client could be noticed leaving, so only the slower ones pay for one.
        """
        if self._watcher is None and self._watch_timer is None:
            self._watch_timer = asyncio.get_running_loop().call_later(WATCH_DELAY, self.watch)

    def watch(self) -> None:
        """Start the watcher (once); when the client leaves, it cancels the request's task."""
        if self._watcher is None:
            if self._queue is None:
                self._queue = asyncio.Queue()  # from now on the watcher alone reads `receive`
            watcher = self._watcher = asyncio.ensure_future(self.watch_disconnect())
            watcher.add_done_callback(self._gone)

    def _gone(self, watcher: asyncio.Future[None]) -> None:
        task = self._task
        if task is not None and self._disconnected:
            task.cancel()

    async def watch_disconnect(self) -> None:
        """Return once the client has gone (used while streaming a response)."""
        queue = self._queue
        if queue is None:
            queue = self._queue = asyncio.Queue()
        buffered = 0
        more = self._more_body
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "http.disconnect":
                self._disconnected = True
                queue.put_nowait(None)
                return
            if kind != "http.request" or not more or self.discarded:
                continue
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if body:
                buffered = buffered + len(body) if queue.qsize() else len(body)
                if buffered > self.limit:
                    # nobody is reading it: drop the body rather than hold it all in memory
                    self.discarded = True
                    while not queue.empty():
                        queue.get_nowait()
                    continue
                queue.put_nowait(bytes(body))
            if not more:
                queue.put_nowait(b"")


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
    channel = ASGIChannel(receive, send, app.max_body_size)
    client = scope.get("client")
    version = scope.get("http_version", "1.1")
    request = app.request(
        scope["method"],
        _target(scope),
        list(scope.get("headers") or ()),
        channel,
        http_version="1.0" if version == "1" else version,  # granian says "1" for HTTP/1.0
        scheme="https" if scope.get("scheme") in ("https", "wss") else "http",
        client=(client[0], int(client[1])) if client else None,  # granian: the port as a str
    )
    ctx = app.create_context(request)
    task = channel._task = asyncio.current_task()
    if version[:1] != "2" and not request.get("transfer-encoding") and request.get("content-length") in ("", "0"):
        channel.watch_soon()  # no body to wait for
    try:
        payload = await app.handle(ctx)
        if payload is False:
            if channel.header_sent:
                channel._task = None
                await channel.send({"type": "http.response.body", "body": b""})  # end what was flushed
            return
        if channel._disconnected:
            return
        response = ctx.response
        if isinstance(payload, (bytes, type(None))):
            if not channel.header_sent:
                await channel.send(_start_message(response))
            channel._task = None
            await channel.send({"type": "http.response.body", "body": payload or b""})
            return
        await _stream(app, ctx, channel, payload)
    except asyncio.CancelledError:
        if not channel._disconnected or task is None:
            raise
        task.uncancel()  # our own cancellation (ASGIChannel._gone): the client went away
    finally:
        channel._task = None
        if channel._watch_timer is not None:
            channel._watch_timer.cancel()
        if channel._watcher is not None:
            channel._watcher.cancel()


async def _stream(app: Koa, ctx: Any, channel: ASGIChannel, body: Any) -> None:
    response = ctx.response
    if isinstance(body, PurePath):
        # open before the head goes out, so that a missing file is still an error response
        try:
            body = await asyncio.get_running_loop().run_in_executor(None, open, os.fspath(body), "rb")
        except OSError as err:
            if channel.header_sent:
                raise
            ctx.onerror(err)
            await channel.send(_start_message(response))
            await channel.send({"type": "http.response.body", "body": respond(ctx) or b""})
            return
    if not channel.header_sent:
        channel.header_sent = response.header_sent = True
        await channel.send(_start_message(response))
    source = _file_chunks(body) if hasattr(body, "read") else body
    # the client may leave while the stream waits for its next chunk: the watcher cancels us
    channel.watch()
    try:
        async for chunk in source:
            if channel._disconnected:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if chunk:
                await channel.send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
        else:
            channel._task = None
            await channel.send({"type": "http.response.body", "body": b""})
    except Exception as err:  # noqa: BLE001 - the head is out: report, then end the response
        channel._task = None
        ctx.onerror(err)
        raise
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()


async def _file_chunks(f: Any) -> Any:
    """Read an open binary file in chunks without blocking the loop for long; close it."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            chunk = await loop.run_in_executor(None, f.read, FILE_CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        f.close()
