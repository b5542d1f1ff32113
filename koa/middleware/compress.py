"""Response compression, like koa-compress: br (when `brotli` is installed), gzip, deflate."""
from __future__ import annotations

import asyncio
import functools
import importlib
import io
import os
import re
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import PurePath
from typing import Any, Protocol

from koa._status import EMPTY
from koa.context import Context
from koa.errors import HttpError
from koa.middleware._bytes import parse_size
from koa.response import encode_json
from koa.types import Middleware, Next

_brotli: Any
try:
    _brotli = importlib.import_module("brotli")  # untyped: Any
except ImportError:  # pragma: no cover - brotli is optional
    _brotli = None

CHUNK = 64 * 1024
# bodies up to this size are compressed on the event loop, bigger ones in a thread
INLINE_LIMIT = 64 * 1024
_NO_TRANSFORM = re.compile(r"(?:^|,)\s*no-transform\s*(?:,|$)", re.IGNORECASE)
_DIRECTIVE = re.compile(r"^\s*(gzip|compress|deflate|br|identity|\*)\s*(?:;\s*q\s*=\s*(\d(?:\.\d+)?))?\s*$",
                        re.IGNORECASE)
PREFERRED = ("br", "gzip", "deflate")
WILDCARD = ("gzip", "deflate")  # koa-compress: what `*` stands for

# the `compressible` package: text/*, +json/+text/+xml, and mime-db's compressible types
_COMPRESSIBLE_RE = re.compile(r"^text/|\+(?:json|text|xml)$", re.IGNORECASE)
_COMPRESSIBLE = frozenset({
    "application/json", "application/javascript", "application/x-javascript", "application/ecmascript",
    "application/xml", "application/xml-dtd", "application/x-www-form-urlencoded", "application/graphql",
    "application/wasm", "application/rtf", "application/x-sh", "application/x-tar", "application/postscript",
    "application/x-httpd-php", "application/vnd.ms-fontobject", "application/x-font-ttf", "application/toml",
    "application/yaml", "application/x-yaml", "application/ndjson", "application/x-ndjson",
    "font/otf", "font/ttf", "image/bmp", "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon",
})


def compressible(media_type: str) -> bool:
    """The `compressible` package: whether a media type is worth compressing."""
    media_type = media_type.split(";", 1)[0].strip().lower()
    return media_type in _COMPRESSIBLE or bool(_COMPRESSIBLE_RE.search(media_type))


class _Coder(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...

    def finish(self) -> bytes: ...


class _ZlibCoder:
    __slots__ = ("_z",)

    def __init__(self, wbits: int, level: int, mem_level: int) -> None:
        self._z = zlib.compressobj(level, zlib.DEFLATED, wbits, mem_level)

    def compress(self, data: bytes) -> bytes:
        return self._z.compress(data)

    def flush(self) -> bytes:
        return self._z.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._z.flush()


class _BrotliCoder:
    __slots__ = ("_b",)

    def __init__(self, **options: Any) -> None:
        self._b = _brotli.Compressor(**options)

    def compress(self, data: bytes) -> bytes:
        return bytes(self._b.process(data))

    def flush(self) -> bytes:
        return bytes(self._b.flush())

    def finish(self) -> bytes:
        return bytes(self._b.finish())


def _int_option(options: Mapping[str, Any], key: str, default: int, low: int, high: int, name: str) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}: {key} must be an int in {low}..{high}, got {value!r}")
    return value


def _coder_factory(encoding: str, options: Mapping[str, Any]) -> Callable[[], _Coder]:
    if encoding == "br":
        unknown = set(options) - {"quality", "lgwin", "mode"}
        if unknown:
            raise TypeError(f"br got unknown options {sorted(unknown)}: expected quality, lgwin, mode")
        modes = {"generic": _brotli.MODE_GENERIC, "text": _brotli.MODE_TEXT, "font": _brotli.MODE_FONT}
        mode = options.get("mode", "generic")
        if mode not in modes:
            raise ValueError(f"br: mode must be one of {sorted(modes)}, got {mode!r}")
        br_options = {
            "quality": _int_option(options, "quality", 4, 0, 11, "br"),  # koa-compress: 4, for speed
            "lgwin": _int_option(options, "lgwin", 22, 10, 24, "br"),
            "mode": modes[mode],
        }
        return functools.partial(_BrotliCoder, **br_options)
    unknown = set(options) - {"level", "mem_level"}
    if unknown:
        raise TypeError(f"{encoding} got unknown options {sorted(unknown)}: expected level, mem_level")
    level = _int_option(options, "level", zlib.Z_DEFAULT_COMPRESSION, -1, 9, encoding)
    mem_level = _int_option(options, "mem_level", 8, 1, 9, encoding)
    return functools.partial(_ZlibCoder, 31 if encoding == "gzip" else 15, level, mem_level)


@functools.lru_cache(maxsize=256)
def choose_encoding(accept_encoding: str, preferred: tuple[str, ...]) -> str:
    """koa-compress' choice: the highest q, ties broken by `preferred`; identity if none (406 if refused)."""
    weights: dict[str, float] = {}
    for directive in accept_encoding.split(","):
        match = _DIRECTIVE.match(directive)
        if match is None:
            continue
        encoding = match.group(1).lower()
        weight = min(max(float(match.group(2)) if match.group(2) else 1.0, 0.0), 1.0)
        if encoding == "*":
            for implied in WILDCARD:
                weights.setdefault(implied, weight)
        else:
            weights[encoding] = weight
    best = 0.0
    chosen = "identity"
    for encoding in preferred:
        weight = weights.get(encoding, 0.0)
        if weight > best:
            best, chosen = weight, encoding
    if chosen != "identity" and weights.get("identity", 0.0) > best:
        chosen = "identity"
    if chosen == "identity" and weights.get("identity") == 0.0:
        names = ", ".join(preferred)
        raise HttpError(406, f"Please accept {names}, or identity.")
    return chosen


def compress(
    *,
    threshold: int | str = 1024,
    filter: Callable[[str], bool] | None = None,
    br: bool | Mapping[str, Any] = True,
    gzip: bool | Mapping[str, Any] = True,
    deflate: bool | Mapping[str, Any] = True,
    default_encoding: str = "identity",
) -> Middleware:
    """koa-compress: compress bodies of compressible types for clients that accept it.

    `threshold` (bytes, or "1kb") is the smallest body compressed; `filter(mime_type)`
    replaces the `compressible` check; `br` / `gzip` / `deflate` are False to turn an
    encoding off or a dict of options (`quality`, `lgwin`, `mode` for br; `level`,
    `mem_level` for gzip and deflate). `ctx.compress = True/False` forces the choice.
    Already-encoded bodies, 204/206/304, and `Cache-Control: no-transform` are left
    alone. Streams are compressed as they go, flushed after each chunk (server-sent
    events keep flowing); a strong ETag becomes weak. HEAD gets the same headers as GET.
    """
    minimum = parse_size(threshold, "threshold")
    if filter is not None and not callable(filter):
        raise TypeError("filter must be a function (mime_type) -> bool")
    check = filter or compressible
    if not isinstance(default_encoding, str):
        raise TypeError(f"default_encoding must be a str, got {default_encoding!r}")
    coders: dict[str, Callable[[], _Coder]] = {}
    for encoding, option in (("br", br), ("gzip", gzip), ("deflate", deflate)):
        if option is False or option is None:
            continue
        if option is not True and not isinstance(option, Mapping):
            raise TypeError(f"{encoding} must be a bool or a dict of options, got {option!r}")
        if encoding == "br" and _brotli is None:
            if option is True:
                continue  # br only when the brotli package is there
            raise RuntimeError("br options given, but the brotli package is not installed")
        coders[encoding] = _coder_factory(encoding, {} if option is True else option)
    preferred = tuple(enc for enc in PREFERRED if enc in coders)

    async def compress_middleware(ctx: Context, next: Next) -> None:
        ctx.vary("Accept-Encoding")
        await next()
        response = ctx.response
        body = response.body
        if body is None or response.header_sent or not response.writable or ctx.respond is False:
            return
        forced = getattr(ctx, "compress", None)
        status = response.status
        if (forced is False or status in EMPTY or status == 206 or response.has("Content-Encoding")
                or response.has("Content-Range")):
            return
        if forced is not True and not check(response.type):
            return
        if _NO_TRANSFORM.search(response.get("Cache-Control") or ""):
            return
        data: bytes | None = None
        if isinstance(body, str):
            data = body.encode()
        elif isinstance(body, (bytes, bytearray, memoryview)):
            data = bytes(body)
        elif isinstance(body, io.IOBase):
            if not _has_fd(body):
                return  # an in-memory file: leave it as it is
        elif not isinstance(body, PurePath) and not hasattr(body, "__aiter__"):
            data = encode_json(body)
        size = len(data) if data is not None else response.length
        if minimum and size is not None and size < minimum:
            return
        encoding = choose_encoding(ctx.get("Accept-Encoding") or default_encoding, preferred)
        if encoding == "identity":
            return
        factory = coders[encoding]
        etag = response.get("ETag")
        if etag and not etag.startswith("W/"):
            response.set("ETag", "W/" + etag)  # no longer byte-for-byte the tagged body
        if data is not None:
            if len(data) <= INLINE_LIMIT:
                compressed = _compress_all(factory, data)
            else:
                compressed = await asyncio.get_running_loop().run_in_executor(None, _compress_all, factory, data)
            response.body = compressed  # sets Content-Length
        else:
            if ctx.method == "HEAD":
                stream: Any = _NoBody()  # the same headers as GET, and nothing to open
                if isinstance(body, io.IOBase):
                    body.close()
            elif isinstance(body, PurePath):
                stream = _CompressedFile(os.fspath(body), factory())
            elif isinstance(body, io.IOBase):
                stream = _CompressedFile(body, factory())  # the stream owns (and closes) the file
            else:
                stream = _compress_stream(body, factory())
            response.body = stream
            response.remove("Content-Length")
        response.set("Content-Encoding", encoding)

    return compress_middleware


def _compress_all(factory: Callable[[], _Coder], data: bytes) -> bytes:
    coder = factory()
    return coder.compress(data) + coder.finish()


async def _compress_stream(body: Any, coder: _Coder) -> AsyncIterator[bytes]:
    try:
        async for chunk in body:
            if isinstance(chunk, str):
                chunk = chunk.encode()
            if not chunk:
                continue
            out = coder.compress(bytes(chunk)) + coder.flush()  # flush: each chunk reaches the client now
            if out:
                yield out
        yield coder.finish()
    finally:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            await aclose()


class _NoBody:
    """An empty stream: the body of a HEAD response."""

    def __aiter__(self) -> _NoBody:
        return self

    async def __anext__(self) -> bytes:
        raise StopAsyncIteration

    async def aclose(self) -> None:
        pass


class _CompressedFile:
    """A file (a path, or an open file it now owns) read off the event loop and compressed.

    A class rather than a generator so that aclose() closes the file even when the
    transport never started reading (a generator's `finally` would not run).
    """

    __slots__ = ("_path", "_file", "_coder", "_done")

    def __init__(self, source: str | io.IOBase, coder: _Coder) -> None:
        self._path = source if isinstance(source, str) else ""
        self._file: Any = None if isinstance(source, str) else source
        self._coder = coder
        self._done = False

    def __aiter__(self) -> _CompressedFile:
        return self

    def _read(self) -> bytes:
        if self._file is None:
            self._file = open(self._path, "rb")  # noqa: SIM115 - closed by aclose()
        chunk: bytes = self._file.read(CHUNK)
        return chunk

    async def __anext__(self) -> bytes:
        loop = asyncio.get_running_loop()
        while not self._done:
            chunk = await loop.run_in_executor(None, self._read)
            if not chunk:
                tail = self._coder.finish()
                await self.aclose()
                if tail:
                    return tail
                break
            out = self._coder.compress(chunk)
            if out:
                return out
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._done = True
        f, self._file = self._file, None
        if f is not None:
            f.close()


def _has_fd(body: Any) -> bool:
    try:
        body.fileno()
        return True
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return False
