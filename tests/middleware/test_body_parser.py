"""body_parser(): json / form / text / xml / multipart, limits enforced while the body streams in."""
from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import brotli
import pytest

from koa import Koa
from koa.middleware import body_parser


class FakeChannel:
    """A transport channel fed from a list of chunks, recording what was left unread."""

    socket = None
    writable = True

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)
        self.discarded = False

    async def receive(self) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    def discard_body(self) -> None:
        self.discarded = True


def echo_app(**options: Any) -> Koa:
    app = Koa()
    app.use(body_parser(**options))

    async def echo(ctx: Any, next: Any) -> None:
        files = ctx.request.files or {}
        ctx.body = {
            "body": ctx.request.body,
            "raw": ctx.request.raw_body,
            "files": {k: [f.filename, f.content_type, f.size, (await f.read()).decode("latin-1")]
                      for k, f in files.items() if not isinstance(f, list)},
        }

    app.use(echo)
    return app


# -- json ---------------------------------------------------------------------------------
async def test_json(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", json={"foo": "bar"})
    assert r.json() == {"body": {"foo": "bar"}, "raw": '{"foo":"bar"}', "files": {}}


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json; charset=utf-8", "application/json;charset=utf-8;",
    "application/vnd.api+json", "application/json-patch+json", "application/csp-report",
])
async def test_json_types(fetch: Any, content_type: str) -> None:
    r = await fetch(echo_app(), "POST", "/", content=b'[{"op": "add"}]', headers={"content-type": content_type})
    assert r.json()["body"] == [{"op": "add"}]


async def test_json_strict(fetch: Any) -> None:
    app = Koa()
    app.use(body_parser())
    r = await fetch(app, "POST", "/", content=b'"a string"', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.text == "invalid JSON, only supports object and array"
    r = await fetch(echo_app(json_strict=False), "POST", "/", content=b'"valid"',
                    headers={"content-type": "application/json"})
    assert r.json()["body"] == "valid"


async def test_json_empty_body_is_empty_object(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", content=b"", headers={"content-type": "application/json"})
    assert r.json()["body"] == {}


async def test_bad_json_is_400(fetch: Any) -> None:
    app = echo_app()
    r = await fetch(app, "POST", "/", content=b'{"a": ', headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.text.startswith("invalid JSON")


async def test_json_limit_413(fetch: Any) -> None:
    app = echo_app(json_limit=10)
    r = await fetch(app, "POST", "/", json={"foo": "a" * 20})
    assert r.status_code == 413
    assert "10 bytes" in r.text
    r = await fetch(echo_app(json_limit="1kb"), "POST", "/", json={"foo": "a" * 20})
    assert r.status_code == 200


async def test_default_limits_follow_app_max_body_size(fetch: Any) -> None:
    app = echo_app()
    app.max_body_size = 100
    assert (await fetch(app, "POST", "/", json={"a": "x" * 200})).status_code == 413
    assert (await fetch(app, "POST", "/", json={"a": "x"})).status_code == 200


async def test_limit_enforced_while_streaming(make_ctx: Any) -> None:
    """A body over the limit is refused at the first chunk past it: the rest is never read."""
    app = Koa()
    parser = body_parser(json_limit=100)
    chunks = [b'{"a": "' + b"x" * 60, b"x" * 60, b"x" * 60, b'"}']
    channel = FakeChannel(chunks)
    ctx = make_ctx("/", "POST", {"content-type": "application/json", "transfer-encoding": "chunked"},
                    app=app, channel=channel)

    async def never(*_: Any) -> None:
        raise AssertionError("downstream must not run")

    with pytest.raises(Exception) as info:
        await parser(ctx, never)
    assert getattr(info.value, "status", None) == 413
    assert channel.discarded
    assert len(channel.chunks) == 2  # two chunks never read


async def test_declared_length_over_limit_refused_before_reading(make_ctx: Any) -> None:
    app = Koa()
    channel = FakeChannel([b"{}"])
    ctx = make_ctx("/", "POST", {"content-type": "application/json", "content-length": "5000"},
                    app=app, channel=channel)
    with pytest.raises(Exception) as info:
        await body_parser(json_limit=100)(ctx, None)  # type: ignore[arg-type]
    assert getattr(info.value, "status", None) == 413
    assert channel.chunks == [b"{}"]


async def test_detect_json(fetch: Any) -> None:
    app = echo_app(detect_json=lambda ctx: ctx.path.endswith(".json"))
    r = await fetch(app, "POST", "/foo.json", content=b'{"foo":"bar"}')
    assert r.json()["body"] == {"foo": "bar"}
    r = await fetch(app, "POST", "/foo", content=b'{"foo":"bar"}', headers={"content-type": "text/plain"})
    assert r.json()["body"] == {}  # text is not enabled by default


# -- form -----------------------------------------------------------------------------------
async def test_form(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", data={"a": ["1", "2"], "b": "é x", "c": ""})
    assert r.json()["body"] == {"a": ["1", "2"], "b": "é x", "c": ""}


async def test_form_limit_default_56kb(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", data={"a": "x" * (57 * 1024)})
    assert r.status_code == 413
    r = await fetch(echo_app(form_limit="100kb"), "POST", "/", data={"a": "x" * (57 * 1024)})
    assert r.status_code == 200


async def test_form_too_many_fields(fetch: Any) -> None:
    r = await fetch(echo_app(max_fields=3), "POST", "/", content=b"a=1&b=2&c=3&d=4",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


# -- text, xml, other ----------------------------------------------------------------------------
async def test_text_and_xml(fetch: Any) -> None:
    app = echo_app(enable_types=["text", "xml"])
    r = await fetch(app, "POST", "/", content="héllo".encode(), headers={"content-type": "text/plain"})
    assert r.json()["body"] == "héllo"
    r = await fetch(app, "POST", "/", content=b"<xml>abc</xml>", headers={"content-type": "application/xml"})
    assert r.json()["body"] == "<xml>abc</xml>"
    r = await fetch(app, "POST", "/", json={"a": 1})
    assert r.json()["body"] == {}  # json not enabled here


async def test_xml_limit(fetch: Any) -> None:
    r = await fetch(echo_app(enable_types=["xml"], xml_limit=5), "POST", "/", content=b"<xml>abc</xml>",
                    headers={"content-type": "text/xml"})
    assert r.status_code == 413


async def test_extend_types(fetch: Any) -> None:
    app = echo_app(extend_types={"json": ["application/x-javascript"], "text": ["text/html"]},
                   enable_types=["json", "text"])
    r = await fetch(app, "POST", "/", content=b'{"a":1}', headers={"content-type": "application/x-javascript"})
    assert r.json()["body"] == {"a": 1}
    r = await fetch(app, "POST", "/", content=b"<h1>x</h1>", headers={"content-type": "text/html"})
    assert r.json()["body"] == "<h1>x</h1>"


async def test_other_type_and_methods(fetch: Any) -> None:
    app = echo_app()
    r = await fetch(app, "POST", "/", content=b"\x00\x01", headers={"content-type": "application/octet-stream"})
    assert r.json()["body"] == {}
    r = await fetch(app, "GET", "/")
    assert r.json()["body"] is None  # GET is not parsed
    r = await fetch(echo_app(parsed_methods=["DELETE"]), "DELETE", "/", content=b'{"a":1}',
                    headers={"content-type": "application/json"})
    assert r.json()["body"] == {"a": 1}


async def test_charsets(fetch: Any) -> None:
    app = echo_app(enable_types=["text"])
    r = await fetch(app, "POST", "/", content="héllo".encode("latin-1"),
                    headers={"content-type": "text/plain; charset=latin-1"})
    assert r.json()["body"] == "héllo"
    r = await fetch(app, "POST", "/", content=b"x", headers={"content-type": "text/plain; charset=klingon"})
    assert r.status_code == 415
    assert 'unsupported charset "KLINGON"' in r.text
    r = await fetch(app, "POST", "/", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert r.status_code == 400


async def test_disable_and_already_parsed(fetch: Any) -> None:
    app = Koa()

    async def pre(ctx: Any, next: Any) -> None:
        if ctx.path == "/disable":
            ctx.disable_body_parser = True
        if ctx.path == "/parsed":
            ctx.request.body = {"already": True}
        await next()

    async def echo(ctx: Any, next: Any) -> None:
        ctx.body = {"body": ctx.request.body}

    app.use(pre).use(body_parser()).use(echo)
    assert (await fetch(app, "POST", "/disable", json={"a": 1})).json() == {"body": None}
    assert (await fetch(app, "POST", "/parsed", json={"a": 1})).json() == {"body": {"already": True}}


async def test_on_error(fetch: Any) -> None:
    def on_error(err: Exception, ctx: Any) -> None:
        ctx.throw(422, "custom parse error")

    r = await fetch(echo_app(on_error=on_error), "POST", "/", content=b"{bad",
                    headers={"content-type": "application/json"})
    assert (r.status_code, r.text) == (422, "custom parse error")


# -- Content-Encoding ---------------------------------------------------------------------------
@pytest.mark.parametrize(("coding", "pack"), [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress),
])
async def test_compressed_bodies(fetch: Any, coding: str, pack: Any) -> None:
    payload = json.dumps({"a": "x" * 1000}).encode()
    r = await fetch(echo_app(), "POST", "/", content=pack(payload),
                    headers={"content-type": "application/json", "content-encoding": coding})
    assert r.json()["body"] == {"a": "x" * 1000}


@pytest.mark.parametrize(("coding", "pack"), [("gzip", gzip.compress), ("br", brotli.compress)])
async def test_zip_bomb_stops_at_the_limit(fetch: Any, coding: str, pack: Any) -> None:
    bomb = pack(b'{"a": "' + b"0" * (50 * 1024 * 1024) + b'"}')
    assert len(bomb) < 200 * 1024
    r = await fetch(echo_app(json_limit="1mb"), "POST", "/", content=bomb,
                    headers={"content-type": "application/json", "content-encoding": coding})
    assert r.status_code == 413


async def test_unknown_or_broken_encoding(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", content=b"{}",
                    headers={"content-type": "application/json", "content-encoding": "zstd"})
    assert (r.status_code, r.text) == (415, 'unsupported content encoding "zstd"')
    r = await fetch(echo_app(), "POST", "/", content=b"not gzip",
                    headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 400
    r = await fetch(echo_app(), "POST", "/", content=gzip.compress(b'{"a": 1}')[:-6],
                    headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 400


# -- multipart ---------------------------------------------------------------------------------
async def test_multipart_fields_and_files(fetch: Any) -> None:
    app = echo_app(enable_types=["json", "form", "multipart"])
    r = await fetch(app, "POST", "/", data={"name": "ann", "tags": ["a", "b"]},
                    files={"doc": ("notes.txt", b"hello file", "text/plain")})
    assert r.json()["body"] == {"name": "ann", "tags": ["a", "b"]}
    assert r.json()["files"] == {"doc": ["notes.txt", "text/plain", 10, "hello file"]}


async def test_multipart_not_enabled_by_default(fetch: Any) -> None:
    r = await fetch(echo_app(), "POST", "/", files={"doc": ("a.txt", b"x")})
    assert r.json()["body"] == {} and r.json()["files"] == {}


async def test_multipart_files_spool_to_disk_and_are_closed(tmp_path: Any, client: Any) -> None:
    uploads: list[Any] = []
    app = Koa()
    app.use(body_parser(enable_types=["multipart"], spool_max_size=1024, upload_dir=str(tmp_path),
                        multipart_limit="1mb"))

    async def keep(ctx: Any, next: Any) -> None:
        upload = ctx.request.files["big"]
        uploads.append(upload)
        ctx.body = {"in_memory": upload.in_memory, "size": upload.size, "start": (await upload.read(5)).decode()}

    app.use(keep)
    async with client(app) as c:
        r = await c.post("/", files={"big": ("big.bin", b"abcde" + b"x" * 100_000)})
    assert r.json() == {"in_memory": False, "size": 100_005, "start": "abcde"}
    assert uploads[0].file.closed  # closed (and so deleted) once the middleware returned


@pytest.mark.parametrize(("options", "files", "data", "message"), [
    ({"file_size_limit": 100}, {"f": ("a.bin", b"x" * 101)}, None, "file 'a.bin' is larger than 100 bytes"),
    ({"multipart_limit": 1000}, {"f": ("a.bin", b"x" * 2000)}, None, "larger than 1000 bytes"),
    ({"max_files": 1}, [("f", ("a", b"1")), ("f", ("b", b"2"))], None, "more than 1 files"),
    ({"max_fields": 1}, {"f": ("a", b"1")}, {"a": "1", "b": "2"}, "more than 1 fields"),
    ({"field_size_limit": 10}, {"f": ("a", b"1")}, {"a": "x" * 11}, "field 'a' is larger than 10 bytes"),
])
async def test_multipart_limits(fetch: Any, options: Any, files: Any, data: Any, message: str) -> None:
    app = echo_app(enable_types=["multipart"], **options)
    r = await fetch(app, "POST", "/", files=files, data=data)
    assert r.status_code == 413
    assert message in r.text


async def test_multipart_file_limit_stops_reading(make_ctx: Any) -> None:
    body_start = (b"--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n"
                  b"Content-Type: application/octet-stream\r\n\r\n")
    chunks = [body_start] + [b"x" * 1000] * 10 + [b"\r\n--XX--\r\n"]
    channel = FakeChannel(chunks)
    ctx = make_ctx("/", "POST", {"content-type": "multipart/form-data; boundary=XX",
                                  "transfer-encoding": "chunked"}, app=Koa(), channel=channel)
    with pytest.raises(Exception) as info:
        await body_parser(enable_types=["multipart"], file_size_limit=2500)(ctx, None)  # type: ignore[arg-type]
    assert getattr(info.value, "status", None) == 413
    assert channel.discarded and len(channel.chunks) >= 7


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data", b"--XX\r\n\r\n"),  # no boundary
    ("multipart/form-data; boundary=XX", b"--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue"),
    ("multipart/form-data; boundary=XX", b"--XX\r\nContent-Type: text/plain\r\n\r\nvalue\r\n--XX--\r\n"),
    ("multipart/form-data; boundary=XX", b"garbage"),
])
async def test_malformed_multipart_is_400(fetch: Any, content_type: str, body: bytes) -> None:
    r = await fetch(echo_app(enable_types=["multipart"]), "POST", "/", content=body,
                    headers={"content-type": content_type})
    assert r.status_code == 400


async def test_multipart_with_content_encoding_is_415(fetch: Any) -> None:
    r = await fetch(echo_app(enable_types=["multipart"]), "POST", "/", content=b"x",
                    headers={"content-type": "multipart/form-data; boundary=XX", "content-encoding": "gzip"})
    assert r.status_code == 415


# -- wiring ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("options", "exc"), [
    ({"enable_types": ["yaml"]}, ValueError),
    ({"enable_types": "json"}, TypeError),
    ({"extend_types": {"yaml": ["x/y"]}}, ValueError),
    ({"extend_types": {"json": "x/y"}}, TypeError),
    ({"json_limit": "huge"}, ValueError),
    ({"json_limit": -1}, ValueError),
    ({"encoding": "klingon"}, ValueError),
    ({"detect_json": True}, TypeError),
    ({"on_error": 1}, TypeError),
    ({"parsed_methods": "POST"}, TypeError),
    ({"max_files": -1}, ValueError),
    ({"upload_dir": "/no/such/dir"}, ValueError),
])
def test_options_are_checked(options: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        body_parser(**options)


# -- the inlined common path (identity body, Content-Type remembered per value) -------------------
async def _nothing() -> None:
    """A `next` with nothing downstream."""


async def _parse(parser: Any, make_ctx: Any, headers: Any, chunks: list[bytes] | None, **options: Any) -> Any:
    """Run `parser` alone on a request made of `headers` and `chunks`: (ctx, channel, next called)."""
    channel = FakeChannel(chunks) if chunks is not None else None
    ctx = make_ctx("/", "POST", headers, app=options.pop("app", None) or Koa(), channel=channel, **options)
    called: list[bool] = []

    async def next_() -> None:
        called.append(True)

    await parser(ctx, next_)
    return ctx, channel, called


async def test_content_type_remembered_per_value(make_ctx: Any) -> None:
    """One parser, many requests: each gets the kind and charset of its own Content-Type."""
    parser = body_parser(enable_types=["json", "form", "text"], detect_json=lambda ctx: ctx.path == "/j")
    cases = [
        ({"content-type": "application/json"}, b'{"a":1}', {"a": 1}),
        ({"content-type": "text/plain; charset=latin-1"}, "é".encode("latin-1"), "é"),
        ({"content-type": "application/json"}, b"[2]", [2]),
        ({"content-type": "text/plain"}, "é".encode(), "é"),
        ({"content-type": "application/json; charset=latin-1"}, '{"é":1}'.encode("latin-1"), {"é": 1}),
        ({"content-type": "application/octet-stream"}, b"\x00", {}),
        ({"content-type": "application/x-www-form-urlencoded"}, b"a=1&a=2", {"a": ["1", "2"]}),
        ({}, b'{"a":1}', {}),
        ({"content-type": "text/plain; charset=latin-1"}, "é".encode("latin-1"), "é"),
    ]
    for _ in range(2):  # the second round finds every Content-Type remembered
        for headers, body, expected in cases:
            ctx, _, called = await _parse(parser, make_ctx, headers, [body])
            assert ctx.request.body == expected and called == [True]
    # detect_json wins over the type, and the body is still decoded with the header's charset
    ctx = make_ctx("/j", "POST", {"content-type": "text/plain; charset=latin-1"}, app=Koa(),
                   channel=FakeChannel(['{"é":"ü"}'.encode("latin-1")]))
    await parser(ctx, _nothing)  # type: ignore[arg-type]
    assert ctx.request.body == {"é": "ü"}


async def test_remembered_content_types_are_bounded(make_ctx: Any) -> None:
    parser = body_parser()
    for i in range(600):
        ctx, _, _ = await _parse(parser, make_ctx, {"content-type": f"application/json; x={i}"}, [b"[1]"])
        assert ctx.request.body == [1]
    sizes = [len(cell.cell_contents) for cell in parser.__closure__ or ()
             if isinstance(cell.cell_contents, dict) and any(isinstance(k, bytes) for k in cell.cell_contents)]
    assert sizes and max(sizes) <= 256


async def test_json_in_chunks(make_ctx: Any) -> None:
    chunks = [b'{"a"', b': "', b"x" * 50, b'"}']
    ctx, channel, _ = await _parse(body_parser(json_limit=100), make_ctx,
                                   {"content-type": "application/json", "transfer-encoding": "chunked"}, chunks)
    assert ctx.request.body == {"a": "x" * 50}
    assert ctx.request.raw_body == '{"a": "' + "x" * 50 + '"}'
    assert await ctx.request.read() == b"".join(chunks)  # read once, kept for request.read()
    assert await ctx.request.json() == {"a": "x" * 50}
    assert not channel.discarded


async def test_first_chunk_over_the_limit(make_ctx: Any) -> None:
    with pytest.raises(Exception) as info:
        await _parse(body_parser(json_limit=10), make_ctx,
                     {"content-type": "application/json", "transfer-encoding": "chunked"}, [b"[" + b"1," * 10, b"1]"])
    assert getattr(info.value, "status", None) == 413
    assert str(info.value) == "request body is larger than 10 bytes"


async def test_chunk_past_the_limit_discards_the_rest(make_ctx: Any) -> None:
    app = Koa()
    channel = FakeChannel([b"[1,", b"2,", b"3333,", b"4]"])
    ctx = make_ctx("/", "POST", {"content-type": "application/json"}, app=app, channel=channel)
    with pytest.raises(Exception) as info:
        await body_parser(json_limit=6)(ctx, None)  # type: ignore[arg-type]
    assert getattr(info.value, "status", None) == 413
    assert channel.discarded and channel.chunks == [b"4]"]


@pytest.mark.parametrize(("length", "status"), [("5000", 413), ("abc", 200), ("", 200), (" 9 ", 200), ("101", 413)])
async def test_declared_length_as_request_length_reads_it(make_ctx: Any, length: str, status: int) -> None:
    headers = {"content-type": "application/json", "content-length": length}
    try:
        ctx, channel, _ = await _parse(body_parser(json_limit=100), make_ctx, headers, [b'{"a":1}'])
        got = 200 if ctx.request.body == {"a": 1} else 0
    except Exception as err:  # noqa: BLE001
        got = getattr(err, "status", 0)
    assert got == status


async def test_body_read_before_is_parsed(make_ctx: Any) -> None:
    """An earlier middleware's request.read() keeps the bytes: the parser uses them, whatever its limit."""
    channel = FakeChannel([b'{"a":', b'"b"}'])
    ctx = make_ctx("/", "POST", {"content-type": "application/json"}, app=Koa(), channel=channel)
    assert await ctx.request.read() == b'{"a":"b"}'
    channel.chunks = [b"never read"]
    await body_parser(json_limit=2)(ctx, _nothing)  # type: ignore[arg-type]
    assert ctx.request.body == {"a": "b"} and channel.chunks == [b"never read"]


async def test_no_channel_is_an_empty_body(make_ctx: Any) -> None:
    ctx, _, _ = await _parse(body_parser(), make_ctx, {"content-type": "application/json"}, None)
    assert ctx.request.body == {} and ctx.request.raw_body == ""
    ctx, _, _ = await _parse(body_parser(json_strict=False), make_ctx, {"content-type": "application/json"}, None)
    assert ctx.request.body == ""


async def test_headers_replaced_by_a_middleware_are_the_ones_read(make_ctx: Any) -> None:
    app = Koa()
    ctx = make_ctx("/", "POST", {"content-type": "text/plain", "content-length": "1"}, app=app,
                   channel=FakeChannel([b'{"a":1}']))
    ctx.request.headers = {"Content-Type": "application/json", "Content-Length": "7"}
    await body_parser()(ctx, _nothing)  # type: ignore[arg-type]
    assert ctx.request.body == {"a": 1}


async def test_first_content_type_wins_and_identity_coding(make_ctx: Any) -> None:
    headers = [("content-type", "application/json"), ("content-type", "text/plain"), ("content-encoding", "identity")]
    ctx, _, _ = await _parse(body_parser(), make_ctx, headers, [b'{"a":1}'])
    assert ctx.request.body == {"a": 1}


@pytest.mark.parametrize(("content_type", "body", "status", "message"), [
    ("application/json; charset=klingon", b"{}", 415, 'unsupported charset "KLINGON"'),
    ("application/json", b'{"a":"\xff"}', 400, "request body is not valid utf-8"),
    ("application/json", b"{bad", 400, "invalid JSON: "),
    ("application/json", b"  7", 400, "invalid JSON, only supports object and array"),
])
async def test_json_errors(make_ctx: Any, content_type: str, body: bytes, status: int, message: str) -> None:
    with pytest.raises(Exception) as info:
        await _parse(body_parser(), make_ctx, {"content-type": content_type}, [body])
    assert getattr(info.value, "status", None) == status
    assert str(info.value).startswith(message)


async def test_json_with_leading_white_space_and_raw_body_kept(make_ctx: Any) -> None:
    ctx = make_ctx("/", "POST", {"content-type": "application/json"}, app=Koa(), channel=FakeChannel([b' \n{"a":1}']))
    ctx.request.raw_body = "set before"
    await body_parser()(ctx, _nothing)  # type: ignore[arg-type]
    assert ctx.request.body == {"a": 1} and ctx.request.raw_body == "set before"


async def test_an_apps_own_request_read_is_used(make_ctx: Any) -> None:
    app = Koa()
    base = app.request

    class OwnRead(base):  # type: ignore[valid-type,misc]
        async def read(self, *, limit: int | None = None) -> bytes:
            return b'{"own": ' + str(limit).encode() + b"}"

    app.request = OwnRead
    ctx, channel, _ = await _parse(body_parser(json_limit=50), make_ctx, {"content-type": "application/json"},
                                   [b"{}"], app=app)
    assert ctx.request.body == {"own": 50} and channel.chunks == [b"{}"]
