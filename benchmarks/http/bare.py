"""The ceiling: an asyncio Protocol on uvloop + httptools that parses and answers, nothing else.

Every endpoint of the benchmark (see _common.py) gets a fixed, minimal, precomputed response:
status line, Content-Type, Content-Length, body. No routing table, no Date header, no
middleware, no JSON: `/users/<id>` only splices the id in, `POST /echo` sends the received bytes
back without parsing them. What a framework does on top of this is what it costs.

Keep-alive, pipelining and partial reads are the parser's job (llhttp via httptools): several
requests in one read are answered in order, a request split over reads is answered once whole.

    python benchmarks/http/bare.py 8080
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys

import httptools

try:
    import uvloop
except ImportError:  # the ceiling without uvloop is still a ceiling, just a lower one
    uvloop = None


def _response(body: bytes, content_type: bytes) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"
FIXED = {
    b"/": _response(b"Hello, World!", TEXT),
    b"/json": _response(b'{"message":"Hello, World!"}', JSON),
    b"/mw": _response(b"Hello, World!", TEXT),
    b"/64k": _response(b"x" * 65536, b"application/octet-stream"),
}
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found"
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class BareProtocol(asyncio.Protocol):
    """One connection: feed bytes to the parser, answer each complete message."""

    __slots__ = ("transport", "parser", "url", "body")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._close(BAD_REQUEST)
        except httptools.HttpParserError:
            self._close(BAD_REQUEST)

    # parser callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.body = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        transport = self.transport
        if transport is None:
            return
        path = self.url.split(b"?", 1)[0]
        method = self.parser.get_method()
        if method == b"POST" and path == b"/echo":
            response = _response(b"".join(self.body), JSON)
        elif path.startswith(b"/users/") and b"/" not in path[7:] and len(path) > 7:
            response = _response(b"user " + path[7:], TEXT)
        else:
            response = FIXED.get(path, NOT_FOUND)
        if self.parser.should_keep_alive():
            transport.write(response)
        else:  # rare: say so, then close
            transport.write(response.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
            transport.close()

    def _close(self, last: bytes) -> None:
        if self.transport is not None:
            self.transport.write(last)
            self.transport.close()


async def serve(host: str, port: int) -> None:
    """Serve until SIGINT/SIGTERM."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(BareProtocol, host, port, backlog=2048)
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set_result, None)
    print(f"bare: http://{host}:{port} loop={type(loop).__module__} httptools={httptools.__version__} "
          f"python={sys.version.split()[0]}", flush=True)
    await stop
    server.close()
    await server.wait_closed()


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("PORT", 8080))
    if uvloop is not None:
        uvloop.run(serve("127.0.0.1", port))
    else:
        asyncio.run(serve("127.0.0.1", port))


if __name__ == "__main__":
    main()
