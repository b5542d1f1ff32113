"""Request body parsing, like @koa/bodyparser (json, form, text, xml), plus multipart forms."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from koa import _mime
from koa._forms import (
    DEFAULT_MAX_FIELD_SIZE,
    DEFAULT_MAX_FIELDS,
    DEFAULT_MAX_FILES,
    DEFAULT_SPOOL_MAX_SIZE,
    FormLimits,
    UploadFile,
    decode,
    parse_multipart,
)
from koa.context import Context
from koa.errors import HttpError
from koa.middleware._bytes import parse_size
from koa.request import Request, group_pairs
from koa.types import Middleware, Next

SUPPORTED_TYPES = ("json", "form", "text", "xml", "multipart")
DEFAULT_MIME_TYPES: dict[str, tuple[str, ...]] = {
    "json": ("application/json", "application/json-patch+json", "application/vnd.api+json",
             "application/csp-report", "application/reports+json", "application/scim+json"),
    "form": ("application/x-www-form-urlencoded",),
    "text": ("text/plain",),
    "xml": ("text/xml", "application/xml"),
    "multipart": ("multipart/form-data",),
}
_JSON_WHITESPACE = " \t\n\r"
_JSON_OPENERS = ("{", "[")
_SEEN_TYPES_MAX = 256
_request_read = Request.read

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency
    _loads = json.loads  # type: ignore[assignment]

_brotli: Any
try:
    _brotli = importlib.import_module("brotli")  # untyped: Any
except ImportError:  # pragma: no cover - brotli is optional
    _brotli = None

Size = int | str


def _check_types(name: str, types: Iterable[str]) -> list[str]:
    if isinstance(types, str):
        raise TypeError(f"{name} must be a list of body types, got the string {types!r}")
    out = list(types)
    for item in out:
        if item not in SUPPORTED_TYPES:
            raise ValueError(f"{name}: unsupported body type {item!r}, expected some of {list(SUPPORTED_TYPES)}")
    return out


def body_parser(
    *,
    enable_types: Iterable[str] = ("json", "form"),
    encoding: str = "utf-8",
    json_limit: Size | None = None,
    form_limit: Size = "56kb",
    text_limit: Size | None = None,
    xml_limit: Size | None = None,
    json_strict: bool = True,
    detect_json: Callable[[Context], bool] | None = None,
    extend_types: Mapping[str, Iterable[str]] | None = None,
    on_error: Callable[[Exception, Context], Any] | None = None,
    parsed_methods: Iterable[str] = ("POST", "PUT", "PATCH"),
    multipart_limit: Size | None = None,
    file_size_limit: Size | None = None,
    field_size_limit: Size = DEFAULT_MAX_FIELD_SIZE,
    max_fields: int = DEFAULT_MAX_FIELDS,
    max_files: int = DEFAULT_MAX_FILES,
    spool_max_size: Size = DEFAULT_SPOOL_MAX_SIZE,
    upload_dir: str | None = None,
) -> Middleware:
    """@koa/bodyparser: parse the body into `ctx.request.body` (and `ctx.request.raw_body`).

    `enable_types` picks among json, form (urlencoded), text, xml and multipart. JSON is
    strict by default (an object or an array). Nothing parsed gives `{}`. Limits are bytes
    or strings ("1mb"); a limit left None is `app.max_body_size`. Bodies over a limit are
    refused (413) as they arrive; bad JSON or encoding gives 400; an unknown charset or
    Content-Encoding (gzip, deflate and br are decoded) gives 415.

    A multipart body (`enable_types=[..., "multipart"]`) gives its fields in
    `ctx.request.body` and its files (`UploadFile`: filename, content_type, size,
    `await read()`) in `ctx.request.files`; a repeated name gives a list. Files past
    `spool_max_size` go to a temporary file in `upload_dir`, and are closed (deleted)
    when this middleware returns.
    """
    enabled = set(_check_types("enable_types", enable_types))
    mime_types = {kind: list(types) for kind, types in DEFAULT_MIME_TYPES.items()}
    for kind, extra in (extend_types or {}).items():
        _check_types("extend_types", [kind])
        if isinstance(extra, str) or not all(isinstance(t, str) and t for t in extra):
            raise TypeError(f"extend_types[{kind!r}] must be a list of MIME types, got {extra!r}")
        mime_types[kind] += list(extra)
    types = {kind: tuple(mime_types[kind]) for kind in SUPPORTED_TYPES if kind in enabled}
    if "multipart" in enabled:
        try:
            import python_multipart  # noqa: F401 - fail at wiring time, not per request
        except ImportError:  # pragma: no cover
            raise RuntimeError("multipart bodies need python-multipart: pip install 'koa[multipart]'") from None
    try:
        "".encode(encoding)
    except LookupError:
        raise ValueError(f"encoding: unknown charset {encoding!r}") from None
    limits: dict[str, int | None] = {
        "json": None if json_limit is None else parse_size(json_limit, "json_limit"),
        "form": parse_size(form_limit, "form_limit"),
        "text": None if text_limit is None else parse_size(text_limit, "text_limit"),
        "xml": None if xml_limit is None else parse_size(xml_limit, "xml_limit"),
    }
    total_limit = None if multipart_limit is None else parse_size(multipart_limit, "multipart_limit")
    form_limits = FormLimits(
        total=total_limit or 0,
        file_size=None if file_size_limit is None else parse_size(file_size_limit, "file_size_limit"),
        field_size=parse_size(field_size_limit, "field_size_limit"),
        max_fields=max_fields,
        max_files=max_files,
        spool_max_size=parse_size(spool_max_size, "spool_max_size"),
        upload_dir=upload_dir,
    )
    if detect_json is not None and not callable(detect_json):
        raise TypeError("detect_json must be a function (ctx) -> bool")
    if on_error is not None and not callable(on_error):
        raise TypeError("on_error must be a function (err, ctx)")
    if isinstance(parsed_methods, str):
        raise TypeError("parsed_methods must be a list of methods, not a string")
    methods = frozenset(m.upper() for m in parsed_methods)

    app_limits: dict[int, FormLimits] = {}

    def by_app_limit(total: int) -> FormLimits:
        found = app_limits.get(total)
        if found is None:
            found = app_limits[total] = dataclasses.replace(form_limits, total=total)
        return found

    # Content-Type header value -> (body kind, charset to decode with): a pure function of the
    # value for this middleware, so a request with a Content-Type seen before skips type-is
    # and the charset parse. Bounded: header values come from clients.
    seen_types: dict[bytes | str, tuple[str | None, str]] = {}

    def kind_of(request: Request, content_type: bytes | str) -> tuple[str | None, str]:
        header = content_type if isinstance(content_type, str) else content_type.decode("latin-1")
        found = (body_type(header), request.charset or encoding)
        if len(seen_types) >= _SEEN_TYPES_MAX:
            seen_types.clear()
        seen_types[content_type] = found
        return found

    def body_type(content_type: str) -> str | None:
        content_type = content_type.rstrip(";")
        if not content_type:
            return None
        for kind, candidates in types.items():
            if _mime.type_is(content_type, candidates):
                return kind
        return None

    async def parse(ctx: Context, kind: str) -> Any:
        """Any body: multipart, or with a Content-Encoding (the common case is inlined below)."""
        request = ctx.request
        if kind == "multipart":
            if _coding(request) != "identity":
                raise HttpError(415, "a multipart body cannot have a Content-Encoding")
            parts_limits = form_limits if total_limit is not None else by_app_limit(ctx.app.max_body_size)
            fields, files = _split(await parse_multipart(request, parts_limits))
            request.files = files
            return fields
        limit = limits[kind]
        raw = await _read(request, ctx.app.max_body_size if limit is None else limit)
        return finish(request, kind, raw, request.charset or encoding)

    def finish(request: Request, kind: str, raw: bytes, charset: str) -> Any:
        """The body from its bytes: `request.raw_body` (text), then parsed for its kind."""
        text = decode(raw, charset)
        if request.raw_body is None:
            request.raw_body = text
        if kind == "json":
            return _parse_json(text, json_strict)
        if kind == "form":
            return _parse_urlencoded(text, max_fields)
        return text

    async def body_parser_middleware(ctx: Context, next: Next) -> None:
        request = ctx.request
        if (request.method not in methods or request.body is not None
                or getattr(ctx, "disable_body_parser", False)):
            await next()
            return
        try:
            # the three headers the body needs, as request.get() gives them, in one pass (over the
            # transport's header list, as Request._header() does while request.headers is unbuilt)
            content_type: bytes | str | None
            coding: bytes | str | None
            length: bytes | str | None
            if request._headers is None:
                content_type = coding = length = None
                for name, value in request._raw_headers:
                    if name == b"content-type":
                        if content_type is None:
                            content_type = value
                    elif name == b"content-length":
                        if length is None:
                            length = value
                    elif name == b"content-encoding":
                        coding = value if coding is None else coding + b", " + value
            else:
                content_type = request.get("content-type")
                coding = request.get("content-encoding")
                length = request.get("content-length")
            if content_type is None:
                content_type = ""
            known = seen_types.get(content_type)
            kind, charset = known if known is not None else kind_of(request, content_type)
            if detect_json is not None and detect_json(ctx):
                kind = "json"
            if kind is None:
                request.body = {}
            elif kind == "multipart" or coding:
                request.body = await parse(ctx, kind)
            else:
                limit = limits[kind]
                if limit is None:
                    limit = ctx.app.max_body_size
                raw = request._body
                if raw is not None:
                    pass  # read before (request.read() gives it whatever the limit)
                elif type(request).read is not _request_read:
                    raw = await request.read(limit=limit)  # an app's own Request.read()
                else:
                    # an identity body: Request.read() inlined, with the Content-Length read above
                    # (one coroutine and one header scan less: most of this middleware's cost)
                    if length:
                        try:
                            declared: int | None = int(length if isinstance(length, str) else length.decode("latin-1"))
                        except ValueError:
                            declared = None
                        if declared is not None and declared > limit:
                            raise HttpError(413, f"request body is larger than {limit} bytes")
                    channel = request.channel
                    if channel is None:
                        raw = b""
                    else:
                        raw = await channel.receive()
                        if raw:
                            size = len(raw)
                            if size > limit:
                                channel.discard_body()
                                raise HttpError(413, f"request body is larger than {limit} bytes")
                            chunk = await channel.receive()
                            if chunk:
                                chunks = [raw]
                                while chunk:
                                    size += len(chunk)
                                    if size > limit:
                                        channel.discard_body()
                                        raise HttpError(413, f"request body is larger than {limit} bytes")
                                    chunks.append(chunk)
                                    chunk = await channel.receive()
                                raw = b"".join(chunks)
                    request._body = raw
                if kind == "json":
                    # the common case inlined: strict JSON, an object or an array
                    try:
                        text = raw.decode(charset)
                    except (LookupError, UnicodeDecodeError):
                        text = decode(raw, charset)  # raises the 415 or the 400
                    if request.raw_body is None:
                        request.raw_body = text
                    if json_strict and text[:1] in _JSON_OPENERS:
                        try:
                            request.body = _loads(text)
                        except ValueError as exc:
                            raise HttpError(400, f"invalid JSON: {exc}") from None
                    else:
                        request.body = _parse_json(text, json_strict)
                else:
                    request.body = finish(request, kind, raw, charset)
        except Exception as err:
            if on_error is None:
                raise
            result = on_error(err, ctx)
            if inspect.isawaitable(result):
                await result
        files = request.files
        if not files:
            await next()
            return
        try:
            await next()
        finally:
            for value in files.values():
                for upload in value if isinstance(value, list) else [value]:
                    await upload.close()

    return body_parser_middleware


def _parse_json(text: str, strict: bool) -> Any:
    if strict:
        stripped = text.lstrip(_JSON_WHITESPACE)
        if not stripped:
            return {}
        if stripped[0] not in "{[":
            raise HttpError(400, "invalid JSON, only supports object and array")
    elif not text:
        return text
    try:
        return _loads(text)
    except ValueError as exc:
        raise HttpError(400, f"invalid JSON: {exc}") from None


def _parse_urlencoded(text: str, max_fields: int) -> dict[str, str | list[str]]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=max_fields)
    except UnicodeDecodeError:
        raise HttpError(400, "invalid form body: a percent-escape is not UTF-8") from None
    except ValueError:
        raise HttpError(413, f"form body has more than {max_fields} fields") from None
    return group_pairs(pairs)


def _split(parts: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = group_pairs((k, v) for k, v in parts if not isinstance(v, UploadFile))
    files = group_pairs((k, v) for k, v in parts if isinstance(v, UploadFile))
    return fields, files


def _coding(request: Request) -> str:
    return request.get("Content-Encoding").strip().lower() or "identity"


async def _read(request: Request, limit: int) -> bytes:
    """The body, decoded from its Content-Encoding, refused (413) once past `limit` bytes."""
    coding = _coding(request)
    if coding == "identity":
        return await request.read(limit=limit)
    inflate = _decoder(coding)
    out = bytearray()
    received = 0
    stream = request.stream()
    try:
        async for chunk in stream:
            received += len(chunk)
            out += inflate(chunk, limit + 1 - len(out))
            if received > limit or len(out) > limit:
                channel = request.channel
                if channel is not None:
                    channel.discard_body()
                raise HttpError(413, f"request body is larger than {limit} bytes")
        out += inflate(None, limit + 1 - len(out))
        if len(out) > limit:
            raise HttpError(413, f"request body is larger than {limit} bytes")
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()
    return bytes(out)


def _decoder(coding: str) -> Callable[[bytes | None, int], bytes]:
    """`inflate(chunk, most)` gives at most about `most` bytes; `inflate(None, most)` ends."""
    if coding in ("gzip", "x-gzip", "deflate"):
        z = zlib.decompressobj(31 if coding != "deflate" else 15)

        def inflate_zlib(chunk: bytes | None, most: int) -> bytes:
            try:
                if chunk is None:
                    if not z.eof:
                        raise HttpError(400, f"invalid {coding} body: unexpected end of data")
                    return b""
                return z.decompress(chunk, max(most, 1))
            except zlib.error as exc:
                raise HttpError(400, f"invalid {coding} body: {exc}") from None

        return inflate_zlib
    if coding == "br" and _brotli is not None:
        d = _brotli.Decompressor()

        def inflate_br(chunk: bytes | None, most: int) -> bytes:
            try:
                if chunk is None:
                    if not d.is_finished():
                        raise HttpError(400, "invalid br body: unexpected end of data")
                    return b""
                out = d.process(chunk, output_buffer_limit=max(most, 1))
                while not d.can_accept_more_data() and len(out) < most:
                    out += d.process(b"", output_buffer_limit=max(most - len(out), 1))
                return bytes(out)
            except _brotli.error as exc:
                raise HttpError(400, f"invalid br body: {exc}") from None

        return inflate_br
    raise HttpError(415, f'unsupported content encoding "{coding}"')
