"""Raw-socket helpers for the server tests: exact bytes out, responses parsed by llhttp back.

`exchange(port, data)` writes `data` (or timed steps) on a fresh connection and reads until
the server closes, `responses` are complete, or `timeout` passes. `Reply.responses` are
parsed with httptools' response parser, so a response whose framing is off shows up as an
error here rather than as a passing test.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import httptools


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    chunked: bool = False

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    raw: bytes
    closed: bool  # the server closed the connection
    responses: list[Response] = field(default_factory=list)
    error: str | None = None  # the bytes were not well-framed responses

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.responses]


class _Collector:
    def __init__(self, head_only: bool) -> None:
        self.done: list[Response] = []
        self.current: Response | None = None
        self.head_only = head_only
        self.parser: httptools.HttpResponseParser | None = None

    def on_message_begin(self) -> None:
        self.current = Response(0, "", [])

    def on_status(self, status: bytes) -> None:
        assert self.current is not None
        self.current.reason += status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        self.current.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> bool | None:
        assert self.current is not None and self.parser is not None
        self.current.status = self.parser.get_status_code()
        return True if self.head_only else None

    def on_body(self, body: bytes) -> None:
        assert self.current is not None
        self.current.body += body

    def on_chunk_header(self) -> None:
        assert self.current is not None
        self.current.chunked = True

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.done.append(self.current)
        self.current = None


def parse_responses(raw: bytes, *, head_only: bool = False) -> tuple[list[Response], str | None]:
    """The complete responses in `raw`, and a parse error if the bytes were not well framed."""
    collector = _Collector(head_only)
    parser = collector.parser = httptools.HttpResponseParser(collector)
    error = None
    pos = 0
    # a 100 Continue ends a message of its own; parse response by response
    try:
        parser.feed_data(raw[pos:])
    except httptools.HttpParserError as exc:
        error = str(exc)
    return collector.done, error


async def exchange(
    port: int,
    data: bytes | Sequence[tuple[bytes, float]],
    *,
    responses: int | None = None,
    timeout: float = 3.0,
    head_only: bool = False,
    host: str = "127.0.0.1",
) -> Reply:
    """Send `data` (or `(bytes, delay_before)` steps) on a new connection; read the answer."""
    reader, writer = await asyncio.open_connection(host, port)
    steps = [(data, 0.0)] if isinstance(data, bytes) else list(data)
    raw = b""
    closed = False

    async def send() -> None:
        for chunk, delay in steps:
            if delay:
                await asyncio.sleep(delay)
            with contextlib.suppress(ConnectionError):
                writer.write(chunk)
                await writer.drain()

    sender = asyncio.ensure_future(send())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while True:
            if responses is not None:
                got, _ = parse_responses(raw, head_only=head_only)
                if len(got) >= responses:
                    break
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                chunk = await asyncio.wait_for(reader.read(65536), left)
            except TimeoutError:
                break
            except ConnectionError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            raw += chunk
    finally:
        sender.cancel()
        with contextlib.suppress(BaseException):
            await sender
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    parsed, error = parse_responses(raw, head_only=head_only)
    return Reply(raw, closed, parsed, error)


async def is_closed(reader: asyncio.StreamReader, timeout: float = 3.0) -> bool:
    """True when the server closes the connection within `timeout`."""
    try:
        return await asyncio.wait_for(reader.read(65536), timeout) == b""
    except TimeoutError:
        return False
    except ConnectionError:
        return True
