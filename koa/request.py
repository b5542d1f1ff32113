"""Request: lazy, cached views over the request head (Koa's lib/request.js).

A transport builds one `Request` per request from what it parsed: the method, the
request target, the raw header list (lower-case `bytes` names, as in ASGI) and a
`channel` for the body. Nothing is decoded until it is asked for.
"""
from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

from multidict import CIMultiDict, MultiDict

from koa import _mime, _negotiate
from koa._fresh import fresh as _is_fresh
from koa.errors import HttpError

if TYPE_CHECKING:
    from koa.application import Koa
    from koa.context import Context
    from koa.response import Response
    from koa.transports.channel import Channel

# Node keeps the first of these when a request repeats them, and joins the others.
_SINGLE = frozenset({
    "content-type", "content-length", "user-agent", "referer", "host", "authorization",
    "proxy-authorization", "if-modified-since", "if-unmodified-since", "from", "location",
    "max-forwards", "retry-after", "etag", "last-modified", "server", "age", "expires",
})
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})


def _join(name: str, values: list[str]) -> str:
    if len(values) == 1 or name in _SINGLE:
        return values[0]
    return ("; " if name == "cookie" else ", ").join(values)


def parse_query(qs: str) -> dict[str, str | list[str]]:
    """Koa's querystring parse: a repeated key becomes a list."""
    if not qs:
        return {}
    return group_pairs(parse_qsl(qs, keep_blank_values=True))


def group_pairs(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Koa's querystring shape: one value as is, a repeated name as a list."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        have = out.get(key)
        if have is None:
            out[key] = value
        elif isinstance(have, list):
            have.append(value)
        else:
            out[key] = [have, value]
    return out


def stringify_query(obj: Mapping[str, Any]) -> str:
    """Koa 3's querystring stringify (URLSearchParams): lists repeat the key, spaces become `+`."""
    pairs: list[tuple[str, str]] = []
    for key, value in obj.items():
        if isinstance(value, (list, tuple)):
            pairs.extend((str(key), _qs_value(v)) for v in value)
        else:
            pairs.append((str(key), _qs_value(value)))
    return "&".join(f"{_form_quote(key)}={_form_quote(value)}" for key, value in pairs)


def _form_quote(value: str) -> str:
    # URLSearchParams' byte set: only alphanumerics and *-._ stay as they are
    return quote_plus(value, safe="*").replace("~", "%7E")


def _qs_value(value: Any) -> str:
    if value is None or isinstance(value, (Mapping, list, tuple, set)):
        return ""  # koa 3: only scalars are written; a nested object becomes an empty value
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


class Request:
    """Koa's request object, available as `ctx.request`."""

    __slots__ = (
        "app", "ctx", "response", "channel", "method", "original_url", "http_version",
        "scheme", "client", "_url", "_raw_headers", "_headers", "_path", "_querystring",
        "_query", "_query_for", "_ip", "_body", "body", "raw_body", "files", "__dict__",
    )

    app: Koa
    ctx: Context
    response: Response

    def __init__(
        self,
        method: str,
        url: str,
        raw_headers: list[tuple[bytes, bytes]],
        channel: Channel | None = None,
        http_version: str = "1.1",
        scheme: str = "http",
        client: tuple[str, int] | None = None,
    ) -> None:
        self._init(method, url, raw_headers, channel, http_version, scheme, client)

    def _init(
        self,
        method: str,
        url: str,
        raw_headers: list[tuple[bytes, bytes]],
        channel: Channel | None,
        http_version: str,
        scheme: str,
        client: tuple[str, int] | None,
    ) -> None:
        # (what __init__ does: koa's server calls it on an instance it made without the class call)
        self.method = method
        self._url = self.original_url = url
        self._raw_headers = raw_headers
        self.channel = channel
        self.http_version = http_version
        self.scheme = scheme
        self.client = client
        self._headers: CIMultiDict[str] | None = None
        self._path: str | None = None
        self._querystring = ""
        self._query: dict[str, Any] | None = None
        self._query_for: str | None = None
        self._ip: str | None = None
        self._body: bytes | None = None
        self.body: Any = None
        self.raw_body: Any = None
        self.files: Any = None

    # -- headers ------------------------------------------------------------------
    @property
    def headers(self) -> CIMultiDict[str]:
        """Request headers: a case-insensitive multidict (Koa's request.headers)."""
        h = self._headers
        if h is None:
            h = self._headers = CIMultiDict(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in self._raw_headers
            )
        return h

    @headers.setter
    def headers(self, value: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        self._headers = CIMultiDict(value)

    @property
    def header(self) -> CIMultiDict[str]:
        """Alias of headers (Koa's request.header)."""
        return self.headers

    @header.setter
    def header(self, value: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        self.headers = value

    def get(self, field: str) -> str:
        """Koa's request.get(): a header's value, `""` when absent."""
        name = field.lower()
        if name == "referrer" or name == "referer":
            return self._header("referrer") or self._header("referer")
        return self._header(name)

    def _header(self, name: str) -> str:
        h = self._headers
        if h is not None:
            values = h.getall(name, None)
            return _join(name, values) if values else ""
        key = name.encode("latin-1")
        found: list[str] = []
        for k, v in self._raw_headers:
            if k == key:
                found.append(v.decode("latin-1"))
        return _join(name, found) if found else ""

    # -- URL ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The request target (path and query), settable (Koa's request.url)."""
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"url must be a str, got {type(value).__name__}")
        self._url = value
        self._path = None

    def _split(self) -> str:
        url = self._url
        if url[:1] != "/" and "://" in url:
            parts = urlsplit(url)  # absolute-form target
            self._path = parts.path or "/"
            self._querystring = parts.query
        elif "?" not in url and "#" not in url:  # perf: the usual target, a bare path
            self._path = url
            self._querystring = ""
        else:
            if "#" in url:
                url = url.partition("#")[0]  # a fragment is never part of path or query
            path, _, qs = url.partition("?")
            self._path = path
            self._querystring = qs
        return self._path

    @property
    def path(self) -> str:
        """The path as sent (not percent-decoded), without the query (Koa's request.path)."""
        path = self._path
        return path if path is not None else self._split()

    @path.setter
    def path(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"path must be a str, got {type(value).__name__}")
        qs = self.querystring
        self.url = f"{value}?{qs}" if qs else value

    @property
    def querystring(self) -> str:
        """The query string without `?` (Koa's request.querystring)."""
        if self._path is None:
            self._split()
        return self._querystring

    @querystring.setter
    def querystring(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"querystring must be a str, got {type(value).__name__}")
        if value.startswith("?"):
            value = value[1:]
        path = self.path
        self.url = f"{path}?{value}" if value else path

    @property
    def search(self) -> str:
        """`?` + querystring, or `""` (Koa's request.search)."""
        qs = self.querystring
        return "?" + qs if qs else ""

    @search.setter
    def search(self, value: str) -> None:
        self.querystring = value

    @property
    def query(self) -> dict[str, Any]:
        """The parsed query: `str` values, `list[str]` for repeated keys (Koa's request.query)."""
        qs = self.querystring
        if self._query is None or self._query_for != qs:
            self._query = parse_query(qs)
            self._query_for = qs
        return self._query

    @query.setter
    def query(self, value: Mapping[str, Any]) -> None:
        if not isinstance(value, Mapping):
            raise TypeError(f"query must be a mapping, got {type(value).__name__}")
        self.querystring = stringify_query(value)

    @property
    def origin(self) -> str | None:
        """The `Origin` request header, or None (Koa 3)."""
        return self._header("origin") or None

    @property
    def href(self) -> str:
        """The full request URL (Koa's request.href)."""
        url = self.original_url
        if url[:7].lower() == "http://" or url[:8].lower() == "https://":
            return url
        return f"{self.protocol}://{self.host}{url}"

    # -- host, protocol, addresses -----------------------------------------------------
    @property
    def host(self) -> str:
        """Host with port; `X-Forwarded-Host` when `app.proxy` (Koa's request.host)."""
        host = self._header("x-forwarded-host") if self.app.proxy else ""
        if not host:
            host = self._header(":authority") if self.http_version[:1] == "2" else ""
            if not host:
                host = self._header("host")
        if not host:
            return ""
        host = host.split(",", 1)[0].strip()
        if "@" in host:
            host = host.rsplit("@", 1)[1]
        return host

    @property
    def hostname(self) -> str:
        """Host without port; IPv6 keeps its brackets (Koa's request.hostname)."""
        host = self.host
        if not host:
            return ""
        if host[0] == "[":
            # koa reads it through WHATWG URL: a valid IPv6 address, compressed, else ""
            end = host.find("]")
            literal = host[1:end] if end > 0 else ""
            if not literal or "%" in literal:
                return ""
            try:
                return f"[{ipaddress.IPv6Address(literal).compressed}]"
            except ValueError:
                return ""
        return host.split(":", 1)[0]

    @property
    def protocol(self) -> str:
        """`http` or `https`; `X-Forwarded-Proto` when `app.proxy` (Koa's request.protocol)."""
        if self.scheme == "https":
            return "https"
        if not self.app.proxy:
            return "http"
        proto = self._header("x-forwarded-proto")
        return proto.split(",", 1)[0].strip() if proto else "http"

    @property
    def secure(self) -> bool:
        """True over HTTPS (Koa's request.secure)."""
        return self.protocol == "https"

    @property
    def ips(self) -> list[str]:
        """Proxy-reported client chain when `app.proxy` (Koa's request.ips)."""
        app = self.app
        value = self._header(app.proxy_ip_header.lower()) if app.proxy else ""
        ips = [ip.strip() for ip in value.split(",")] if value else []
        if app.max_ips_count > 0:
            ips = ips[-app.max_ips_count:]
        return ips

    @property
    def ip(self) -> str:
        """The client address: `ips[0]` behind a proxy, else the peer (Koa's request.ip)."""
        ip = self._ip
        if ip is None:
            ips = self.ips
            ip = ips[0] if ips else (self.client[0] if self.client else "")
            self._ip = ip
        return ip

    @ip.setter
    def ip(self, value: str) -> None:
        self._ip = value

    @property
    def subdomains(self) -> list[str]:
        """Subdomains, most significant first, past `app.subdomain_offset` (Koa's)."""
        hostname = self.hostname
        if not hostname:
            return []
        try:
            ipaddress.ip_address(hostname.strip("[]"))
            return []
        except ValueError:
            pass
        return hostname.split(".")[::-1][self.app.subdomain_offset:]

    @property
    def socket(self) -> Any:
        """The transport's connection object (Koa's request.socket), when it has one."""
        channel = self.channel
        return channel.socket if channel is not None else None

    # -- caching, content ------------------------------------------------------------
    @property
    def fresh(self) -> bool:
        """True when the client's cached copy is still good (Koa's request.fresh)."""
        if self.method not in ("GET", "HEAD"):
            return False
        s = self.response.status
        if 200 <= s < 300 or s == 304:
            return _is_fresh(self._header, self.response.get)
        return False

    @property
    def stale(self) -> bool:
        """Koa's request.stale: `not fresh`."""
        return not self.fresh

    @property
    def idempotent(self) -> bool:
        """True for GET, HEAD, PUT, DELETE, OPTIONS, TRACE (Koa's request.idempotent)."""
        return self.method in _IDEMPOTENT

    @property
    def charset(self) -> str:
        """The `charset` parameter of Content-Type, `""` when absent or invalid (Koa's request.charset)."""
        header = self._header("content-type")
        if "charset" not in header.lower():
            return ""
        params = _content_type_params(header)
        return params.get("charset", "") if params else ""

    @property
    def length(self) -> int | None:
        """Content-Length as an int, or None (Koa's request.length)."""
        value = self._header("content-length")
        try:
            return int(value) if value else None
        except ValueError:
            return None

    @property
    def type(self) -> str:
        """Content-Type without parameters, or `""` (Koa's request.type)."""
        return self._header("content-type").split(";", 1)[0].strip()

    def accepts(self, *types: str | list[str]) -> str | list[str] | bool:
        """Koa's request.accepts(): the best of `types` for `Accept`, or False."""
        flat = _flatten(types)
        header = self._header("accept")
        if not flat:
            return _negotiate.media_types(header if header or self._has("accept") else None)
        if not header:
            return flat[0]
        mimes = [t if "/" in t else (_mime.lookup(t) or "") for t in flat]
        valid = [m for m in mimes if m]
        best = _negotiate.media_types(header, valid)
        return flat[mimes.index(best[0])] if best else False

    def accepts_encodings(self, *encodings: str | list[str]) -> str | list[str] | bool:
        """Koa's request.acceptsEncodings()."""
        flat = _flatten(encodings)
        header = self._header("accept-encoding")
        if not flat:
            return _negotiate.encodings(header)
        best = _negotiate.encodings(header, flat)
        return best[0] if best else False

    def accepts_charsets(self, *charsets: str | list[str]) -> str | list[str] | bool:
        """Koa's request.acceptsCharsets()."""
        flat = _flatten(charsets)
        header = self._header("accept-charset") if self._has("accept-charset") else None
        if not flat:
            return _negotiate.charsets(header)
        best = _negotiate.charsets(header, flat)
        return best[0] if best else False

    def accepts_languages(self, *languages: str | list[str]) -> str | list[str] | bool:
        """Koa's request.acceptsLanguages()."""
        flat = _flatten(languages)
        header = self._header("accept-language") if self._has("accept-language") else None
        if not flat:
            return _negotiate.languages(header)
        best = _negotiate.languages(header, flat)
        return best[0] if best else False

    def is_(self, *types: str | list[str]) -> str | bool | None:
        """Koa's request.is(): the matching type, None without a body, else False."""
        if not self.has_body:
            return None
        content_type = self._header("content-type")
        if not content_type:
            return False
        return _mime.type_is(content_type, tuple(_flatten(types)))

    @property
    def has_body(self) -> bool:
        """type-is' hasBody(): a Transfer-Encoding, or a Content-Length other than 0."""
        if self._has("transfer-encoding"):
            return True
        length = self._header("content-length")
        return bool(length) and length.strip().isdigit() and int(length) > 0

    def _has(self, name: str) -> bool:
        h = self._headers
        if h is not None:
            return name in h
        key = name.encode("latin-1")
        return any(k == key for k, _ in self._raw_headers)

    # -- body ------------------------------------------------------------------------
    def _limit(self, limit: int | None) -> int:
        return self.app.max_body_size if limit is None else limit

    async def read(self, *, limit: int | None = None) -> bytes:
        """The whole body as bytes, read once and cached; 413 past the limit."""
        body = self._body
        if body is not None:
            return body
        maximum = self._limit(limit)
        declared = self.length
        if declared is not None and declared > maximum:
            raise HttpError(413, f"request body is larger than {maximum} bytes")
        channel = self.channel
        if channel is None:
            body = b""
        else:
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = await channel.receive()
                if not chunk:
                    break
                size += len(chunk)
                if size > maximum:
                    channel.discard_body()
                    raise HttpError(413, f"request body is larger than {maximum} bytes")
                chunks.append(chunk)
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._body = body
        return body

    async def text(self, *, limit: int | None = None, encoding: str | None = None) -> str:
        """The body decoded with its charset (UTF-8 by default); 400 when undecodable."""
        raw = await self.read(limit=limit)
        try:
            return raw.decode(encoding or self.charset or "utf-8")
        except (UnicodeDecodeError, LookupError) as exc:
            raise HttpError(400, f"request body could not be decoded: {exc}") from None

    async def json(self, *, limit: int | None = None) -> Any:
        """The body parsed as JSON; bad JSON -> HttpError(400)."""
        raw = await self.read(limit=limit)
        try:
            return _loads(raw)
        except ValueError as exc:
            raise HttpError(400, f"invalid JSON body: {exc}") from None

    async def form(self, *, limit: int | None = None) -> MultiDict[Any]:
        """A urlencoded or multipart form body as a multidict (files as UploadFile)."""
        from koa._forms import parse_form  # multipart machinery only when forms are used

        form: MultiDict[Any] = await parse_form(self, self._limit(limit))
        return form

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives, chunk by chunk (not cached)."""
        if self._body is not None:
            if self._body:
                yield self._body
            return
        channel = self.channel
        if channel is None:
            return
        while True:
            chunk = await channel.receive()
            if not chunk:
                return
            yield chunk

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"

    def to_json(self) -> dict[str, Any]:
        """Koa's request.toJSON(): method, url and header."""
        return {"method": self.method, "url": self.url, "header": dict(self.headers)}


_CT_TYPE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CT_PARAM = re.compile(
    r"; *([!#$%&'*+.^_`|~0-9A-Za-z-]+) *= *"
    r"(\"(?:[\x0b\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x0b\x20-\xff])*\"|[!#$%&'*+.^_`|~0-9A-Za-z-]+) *"
)
_CT_UNESCAPE = re.compile(r"\\([\x0b\x20-\xff])")


def _content_type_params(header: str) -> dict[str, str] | None:
    """The `content-type` package's parse(): the parameters, or None when the header is invalid."""
    index = header.find(";")
    media = (header if index == -1 else header[:index]).strip()
    if not _CT_TYPE.match(media):
        return None
    params: dict[str, str] = {}
    if index == -1:
        return params
    while index < len(header):
        m = _CT_PARAM.match(header, index)
        if m is None:
            return None
        index = m.end()
        value = m.group(2)
        if value[:1] == '"':
            value = _CT_UNESCAPE.sub(r"\1", value[1:-1])
        params[m.group(1).lower()] = value
    return params


def _flatten(items: tuple[str | list[str], ...]) -> list[str]:
    out: list[str] = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(item)
        else:
            out.append(item)
    return out


try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; stay usable without it
    _loads = json.loads  # type: ignore[assignment]
