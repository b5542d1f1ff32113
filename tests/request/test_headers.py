"""Koa's __tests__/request/get, header, headers, length, type, charset, idempotent tests."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from multidict import CIMultiDict

from koa import Context


def test_get_is_case_insensitive(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Host": "http://google.com", "Referer": "http://google.com"})
    assert ctx.get("HOST") == "http://google.com"
    assert ctx.get("Host") == "http://google.com"
    assert ctx.get("host") == "http://google.com"
    assert ctx.get("referer") == "http://google.com"
    assert ctx.get("referrer") == "http://google.com"


def test_get_referrer_spelling(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Referrer": "/a"})
    assert ctx.get("Referer") == "/a"
    assert ctx.get("Referrer") == "/a"


def test_get_missing_is_empty_string(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().get("X-Missing") == ""
    assert make_ctx().get("referrer") == ""


def test_get_after_headers_are_materialised(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"X-A": "1"})
    _ = ctx.headers
    assert ctx.get("x-a") == "1"
    assert ctx.get("x-b") == ""


def test_repeated_headers_are_joined_as_node_does(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers=[
        ("Accept", "text/html"), ("Accept", "application/json"),
        ("Cookie", "a=1"), ("Cookie", "b=2"),
        ("Content-Type", "text/plain"), ("Content-Type", "application/json"),
        ("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2"),
    ])
    assert ctx.get("accept") == "text/html, application/json"
    assert ctx.get("cookie") == "a=1; b=2"
    assert ctx.get("content-type") == "text/plain"  # Node keeps the first of single-valued fields
    assert ctx.get("x-forwarded-for") == "1.1.1.1, 2.2.2.2"


def test_headers_is_case_insensitive_multidict(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers=[("X-Multi", "1"), ("X-Multi", "2"), ("Content-Type", "text/plain")])
    headers = ctx.headers
    assert isinstance(headers, CIMultiDict)
    assert headers["content-type"] == "text/plain"
    assert headers["CONTENT-TYPE"] == "text/plain"
    assert headers.getall("x-multi") == ["1", "2"]
    assert "x-missing" not in headers


def test_header_is_an_alias(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"X-A": "1"})
    assert ctx.request.header is ctx.request.headers
    assert ctx.header["x-a"] == "1"


def test_headers_can_be_replaced(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"X-Old": "1"})
    ctx.request.headers = {"X-Custom-Headerfield": "Its one header, with headerfields"}
    assert ctx.get("x-custom-headerfield") == "Its one header, with headerfields"
    assert ctx.get("x-old") == ""
    ctx.headers = [("X-Pair", "p")]
    assert ctx.get("X-Pair") == "p"


def test_headers_can_be_mutated(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/plain"})
    ctx.headers["Accept"] = "application/json"
    assert ctx.get("accept") == "application/json"
    assert ctx.accepts("json", "text") == "json"


def test_headers_decode_latin1(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"X-Name": "café"})
    assert ctx.get("x-name") == "café"
    assert ctx.headers["x-name"] == "café"


def test_headers_are_lazy(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Host": "a.com"})
    assert ctx.host == "a.com"
    assert ctx.request._headers is None  # no CIMultiDict was built for a single lookup


# -- length, type, charset, idempotent ----------------------------------------------------
def test_length_from_content_length(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Content-Length": "10"}).request.length == 10


def test_length_missing_is_none(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().request.length is None


def test_length_invalid_is_none(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Content-Length": "ten"}).request.length is None


def test_type_without_parameters(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Content-Type": "text/html; charset=utf-8"}).request.type == "text/html"


def test_type_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().request.type == ""


def test_charset_without_content_type(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().request.charset == ""


def test_charset_missing_parameter(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Content-Type": "text/plain"}).request.charset == ""


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/plain; charset=utf-8", "utf-8"),
        ("text/plain; charset=UTF-8", "UTF-8"),  # as sent, like the content-type package
        ("TEXT/PLAIN ; CHARSET=utf-8 ", "utf-8"),
        ('text/plain; charset="a\\"b"', 'a"b'),
        ('text/plain; charset="iso-8859-1"', "iso-8859-1"),
        ("text/plain; format=flowed; charset=utf-8", "utf-8"),
        ("text/plain;charset=utf-8", "utf-8"),
    ],
)
def test_charset(make_ctx: Callable[..., Context], content_type: str, charset: str) -> None:
    assert make_ctx(headers={"Content-Type": content_type}).request.charset == charset


@pytest.mark.parametrize(
    "content_type",
    ["application/json; application/text; charset=utf-8", "text/plain; charset", "no-slash; charset=utf-8",
     "text/plain; charset=utf-8;", "text/plain; =utf-8"],
)
def test_charset_of_invalid_content_type_is_empty(make_ctx: Callable[..., Context], content_type: str) -> None:
    assert make_ctx(headers={"Content-Type": content_type}).request.charset == ""


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"])
def test_idempotent_methods(make_ctx: Callable[..., Context], method: str) -> None:
    assert make_ctx(method=method).request.idempotent is True


@pytest.mark.parametrize("method", ["POST", "PATCH", "CONNECT"])
def test_non_idempotent_methods(make_ctx: Callable[..., Context], method: str) -> None:
    assert make_ctx(method=method).request.idempotent is False


def test_method_is_settable(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(method="POST")
    ctx.method = "PUT"
    assert ctx.method == "PUT"
    assert ctx.request.idempotent is True


@pytest.mark.parametrize("bad", [42, None, b"GET"])
def test_method_must_be_a_string(make_ctx: Callable[..., Context], bad: object) -> None:
    with pytest.raises(TypeError, match="method must be a str"):
        make_ctx().method = bad  # type: ignore[assignment]


@pytest.mark.parametrize("bad", ["", "GET /", "GE\r\nT", "PÖST"])
def test_method_must_be_a_token(make_ctx: Callable[..., Context], bad: str) -> None:
    ctx = make_ctx()
    with pytest.raises(ValueError, match="invalid method"):
        ctx.method = bad
    assert ctx.method == "GET"
