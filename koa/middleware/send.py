"""Send a file from under a root directory, like koa-send: never a file outside that root.

The requested path is percent-decoded once (400 when it cannot be), then refused (403)
before it reaches the file system when it holds NUL, a `..` segment or a backslash;
leading slashes are dropped, so an absolute path is looked up under the root. Once found, the file's
real path (every symlink resolved) must still be under the real root, else it is
treated as missing (404). Dot files and dot directories are not served unless
`hidden=True`. A precompressed `.br` / `.gz` twin is sent when the client accepts it.
"""
from __future__ import annotations

import asyncio
import errno
import os
import re
import stat as stat_module
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from koa.context import Context
from koa.errors import HttpError
from koa.middleware.etag import stat_tag

CHUNK = 64 * 1024
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# at most 20 digits a side: no file is larger, and int() refuses very long digit runs
_RANGE = re.compile(r"^\s*(\d{0,20})\s*-\s*(\d{0,20})\s*$", re.ASCII)
_NOT_FOUND = (FileNotFoundError, NotADirectoryError)
_PRECOMPRESSED = {"br": ".br", "gzip": ".gz"}

SetHeaders = Callable[[Any, str, os.stat_result], Any]


@dataclass(frozen=True, slots=True)
class SendOptions:
    """koa-send's options, checked once: serve() builds them at wiring time."""

    root: str
    real_root: str
    index: str | None
    hidden: bool
    format: bool
    extensions: tuple[str, ...]
    encodings: tuple[str, ...]  # precompressed twins to look for, in order of preference
    cache_control: str
    set_headers: SetHeaders | None
    etag: bool
    last_modified: bool
    accept_ranges: bool


def send_options(
    *,
    root: str | os.PathLike[str] = "",
    index: str | Literal[False] | None = None,
    max_age: float = 0,
    immutable: bool = False,
    hidden: bool = False,
    format: bool = True,
    extensions: Iterable[str] | None = None,
    brotli: bool = True,
    gzip: bool = True,
    set_headers: SetHeaders | None = None,
    etag: bool = True,
    last_modified: bool = True,
    accept_ranges: bool = True,
) -> SendOptions:
    """Check and precompute send()'s options (TypeError / ValueError on a bad one)."""
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root must be a path, got {root!r}")
    root_path = os.path.abspath(os.fspath(root) or ".")
    if index is not None and index is not False:
        if not isinstance(index, str) or not index:
            raise TypeError(f"index must be a file name or None, got {index!r}")
        if "/" in index or "\\" in index or "\0" in index or index in (".", ".."):
            raise ValueError(f"index must be a plain file name, got {index!r}")
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age < 0:
        raise ValueError(f"max_age must be a number of seconds >= 0, got {max_age!r}")
    if isinstance(extensions, str):
        raise TypeError("extensions must be a list of extensions, not a string")
    exts: list[str] = []
    for ext in extensions or ():
        if not isinstance(ext, str) or not ext.strip("."):
            raise TypeError(f"extensions must be a list of extensions like 'html', got {extensions!r}")
        if "/" in ext or "\\" in ext or "\0" in ext:
            raise ValueError(f"invalid extension {ext!r}")
        exts.append(ext if ext.startswith(".") else "." + ext)
    if set_headers is not None and not callable(set_headers):
        raise TypeError("set_headers must be a function (response, path, stat)")
    cache_control = f"max-age={int(max_age)}" + (",immutable" if immutable else "")
    encodings = tuple(enc for enc, on in (("br", brotli), ("gzip", gzip)) if on)
    return SendOptions(
        root=root_path, real_root=os.path.realpath(root_path), index=index or None, hidden=bool(hidden),
        format=bool(format), extensions=tuple(exts), encodings=encodings, cache_control=cache_control,
        set_headers=set_headers, etag=bool(etag), last_modified=bool(last_modified),
        accept_ranges=bool(accept_ranges),
    )


async def send(
    ctx: Context,
    path: str,
    *,
    root: str | os.PathLike[str] = "",
    index: str | Literal[False] | None = None,
    max_age: float = 0,
    immutable: bool = False,
    hidden: bool = False,
    format: bool = True,
    extensions: Iterable[str] | None = None,
    brotli: bool = True,
    gzip: bool = True,
    set_headers: SetHeaders | None = None,
    etag: bool = True,
    last_modified: bool = True,
    accept_ranges: bool = True,
) -> str | None:
    """koa-send: respond with the file at `path` (URL-encoded, relative to `root`).

    Returns the path sent, or None when nothing was (a hidden file, a directory without
    index). Raises HttpError 404 when there is no such file, 400 for a path that does not
    decode, 403 for a malicious one. Sets Content-Length, Content-Type, Last-Modified, a weak ETag,
    Cache-Control (`max_age` in seconds, `immutable`) and Accept-Ranges; answers 304 to
    a fresh conditional request, 412 to a failed precondition, and a single byte range
    with 206 (416 when unsatisfiable; several ranges get the whole file).
    """
    options = send_options(
        root=root, index=index, max_age=max_age, immutable=immutable, hidden=hidden, format=format,
        extensions=extensions, brotli=brotli, gzip=gzip, set_headers=set_headers, etag=etag,
        last_modified=last_modified, accept_ranges=accept_ranges,
    )
    return await send_file(ctx, path, options)


def safe_parts(path: str) -> list[str]:
    """The segments of a URL path under the root; HttpError 400/403 for a malicious one."""
    if _BAD_PERCENT.search(path):
        raise HttpError(400, "failed to decode")
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        raise HttpError(400, "failed to decode") from None
    if "\0" in decoded:
        raise HttpError(403, "NUL in path")
    if "\\" in decoded:
        raise HttpError(403, "backslash in path")  # a separator on Windows: never let it through
    parts = [part for part in decoded.split("/") if part and part != "."]
    for part in parts:
        if part == ".." or os.path.isabs(part) or os.path.splitdrive(part)[0]:
            raise HttpError(403, "path outside root")
    return parts


async def send_file(ctx: Context, path: str, options: SendOptions) -> str | None:
    """send() with options already checked (see send_options())."""
    if not isinstance(path, str) or not path:
        raise TypeError("send() needs a file path")
    parts = safe_parts(path)
    if options.index and path.endswith("/"):
        parts.append(options.index)
    if not options.hidden and any(part.startswith(".") for part in parts):
        return None
    accepted = tuple(enc for enc in options.encodings if ctx.accepts_encodings(enc, "identity") == enc)
    loop = asyncio.get_running_loop()
    found = await loop.run_in_executor(None, _lookup, options, parts, accepted)
    if found is None:
        return None
    file_path, st, encoding, identity, has_twins = found
    if not options.hidden and os.path.basename(identity).startswith("."):
        return None  # an index file named like a dot file

    response = ctx.response
    if encoding is not None:
        response.set("Content-Encoding", encoding)
    if has_twins:
        response.vary("Accept-Encoding")
    if options.set_headers is not None:
        options.set_headers(response, file_path, st)
    if not response.type:
        response.type = os.path.splitext(identity)[1] or "application/octet-stream"
    if not response.type:  # an extension with no known type
        response.type = "application/octet-stream"
    if options.last_modified and not response.has("Last-Modified"):
        from email.utils import formatdate  # (on first use: see koa/response.py)

        response.set("Last-Modified", formatdate(st.st_mtime, usegmt=True))
    if not response.has("Cache-Control"):
        response.set("Cache-Control", options.cache_control)
    if options.etag and not response.has("ETag"):
        response.set("ETag", "W/" + stat_tag(st))
    if options.accept_ranges:
        response.set("Accept-Ranges", "bytes")
    size = st.st_size
    response.body = Path(file_path)
    response.length = size

    _check_preconditions(ctx)
    if ctx.method in ("GET", "HEAD"):
        if ctx.fresh:
            ctx.status = 304
            return file_path
        header = ctx.get("Range") if options.accept_ranges else ""
        if header and _range_applies(ctx):
            span = _parse_range(header, size)
            if span is not None:
                start, end = span
                response.body = _file_range(file_path, start, end - start + 1)
                response.status = 206
                response.set("Content-Range", f"bytes {start}-{end}/{size}")
                response.length = end - start + 1
    return file_path


def _within(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root if real_root.endswith(os.sep) else real_root + os.sep)


def _stat_file(path: str, real_root: str) -> os.stat_result | None:
    """The stat of a regular file whose real path is under the root, else None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None  # missing or unreadable: as if there were no twin
    if not stat_module.S_ISREG(st.st_mode) or not _within(os.path.realpath(path), real_root):
        return None
    return st


def _lookup(
    options: SendOptions, parts: list[str], accepted: tuple[str, ...]
) -> tuple[str, os.stat_result, str | None, str, bool] | None:
    """Runs in a thread: (file to send, its stat, its encoding, identity path, has twins)."""
    base = os.path.join(options.root, *parts)
    if options.extensions and "." not in os.path.basename(base):
        for ext in options.extensions:
            if os.path.exists(base + ext):
                base += ext
                break
    try:
        st = os.stat(base)
        if stat_module.S_ISDIR(st.st_mode):
            if not options.format or not options.index:
                return None
            base = os.path.join(base, options.index)
            st = os.stat(base)
    except (*_NOT_FOUND, ValueError):
        raise HttpError(404) from None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise HttpError(404) from None
        if isinstance(exc, PermissionError):
            raise HttpError(403) from None
        raise
    if not stat_module.S_ISREG(st.st_mode) or not _within(os.path.realpath(base), options.real_root):
        raise HttpError(404)  # a device, a fifo, or a symlink leading out of root: as if missing
    has_twins = False
    for encoding in options.encodings:
        twin = base + _PRECOMPRESSED[encoding]
        twin_stat = _stat_file(twin, options.real_root)
        if twin_stat is None:
            continue
        has_twins = True
        if encoding in accepted:
            return twin, twin_stat, encoding, base, True
    return base, st, None, base, has_twins


def _check_preconditions(ctx: Context) -> None:
    """If-Match / If-Unmodified-Since: 412 when they fail (RFC 9110 13.2.2)."""
    if_match = ctx.get("If-Match")
    if if_match:
        if if_match.strip() != "*" and not _etag_in(if_match, ctx.response.get("ETag")):
            raise HttpError(412)
        return
    since = ctx.get("If-Unmodified-Since")
    if since:
        modified = _timestamp(ctx.response.get("Last-Modified"))
        limit = _timestamp(since)
        if modified is not None and limit is not None and modified > limit:
            raise HttpError(412)


def _range_applies(ctx: Context) -> bool:
    """If-Range: the range is for this version only (an ETag or a date), else the whole file."""
    if_range = ctx.get("If-Range").strip()
    if not if_range:
        return True
    if '"' in if_range:
        return _etag_in(if_range, ctx.response.get("ETag"))
    modified = _timestamp(ctx.response.get("Last-Modified"))
    limit = _timestamp(if_range)
    return modified is not None and limit is not None and modified <= limit


def _etag_in(header: str, etag: str | None) -> bool:
    if not etag:
        return False
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _timestamp(value: str | None) -> float | None:
    if not value:
        return None
    try:
        from email.utils import parsedate_to_datetime  # (on first use: see koa/response.py)

        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _unsatisfiable(size: int) -> HttpError:
    return HttpError(416, headers={"Content-Range": f"bytes */{size}"})


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as (start, end), or None to ignore the header; 416 if unsatisfiable."""
    unit, eq, spec = header.partition("=")
    if not eq or unit.strip().lower() != "bytes" or "," in spec:
        return None  # another unit, or several ranges: send the whole file
    match = _RANGE.match(spec)
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = size - 1 if not last else int(last)
    if last and end < start:
        return None  # invalid: ignore, as RFC 9110 14.2 allows
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(end, size - 1)


async def _file_range(path: str, start: int, length: int) -> AsyncIterator[bytes]:
    """Read `length` bytes from `start`, off the event loop."""
    loop = asyncio.get_running_loop()
    f = await loop.run_in_executor(None, open, path, "rb")
    try:
        await loop.run_in_executor(None, f.seek, start)
        while length > 0:
            chunk: bytes = await loop.run_in_executor(None, f.read, min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        f.close()
