"""Response-header helpers: value checks, Vary merging, Content-Disposition, URL encoding."""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote

_BAD_VALUE = re.compile(r"[\r\n\x00]")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def check_name(name: str) -> str:
    """A header field name must be an RFC 7230 token."""
    if not isinstance(name, str):
        raise TypeError(f"header name must be a str, got {type(name).__name__}")
    if not _TOKEN.match(name):
        raise ValueError(f"invalid header name: {name!r}")
    return name


def check_value(name: str, value: object) -> str:
    """Stringify a header value, refusing CR, LF and NUL (header injection) and non-Latin-1."""
    if value is None:
        raise TypeError(f"header {name!r} value must not be None (use remove() to drop a header)")
    text = value if isinstance(value, str) else str(value)
    if _BAD_VALUE.search(text):
        raise ValueError(f"invalid character (CR, LF or NUL) in value of header {name!r}")
    if not text.isascii():
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {name!r} value is not Latin-1: {text!r}") from None
    return text


def merge_vary(current: str | None, field: str | list[str]) -> str:
    """The `vary` package: add fields to a Vary value, once each, `*` absorbing all."""
    fields = [f.strip() for f in (field if isinstance(field, list) else field.split(",")) if f.strip()]
    for f in fields:
        if f != "*" and not _TOKEN.match(f):
            raise ValueError(f"field argument contains an invalid header name: {f!r}")
    value = current or ""
    if value == "*":
        return value
    existing = [v.strip().lower() for v in value.split(",") if v.strip()]
    if "*" in (f.lower() for f in fields):
        return "*"
    for f in fields:
        low = f.lower()
        if low not in existing:
            existing.append(low)
            value = f"{value}, {f}" if value else f
    return value


_URL_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


_HTTP_URL = re.compile(r"^(https?):[/\\\\]*", re.IGNORECASE)
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\\\]^|\x7f]")
_DOT = frozenset({".", "%2e"})
_DOT_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})
_DEFAULT_PORT = {"http": "80", "https": "443"}


def normalize_http_url(url: str) -> str:
    """An absolute http(s) URL as WHATWG's `new URL(url).toString()` shapes it (Koa's redirect).

    The scheme and host are lower-cased (IDNA for non-ASCII hosts), backslashes count as
    slashes before the query (so `http://a.com\\@b.com` stays on a.com), a default port
    and dot segments go, an empty path becomes `/`. Percent-encoding is left to encode_url.
    An invalid host or port raises ValueError, as `new URL()` throws.
    """
    url = _TAB_NEWLINE.sub("", url.strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                                          "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
    m = _HTTP_URL.match(url)
    if m is None:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    scheme = m.group(1).lower()
    rest = url[m.end():]
    end = len(rest)
    for stop in "/\\?#":
        i = rest.find(stop)
        if i != -1 and i < end:
            end = i
    authority, rest = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    if hostport[:1] == "[":
        close = hostport.find("]")
        if close == -1:
            raise ValueError(f"invalid IPv6 host in URL: {url!r}")
        try:
            host = f"[{ipaddress.IPv6Address(hostport[1:close]).compressed}]"
        except ValueError:
            raise ValueError(f"invalid IPv6 host in URL: {url!r}") from None
        port_part = hostport[close + 1:]
        if port_part and port_part[0] != ":":
            raise ValueError(f"invalid host in URL: {url!r}")
        port = port_part[1:]
    else:
        host, _, port = hostport.partition(":")
        host = unquote(host)
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"invalid host in URL: {url!r}") from None
        host = host.lower()
        if not host or _FORBIDDEN_HOST.search(host):
            raise ValueError(f"invalid host in URL: {url!r}")
    if port:
        if not port.isdigit() or int(port) > 65535:
            raise ValueError(f"invalid port in URL: {url!r}")
        port = str(int(port))
        if port == _DEFAULT_PORT[scheme]:
            port = ""
    path, hash_, fragment = rest.partition("#")
    path, qmark, query = path.partition("?")
    segments: list[str] = []
    parts = path.replace("\\", "/").split("/")[1:] if path else [""]
    for i, segment in enumerate(parts):
        last = i == len(parts) - 1
        low = segment.lower()
        if low in _DOT_DOT:
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif low in _DOT:
            if last:
                segments.append("")
        else:
            segments.append(segment)
    netloc = (userinfo + at if at else "") + host + (":" + port if port else "")
    return f"{scheme}://{netloc}/{'/'.join(segments)}{qmark}{query}{hash_}{fragment}"


def encode_url(url: str) -> str:
    """The `encodeurl` package: percent-encode what a URL may not hold, keep valid escapes."""
    url = _URL_BAD_PERCENT.sub("%25", url)
    return quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


_TEXT = re.compile(r"^[\x20-\x7e\x80-\xff]+$")
_NON_LATIN1 = re.compile(r"[^\x20-\x7e\xa0-\xff]")
_HEX_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def _latin1_fallback(name: str) -> str:
    # JavaScript counts UTF-16 units: a character outside the BMP becomes two "?"
    return _NON_LATIN1.sub(lambda m: "??" if ord(m.group()) > 0xFFFF else "?", name)


def content_disposition(filename: str | None = None, *, type: str = "attachment", fallback: bool | str = True) -> str:  # noqa: A002
    """The `content-disposition` package: RFC 6266 header, safe for any file name."""
    if not isinstance(type, str) or not _TOKEN.match(type):
        raise TypeError(f"invalid type: {type!r}")
    disposition = type.lower()
    if filename is None:
        return disposition
    if not isinstance(filename, str):
        raise TypeError(f"filename must be a string, got {filename!r}")
    if not isinstance(fallback, (str, bool)):
        raise TypeError(f"fallback must be a string or boolean, got {fallback!r}")
    if isinstance(fallback, str) and _NON_LATIN1.search(fallback):
        raise TypeError(f"fallback must be ISO-8859-1 string: {fallback!r}")
    name = filename.rsplit("/", 1)[-1]  # Node's (POSIX) path.basename
    quotable = bool(_TEXT.match(name))
    if isinstance(fallback, str):
        fallback_name: str | None = fallback.rsplit("/", 1)[-1]
    else:
        fallback_name = _latin1_fallback(name) if fallback else None
    has_fallback = fallback_name is not None and fallback_name != name
    parts = [disposition]
    if quotable or has_fallback:
        plain = fallback_name if has_fallback and fallback_name is not None else name
        parts.append('filename="' + plain.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if has_fallback or not quotable or _HEX_ESCAPE.search(name):
        # encodeURIComponent, then RFC 5987 attr-char: only alphanumerics and !-._~ stay
        parts.append("filename*=UTF-8''" + quote(name, safe="!"))
    return "; ".join(parts)
