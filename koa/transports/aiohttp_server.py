"""Serve a Koa app with aiohttp's low-level HTTP server (create_server(transport="aiohttp")).

aiohttp parses HTTP and keeps the connections; koa does everything else. Each request
becomes a koa Request with an `AiohttpChannel`, runs through `app.handle()`, and the
payload is written back the way the ASGI adapter writes it: bytes, nothing, a stream,
or a file. aiohttp's routing (`web.Application`) is not used.

Every server option is honoured (`header_timeout` and the 414/431/505/501 statuses by
_aiohttp_protocol.py, the Host and Transfer-Encoding checks here), with what aiohttp
cannot do as our own server does (see the README): `max_header_size` bounds the request
target and each header line separately (aiohttp has no bound on the whole head), chunk
extensions are not limited to 4 KiB (aiohttp skips them unread), and an HTTP/2.0 request
line followed by a pipelined request is a 400, not a 505.
"""
from __future__ import annotations

import asyncio
import logging
import os
import re
import socket as _socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from aiohttp import web_protocol
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse
from multidict import CIMultiDict

from koa._status import MESSAGES
from koa.application import DEFAULT_MAX_BODY_SIZE, respond
from koa.errors import HttpError
from koa.transports._aiohttp_protocol import KoaStreamResponse, KoaWebServer, PrefilledResponse
from koa.transports.channel import ClientDisconnected
from koa.transports.options import DEFAULTS, ServerOptions

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.context import Context
    from koa.response import Response

log = logging.getLogger("koa.server")

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
FILE_CHUNK = 64 * 1024


class AiohttpChannel:
    """The Channel of one request served by aiohttp (see koa.transports.channel)."""

    __slots__ = ("_request", "_content", "_continue", "_head_task", "_body_timeout", "response", "discarded", "socket")

    def __init__(self, request: BaseRequest, body_timeout: float = DEFAULTS["body_timeout"]) -> None:
        self._request = request
        self._content = request.content
        self._body_timeout = body_timeout
        # aiohttp's low-level server leaves `Expect: 100-continue` to the handler
        self._continue = (
            request.version[:2] == (1, 1) and request.headers.get("Expect", "").lower() == "100-continue"
        )
        self._head_task: asyncio.Future[Any] | None = None
        self.response: StreamResponse | None = None
        self.discarded = False
        self.socket = request.transport

    @property
    def expects_continue(self) -> bool:
        """True while the client waits for `100 Continue` that was never sent."""
        return self._continue

    async def receive(self) -> bytes:
        if self._continue:
            self._continue = False
            if self.response is None:
                transport = self._request.transport
                if transport is not None and not transport.is_closing():
                    transport.write(_CONTINUE)
        try:
            async with asyncio.timeout(self._body_timeout):  # the wait for the body's next bytes
                return await self._content.readany()
        except TimeoutError:
            self.discarded = True  # the body's end is unknown: close after the response
            raise HttpError(408, "the request body stopped arriving") from None
        except (BadHttpMessage, web_protocol.RequestPayloadError) as exc:
            self.discarded = True
            raise HttpError(400, "invalid request body") from exc
        except ConnectionError as exc:
            raise ClientDisconnected("client disconnected while sending the body") from exc

    def discard_body(self) -> None:
        self.discarded = True

    @property
    def writable(self) -> bool:
        transport = self._request.transport
        return transport is not None and not transport.is_closing()

    def flush_headers(self, response: Response) -> None:
        resp = self.response = _stream_response(response)
        # prepare() is async; start it now, later writes wait for it
        self._head_task = asyncio.ensure_future(resp.prepare(self._request))
        response.header_sent = True

    async def send(self, message: MutableMapping[str, Any]) -> None:
        """Write an ASGI response message: the raw response for `ctx.respond = False` (as on ASGI)."""
        kind = message["type"]
        task = self._head_task
        if task is not None:
            self._head_task = None
            await task
        if kind == "http.response.start":
            if self.response is not None:
                raise RuntimeError("the response has already started")
            headers: CIMultiDict[str] = CIMultiDict()
            for name, value in message.get("headers", ()):
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
            self.response = KoaStreamResponse(status=int(message["status"]), headers=headers)
            await self.response.prepare(self._request)
        elif kind == "http.response.body":
            if self.response is None:
                raise RuntimeError("http.response.body before http.response.start")
            body = message.get("body", b"")
            if body:
                await self.response.write(bytes(body))
            if not message.get("more_body", False):
                await self.response.write_eof()
        else:
            raise ValueError(f"unsupported message type {kind!r}")

    async def prepared(self, response: Response, *, buffered: bool = False) -> StreamResponse:
        """The aiohttp response for `response`, its head written (or buffered with the body)."""
        task = self._head_task
        if task is not None:
            self._head_task = None
            await task
        resp = self.response
        if resp is None:
            resp = self.response = _stream_response(response, buffered=buffered)
            response.header_sent = True
            unread = not self._content.is_eof()
            if self.discarded or unread and (self._continue or response._status == 413):
                # a body nobody will read (a 413, or 100-continue never sent): close after this response
                resp.force_close()
            await resp.prepare(self._request)
        return resp


    def finished(self, resp: StreamResponse) -> None:
        """The response is out: if it closes the connection on a body still coming, say so now.

        A half close (FIN) ends the exchange for the client at once, while aiohttp goes on
        draining what the client still sends (its lingering close), so that no reset can
        destroy the response in flight.
        """
        if resp.keep_alive or self._content.is_eof():
            return
        transport = self._request.transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            transport.write_eof()


class _BufferedResponse(KoaStreamResponse):
    """A response whose head goes out in one write with its body."""

    _send_headers_immediately = False


def _stream_response(response: Response, *, buffered: bool = False) -> StreamResponse:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in response._headers.values():
        if isinstance(value, str):
            headers.add(name, value)
        else:
            for v in value:
                headers.add(name, v)
    cls = _BufferedResponse if buffered else KoaStreamResponse
    return cls(status=response._status, reason=response.message or str(response._status), headers=headers)


# RFC 3986 host (reg-name, IPv4 or [IP-literal]) and an optional port
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]*)?")


def _check(request: BaseRequest) -> int:
    """The status that refuses a request llhttp let through (as our own server does), or 0."""
    if request.version not in ((1, 1), (1, 0)):
        return 505
    if request.method == "CONNECT":
        return 501
    if request.version == (1, 1):
        hosts = request.headers.getall("Host", [])
        if len(hosts) != 1 or not _HOST.fullmatch(hosts[0]):
            return 400
    te = request.headers.getall("Transfer-Encoding", [])
    if te:
        # llhttp lets `gzip, chunked`, `identity, chunked` and an empty value through; koa
        # decodes no coding but a single chunked
        codings = [c.strip().lower() for value in te for c in value.split(",")]
        if codings != ["chunked"]:
            return 501 if all(codings) else 400
    return 0


def make_handler(
    app: Koa, body_timeout: float = DEFAULTS["body_timeout"]
) -> Callable[[BaseRequest], Awaitable[StreamResponse]]:
    """The aiohttp request handler that runs `app` on each request."""

    async def handler(request: BaseRequest) -> StreamResponse:
        status = _check(request)
        if status:
            return PrefilledResponse(status, MESSAGES[status])
        channel = AiohttpChannel(request, body_timeout)
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        tls = transport is not None and transport.get_extra_info("sslcontext") is not None
        version = request.version
        koa_request = app.request(
            request.method,
            request.raw_path,
            [(name.lower(), value) for name, value in request.raw_headers],
            channel,
            http_version=f"{version[0]}.{version[1]}",
            scheme="https" if tls else "http",
            client=(str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None,
        )
        ctx = app.create_context(koa_request)
        payload = await app.handle(ctx)
        if payload is False:
            # ctx.respond = False: koa writes nothing; end what was flushed, else close
            if channel.response is None:
                request.protocol.force_close()
                return StreamResponse()
            return await channel.prepared(ctx.response)
        if isinstance(payload, (bytes, type(None))):
            try:
                resp = await channel.prepared(ctx.response, buffered=True)
                await resp.write_eof(payload or b"")
                channel.finished(resp)
            except ConnectionError:
                pass  # the client went away; aiohttp closes the connection
            return channel.response or StreamResponse()
        return await _stream(ctx, channel, request, payload)

    return handler


async def _stream(ctx: Context, channel: AiohttpChannel, request: BaseRequest, body: Any) -> StreamResponse:
    if isinstance(body, PurePath):
        # open before the head goes out, so that a missing file is still an error response
        try:
            body = await asyncio.get_running_loop().run_in_executor(None, open, os.fspath(body), "rb")
        except OSError as err:
            if ctx.response.header_sent:
                raise
            ctx.onerror(err)
            resp = await channel.prepared(ctx.response, buffered=True)
            await resp.write_eof(respond(ctx) or b"")
            return resp
    source = _file_chunks(body) if hasattr(body, "read") else body
    try:
        resp = await channel.prepared(ctx.response)
        async for chunk in source:
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if chunk:
                await resp.write(chunk)
        await resp.write_eof()
        channel.finished(resp)
    except ConnectionError:
        pass  # the client went away; aiohttp closes the connection
    except Exception as err:  # noqa: BLE001 - the head is out: report, then cut the response short
        ctx.onerror(err)
        request.protocol.force_close()
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
    return channel.response or StreamResponse()


async def _file_chunks(f: Any) -> AsyncIterator[bytes]:
    """Read an open binary file in chunks without blocking the loop for long; close it."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            chunk: bytes = await loop.run_in_executor(None, f.read, FILE_CHUNK)
            if not chunk:
                return
            yield chunk
    finally:
        f.close()


class AiohttpServer:
    """A running aiohttp-backed server: the same surface as koa.transports.server.Server."""

    def __init__(self, app: Koa, server: asyncio.Server, web: KoaWebServer) -> None:
        self.app = app
        self._server = server
        self._web = web
        self._closing = False
        self._finished = False
        sockname = server.sockets[0].getsockname() if server.sockets else ("", 0)
        self.host: str = sockname[0]
        self.port: int = sockname[1]

    @property
    def sockets(self) -> tuple[_socket.socket, ...]:
        """The listening sockets."""
        return tuple(self._server.sockets)

    def close(self) -> None:
        """Stop accepting and close every connection now (requests in flight are cancelled)."""
        self._closing = True
        self._server.close()
        for handler in list(self._web.live):
            handler.force_close()  # aiohttp cancels the handler's task as the connection goes

    def _close_idle(self) -> None:
        self._closing = True
        self._server.close()
        for handler in list(self._web.live):
            if handler._request_in_progress:
                handler.close()  # end after the current response
            else:
                handler.force_close()

    async def wait_closed(self) -> None:
        """Wait until the server and its connections are closed; then run the app's "shutdown" handlers."""
        await self._web.idle.wait()
        await self._server.wait_closed()
        await self._finish()

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Stop accepting, close idle connections, let requests in flight finish within `timeout`
        (then cancel them), and run the app's "shutdown" handlers."""
        self._close_idle()
        try:
            await asyncio.wait_for(self._web.idle.wait(), timeout)
        except TimeoutError:
            log.warning("shutdown: cancelling %d connection(s) still busy after %.1fs", len(self._web.live), timeout)
            self.close()
            try:
                await asyncio.wait_for(self._web.idle.wait(), 1.0)
            except TimeoutError:
                log.warning("aiohttp server: %d connection(s) did not close", len(self._web.live))
        await self._finish()

    async def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            await self.app.shutdown()

    async def __aenter__(self) -> AiohttpServer:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    def __repr__(self) -> str:
        return f"<AiohttpServer {self.host}:{self.port}>"


async def create_aiohttp_server(
    app: Koa, host: str | None = "127.0.0.1", port: int | None = 0, *, sock: _socket.socket | None = None,
    **server_options: Any,
) -> AiohttpServer:
    """Serve `app` with aiohttp's low-level server inside the running loop.

    `sock`: serve on this listening socket (a process manager's, e.g. gunicorn's) instead of
    binding `host`:`port`.
    """
    options = ServerOptions.from_kwargs(server_options)
    # app.max_body_size wins when the app set its own (as in create_server)
    if app.max_body_size == DEFAULT_MAX_BODY_SIZE:
        app.max_body_size = options.max_body_size
    await app.startup()
    limit = options.max_header_size
    web = KoaWebServer(
        make_handler(app, options.body_timeout),
        header_timeout=options.header_timeout,
        keepalive_timeout=options.keep_alive_timeout,
        # the request target, then each header line; one less on headers so a
        # LineTooLong tells which it was (414 or 431)
        max_line_size=limit,
        max_field_size=limit - 1,
        max_headers=options.max_headers,
        access_log=options.access_logger,
        # bodies reach the app as sent, as on every other transport
        auto_decompress=False,
    )
    loop = asyncio.get_running_loop()
    try:
        if sock is not None:
            server = await loop.create_server(web, sock=sock, backlog=options.backlog, ssl=options.ssl)
        else:
            server = await loop.create_server(
                web, host, port or 0, backlog=options.backlog, reuse_port=options.reuse_port or None, ssl=options.ssl
            )
    except BaseException:
        await app.shutdown()
        raise
    return AiohttpServer(app, server, web)


__all__ = ["AiohttpChannel", "AiohttpServer", "create_aiohttp_server", "make_handler"]
