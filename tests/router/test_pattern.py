"""Path patterns: the segments handed to the tree, their errors, and url() building."""
from __future__ import annotations

import re

import pytest

from koa.router.pattern import parse


def segments(path: str, **options: bool) -> list[tuple[object, ...]]:
    return [variant.segments for variant in parse(path, **options).variants]


def test_static_and_params() -> None:
    assert segments("/") == [("",)]
    assert segments("/users/:id") == [("users", None), ("users", None, "")]
    assert parse("/users/:id/posts/:post").names == ("id", "post")


def test_strict_keeps_the_trailing_slash_significant() -> None:
    assert segments("/users", strict=True) == [("users",)]
    assert segments("/users/", strict=True) == [("users", "")]
    # not strict: both forms answer both paths
    assert segments("/users/") == segments("/users") == [("users",), ("users", "")]


def test_optional_last_segment() -> None:
    pattern = parse("/users/:id?", strict=True)
    assert [(v.segments, v.names) for v in pattern.variants] == [(("users", None), ("id",)), (("users",), ())]
    assert segments("/:id?", strict=True) == [(None,), ("",)]


def test_constrained_and_mixed_segments() -> None:
    (variant, _) = parse("/n/:num(\\d+)").variants
    regex = variant.segments[1]
    assert isinstance(regex, re.Pattern)
    assert regex.fullmatch("12") and not regex.fullmatch("1a")
    assert regex.flags & re.IGNORECASE  # not sensitive: the regex folds case too
    (variant, _) = parse("/files/:name.:ext").variants
    mixed = variant.segments[1]
    assert isinstance(mixed, re.Pattern)
    assert mixed.fullmatch("a.tar.gz").groups() == ("a", "tar.gz")  # type: ignore[union-attr]
    assert variant.segment_names == ((), ("name", "ext"))
    (variant, _) = parse("/v:major(\\d+)", sensitive=True).variants
    assert variant.segments[0].fullmatch("v2")  # type: ignore[union-attr]
    assert not variant.segments[0].fullmatch("V2")  # type: ignore[union-attr]


def test_regex_may_hold_slashes_and_parens() -> None:
    (variant, _) = parse("/a/:rest((?:[^/]|/x)+)/b").variants
    assert variant.segments[0] == "a" and variant.segments[2] == "b"


def test_catch_all() -> None:
    assert segments("/files/*path") == [("files", ...)]
    assert parse("/files/*path").names == ("path",)


def test_escapes() -> None:
    assert segments("/time/12\\:00", strict=True) == [("time", "12:00")]
    assert segments("/a\\(b\\)", strict=True) == [("a(b)",)]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("users", "must start with '/'"),
        ("/:id/x/:id", "duplicate parameter name 'id'"),
        ("/*rest/x", "catch-all \\*rest must be the last segment"),
        ("/a-*rest", "catch-all must be a whole segment"),
        ("/:id?/x", "optional parameter 'id' must be the last segment"),
        ("/a:id?", "optional parameter must be a whole segment"),
        ("/:", "must be followed by a name"),
        ("/*", "must be followed by a name"),
        ("/:id(\\d+", "unbalanced"),
        ("/:id()", "empty regex"),
        ("/:id([)", "unbalanced"),
        ("/:id(a{2,1})", "invalid regex"),
        ("/:id((a)b)", "capturing group"),
        ("/x/(a)", "unexpected '\\('"),
        ("/users{/:id}", "unexpected '\\{'"),
        ("/what?", "unexpected '\\?'"),
        ("/:id+", "repeated parameters"),
        ("/a\\", "lone backslash"),
    ],
)
def test_invalid_patterns(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(path)


def test_url_escapes_like_encode_uri_component() -> None:
    pattern = parse("/users/:id/:name")
    assert pattern.url({"id": 3, "name": "a b/c?d"}) == "/users/3/a%20b%2Fc%3Fd"
    assert pattern.url({"id": "é", "name": "(ok)!*'"}) == "/users/%C3%A9/(ok)!*'"


def test_url_catch_all_keeps_slashes_and_optional_may_be_left_out() -> None:
    assert parse("/files/*path").url({"path": "a/b c"}) == "/files/a/b%20c"
    assert parse("/users/:id?").url({}) == "/users"
    assert parse("/users/:id?").url({"id": 1}) == "/users/1"


def test_url_query() -> None:
    pattern = parse("/books/:id")
    assert pattern.url({"id": 4}, {"page": 3, "tags": ["a", "b"]}) == "/books/4?page=3&tags=a&tags=b"
    assert pattern.url({"id": 4}, "page=3") == "/books/4?page=3"
    assert pattern.url({"id": 4}, "?page=3") == "/books/4?page=3"
    assert pattern.url({"id": 4}, {}) == "/books/4"


def test_url_checks_params() -> None:
    with pytest.raises(ValueError, match="missing parameter 'id'"):
        parse("/users/:id").url({})
    with pytest.raises(ValueError, match="does not match"):
        parse("/users/:id(\\d+)").url({"id": "abc"})
