"""Koa's __tests__/request/is.test.js: ctx.is_() (type-is), checked against Node's type-is 2.1."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context


def with_type(make_ctx: Callable[..., Context], content_type: str | None, **extra: str) -> Context:
    headers = {"Transfer-Encoding": "chunked", **extra}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return make_ctx(method="POST", headers=headers)


def test_ignores_params(make_ctx: Callable[..., Context]) -> None:
    assert with_type(make_ctx, "text/html; charset=utf-8").is_("text/*") == "text/html"


def test_no_body_is_none(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Content-Type": "text/html"})
    assert ctx.is_() is None
    assert ctx.is_("image/*") is None
    assert ctx.is_("image/*", "text/*") is None


def test_zero_length_body_is_no_body(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(method="POST", headers={"Content-Type": "application/json", "Content-Length": "0"})
    assert ctx.is_("json") is None


def test_content_length_means_a_body(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(method="POST", headers={"Content-Type": "application/json", "Content-Length": "2"})
    assert ctx.is_("json") == "json"
    assert ctx.request.has_body is True


@pytest.mark.parametrize("length", ["abc", "", "-1"])
def test_invalid_content_length_is_no_body(make_ctx: Callable[..., Context], length: str) -> None:
    ctx = make_ctx(method="POST", headers={"Content-Type": "application/json", "Content-Length": length})
    assert ctx.request.has_body is False
    assert ctx.is_("json") is None


def test_no_content_type_is_false(make_ctx: Callable[..., Context]) -> None:
    ctx = with_type(make_ctx, None)
    assert ctx.is_() is False
    assert ctx.is_("image/*") is False
    assert ctx.is_("text/*", "image/*") is False


def test_no_types_returns_the_mime_type(make_ctx: Callable[..., Context]) -> None:
    assert with_type(make_ctx, "image/png").is_() == "image/png"


def test_one_type(make_ctx: Callable[..., Context]) -> None:
    ctx = with_type(make_ctx, "image/png")
    assert ctx.is_("png") == "png"
    assert ctx.is_(".png") == ".png"
    assert ctx.is_("image/png") == "image/png"
    assert ctx.is_("image/*") == "image/png"
    assert ctx.is_("*/png") == "image/png"
    assert ctx.is_("jpeg") is False
    assert ctx.is_(".jpeg") is False
    assert ctx.is_("image/jpeg") is False
    assert ctx.is_("text/*") is False
    assert ctx.is_("*/jpeg") is False


def test_several_types(make_ctx: Callable[..., Context]) -> None:
    ctx = with_type(make_ctx, "image/png")
    assert ctx.is_("png") == "png"
    assert ctx.is_(".png") == ".png"
    assert ctx.is_("text/*", "image/*") == "image/png"
    assert ctx.is_("image/*", "text/*") == "image/png"
    assert ctx.is_("image/*", "image/png") == "image/png"
    assert ctx.is_("image/png", "image/*") == "image/png"
    assert ctx.is_(["text/*", "image/*"]) == "image/png"
    assert ctx.is_(["image/*", "text/*"]) == "image/png"
    assert ctx.is_(["image/*", "image/png"]) == "image/png"
    assert ctx.is_(["image/png", "image/*"]) == "image/png"
    assert ctx.is_("jpeg") is False
    assert ctx.is_(".jpeg") is False
    assert ctx.is_("text/*", "application/*") is False
    assert ctx.is_("text/html", "text/plain", "application/json; charset=utf-8") is False


def test_urlencoded(make_ctx: Callable[..., Context]) -> None:
    ctx = with_type(make_ctx, "application/x-www-form-urlencoded")
    assert ctx.is_("urlencoded") == "urlencoded"
    assert ctx.is_("json", "urlencoded") == "urlencoded"
    assert ctx.is_("urlencoded", "json") == "urlencoded"


# the same answers as type-is 2.1.0 (`node -e "require('type-is')(req, types)"`)
TYPE_IS_CASES: list[tuple[str, list[str], Any]] = [
    ("application/vnd.api+json", ["+json"], "application/vnd.api+json"),
    ("application/vnd.api+json", ["json"], False),
    ("application/vnd.api+json", ["application/*+json"], "application/vnd.api+json"),
    ("multipart/form-data; boundary=x", ["multipart"], "multipart"),
    ("multipart/form-data; boundary=x", ["multipart/*"], "multipart/form-data"),
    ("application/json; charset=utf-8", ["json"], "json"),
    ("application/json", ["text/*", "json"], "json"),
    ("text/html", ["html"], "html"),
    ("TEXT/HTML", ["text/html"], "text/html"),
    ("text/html", [], "text/html"),
    ("invalid", ["text/*"], False),
    ("invalid", [], False),
    ("text/html; charset=utf-8", [], "text/html"),
    ("image/svg+xml", ["svg"], "svg"),
    ("image/svg+xml", ["+xml"], "image/svg+xml"),
    ("image/svg+xml", ["image/*"], "image/svg+xml"),
    ("text/plain", ["*/*"], "text/plain"),
    ("text/plain", ["*"], False),
    ("application/json", ["application/json; charset=utf-8"], False),
]


@pytest.mark.parametrize(("content_type", "types", "expected"), TYPE_IS_CASES)
def test_matches_type_is(make_ctx: Callable[..., Context], content_type: str, types: list[str],
                         expected: Any) -> None:
    assert with_type(make_ctx, content_type).is_(*types) == expected
