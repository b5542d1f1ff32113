"""Koa's __tests__/response/body.test.js and length.test.js: body inference, unit level."""
from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from koa import Context
from koa.response import BYTES, FILE, JSON, NONE, STREAM, TEXT


async def agen(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def test_default_status_404(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.status == 404
    assert ctx.message == "Not Found"
    assert ctx.body is None


def test_type_set_is_not_overridden(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "png"
    res.body = b"something"
    assert res.get("Content-Type") == "image/png"


def test_object_overrides_a_text_type_with_json(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = "<em>hey</em>"
    assert res.get("Content-Type") == "text/html; charset=utf-8"
    res.body = {"foo": "bar"}
    assert res.get("Content-Type") == "application/json; charset=utf-8"


def test_length_follows_the_body(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "html"
    res.body = "something"
    assert res.length == 9


def test_string_defaults_to_text(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = "Tobi"
    assert res.get("Content-Type") == "text/plain; charset=utf-8"
    assert res.get("Content-Length") == "4"


def test_string_with_a_non_leading_lt_is_text(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = "aklsdjf < klajsdlfjasd"
    assert res.get("Content-Type") == "text/plain; charset=utf-8"


@pytest.mark.parametrize("body", ["<h1>Tobi</h1>", "    <h1>Tobi</h1>", "\n\t<p>x</p>",
                                  '<?xml version="1.0" encoding="UTF-8"?>\n<俄语>данные</俄语>'])
def test_html_looking_strings_are_html(make_ctx: Callable[..., Context], body: str) -> None:
    res = make_ctx().response
    res.body = body
    assert res.get("Content-Type") == "text/html; charset=utf-8"
    assert res.length == len(body.encode())


def test_length_when_the_body_is_replaced(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = "<h1>Tobi</h1>"
    res.body = "<h1>Tobi</h1>" * 2
    assert res.length == 2 * len("<h1>Tobi</h1>")


def test_empty_string_body(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = ""
    assert ctx.status == 200
    assert ctx.length == 0
    assert ctx.type == "text/plain"


def test_bytes_default_to_octet_stream(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = b"hey"
    assert res.get("Content-Type") == "application/octet-stream"
    assert res.get("Content-Length") == "3"


@pytest.mark.parametrize("body", [bytearray(b"Tobi"), memoryview(b"Tobi")])
def test_bytes_like_bodies(make_ctx: Callable[..., Context], body: Any) -> None:
    res = make_ctx().response
    res.body = body
    assert res.get("Content-Type") == "application/octet-stream"
    assert res.length == 4
    assert res._kind == BYTES


@pytest.mark.parametrize("body", [{"foo": "bar"}, [1, 2], [], {}, 0, 1.5, True, False])
def test_other_values_are_json(make_ctx: Callable[..., Context], body: Any) -> None:
    ctx = make_ctx()
    ctx.body = body
    assert ctx.response.get("Content-Type") == "application/json; charset=utf-8"
    assert ctx.response._kind == JSON
    assert ctx.status == 200
    assert ctx.response.get("Content-Length") is None  # computed when sent


def test_json_length(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = {"hello": "world"}
    assert res.length == 17


def test_stream_defaults_to_octet_stream(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = agen(b"x")
    assert res.get("Content-Type") == "application/octet-stream"
    assert res._kind == STREAM
    assert res.length is None


def test_open_file_body(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    target.write_bytes(b'{"a":1}')
    with open(target, "rb") as f:
        res = make_ctx().response
        res.body = f
        assert res._kind == FILE
        assert res.get("Content-Type") == "application/json; charset=utf-8"
        assert res.length == 7


def test_path_body(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    target = tmp_path / "pic.png"
    target.write_bytes(b"\x89PNG....")
    res = make_ctx().response
    res.body = target
    assert res._kind == FILE
    assert res.get("Content-Type") == "image/png"
    assert res.length == 8


def test_path_without_extension(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    target = tmp_path / "README"
    target.write_bytes(b"hello")
    res = make_ctx().response
    res.body = target
    assert res.get("Content-Type") == "application/octet-stream"


def test_missing_path_has_no_length(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = Path("/nope/not/here.txt")
    assert res._kind == FILE
    assert res.get("Content-Length") is None


def test_non_regular_file_has_no_length(make_ctx: Callable[..., Context]) -> None:
    import os

    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as pipe, os.fdopen(write_fd, "wb"):
        res = make_ctx().response
        res.body = pipe
        assert res._kind == FILE
        assert res.get("Content-Length") is None


def test_in_memory_binary_io(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = io.BytesIO(b"buffered")
    assert res._kind == FILE
    assert res.get("Content-Type") == "application/octet-stream"
    assert res.get("Content-Length") is None


def test_replaced_file_is_closed(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("a")
    for replacement in (None, "text", b"bytes", {"json": True}):
        f = open(target, "rb")  # noqa: SIM115 - koa closes it
        res = make_ctx().response
        res.body = f
        res.body = replacement
        assert f.closed, replacement


def test_file_replaced_by_a_stream_stays_open(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    """Koa: a stream replacing a stream (koa-compress wrapping it) must not destroy the original."""
    target = tmp_path / "a.txt"
    target.write_text("a")
    with open(target, "rb") as f:
        res = make_ctx().response
        res.body = f

        async def wrapper() -> AsyncIterator[bytes]:
            yield f.read()

        res.body = wrapper()
        assert not f.closed
        with open(target, "rb") as g:
            res.body = g
            assert not f.closed


def test_same_file_set_twice_stays_open(make_ctx: Callable[..., Context], tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("a")
    with open(target, "rb") as f:
        res = make_ctx().response
        res.body = f
        res.body = f
        assert not f.closed


def test_body_sets_200_only_when_status_not_set(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 201
    ctx.body = "created"
    assert ctx.status == 201
    ctx2 = make_ctx()
    ctx2.body = "ok"
    assert ctx2.status == 200


def test_explicit_status_404_then_body_keeps_404(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 404
    ctx.body = "custom not found"
    assert ctx.status == 404


# -- None ----------------------------------------------------------------------------------
def test_none_body_is_204(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = None
    assert ctx.status == 204
    assert ctx.response._kind == NONE


def test_none_removes_content_headers(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = "x"
    ctx.set("Transfer-Encoding", "chunked")
    ctx.body = None
    for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
        assert ctx.response.get(name) is None


def test_none_keeps_an_empty_status(make_ctx: Callable[..., Context]) -> None:
    for status in (205, 304):
        ctx = make_ctx()
        ctx.status = status
        ctx.body = None
        assert ctx.status == status


def test_json_type_then_none_is_json_null(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "json"
    ctx.body = None
    assert ctx.body == "null"
    assert ctx.status == 200
    assert ctx.length == 4
    assert ctx.response._kind == TEXT
    assert ctx.response.get("Content-Type") == "application/json; charset=utf-8"


def test_json_type_then_none_keeps_an_explicit_status(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 201
    ctx.type = "json"
    ctx.body = None
    assert ctx.status == 201
    assert ctx.body == "null"


# -- length --------------------------------------------------------------------------------
def test_length_from_the_header(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.set("Content-Length", "1024")
    assert res.length == 1024


def test_length_of_a_bad_header_is_0(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.set("Content-Length", "hey")
    assert res.length == 0


def test_length_from_the_body(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.body = None
    assert res.length is None
    res.body = "foo"
    res.remove("Content-Length")
    assert res.length == 3
    res.body = "foo"
    assert res.length == 3
    res.body = b"foo bar"
    res.remove("Content-Length")
    assert res.length == 7
    res.body = {"hello": "world"}
    res.remove("Content-Length")
    assert res.length == 17
    res.body = agen(b"x")
    assert res.length is None
    res.body = None
    assert res.length is None


def test_length_without_body(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().response.length is None


def test_length_of_json_null(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "json"
    res.body = None
    assert res.length == 4


def test_length_setter(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.length = 10
    assert ctx.response.get("Content-Length") == "10"
    assert ctx.length == 10


def test_length_setter_yields_to_transfer_encoding(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("Transfer-Encoding", "chunked")
    ctx.length = 10
    assert ctx.response.get("Content-Length") is None


@pytest.mark.parametrize("bad", [-1, "10", 1.5, True, None])
def test_length_setter_rejects_bad_values(make_ctx: Callable[..., Context], bad: Any) -> None:
    with pytest.raises(TypeError, match="length must be a non-negative int"):
        make_ctx().length = bad
