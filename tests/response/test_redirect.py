"""Koa's __tests__/response/redirect.test.js and back.test.js."""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, Koa


def test_redirect_to_the_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.redirect("http://google.com")
    assert ctx.response.get("Location") == "http://google.com/"
    assert ctx.status == 302


@pytest.mark.parametrize("url", ["http://google.com\\@apple.com", "HTTP://google.com\\@apple.com"])
def test_redirect_formats_the_url(make_ctx: Callable[..., Context], url: str) -> None:
    ctx = make_ctx()
    ctx.redirect(url)
    assert ctx.response.get("Location") == "http://google.com/@apple.com"
    assert ctx.status == 302


async def test_redirect_encodes_the_url(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: ctx.redirect("http://google.com/😓"))
    res = await fetch(app)
    assert res.status_code == 302
    assert res.headers["location"] == "http://google.com/%F0%9F%98%93"


def test_redirect_html(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/html"})
    ctx.redirect("http://google.com/")
    assert ctx.response.get("Content-Type") == "text/html; charset=utf-8"
    assert ctx.body == "Redirecting to http://google.com/."


def test_redirect_html_escapes_the_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/html"})
    ctx.redirect("<script>")
    assert ctx.response.get("Content-Type") == "text/html; charset=utf-8"
    assert ctx.body == f"Redirecting to {html.escape('<script>')}."
    assert ctx.body == "Redirecting to &lt;script&gt;."
    assert ctx.response.get("Location") == "%3Cscript%3E"


def test_redirect_text(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/plain"})
    ctx.redirect("http://google.com")
    assert ctx.body == "Redirecting to http://google.com/."
    assert ctx.type == "text/plain"


def test_redirect_without_accept_is_html(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.redirect("/login")
    assert ctx.type == "text/html"
    assert ctx.body == "Redirecting to /login."


def test_redirect_keeps_a_3xx_status(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/plain"})
    ctx.status = 301
    ctx.redirect("http://google.com")
    assert ctx.status == 301
    assert ctx.body == "Redirecting to http://google.com/."


@pytest.mark.parametrize("status", [300, 303, 307, 308])
def test_redirect_keeps_other_redirect_statuses(make_ctx: Callable[..., Context], status: int) -> None:
    ctx = make_ctx()
    ctx.status = status
    ctx.redirect("/x")
    assert ctx.status == status


@pytest.mark.parametrize("status", [304, 200, 404, 500])
def test_redirect_replaces_other_statuses(make_ctx: Callable[..., Context], status: int) -> None:
    ctx = make_ctx(headers={"Accept": "text/plain"})
    ctx.status = status
    ctx.redirect("http://google.com")
    assert ctx.status == 302
    assert ctx.body == "Redirecting to http://google.com/."


def test_redirect_overwrites_the_content_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Accept": "text/plain"})
    ctx.body = {}
    ctx.redirect("http://google.com")
    assert ctx.status == 302
    assert ctx.body == "Redirecting to http://google.com/."
    assert ctx.type == "text/plain"


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("/relative/path?q=1#frag", "/relative/path?q=1#frag"),
        ("relative", "relative"),
        ("/with space", "/with%20space"),
        ("/already%20encoded", "/already%20encoded"),
        ("/bad%zzescape", "/bad%25zzescape"),
        ("https://Example.COM:443/a/./b/../c", "https://example.com/a/c"),
        ("http://ñ.com/ü", "http://xn--ida.com/%C3%BC"),
        ("mailto:a@b.c", "mailto:a@b.c"),
    ],
)
def test_redirect_location(make_ctx: Callable[..., Context], url: str, location: str) -> None:
    ctx = make_ctx()
    ctx.redirect(url)
    assert ctx.response.get("Location") == location


def test_redirect_with_a_newline_cannot_inject_headers(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.redirect("/a\r\nSet-Cookie: x=1")
    assert ctx.response.get("Location") == "/a%0D%0ASet-Cookie:%20x=1"
    assert ctx.response.get("Set-Cookie") is None


@pytest.mark.parametrize("url", ["http://exa mple.com/", "http://a.com:99999/", "http://[nope]/"])
def test_redirect_to_an_invalid_absolute_url_raises(make_ctx: Callable[..., Context], url: str) -> None:
    with pytest.raises(ValueError):
        make_ctx().redirect(url)


def test_redirect_needs_a_string(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="redirect url must be a str"):
        make_ctx().redirect(None)  # type: ignore[arg-type]


async def test_redirect_through_a_client(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: ctx.redirect("/elsewhere"))
    res = await fetch(app, headers={"Accept": "text/html"})
    assert res.status_code == 302
    assert res.headers["location"] == "/elsewhere"
    assert res.text == "Redirecting to /elsewhere."
    assert res.headers["content-type"] == "text/html; charset=utf-8"


# -- back ----------------------------------------------------------------------------------
def test_back_to_referrer(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referrer": "/login"})
    ctx.back()
    assert ctx.response.get("Location") == "/login"


def test_back_to_a_same_origin_referrer(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Host": "example.com", "Referrer": "https://example.com/login"})
    ctx.back()
    assert ctx.response.get("Location") == "https://example.com/login"


def test_back_refuses_another_origin(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Host": "example.com", "Referrer": "https://other.com/login"})
    ctx.back()
    assert ctx.response.get("Location") == "/"


def test_back_to_a_relative_referer(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referer": "/login"})
    ctx.back()
    assert ctx.response.get("Location") == "/login"


def test_back_to_a_same_origin_referer(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referer": "https://example.com/login"})
    ctx.back()
    assert ctx.response.get("Location") == "https://example.com/login"


def test_back_defaults_to_alt(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.back("/index.html")
    assert ctx.response.get("Location") == "/index.html"


def test_back_defaults_to_root(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.back()
    assert ctx.response.get("Location") == "/"


def test_back_refuses_protocol_relative_referrers(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referrer": "//evil.com/login/"})
    ctx.back()
    assert ctx.response.get("Location") == "/"
    ctx.back("/home")
    assert ctx.response.get("Location") == "/home"


@pytest.mark.parametrize(
    "referrer",
    ["https://example.com.evil.com/", "https://evil.com/?https://example.com", "javascript:alert(1)",
     "https://example.com@evil.com/", "\\\\evil.com/x", "/\t/evil.com/x"],
)
def test_back_refuses_lookalike_referrers(make_ctx: Callable[..., Context], referrer: str) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referer": referrer})
    ctx.back("/safe")
    assert ctx.response.get("Location") == "/safe"


def test_back_respects_the_port(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com:3000", "Referer": "http://example.com:4000/x"})
    ctx.back()
    assert ctx.response.get("Location") == "/"
    same = make_ctx("/", headers={"Host": "example.com:3000", "Referer": "http://example.com:3000/x"})
    same.back()
    assert same.response.get("Location") == "http://example.com:3000/x"


def test_back_behind_a_proxy_uses_the_forwarded_host(make_ctx: Callable[..., Context]) -> None:
    app = Koa(proxy=True)
    ctx = make_ctx("/", headers={"Host": "internal", "X-Forwarded-Host": "example.com",
                                 "Referer": "https://example.com/from"}, app=app)
    ctx.back()
    assert ctx.response.get("Location") == "https://example.com/from"


def test_redirect_back_is_koa2_compatible(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "example.com", "Referer": "/prev"})
    ctx.redirect("back")
    assert ctx.response.get("Location") == "/prev"
    other = make_ctx("/", headers={"Host": "example.com"})
    other.redirect("back", "/alt")
    assert other.response.get("Location") == "/alt"


def test_back_host_comparison_ignores_case_and_default_port(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/", headers={"Host": "Example.com", "Referer": "http://EXAMPLE.com:80/x"})
    ctx.back()
    assert ctx.response.get("Location") == "http://example.com/x"
