"""Koa's __tests__/response/type.test.js and is.test.js: ctx.type and ctx.response.is_()."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context


def test_mime_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "text/plain"
    assert ctx.type == "text/plain"
    assert ctx.response.get("Content-Type") == "text/plain; charset=utf-8"


def test_extension_lookup(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "json"
    assert ctx.type == "application/json"
    assert ctx.response.get("Content-Type") == "application/json; charset=utf-8"


def test_default_charset(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "text/html"
    assert ctx.type == "text/html"
    assert ctx.response.get("Content-Type") == "text/html; charset=utf-8"


def test_explicit_charset_is_kept(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "text/html; charset=foo"
    assert ctx.type == "text/html"
    assert ctx.response.get("Content-Type") == "text/html; charset=foo"


def test_unknown_extension_sets_nothing(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "asdf"
    assert ctx.type == ""
    assert ctx.response.get("Content-Type") is None


def test_unknown_extension_removes_a_previous_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "json"
    ctx.type = "asdf"
    assert ctx.response.get("Content-Type") is None


def test_no_type_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().type == ""


def test_plus_json_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.type = "application/vnd.myapi.v1+json"
    assert ctx.type == "application/vnd.myapi.v1+json"
    assert ctx.response.get("Content-Type") == "application/vnd.myapi.v1+json; charset=utf-8"


def test_none_removes_the_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.body = "x"
    ctx.type = None
    assert ctx.response.get("Content-Type") is None


@pytest.mark.parametrize(
    ("value", "content_type"),
    [
        ("json", "application/json; charset=utf-8"),
        ("html", "text/html; charset=utf-8"),
        ("text", "text/plain; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("bin", "application/octet-stream"),
        ("png", "image/png"),
        (".png", "image/png"),
        ("PNG", "image/png"),
        ("css", "text/css; charset=utf-8"),
        ("js", "text/javascript; charset=utf-8"),
        ("svg", "image/svg+xml"),
        ("xml", "application/xml"),
        ("pdf", "application/pdf"),
        ("woff2", "font/woff2"),
        ("wasm", "application/wasm"),
        ("webp", "image/webp"),
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("mp4", "video/mp4"),
        ("ico", "image/vnd.microsoft.icon"),
        ("yaml", "text/yaml; charset=utf-8"),
        ("application/octet-stream", "application/octet-stream"),
        ("image/png; q=1", "image/png; q=1"),
    ],
)
def test_shorthands_and_extensions(make_ctx: Callable[..., Context], value: str, content_type: str) -> None:
    ctx = make_ctx()
    ctx.type = value
    assert ctx.response.get("Content-Type") == content_type


@pytest.mark.parametrize("value", [42, b"json", ["json"]])
def test_type_must_be_a_string(make_ctx: Callable[..., Context], value: Any) -> None:
    with pytest.raises(TypeError, match="type must be a str"):
        make_ctx().type = value


def test_type_refuses_crlf(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().type = "text/html\r\nX-Injected: 1"


# -- response.is_ --------------------------------------------------------------------------
def test_is_ignores_params(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "text/html; charset=utf-8"
    assert res.is_("text/*") == "text/html"


def test_is_without_a_type(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    assert res.is_() is False
    assert res.is_("html") is False


def test_is_without_arguments(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "text/html; charset=utf-8"
    assert res.is_() == "text/html"


def test_is_one_type(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "image/png"
    assert res.is_("png") == "png"
    assert res.is_(".png") == ".png"
    assert res.is_("image/png") == "image/png"
    assert res.is_("image/*") == "image/png"
    assert res.is_("*/png") == "image/png"
    assert res.is_("jpeg") is False
    assert res.is_(".jpeg") is False
    assert res.is_("image/jpeg") is False
    assert res.is_("text/*") is False
    assert res.is_("*/jpeg") is False


def test_is_several_types(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "image/png"
    assert res.is_("png") == "png"
    assert res.is_(".png") == ".png"
    assert res.is_("text/*", "image/*") == "image/png"
    assert res.is_("image/*", "text/*") == "image/png"
    assert res.is_("image/*", "image/png") == "image/png"
    assert res.is_("image/png", "image/*") == "image/png"
    assert res.is_(["text/*", "image/*"]) == "image/png"
    assert res.is_(["image/*", "text/*"]) == "image/png"
    assert res.is_(["image/*", "image/png"]) == "image/png"
    assert res.is_(["image/png", "image/*"]) == "image/png"
    assert res.is_("jpeg") is False
    assert res.is_(".jpeg") is False
    assert res.is_("text/*", "application/*") is False
    assert res.is_("text/html", "text/plain", "application/json; charset=utf-8") is False


def test_is_urlencoded(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.type = "application/x-www-form-urlencoded"
    assert res.is_("urlencoded") == "urlencoded"
    assert res.is_("json", "urlencoded") == "urlencoded"
    assert res.is_("urlencoded", "json") == "urlencoded"
