"""Koa's __tests__/request/path, query, querystring, search tests and lib/search-params.test.js."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from koa import Context
from koa.request import parse_query, stringify_query


# -- path ----------------------------------------------------------------------------------
def test_path_is_the_pathname(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.url = "/login?next=/dashboard"
    assert ctx.path == "/login"


def test_path_is_not_decoded(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/caf%C3%A9/a%2Fb?x=1").path == "/caf%C3%A9/a%2Fb"


def test_path_excludes_a_fragment(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/page#top")
    assert ctx.path == "/page"
    assert ctx.querystring == ""
    ctx2 = make_ctx("/page?a=1#top")
    assert ctx2.path == "/page"
    assert ctx2.querystring == "a=1"


def test_path_of_an_absolute_form_target(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("http://example.com/a/b?c=d")
    assert ctx.path == "/a/b"
    assert ctx.querystring == "c=d"
    assert make_ctx("http://example.com").path == "/"


def test_set_path(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.url = "/login?next=/dashboard"
    ctx.path = "/logout"
    assert ctx.path == "/logout"
    assert ctx.url == "/logout?next=/dashboard"


def test_set_path_keeps_original_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/login")
    ctx.path = "/logout"
    assert ctx.url == "/logout"
    assert ctx.original_url == "/login"
    assert ctx.request.original_url == "/login"


def test_set_same_path_keeps_the_query(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/login?foo=bar")
    ctx.path = "/login"
    assert ctx.url == "/login?foo=bar"
    assert ctx.query == {"foo": "bar"}


# -- url -----------------------------------------------------------------------------------
def test_url_and_original_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/a?b=c")
    assert ctx.url == ctx.original_url == "/a?b=c"
    ctx.url = "/x"
    assert (ctx.url, ctx.original_url, ctx.path, ctx.querystring) == ("/x", "/a?b=c", "/x", "")


def test_url_change_resets_the_parsed_parts(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/a?b=c")
    assert ctx.query == {"b": "c"}
    ctx.url = "/d?e=f&e=g"
    assert ctx.path == "/d"
    assert ctx.query == {"e": ["f", "g"]}


# -- query ---------------------------------------------------------------------------------
def test_query_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/").query == {}


def test_query_is_the_same_object_each_time(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/")
    ctx.query["a"] = "2"
    assert ctx.query["a"] == "2"
    assert ctx.query is ctx.query


def test_query_parsed(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/?page=2").query["page"] == "2"


def test_query_repeated_keys_become_lists(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/?a=1&b=2&a=3&a=4").query == {"a": ["1", "3", "4"], "b": "2"}


def test_query_decoding(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/?q=a+b&name=%E4%BD%A0&bad=%zz&plus=%2B&empty=&flag&=nokey")
    assert ctx.query == {"q": "a b", "name": "你", "bad": "%zz", "plus": "+", "empty": "", "flag": "",
                         "": "nokey"}


def test_set_query(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    ctx.query = {"page": 2, "color": "blue"}
    assert ctx.url == "/store/shoes?page=2&color=blue"
    assert ctx.querystring == "page=2&color=blue"
    assert ctx.search == "?page=2&color=blue"
    assert ctx.query == {"page": "2", "color": "blue"}


def test_set_query_keeps_original_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    ctx.query = {"page": 2}
    assert ctx.url == "/store/shoes?page=2"
    assert ctx.original_url == "/store/shoes"
    assert ctx.request.original_url == "/store/shoes"


def test_set_query_lists_and_encoding(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/s")
    ctx.query = {"tag": ["a b", "ü"], "q": "x&y=z"}
    assert ctx.querystring == "tag=a+b&tag=%C3%BC&q=x%26y%3Dz"
    assert ctx.query == {"tag": ["a b", "ü"], "q": "x&y=z"}


def test_set_empty_query_drops_the_question_mark(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/s?a=1")
    ctx.query = {}
    assert ctx.url == "/s"


def test_set_query_rejects_non_mappings(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="query must be a mapping"):
        make_ctx().query = "a=1"  # type: ignore[assignment]


# -- querystring ---------------------------------------------------------------------------
def test_querystring(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/store/shoes?page=2&color=blue").querystring == "page=2&color=blue"


def test_querystring_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/store").querystring == ""
    assert make_ctx("/store?").querystring == ""


def test_set_querystring(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    ctx.querystring = "page=2&color=blue"
    assert ctx.url == "/store/shoes?page=2&color=blue"
    assert ctx.querystring == "page=2&color=blue"


def test_set_querystring_updates_search_and_query(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    assert ctx.query == {}
    ctx.querystring = "page=2&color=blue"
    assert ctx.search == "?page=2&color=blue"
    assert ctx.query["page"] == "2"
    assert ctx.query["color"] == "blue"


def test_set_querystring_keeps_original_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    ctx.querystring = "page=2&color=blue"
    assert ctx.original_url == "/store/shoes"


def test_set_querystring_with_a_leading_question_mark(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/s")
    ctx.querystring = "?a=1"
    assert ctx.url == "/s?a=1"


def test_set_empty_querystring(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/s?a=1")
    ctx.querystring = ""
    assert ctx.url == "/s"
    assert ctx.search == ""


# -- search --------------------------------------------------------------------------------
def test_set_search(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/store/shoes")
    ctx.search = "?page=2&color=blue"
    assert ctx.url == "/store/shoes?page=2&color=blue"
    assert ctx.search == "?page=2&color=blue"
    assert ctx.querystring == "page=2&color=blue"
    assert ctx.query == {"page": "2", "color": "blue"}
    assert ctx.original_url == "/store/shoes"


def test_search_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx("/store/shoes").search == ""


@pytest.mark.parametrize("setter", ["url", "path", "querystring", "search"])
def test_url_setters_reject_non_strings(make_ctx: Callable[..., Context], setter: str) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        setattr(make_ctx(), setter, 42)


# -- the search-params helpers ----------------------------------------------------------
@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"a": 1, "b": "b"}, "a=1&b=b"),
        ({"a": [1, 2]}, "a=1&a=2"),
        ({"a": [1]}, "a=1"),
        ({"a": [""]}, "a="),
        ({"a": {"b": 1}}, "a="),
        ({"a": None}, "a="),
        ({"a": True, "b": False}, "a=true&b=false"),
        ({"a": 1.5}, "a=1.5"),
        ({"a b": "c d"}, "a+b=c+d"),
        ({"s": "~*-._"}, "s=%7E*-._"),
        ({}, ""),
    ],
)
def test_stringify(obj: dict[str, object], expected: str) -> None:
    assert stringify_query(obj) == expected


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": ["1", "2"]}),
        ("a=", {"a": ""}),
        ("", {}),
        ("a=b=c", {"a": "b=c"}),
        ("a=1&&b=2", {"a": "1", "b": "2"}),
    ],
)
def test_parse(qs: str, expected: dict[str, object]) -> None:
    assert parse_query(qs) == expected
