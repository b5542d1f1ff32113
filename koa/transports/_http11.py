"""HTTP/1.1 response heads: status lines cached, the Date header cached, heads serialised once.

A head is built as one `str` (names as the app set them, values already checked by
`ctx.set()`) and encoded to Latin-1 once. Before it is handed out, its line breaks are
counted: a CR or LF that reached a value without going through `ctx.set()` makes
`build_head()` raise `ValueError` instead of splitting the response.
"""
from __future__ import annotations

import time
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from koa._status import MESSAGES

if TYPE_CHECKING:
    from koa.response import Response

# perf: the status line of every known status, ready to concatenate
STATUS_LINES: dict[int, str] = {code: f"HTTP/1.1 {code} {reason}\r\n" for code, reason in MESSAGES.items()}

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CLOSE = "Connection: close\r\n"
KEEP_ALIVE = "Connection: keep-alive\r\n"  # said only to HTTP/1.0 clients that asked for it
CHUNKED = "Transfer-Encoding: chunked\r\n"
LAST_CHUNK = b"0\r\n\r\n"

_date_line = ""
_date_second = -1
# perf: the head lines of recent responses, keyed by status, reason and header values (see head_lines)
HEAD_CACHE_SIZE = 1024
_heads: dict[tuple[Any, ...], bytes | None] = {}
_tails: dict[str, bytes] = {}  # Date line + the server's lines + blank line, for the current second
_MISSING: Any = object()


def refresh_date() -> None:
    """Recompute the cached `Date:` line when the second has changed (called by the server's tick)."""
    global _date_line, _date_second
    now = time.time()
    second = int(now)
    if second != _date_second:
        _date_second = second
        _date_line = f"Date: {formatdate(now, usegmt=True)}\r\n"
        _tails.clear()


def date_line() -> str:
    """The cached `Date: ...` line, CRLF included."""
    return _date_line


def status_line(status: int, message: str | None) -> str:
    """`HTTP/1.1 <status> <reason>` with CRLF; `message` is a custom reason phrase or None."""
    if message is None:
        line = STATUS_LINES.get(status)
        if line is not None:
            return line
        message = MESSAGES.get(status, "")
    return f"HTTP/1.1 {status} {message}\r\n"


def head_lines(response: Response) -> bytes | None:
    """The status line and the app's header lines, encoded and checked; None when the headers hold
    Connection or Transfer-Encoding (the server decides those: it takes them out, then asks again).

    perf: most responses repeat the same few heads, so the result is cached by status, reason
    and header values; what is cached was checked for CR and LF when it was built.
    """
    headers = response._headers
    try:
        key = (response._status, response._message, *headers.values())
        lines = _heads.get(key, _MISSING)
    except TypeError:  # a list value (several lines of one header): not cached
        return _build_lines(response)
    if lines is _MISSING:
        lines = _build_lines(response)
        if len(_heads) >= HEAD_CACHE_SIZE:
            _heads.clear()
        _heads[key] = lines
    return lines  # type: ignore[no-any-return]


def _build_lines(response: Response) -> bytes | None:
    headers = response._headers
    if "connection" in headers or "transfer-encoding" in headers:
        return None
    message = response._message
    if message is None:
        head = STATUS_LINES.get(response._status) or status_line(response._status, None)
    else:
        head = status_line(response._status, message)
    lines = len(headers) + 1
    for name, value in headers.values():
        if type(value) is str:
            head += name + ": " + value + "\r\n"
        else:
            lines += len(value) - 1
            for v in value:
                head += name + ": " + v + "\r\n"
    data = head.encode("latin-1")
    # never a raw CR or LF inside a line: a value that bypassed ctx.set()'s check stops here
    if data.count(b"\n") != lines or data.count(b"\r") != lines:
        raise ValueError("a response header contains CR or LF")
    return data


def head_tail(extra: str) -> bytes:
    """The end of a head: the Date line, `extra` (the server's own lines, CRLF-terminated), the blank line."""
    tail = _tails.get(extra)
    if tail is None:
        tail = _tails[extra] = (_date_line + extra + "\r\n").encode("latin-1")
    return tail


def build_head(response: Response, extra: str) -> bytes:
    """The whole head of `response` with the server's `extra` lines (Connection and
    Transfer-Encoding of the app's are dropped: the framing is the server's)."""
    lines = head_lines(response)
    if lines is None:
        response._headers.pop("connection", None)
        response._headers.pop("transfer-encoding", None)
        lines = head_lines(response)
        assert lines is not None
    return lines + head_tail(extra)


def error_response(status: int) -> bytes:
    """A complete, closing response for a request the server refuses itself (400, 408, 414, ...)."""
    reason = MESSAGES.get(status, "Error")
    body = reason.encode("latin-1")
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n{_date_line}{CLOSE}\r\n"
    ).encode("latin-1") + body


def chunk(data: bytes) -> bytes:
    """`data` framed as one chunk of a chunked body."""
    return b"%x\r\n%b\r\n" % (len(data), data)


refresh_date()

__all__ = [
    "CHUNKED", "CLOSE", "CONTINUE", "KEEP_ALIVE", "LAST_CHUNK", "STATUS_LINES",
    "build_head", "chunk", "date_line", "error_response", "head_lines", "head_tail", "refresh_date", "status_line",
]
