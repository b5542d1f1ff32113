"""HTTP/1.1 response heads: status lines cached, the Date header cached, heads serialised once.

A head is built as one `str` (names as the app set them, values already checked by
`ctx.set()`) and encoded to Latin-1 once. Before it is handed out, its line breaks are
counted: a CR or LF that reached a value without going through `ctx.set()` makes
`head()` raise `ValueError` instead of splitting the response.
"""
from __future__ import annotations

import time
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
# perf: the heads of recent responses, keyed by status, reason, the server's lines and header
# values (see head()); emptied when the Date line changes
HEAD_CACHE_SIZE = 1024
_heads: dict[tuple[Any, ...], bytes] = {}
# perf: the key and head of the last head() answered; a response whose header entries are the
# very same objects (the usual case: koa builds its entries once, see response.length_entry)
# is matched by identity, without building and hashing a key
_last_key: list[Any] = []
_last_head = b""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(seconds: float) -> str:
    """The IMF-fixdate of `seconds` (RFC 9110 section 5.6.7), as email.utils.formatdate(usegmt=True)
    writes it: not imported for this, as the email package costs every server ~0.5 MiB resident."""
    t = time.gmtime(seconds)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


def refresh_date() -> None:
    """Recompute the cached `Date:` line when the second has changed (called by the server's tick)."""
    global _date_line, _date_second, _last_key
    now = time.time()
    second = int(now)
    if second != _date_second:
        _date_second = second
        _date_line = f"Date: {http_date(now)}\r\n"
        _heads.clear()
        _last_key = []


def status_line(status: int, message: str | None) -> str:
    """`HTTP/1.1 <status> <reason>` with CRLF; `message` is a custom reason phrase or None."""
    if message is None:
        line = STATUS_LINES.get(status)
        if line is not None:
            return line
        message = MESSAGES.get(status, "")
    return f"HTTP/1.1 {status} {message}\r\n"


def head(response: Response, extra: str) -> bytes:
    """The whole head of `response`: status line, the app's header lines, Date, the server's
    `extra` lines (CRLF-terminated) and the blank line. The caller has taken Connection and
    Transfer-Encoding out of the headers: the framing is the server's.

    perf: most responses repeat the same few heads, so heads are cached by status, reason,
    `extra` and header values until the Date changes; what is cached was checked for CR and LF.
    """
    global _last_key, _last_head
    headers = response._headers
    last = _last_key
    # (only a key that hashed is kept: its entries hold no list, so the same objects mean the same lines)
    if (len(last) == len(headers) + 3 and last[0] == response._status and last[1] is response._message
            and last[2] is extra):
        i = 3
        for entry in headers.values():
            if entry is not last[i]:
                break
            i += 1
        else:
            return _last_head
    try:
        key = (response._status, response._message, extra, *headers.values())
        data = _heads.get(key)
    except TypeError:  # a list value (several lines of one header): not cached
        return _build(response, extra)
    if data is None:
        data = _build(response, extra)
        if len(_heads) >= HEAD_CACHE_SIZE:
            _heads.clear()
        _heads[key] = data
    _last_key = list(key)
    _last_head = data
    return data


def _build(response: Response, extra: str) -> bytes:
    headers = response._headers
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
    return data + (_date_line + extra + "\r\n").encode("latin-1")


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
    "chunk", "error_response", "head", "refresh_date", "status_line",
]
