"""Contract section 3: the Context delegates to ctx.request and ctx.response (Koa's `delegates`)."""
from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest

from koa import Context

REQUEST_GETTERS = [
    "headers", "header", "method", "url", "original_url", "origin", "href", "path", "query",
    "querystring", "search", "host", "hostname", "fresh", "stale", "socket", "protocol", "secure",
    "ip", "ips", "subdomains", "idempotent",
]
REQUEST_SETTABLE = ["headers", "method", "url", "path", "query", "querystring", "search", "ip"]
REQUEST_READ_ONLY = ["original_url", "origin", "href", "host", "hostname", "fresh", "stale", "protocol",
                     "secure", "ips", "subdomains"]
REQUEST_METHODS = ["accepts", "accepts_encodings", "accepts_charsets", "accepts_languages", "is_", "get"]
RESPONSE_GETTERS = ["body", "status", "message", "length", "type", "last_modified", "etag", "header_sent",
                    "writable"]
RESPONSE_SETTABLE = ["body", "status", "message", "length", "type", "last_modified", "etag"]
RESPONSE_METHODS = ["attachment", "redirect", "back", "remove", "vary", "has", "set", "append", "flush_headers"]


@pytest.fixture
def ctx(make_ctx: Callable[..., Context]) -> Context:
    return make_ctx(
        "/users/1?next=%2Fhome&a=1&a=2",
        "GET",
        {"Host": "tobi.ferrets.example.com:3000", "Origin": "http://example.com", "Accept": "text/html",
         "Accept-Encoding": "gzip", "Accept-Charset": "utf-8", "Accept-Language": "en",
         "Content-Type": "text/plain", "Content-Length": "3", "Referer": "http://tobi.ferrets.example.com:3000/x"},
        client=("10.0.0.1", 1234),
    )


@pytest.mark.parametrize("name", REQUEST_GETTERS)
def test_request_getters_delegate(ctx: Context, name: str) -> None:
    assert getattr(ctx, name) == getattr(ctx.request, name)


@pytest.mark.parametrize("name", RESPONSE_GETTERS)
def test_response_getters_delegate(ctx: Context, name: str) -> None:
    ctx.body = "x"
    assert getattr(ctx, name) == getattr(ctx.response, name)


@pytest.mark.parametrize("name", REQUEST_READ_ONLY + ["header_sent", "writable"])
def test_read_only_delegates_refuse_assignment(ctx: Context, name: str) -> None:
    with pytest.raises(AttributeError):
        setattr(ctx, name, "x")


def test_request_setters_delegate(ctx: Context) -> None:
    ctx.method = "POST"
    assert ctx.request.method == "POST"
    ctx.url = "/a?b=c"
    assert ctx.request.url == "/a?b=c"
    ctx.path = "/z"
    assert ctx.request.url == "/z?b=c"
    ctx.query = {"q": "1"}
    assert ctx.request.querystring == "q=1"
    ctx.querystring = "r=2"
    assert ctx.request.url == "/z?r=2"
    ctx.search = "?s=3"
    assert ctx.request.search == "?s=3"
    ctx.ip = "1.2.3.4"
    assert ctx.request.ip == "1.2.3.4"
    ctx.headers = {"X-New": "1"}
    assert ctx.request.get("x-new") == "1"


def test_response_setters_delegate(ctx: Context) -> None:
    from datetime import UTC, datetime

    ctx.body = {"a": 1}
    assert ctx.response.body == {"a": 1}
    ctx.status = 201
    assert ctx.response.status == 201
    ctx.message = "Made"
    assert ctx.response.message == "Made"
    ctx.type = "html"
    assert ctx.response.type == "text/html"
    ctx.length = 42
    assert ctx.response.length == 42
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    ctx.last_modified = when
    assert ctx.response.last_modified == when
    ctx.etag = "abc"
    assert ctx.response.etag == '"abc"'


@pytest.mark.parametrize("name", REQUEST_SETTABLE + RESPONSE_SETTABLE)
def test_all_settable_names_are_covered(make_ctx: Callable[..., Context], name: str) -> None:
    prop = getattr(Context, name)
    # a property, or a C getset descriptor when Context is compiled: settable either way
    assert inspect.isdatadescriptor(prop), name
    ctx = make_ctx("/", "GET")
    try:
        prop.__set__(ctx, getattr(ctx, name))  # AttributeError when read-only
    except (TypeError, ValueError):
        pass  # a setter that refuses the unset value (None): settable all the same


@pytest.mark.parametrize("name", REQUEST_METHODS + RESPONSE_METHODS)
def test_methods_exist_and_are_documented(name: str) -> None:
    method = getattr(Context, name)
    assert callable(method)
    assert method.__doc__


def test_request_methods_delegate(ctx: Context) -> None:
    assert ctx.accepts("json", "html") == "html"
    assert ctx.accepts_encodings("gzip", "br") == "gzip"
    assert ctx.accepts_charsets("utf-8") == "utf-8"
    assert ctx.accepts_languages("fr", "en") == "en"
    assert ctx.is_("text/*") == "text/plain"
    assert ctx.get("origin") == "http://example.com"


def test_response_methods_delegate(ctx: Context) -> None:
    ctx.set("X-A", "1")
    assert ctx.has("x-a")
    ctx.append("X-A", "2")
    assert ctx.response.get("x-a") == "1, 2"
    ctx.remove("X-A")
    assert not ctx.has("x-a")
    ctx.vary("Accept")
    assert ctx.response.get("Vary") == "Accept"
    ctx.attachment("a.txt")
    assert ctx.response.get("Content-Disposition") == 'attachment; filename="a.txt"'
    ctx.redirect("/to")
    assert ctx.response.get("Location") == "/to"
    assert ctx.status == 302
    ctx.back("/alt")
    assert ctx.response.get("Location") == "http://tobi.ferrets.example.com:3000/x"


def test_get_is_the_request_header_not_the_response(ctx: Context) -> None:
    ctx.set("X-Only-Response", "1")
    assert ctx.get("X-Only-Response") == ""
    assert ctx.response.get("X-Only-Response") == "1"
    assert ctx.response.get("X-Missing") is None
    assert ctx.get("X-Missing") == ""


def test_header_is_headers(ctx: Context) -> None:
    assert ctx.header is ctx.headers
    assert ctx.request.header is ctx.request.headers


def test_req_is_the_channel(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"x")
    assert ctx.req is ctx.request.channel
    assert make_ctx().req is None


def test_socket_without_a_channel_is_none(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.socket is None
    assert ctx.response.socket is None


def test_socket_comes_from_the_channel(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    marker = object()
    ctx.request.channel.socket = marker  # type: ignore[union-attr]
    assert ctx.socket is marker
    assert ctx.response.socket is marker


def test_custom_attributes_on_ctx(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.user = "tobi"  # type: ignore[attr-defined]
    assert ctx.user == "tobi"  # type: ignore[attr-defined]


def test_router_attributes_default(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.params == {}
    assert ctx.route_path is None
    assert ctx.route_name is None
    assert ctx.router is None
