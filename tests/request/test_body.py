"""Contract section 4: reading the request body (read, text, json, form, stream), limits and caching."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, HttpError, Koa


def posted(make_ctx: Callable[..., Context], chunks: list[bytes], content_type: str | None = None,
           length: bool = True, app: Koa | None = None) -> Context:
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if length:
        headers["Content-Length"] = str(sum(map(len, chunks)))
    else:
        headers["Transfer-Encoding"] = "chunked"
    return make_ctx("/", "POST", headers, body=chunks, app=app)


async def test_read_joins_the_chunks(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"hello", b" ", b"world"])
    assert await ctx.request.read() == b"hello world"


async def test_read_is_cached(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"once"])
    first = await ctx.request.read()
    assert await ctx.request.read() is first
    assert await ctx.request.text() == "once"


async def test_read_without_a_channel_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert await make_ctx().request.read() == b""


async def test_read_declared_too_large_is_413_before_reading(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", "POST", {"Content-Length": "2000000"}, body=[b"x"])
    with pytest.raises(HttpError) as info:
        await ctx.request.read()
    assert info.value.status == 413
    assert ctx.request.channel.chunks == [b"x"]  # type: ignore[union-attr]


async def test_read_streamed_too_large_is_413(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"a" * 600, b"b" * 600], length=False, app=Koa(max_body_size=1000))
    with pytest.raises(HttpError) as info:
        await ctx.request.read()
    assert info.value.status == 413
    assert ctx.request.channel.discarded is True  # type: ignore[union-attr]


async def test_read_limit_per_call(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"0123456789"])
    with pytest.raises(HttpError) as info:
        await ctx.request.read(limit=5)
    assert info.value.status == 413
    ctx2 = posted(make_ctx, [b"0123456789"], app=Koa(max_body_size=5))
    assert await ctx2.request.read(limit=10) == b"0123456789"


async def test_body_exactly_at_the_limit_is_fine(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"12345"], length=False, app=Koa(max_body_size=5))
    assert await ctx.request.read() == b"12345"


def test_default_max_body_size_is_1_mib() -> None:
    assert Koa().max_body_size == 1024 * 1024


async def test_text_decodes_utf8_by_default(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, ["héllo".encode()], "text/plain")
    assert await ctx.request.text() == "héllo"


async def test_text_uses_the_charset(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, ["héllo".encode("latin-1")], "text/plain; charset=ISO-8859-1")
    assert await ctx.request.text() == "héllo"


async def test_text_with_explicit_encoding(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, ["ü".encode("utf-16")], "text/plain")
    assert await ctx.request.text(encoding="utf-16") == "ü"


@pytest.mark.parametrize(("body", "content_type"), [(b"\xff\xfe\xfa", "text/plain"),
                                                     (b"ok", "text/plain; charset=nope-8")])
async def test_undecodable_text_is_400(make_ctx: Callable[..., Context], body: bytes, content_type: str) -> None:
    ctx = posted(make_ctx, [body], content_type)
    with pytest.raises(HttpError) as info:
        await ctx.request.text()
    assert info.value.status == 400


async def test_json(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b'{"a": [1, ', b'2], "b": null}'], "application/json")
    assert await ctx.request.json() == {"a": [1, 2], "b": None}


@pytest.mark.parametrize("body", [b"{bad json", b"", b"[1,", b"\xff"])
async def test_bad_json_is_400(make_ctx: Callable[..., Context], body: bytes) -> None:
    ctx = posted(make_ctx, [body], "application/json")
    with pytest.raises(HttpError) as info:
        await ctx.request.json()
    assert info.value.status == 400
    assert info.value.expose is True


async def test_json_limit(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b'"' + b"x" * 100 + b'"'], "application/json")
    with pytest.raises(HttpError) as info:
        await ctx.request.json(limit=10)
    assert info.value.status == 413


async def test_stream_yields_chunks_as_they_come(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"a", b"bc", b"def"], length=False)
    assert [chunk async for chunk in ctx.request.stream()] == [b"a", b"bc", b"def"]


async def test_stream_after_read_gives_the_cached_body(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"a", b"b"])
    await ctx.request.read()
    assert [chunk async for chunk in ctx.request.stream()] == [b"ab"]


async def test_stream_of_an_empty_body(make_ctx: Callable[..., Context]) -> None:
    assert [chunk async for chunk in make_ctx().request.stream()] == []
    ctx = posted(make_ctx, [b""])
    await ctx.request.read()
    assert [chunk async for chunk in ctx.request.stream()] == []


async def test_form_urlencoded(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"name=tobi&tag=a&tag=b+c&empty="], "application/x-www-form-urlencoded")
    form = await ctx.request.form()
    assert form["name"] == "tobi"
    assert form.getall("tag") == ["a", "b c"]
    assert form["empty"] == ""


async def test_form_multipart(make_ctx: Callable[..., Context]) -> None:
    pytest.importorskip("multipart")
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
        f"Content-Type: text/plain\r\n\r\nfile body\r\n--{boundary}--\r\n"
    ).encode()
    ctx = posted(make_ctx, [body[:30], body[30:]], f"multipart/form-data; boundary={boundary}")
    form = await ctx.request.form()
    assert form["title"] == "hello"
    upload = form["doc"]
    assert upload.filename == "a.txt"
    assert upload.content_type == "text/plain"
    assert await upload.read() == b"file body"
    await upload.close()


async def test_form_of_another_type_is_415(make_ctx: Callable[..., Context]) -> None:
    ctx = posted(make_ctx, [b"{}"], "application/json")
    with pytest.raises(HttpError) as info:
        await ctx.request.form()
    assert info.value.status == 415


def test_body_is_none_before_a_parser(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.request.body is None
    assert ctx.request.raw_body is None
    ctx.request.body = {"parsed": True}
    assert ctx.request.body == {"parsed": True}


async def test_body_through_the_client(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def echo(ctx: Context, next: Any) -> None:
        data = await ctx.request.json()
        ctx.body = {"got": data, "type": ctx.request.type, "length": ctx.request.length}

    app.use(echo)
    res = await fetch(app, "POST", "/", json={"x": 1})
    assert res.json() == {"got": {"x": 1}, "type": "application/json", "length": 7}


async def test_413_through_the_client(fetch: Callable[..., Any]) -> None:
    app = Koa(max_body_size=10)

    async def reader(ctx: Context, next: Any) -> None:
        ctx.body = await ctx.request.read()

    app.use(reader)
    res = await fetch(app, "POST", "/", content=b"x" * 11)
    assert res.status_code == 413
    assert res.text == "request body is larger than 10 bytes"


async def test_400_for_bad_json_through_the_client(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def reader(ctx: Context, next: Any) -> None:
        ctx.body = await ctx.request.json()

    app.use(reader)
    res = await fetch(app, "POST", "/", content=b"{nope", headers={"Content-Type": "application/json"})
    assert res.status_code == 400
    assert res.text.startswith("invalid JSON body")
