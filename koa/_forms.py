"""Form bodies for ctx.request.form() and body_parser: urlencoded, and multipart (python-multipart).

Multipart bodies are parsed while they arrive: every limit (whole body, each file, each
field, number of files and fields) is checked chunk by chunk, so a body over a limit is
refused (413) without being read to its end. File parts are spooled: kept in memory up
to `spool_max_size`, then in an anonymous temporary file (`tempfile.SpooledTemporaryFile`).
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, MultiDict

from koa.errors import HttpError

if TYPE_CHECKING:
    import tempfile

    from koa.request import Request

DEFAULT_SPOOL_MAX_SIZE = 1024 * 1024
DEFAULT_MAX_FIELDS = 1000
DEFAULT_MAX_FILES = 100
DEFAULT_MAX_FIELD_SIZE = 1024 * 1024
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


class UploadFile:
    """A file part of a multipart body: `filename`, `content_type`, `size`, and the spooled `file`."""

    __slots__ = ("name", "filename", "content_type", "headers", "size", "file")

    def __init__(
        self,
        name: str,
        filename: str,
        content_type: str,
        headers: CIMultiDict[str],
        file: tempfile.SpooledTemporaryFile[bytes],
    ) -> None:
        self.name = name
        self.filename = filename  # as the client sent it: never trust it as a path
        self.content_type = content_type
        self.headers = headers
        self.size = 0
        self.file = file

    @property
    def in_memory(self) -> bool:
        """False once the file has been rolled over to disk."""
        return not getattr(self.file, "_rolled", False)

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self.in_memory:
            return fn(*args)
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def write(self, data: bytes) -> None:
        """Append to the file (off the event loop once it is on disk)."""
        await self._run(self.file.write, data)
        self.size += len(data)

    async def read(self, size: int = -1) -> bytes:
        """Read from the current position (the start, after parsing)."""
        data: bytes = await self._run(self.file.read, size)
        return data

    async def seek(self, offset: int) -> int:
        """Move to `offset`."""
        position: int = await self._run(self.file.seek, offset)
        return position

    async def close(self) -> None:
        """Close (and so delete) the spooled file."""
        await self._run(self.file.close)

    def __repr__(self) -> str:
        return f"<UploadFile {self.name}={self.filename!r} {self.content_type} {self.size} bytes>"


@dataclass(frozen=True, slots=True)
class FormLimits:
    """What a multipart body may hold; every size is in bytes."""

    total: int
    file_size: int | None = None  # per file: the total when None
    field_size: int = DEFAULT_MAX_FIELD_SIZE  # per non-file field
    max_fields: int = DEFAULT_MAX_FIELDS
    max_files: int = DEFAULT_MAX_FILES
    spool_max_size: int = DEFAULT_SPOOL_MAX_SIZE
    upload_dir: str | None = None

    def __post_init__(self) -> None:
        for name in ("total", "field_size", "max_fields", "max_files", "spool_max_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        if self.file_size is not None and (
            isinstance(self.file_size, bool) or not isinstance(self.file_size, int) or self.file_size < 0
        ):
            raise ValueError(f"file_size must be an int >= 0 or None, got {self.file_size!r}")
        if self.upload_dir is not None and not os.path.isdir(self.upload_dir):
            raise ValueError(f"upload_dir {self.upload_dir!r} is not a directory")


async def parse_form(request: Request, limit: int, limits: FormLimits | None = None) -> MultiDict[Any]:
    """The form in the body: fields as `str`, file parts as `UploadFile` (415 if not a form)."""
    media_type = request.type.lower()
    if media_type == URLENCODED:
        fields = await parse_urlencoded(request, limit, max_fields=(limits or FormLimits(limit)).max_fields)
        return MultiDict(fields)
    if media_type == MULTIPART:
        return MultiDict(await parse_multipart(request, limits or FormLimits(limit)))
    if not media_type and not request.has_body:
        return MultiDict()
    raise HttpError(415, f"unsupported form type {media_type or '(none)'!r}: expected {URLENCODED} or {MULTIPART}")


async def parse_urlencoded(
    request: Request, limit: int, *, max_fields: int = DEFAULT_MAX_FIELDS, encoding: str | None = None
) -> list[tuple[str, str]]:
    """The pairs of an urlencoded body, in order (413 past `limit` or `max_fields`)."""
    raw = await request.read(limit=limit)
    charset = encoding or request.charset or "utf-8"
    text = decode(raw, charset)
    try:
        return parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict",
                         max_num_fields=max_fields)
    except UnicodeDecodeError:
        raise HttpError(400, f"form body is not valid {charset}") from None
    except ValueError:
        raise HttpError(413, f"form body has more than {max_fields} fields") from None


def decode(raw: bytes, charset: str) -> str:
    """Decode a body: 415 for an unknown charset, 400 for bytes that are not in it."""
    try:
        return raw.decode(charset)
    except LookupError:
        raise HttpError(415, f'unsupported charset "{charset.upper()}"') from None
    except UnicodeDecodeError:
        raise HttpError(400, f"request body is not valid {charset}") from None


class _Collector:
    """python-multipart's callbacks, turned into a list of events to handle asynchronously."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.headers: list[tuple[bytes, bytes]] = []
        self.field = b""
        self.value = b""
        self.ended = False

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.headers = []

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers.append((self.field.lower(), self.value))
        self.field = self.value = b""

    def on_headers_finished(self) -> None:
        self.events.append(("headers", self.headers))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))

    def on_part_end(self) -> None:
        self.events.append(("end", None))

    def on_end(self) -> None:
        self.ended = True


def _too_large(request: Request, message: str) -> HttpError:
    channel = request.channel
    if channel is not None:
        channel.discard_body()  # tell the transport not to read the rest: close after the 413
    return HttpError(413, message)


async def parse_multipart(request: Request, limits: FormLimits) -> list[tuple[str, Any]]:
    """The parts of a multipart/form-data body, in order; every limit checked as bytes arrive."""
    try:
        from python_multipart.exceptions import MultipartParseError
        from python_multipart.multipart import MultipartParser, parse_options_header
    except ImportError:  # pragma: no cover - an optional dependency
        raise RuntimeError("multipart/form-data bodies need python-multipart: pip install 'koa[multipart]'") from None

    _, params = parse_options_header(request.get("Content-Type"))
    boundary = params.get(b"boundary")
    if not boundary:
        raise HttpError(400, "multipart body without a boundary in its Content-Type")
    total_limit = limits.total
    declared = request.length
    if declared is not None and declared > total_limit:
        raise _too_large(request, f"request body is larger than {total_limit} bytes")
    file_limit = limits.file_size if limits.file_size is not None else total_limit
    collector = _Collector()
    parser = MultipartParser(boundary, collector.callbacks())
    charset = "utf-8"
    fields: list[tuple[str, Any]] = []
    uploads: list[UploadFile] = []
    n_fields = n_files = 0
    received = 0
    # the part being read: its name, and a buffer (field) or an UploadFile (file)
    name = ""
    buffer: bytearray | None = None
    upload: UploadFile | None = None
    import tempfile  # perf: only multipart bodies need it

    stream = request.stream()
    try:
        async for chunk in stream:
            received += len(chunk)
            if received > total_limit:
                raise _too_large(request, f"request body is larger than {total_limit} bytes")
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                raise HttpError(400, f"invalid multipart body: {exc}") from None
            events, collector.events = collector.events, []
            for kind, data in events:
                if kind == "headers":
                    name, filename, headers = _part_head(data, parse_options_header)
                    if filename is None:
                        n_fields += 1
                        if n_fields > limits.max_fields:
                            raise _too_large(request, f"multipart body has more than {limits.max_fields} fields")
                        buffer, upload = bytearray(), None
                    else:
                        n_files += 1
                        if n_files > limits.max_files:
                            raise _too_large(request, f"multipart body has more than {limits.max_files} files")
                        spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by its owner
                            max_size=limits.spool_max_size, mode="w+b", dir=limits.upload_dir
                        )
                        upload = UploadFile(
                            name, filename, headers.get("content-type", "application/octet-stream"), headers, spool
                        )
                        uploads.append(upload)
                        buffer = None
                elif kind == "data":
                    if upload is not None:
                        if upload.size + len(data) > file_limit:
                            raise _too_large(request, f"file {upload.filename!r} is larger than {file_limit} bytes")
                        await upload.write(data)
                    elif buffer is not None:
                        if len(buffer) + len(data) > limits.field_size:
                            raise _too_large(request, f"field {name!r} is larger than {limits.field_size} bytes")
                        buffer += data
                else:  # end of a part
                    if upload is not None:
                        await upload.seek(0)
                        fields.append((name, upload))
                    elif buffer is not None:
                        if name == "_charset_":  # HTML's way to name the charset of the other fields
                            charset = buffer.decode("ascii", "replace") or charset
                        fields.append((name, buffer))
                    buffer = upload = None
        parser.finalize()
        if not collector.ended:
            raise HttpError(400, "invalid multipart body: it ends before its closing boundary")
        return [(key, decode(bytes(value), charset) if isinstance(value, bytearray) else value)
                for key, value in fields]
    except BaseException:
        for item in uploads:
            item.file.close()
        raise
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def _part_head(
    raw: list[tuple[bytes, bytes]], parse_options_header: Any
) -> tuple[str, str | None, CIMultiDict[str]]:
    """The field name, file name (None for a plain field) and headers of a part."""
    headers: CIMultiDict[str] = CIMultiDict()
    disposition = b""
    for key, value in raw:
        if key == b"content-disposition":
            disposition = value
        headers.add(key.decode("latin-1"), value.decode("latin-1"))
    kind, options = parse_options_header(disposition)
    if kind != b"form-data" or b"name" not in options:
        raise HttpError(400, "invalid multipart body: a part without Content-Disposition: form-data; name=...")
    try:
        name = options[b"name"].decode("utf-8")
        filename = options[b"filename"].decode("utf-8") if b"filename" in options else None
    except UnicodeDecodeError:
        raise HttpError(400, "invalid multipart body: a part name is not UTF-8") from None
    return name, filename, headers
