"""Response-header helpers: value checks, Vary merging, Content-Disposition, URL encoding."""
from __future__ import annotations

import os
import re
from urllib.parse import quote

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


def encode_url(url: str) -> str:
    """The `encodeurl` package: percent-encode what a URL may not hold, keep valid escapes."""
    url = _URL_BAD_PERCENT.sub("%25", url)
    return quote(url, safe="!#$%&'()*+,-./:;=?@[]_~")


def _latin1_fallback(name: str) -> str:
    return "".join(c if ord(c) < 256 else "?" for c in name)


def content_disposition(filename: str | None = None, *, type: str = "attachment", fallback: bool | str = True) -> str:  # noqa: A002
    """The `content-disposition` package: RFC 6266 header, safe for any file name."""
    if filename is None:
        return type
    name = os.path.basename(filename.replace("\\", "/"))
    quotable = bool(name) and all(0x20 <= ord(c) <= 0x7E or 0x80 <= ord(c) <= 0xFF for c in name)
    if isinstance(fallback, str):
        fallback_name: str | None = os.path.basename(fallback)
    else:
        fallback_name = _latin1_fallback(name) if fallback else None
    has_fallback = fallback_name is not None and fallback_name != name
    parts = [type]
    if quotable or has_fallback:
        plain = fallback_name if has_fallback and fallback_name is not None else name
        parts.append('filename="' + plain.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if has_fallback or not quotable or re.search(r"%[0-9A-Fa-f]{2}", name):
        parts.append("filename*=UTF-8''" + quote(name, safe="!#$&+-.^_`|~"))
    return "; ".join(parts)
