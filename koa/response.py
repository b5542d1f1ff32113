"""Response: status, headers and body, with all of Koa's inference (Koa's lib/response.js)."""
from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from koa import _mime
from koa._headers import (
    check_name,
    check_value,
    content_disposition,
    encode_url,
    merge_vary,
    normalize_http_url,
)
from koa._status import EMPTY, MESSAGES, REDIRECT

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.context import Context
    from koa.request import Request

# perf: the usual Content-Type entries, built once
_TEXT_TYPE = ("Content-Type", "text/plain; charset=utf-8")
_HTML_TYPE = ("Content-Type", "text/html; charset=utf-8")
_JSON_TYPE = ("Content-Type", "application/json; charset=utf-8")

# perf: the Content-Length entries of bodies under 8 KiB, each built once (no str and tuple per
# response, and the transports' head cache then matches them by identity)
_CACHED_LENGTHS = 8192
# the entries of the lengths below _CACHED_LENGTHS, made on first use (a list: indexed in C)
_LENGTH_ENTRIES: list[tuple[str, str] | None] = [None] * _CACHED_LENGTHS


def length_entry(n: int) -> tuple[str, str]:
    """The `_headers` entry of `Content-Length: n`."""
    if 0 <= n < _CACHED_LENGTHS:
        entry = _LENGTH_ENTRIES[n]
        if entry is None:
            entry = _LENGTH_ENTRIES[n] = ("Content-Length", str(n))
        return entry
    return ("Content-Length", str(n))


# Body kinds, decided once in the body setter and read by respond() and the transports.
NONE, TEXT, BYTES, JSON, STREAM, FILE = range(6)


class Response:
    """Koa's response object, available as `ctx.response`."""

    __slots__ = (
        "app", "ctx", "request", "_status", "_explicit_status", "_message", "_body",
        "_kind", "_explicit_null_body", "_headers", "_framing", "header_sent", "__dict__",
    )

    app: Koa
    ctx: Context
    request: Request

    def __init__(self) -> None:
        self._init()

    def _init(self) -> None:
        # (what __init__ does: koa's server calls it on an instance it made without the class call)
        self._status = 404
        self._explicit_status = False
        self._message: str | None = None
        self._body: Any = None
        self._kind = NONE
        self._explicit_null_body = False
        # lower-case name -> (name as first set, value or list of values)
        self._headers: dict[str, tuple[str, str | list[str]]] = {}
        # perf: set() took a Transfer-Encoding or Connection (only set() takes any name): until
        # then, respond() and the transports need not look for them
        self._framing = False
        self.header_sent = False

    # -- status ----------------------------------------------------------------------
    @property
    def status(self) -> int:
        """The status code, 404 until a body or status is set (Koa's response.status)."""
        return self._status

    @status.setter
    def status(self, code: int) -> None:
        if self.header_sent:
            return
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"status code must be an int, got {code!r}")
        if not 100 <= code <= 999:
            raise ValueError(f"invalid status code: {code}")
        self._explicit_status = True
        self._status = code
        self._message = None
        if code in EMPTY and self._body is not None:
            self.body = None

    @property
    def message(self) -> str:
        """The reason phrase (Koa's response.message)."""
        return self._message or MESSAGES.get(self._status, "")

    @message.setter
    def message(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"message must be a str, got {type(value).__name__}")
        self._message = check_value("status message", value)

    # -- body ------------------------------------------------------------------------
    @property
    def body(self) -> Any:
        """The body; setting it infers status, Content-Type and Content-Length (Koa)."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        headers = self._headers
        original = self._body
        self._body = value
        # perf: `original is not None` first, io.IOBase is an ABC and isinstance() on it is slow
        if original is not None and original is not value and isinstance(original, io.IOBase) and not _is_stream(
            value
        ):
            # koa destroys a replaced stream, unless a stream (one wrapping it) replaces it
            original.close()
        if value is None:
            self._kind = NONE
            if self._status not in EMPTY:
                if self.type == "application/json":
                    # koa 3: an explicit JSON null (with 200, not Koa's 404: contract section 11)
                    self._body = "null"
                    self._kind = TEXT
                    if not self._explicit_status:
                        self._status = 200
                        self._explicit_status = True
                    self._set_length(4)
                    return
                self.status = 204
            self._explicit_null_body = True
            headers.pop("content-type", None)
            headers.pop("content-length", None)
            headers.pop("transfer-encoding", None)
            return
        if not self._explicit_status:
            self._status = 200
            self._explicit_status = True
        set_type = "content-type" not in headers
        if isinstance(value, str):
            self._set_text(headers, set_type, value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self._kind = BYTES
            if set_type:
                headers["content-type"] = ("Content-Type", "application/octet-stream")
            self._set_length(value.nbytes if isinstance(value, memoryview) else len(value))
        elif type(value) is dict or type(value) is list:  # perf: JSON, without the slower checks below
            self._set_json(headers, set_type)
        elif hasattr(value, "__aiter__"):
            self._kind = STREAM
            if original is not value and original is not None:
                headers.pop("content-length", None)
            if set_type:
                headers["content-type"] = ("Content-Type", "application/octet-stream")
        elif isinstance(value, (PurePath, io.IOBase)):
            self._kind = FILE
            if set_type:
                name = str(value) if isinstance(value, PurePath) else getattr(value, "name", "")
                found = _mime.lookup(name) if isinstance(name, str) and name else None
                mime = _mime.content_type(found) if found else None
                headers["content-type"] = ("Content-Type", mime or "application/octet-stream")
            size = _file_size(value)
            if size is None:
                headers.pop("content-length", None)
            else:
                self._set_length(size)
        else:
            self._set_json(headers, set_type)

    def _set_text(self, headers: dict[str, tuple[str, str | list[str]]], set_type: bool, text: str) -> None:
        # (compiled, typed in response.pxd: `first` is a C character, its tests are C calls)
        self._kind = TEXT
        if set_type:
            markup = False
            if text:
                first = text[0]
                if first.isspace():  # perf: strip only when there is leading white space
                    markup = text.lstrip()[:1] == "<"
                else:
                    markup = first == "<"
            headers["content-type"] = _HTML_TYPE if markup else _TEXT_TYPE
        if not self._framing or "transfer-encoding" not in headers:
            length = len(text) if text.isascii() else len(text.encode())
            headers["content-length"] = length_entry(length)

    def _set_json(self, headers: dict[str, tuple[str, str | list[str]]], set_type: bool) -> None:
        self._kind = JSON
        headers.pop("content-length", None)
        if set_type or "json" not in self.type:
            headers["content-type"] = _JSON_TYPE

    def _set_length(self, n: int) -> None:
        if not self._framing or "transfer-encoding" not in self._headers:
            self._headers["content-length"] = length_entry(n)

    @property
    def length(self) -> int | None:
        """Content-Length, or the body's size when known (Koa's response.length)."""
        entry = self._headers.get("content-length")
        if entry is not None:
            value = entry[1]
            try:
                return int(value if isinstance(value, str) else value[0])
            except ValueError:
                return 0
        body = self._body
        kind = self._kind
        if body is None or kind == STREAM or kind == FILE:
            return None
        if kind == TEXT:
            return len(body.encode())
        if kind == BYTES:
            return len(body)
        return len(encode_json(body))

    @length.setter
    def length(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise TypeError(f"length must be a non-negative int, got {n!r}")
        self._set_length(n)

    # -- type and friends ----------------------------------------------------------------
    @property
    def type(self) -> str:
        """The Content-Type without parameters, `""` when unset (Koa's response.type)."""
        entry = self._headers.get("content-type")
        if entry is None:
            return ""
        value = entry[1]
        return (value if isinstance(value, str) else value[0]).split(";", 1)[0].strip()

    @type.setter
    def type(self, value: str | None) -> None:
        if value is None:
            self.remove("Content-Type")
            return
        if not isinstance(value, str):
            raise TypeError(f"type must be a str, got {type(value).__name__}")
        full = _mime.content_type(value.lstrip(".") if "/" not in value else value)
        if full:
            self.set("Content-Type", full)
        else:
            self.remove("Content-Type")

    def is_(self, *types: str | list[str]) -> str | bool:
        """Koa's response.is(): whether the response Content-Type is one of `types`."""
        current = self.type
        if not current:
            return False
        flat: list[str] = []
        for t in types:
            flat.extend(t if isinstance(t, (list, tuple)) else [t])
        return _mime.type_is(current, tuple(flat))

    @property
    def last_modified(self) -> datetime | None:
        """Last-Modified as a datetime (Koa's response.lastModified)."""
        from email.utils import parsedate_to_datetime  # (imported on first use: see redirect())

        value = self.get("Last-Modified")
        if not value:
            return None
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None

    @last_modified.setter
    def last_modified(self, value: datetime | str | float) -> None:
        from email.utils import format_datetime, parsedate_to_datetime  # (imported on first use: see redirect())

        if isinstance(value, str):
            value = parsedate_to_datetime(value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = datetime.fromtimestamp(value, UTC)
        if not isinstance(value, datetime):
            raise TypeError(f"last_modified takes a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        self.set("Last-Modified", format_datetime(value.astimezone(UTC), usegmt=True))

    @property
    def etag(self) -> str:
        """The ETag header (Koa's response.etag)."""
        return self.get("ETag") or ""

    @etag.setter
    def etag(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"etag must be a str, got {type(value).__name__}")
        if not (value.startswith('"') or value.startswith('W/"')):
            value = f'"{value}"'
        self.set("ETag", value)

    def vary(self, field: str | list[str]) -> None:
        """Koa's response.vary(): add to the Vary header without duplicates."""
        if self.header_sent:
            return
        self.set("Vary", merge_vary(self.get("Vary"), field))

    def redirect(self, url: str, alt: str | None = None) -> None:
        """Koa's response.redirect(): 302 (unless a 3xx is set) to `url`."""
        if not isinstance(url, str):
            raise TypeError(f"redirect url must be a str, got {type(url).__name__}")
        if url == "back":  # koa 2 compatibility
            self.back(alt)
            return
        if url[:7].lower() == "http://" or url[:8].lower() == "https://":
            url = normalize_http_url(url)  # koa: new URL(url), so `\` cannot smuggle another host
        self.set("Location", encode_url(url))
        if self._status not in REDIRECT:
            self.status = 302
        if self.request.accepts("html"):
            self.type = "text/html; charset=utf-8"
            # perf: imported on first use, as email.utils in last_modified: ~0.5 MiB each of resident memory
            import html

            self.body = f"Redirecting to {html.escape(url)}."
        else:
            self.type = "text/plain; charset=utf-8"
            self.body = f"Redirecting to {url}."

    def back(self, alt: str | None = None) -> None:
        """Koa 3's ctx.back(): to the Referer when it is same-origin, else `alt` or `/`."""
        referrer = self.request.get("Referrer")
        target = _same_origin_target(referrer, self.request) if referrer else None
        if target is not None and referrer[:1] == "/" and referrer[1:2] not in ("/", "\\"):
            target = referrer  # a path on this site, kept as sent (Koa)
        # otherwise the resolved URL, not the raw header: `http:evil.example` must not leave
        self.redirect(target or alt or "/")

    def attachment(self, filename: str | None = None, *, fallback: bool | str = True, type: str = "attachment") -> None:  # noqa: A002
        """Koa's response.attachment(): Content-Disposition, and the type from the extension."""
        if filename and "content-type" not in self._headers:
            ext = os.path.splitext(filename)[1]
            if ext:
                self.type = ext
        self.set("Content-Disposition", content_disposition(filename, type=type, fallback=fallback))

    # -- headers -----------------------------------------------------------------------
    @property
    def headers(self) -> dict[str, str | list[str]]:
        """A copy of the headers, lower-case names (Koa's response.headers)."""
        return {k: (v[1] if isinstance(v[1], str) else list(v[1])) for k, v in self._headers.items()}

    @property
    def header(self) -> dict[str, str | list[str]]:
        """Alias of headers (Koa's response.header)."""
        return self.headers

    def get(self, field: str) -> str | None:
        """A response header's value, None when absent (Koa's response.get())."""
        entry = self._headers.get(field.lower())
        if entry is None:
            return None
        value = entry[1]
        return value if isinstance(value, str) else ", ".join(value)

    def has(self, field: str) -> bool:
        """Whether a response header is set (Koa's response.has())."""
        return field.lower() in self._headers

    def set(self, field: str | Mapping[str, Any], value: Any = None) -> None:
        """Koa's response.set(): one header, or a mapping of them."""
        if self.header_sent:
            return
        if not isinstance(field, str):
            if not isinstance(field, Mapping):
                raise TypeError(f"set() takes a header name or a mapping, got {type(field).__name__}")
            for key, val in field.items():
                self.set(key, val)
            return
        check_name(field)
        if isinstance(value, (list, tuple)):
            stored: str | list[str] = [check_value(field, v) for v in value]
        else:
            stored = check_value(field, value)
        name = field.lower()
        if name == "transfer-encoding" or name == "connection":
            self._framing = True
        self._headers[name] = (field, stored)

    def append(self, field: str, value: Any) -> None:
        """Koa's response.append(): add a value, keeping the ones already set."""
        entry = self._headers.get(field.lower())
        new = list(value) if isinstance(value, (list, tuple)) else [value]
        if entry is not None:
            prev = entry[1]
            new = (prev if isinstance(prev, list) else [prev]) + new
        self.set(field, new)

    def remove(self, field: str) -> None:
        """Koa's response.remove()."""
        if self.header_sent:
            return
        self._headers.pop(field.lower(), None)

    def _clear_headers(self) -> None:
        self._headers.clear()

    # -- connection ----------------------------------------------------------------------
    @property
    def socket(self) -> Any:
        """The transport's connection object, when it has one."""
        return self.request.socket

    @property
    def writable(self) -> bool:
        """False once the response is finished or the client has gone (Koa)."""
        channel = self.request.channel
        return True if channel is None else channel.writable

    def flush_headers(self) -> None:
        """Send the status line and headers now (Koa's response.flushHeaders())."""
        channel = self.request.channel
        if channel is not None and not self.header_sent:
            channel.flush_headers(self)

    def __repr__(self) -> str:
        return f"<Response {self._status} {self.message}>"

    def to_json(self) -> dict[str, Any]:
        """Koa's response.toJSON(): status, message and header."""
        return {"status": self._status, "message": self.message, "header": self.headers}


_URL_NOISE = re.compile(r"[\t\n\r]")


def _origin_host(netloc: str, scheme: str) -> str:
    host = netloc.rpartition("@")[2].lower()
    default = ":443" if scheme == "https" else ":80"
    return host[: -len(default)] if host.endswith(default) else host


def _same_origin_target(referrer: str, request: Request) -> str | None:
    """Koa's back() check, `new URL(referrer, ctx.href).host === ctx.host` (WHATWG parsing):
    the resolved URL when it is on this host, else None."""
    # WHATWG drops tabs and newlines and reads `\` as `/` before the query: `\\evil.com` is a host
    ref = _URL_NOISE.sub("", referrer.strip())
    cut = min((i for i in (ref.find("?"), ref.find("#")) if i != -1), default=len(ref))
    ref = ref[:cut].replace("\\", "/") + ref[cut:]
    base = request.href
    try:
        target = urlsplit(urljoin(base, ref))
    except ValueError:
        return None
    if target.scheme not in ("http", "https"):
        return None
    if _origin_host(target.netloc, target.scheme) != _origin_host(request.host, urlsplit(base).scheme):
        return None
    return urlunsplit(target)


def _is_stream(value: Any) -> bool:
    """A body that is streamed: an async iterable, an open file or a path."""
    return hasattr(value, "__aiter__") or isinstance(value, (io.IOBase, PurePath))


def _file_size(value: PurePath | io.IOBase) -> int | None:
    try:
        if isinstance(value, PurePath):
            return os.stat(value).st_size
        fd = value.fileno()
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        return max(st.st_size - value.tell(), 0)
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return None


try:
    import orjson

    _ORJSON_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY

    def encode_json(value: Any) -> bytes:
        """Serialise a JSON body (compact, as Koa's JSON.stringify)."""
        return orjson.dumps(value, option=_ORJSON_OPTS)

except ImportError:  # pragma: no cover - orjson is a dependency
    import json

    def encode_json(value: Any) -> bytes:
        """Serialise a JSON body (compact, as Koa's JSON.stringify)."""
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
