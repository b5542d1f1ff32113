"""aiohttp's connection protocol, adjusted to behave as koa's own server (the aiohttp transport).

`KoaRequestHandler` adds koa's `header_timeout` (from a request's first byte, answered
with 408) and answers malformed requests with koa's statuses (414, 431, 501, else 400)
instead of aiohttp's 400 and error log. `KoaWebServer` makes those handlers, cancels a
request's task when its client leaves, and tracks the live connections for shutdown.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import hdrs, web_protocol, web_server
from aiohttp.http_exceptions import BadHttpMessage, BadStatusLine, HttpProcessingError, LineTooLong
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from koa._status import MESSAGES

log = logging.getLogger("koa.server")


class KoaRequestHandler(web_protocol.RequestHandler):
    """aiohttp's connection protocol with koa's header timeout and error statuses."""

    __slots__ = ("_header_timeout", "_head_timer", "_last_payload", "_koa_server")

    def __init__(self, manager: KoaWebServer, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._header_timeout = header_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._last_payload: Any = None
        self._koa_server = manager

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._koa_server.live.add(self)
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)
        self._koa_server.forget(self)

    def data_received(self, data: bytes) -> None:
        # header_timeout counts from a request's first byte, not from the last one
        if self._head_timer is None and data and (self._last_payload is None or self._last_payload.is_eof()):
            self._head_timer = self._loop.call_later(self._header_timeout, self._head_timed_out)
        before = self._request_count
        super().data_received(data)
        if self._request_count != before:
            self._cancel_head_timer()
            if self._messages:
                self._last_payload = self._messages[-1][1]

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        transport = self.transport
        if transport is not None and not transport.is_closing() and not self._request_in_progress:
            transport.write(_error_response(408))
        self.force_close()

    def _process_keepalive(self) -> None:
        if self._head_timer is not None:
            return  # a request head is arriving: header_timeout is in charge now
        super()._process_keepalive()

    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> StreamResponse:
        if status != 400 or not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        # a malformed request: answer as our own server does, and close
        status = 400
        if isinstance(exc, LineTooLong):
            status = 414 if str(exc.args[1]) == str(self.max_line_size) else 431
        elif isinstance(exc, BadHttpMessage) and "Too many headers" in exc.message:
            status = 431
        elif isinstance(exc, BadStatusLine) and "Invalid HTTP version" in exc.message:
            status = 505
        elif isinstance(exc, BadHttpMessage) and exc.message.startswith("Request has invalid `Transfer-Encoding`"):
            status = 501  # a coding other than chunked (llhttp says the same of `chunked<TAB>`)
        log.debug("bad request from %s: %s", request.remote, exc)
        return PrefilledResponse(status, MESSAGES.get(status, "Bad Request"))


class KoaStreamResponse(StreamResponse):
    """aiohttp's response without the `Server` header aiohttp adds (koa's server sends none)."""

    async def _prepare_headers(self) -> None:
        own = hdrs.SERVER in self._headers
        await super()._prepare_headers()
        if not own:
            self._headers.popall(hdrs.SERVER, None)


class PrefilledResponse(KoaStreamResponse):
    """A refusal that aiohttp can prepare and finish itself: `HTTP/1.1 <status>`, then close."""

    _send_headers_immediately = False

    def __init__(self, status: int, text: str) -> None:
        super().__init__(
            status=status, headers={"Content-Type": "text/plain; charset=utf-8", "Connection": "close"}
        )
        self._text = text.encode()
        self.content_length = len(self._text)
        self.force_close()

    async def _write_headers(self) -> None:
        # aiohttp would echo the request's version: HTTP/1.0 for an unparsable request, or
        # the very version a 505 refuses
        writer = self._payload_writer
        assert writer is not None
        await writer.write_headers(f"HTTP/1.1 {self.status} {self.reason}", self._headers)

    async def write_eof(self, data: bytes = b"") -> None:
        await super().write_eof(self._text + data)


def _error_response(status: int) -> bytes:
    text = MESSAGES.get(status, "").encode()
    return (
        f"HTTP/1.1 {status} {MESSAGES.get(status, '')}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n"
    ).encode() + text


class KoaWebServer(web_server.Server):
    """aiohttp's low-level Server making `KoaRequestHandler`s, tracking live connections."""

    def __init__(self, handler: Any, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(handler, handler_cancellation=True, **kwargs)
        self._header_timeout = header_timeout
        self.live: set[KoaRequestHandler] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    def __call__(self) -> KoaRequestHandler:
        self.idle.clear()
        return KoaRequestHandler(self, loop=self._loop, header_timeout=self._header_timeout, **self._kwargs)

    def forget(self, handler: KoaRequestHandler) -> None:
        self.live.discard(handler)
        if not self.live:
            self.idle.set()
