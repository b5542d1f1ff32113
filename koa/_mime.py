"""MIME lookups for `ctx.type`, `accepts()` and `is_()`, like Node's mime-types and type-is.

Python's `mimetypes` reads the machine's /etc/mime.types; koa uses only the built-in
table (plus the overrides below) so that a type never depends on the host.
"""
from __future__ import annotations

import functools
import mimetypes


@functools.cache
def _db() -> mimetypes.MimeTypes:
    # made on first use (~0.5 MiB): an app that never looks a type up never pays for the table
    return mimetypes.MimeTypes(filenames=())


_OVERRIDES = {
    "bin": "application/octet-stream",
    "text": "text/plain",
    "txt": "text/plain",
    "html": "text/html",
    "htm": "text/html",
    "json": "application/json",
    "js": "text/javascript",
    "mjs": "text/javascript",
    "css": "text/css",
    "xml": "application/xml",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "webp": "image/webp",
    "svg": "image/svg+xml",
    "ico": "image/vnd.microsoft.icon",
    "apng": "image/apng",
    "avif": "image/avif",
    "jxl": "image/jxl",
    "ttf": "font/ttf",
    "otf": "font/otf",
    "eot": "application/vnd.ms-fontobject",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "wav": "audio/wav",
    "flac": "audio/x-flac",
    "m4a": "audio/mp4",
    "yaml": "text/yaml",
    "yml": "text/yaml",
    "toml": "application/toml",
    "jsonld": "application/ld+json",
    "ics": "text/calendar",
    "jsx": "text/jsx",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "wasm": "application/wasm",
    "map": "application/json",
    "webmanifest": "application/manifest+json",
    "gz": "application/gzip",
    "br": "application/x-brotli",
    "urlencoded": "application/x-www-form-urlencoded",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
}
# mime-db types whose charset is UTF-8 beyond text/*
_UTF8_TYPES = frozenset({"application/json", "application/javascript", "application/x-javascript",
                         "application/manifest+json", "application/ld+json"})


@functools.lru_cache(maxsize=512)
def lookup(name: str) -> str | None:
    """mime-types' lookup(): an extension, file name or path to a MIME type."""
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    if "." in base:
        ext = base.rsplit(".", 1)[-1].lower()
    elif base == name:
        ext = name.lower()  # a bare extension: "png"
    else:
        return None  # a path whose file name has no extension
    if not ext:
        return None
    found = _OVERRIDES.get(ext)
    if found is None:
        db = _db()
        found = db.types_map[True].get("." + ext) or db.types_map[False].get("." + ext)
    return found


@functools.lru_cache(maxsize=512)
def content_type(value: str) -> str | None:
    """mime-types' contentType(): a full Content-Type (with charset) from a type or extension."""
    mime = value if "/" in value else lookup(value)
    if not mime:
        return None
    if "charset" not in mime.lower():
        base = mime.split(";", 1)[0].strip().lower()
        if base.startswith("text/") or base in _UTF8_TYPES or base.endswith("+json"):
            mime += "; charset=utf-8"
    return mime


def _normalize(expected: str) -> str | None:
    if expected == "urlencoded":
        return "application/x-www-form-urlencoded"
    if expected == "multipart":
        return "multipart/*"
    if expected.startswith("+"):
        return "*/*" + expected
    return expected if "/" in expected else lookup(expected)


def _mime_match(expected: str, actual: str) -> bool:
    e_type, _, e_sub = expected.partition("/")
    a_type, _, a_sub = actual.partition("/")
    if not e_sub or not a_sub:
        return False
    if e_type != "*" and e_type != a_type:
        return False
    if e_sub.startswith("*+"):
        return len(a_sub) > len(e_sub) - 1 and a_sub.endswith(e_sub[1:])
    return e_sub == "*" or e_sub == a_sub


def type_is(actual: str, types: tuple[str, ...]) -> str | bool:
    """type-is' typeis.is(): the first of `types` that `actual` matches, else False."""
    actual = actual.split(";", 1)[0].strip().lower()
    if "/" not in actual or actual.count("/") != 1:
        return False
    if not types:
        return actual
    for given in types:
        expected = _normalize(given)
        if expected and _mime_match(expected.lower(), actual):
            return actual if given.startswith("+") or "*" in given else given
    return False
