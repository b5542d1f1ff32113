"""The radix matcher (koa._speedups Tree), on both twins: lookups, priority, errors, and a
property test against a linear reference matcher."""
from __future__ import annotations

import importlib
import re
from typing import Any
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koa._speedups import NO_EXTENSIONS


@pytest.fixture(params=["py", "c"])
def tree_cls(request: pytest.FixtureRequest) -> Any:
    if request.param == "c":
        if NO_EXTENSIONS:
            pytest.skip("KOA_NO_EXTENSIONS is set")
        try:
            return importlib.import_module("koa._speedups._tree_c").Tree
        except ImportError:
            pytest.skip("the compiled Tree is not built")
    return importlib.import_module("koa._speedups._tree_py").Tree


DIGITS = re.compile(r"\d+")
PAIR = re.compile(r"(.+?)\.(.+)", re.DOTALL)


def test_static_and_params(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["users"], [], "list")
    tree.add(["users", None], ["id"], "show")
    tree.add(["users", None, "posts", None], ["id", "post"], "post")
    tree.add([""], [], "root")
    assert tree.match("/users") == ("list", {})
    assert tree.match("/users/42") == ("show", {"id": "42"})
    assert tree.match("/users/42/posts/7") == ("post", {"id": "42", "post": "7"})
    assert tree.match("/") == ("root", {})
    assert tree.match("/users/42/posts") is None
    assert tree.match("/nope") is None


def test_not_absolute_paths_miss(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add([""], [], "root")
    tree.add([...], ["rest"], "all")
    assert tree.match("*") is None
    assert tree.match("") is None
    assert tree.match("users") is None


def test_priority_static_regex_param_catch_all(tree_cls: Any) -> None:
    tree = tree_cls()
    # registered in the opposite order of their priority
    tree.add(["x", ...], ["rest"], "catch-all")
    tree.add(["x", None], ["id"], "param")
    tree.add(["x", DIGITS], ["num"], "regex")
    tree.add(["x", "new"], [], "static")
    assert tree.match("/x/new") == ("static", {})
    assert tree.match("/x/12") == ("regex", {"num": "12"})
    assert tree.match("/x/abc") == ("param", {"id": "abc"})
    assert tree.match("/x/a/b") == ("catch-all", {"rest": "a/b"})


def test_backtracks_when_the_static_branch_dead_ends(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["users", "me", "settings"], [], "settings")
    tree.add(["users", None, "posts"], ["id"], "posts")
    tree.add(["users", DIGITS, "likes"], ["n"], "likes")
    tree.add(["users", ...], ["rest"], "rest")
    assert tree.match("/users/me/settings") == ("settings", {})
    assert tree.match("/users/me/posts") == ("posts", {"id": "me"})
    assert tree.match("/users/12/posts") == ("posts", {"id": "12"})
    assert tree.match("/users/12/likes") == ("likes", {"n": "12"})
    assert tree.match("/users/me/other") == ("rest", {"rest": "me/other"})


def test_regex_siblings_are_ordered_by_source_not_registration(tree_cls: Any) -> None:
    first, second = tree_cls(), tree_cls()
    a, b = re.compile(r"[a-z]+"), re.compile(r"[a-c]+")
    first.add([a], ["x"], "a")
    first.add([b], ["x"], "b")
    second.add([b], ["x"], "b")
    second.add([a], ["x"], "a")
    assert first.match("/abc") == second.match("/abc") == ("b", {"x": "abc"})
    assert first.match("/xyz") == second.match("/xyz") == ("a", {"x": "xyz"})


def test_regex_groups_are_the_values(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["files", PAIR], ["name", "ext"], "file")
    assert tree.match("/files/archive.tar.gz") == ("file", {"name": "archive", "ext": "tar.gz"})
    assert tree.match("/files/README") is None


def test_params_must_not_be_empty(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["a", None, "b"], ["id"], "x")
    assert tree.match("/a//b") is None


def test_trailing_slash_is_its_own_leaf(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["strict", ""], [], "with slash")
    tree.add(["plain"], [], "without")
    tree.add(["p", None, ""], ["id"], "param with slash")
    assert tree.match("/strict/") == ("with slash", {})
    assert tree.match("/strict") is None
    assert tree.match("/plain") == ("without", {})
    assert tree.match("/plain/") is None
    assert tree.match("/p/1/") == ("param with slash", {"id": "1"})
    assert tree.match("/p/1") is None


def test_catch_all_keeps_the_rest_verbatim_and_non_empty(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["files", ...], ["path"], "files")
    assert tree.match("/files/a/b/c.txt") == ("files", {"path": "a/b/c.txt"})
    assert tree.match("/files/a/") == ("files", {"path": "a/"})
    assert tree.match("/files/") is None
    assert tree.match("/files") is None


def test_case_folding(tree_cls: Any) -> None:
    loose, sensitive = tree_cls(), tree_cls(sensitive=True)
    for tree in (loose, sensitive):
        tree.add(["Users", None], ["id"], "user")
        tree.add(["About"], [], "about")
    assert loose.match("/USERS/Bob") == ("user", {"id": "Bob"})  # values keep their case
    assert loose.match("/about") == ("about", {})
    assert sensitive.match("/Users/Bob") == ("user", {"id": "Bob"})
    assert sensitive.match("/users/Bob") is None
    assert sensitive.match("/about") is None


def test_percent_decoding_of_statics_and_values(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["café", None], ["name"], "unicode")
    tree.add(["a%2Fb"], [], "encoded slash")
    assert tree.match("/caf%C3%A9/J%C3%BCrgen") == ("unicode", {"name": "Jürgen"})
    assert tree.match("/café/x") == ("unicode", {"name": "x"})
    assert tree.match("/CAF%C3%89/x") == ("unicode", {"name": "x"})
    assert tree.match("/a%2Fb") == ("encoded slash", {})
    assert tree.match("/a/b") is None
    # an escape that is no UTF-8 is left as it is, like koa-router's safeDecodeURIComponent
    assert tree.match("/caf%C3%A9/%FF%2") == ("unicode", {"name": "%FF%2"})
    assert tree.match("/caf%C3%A9/a%2Fb") == ("unicode", {"name": "a/b"})


def test_unnamed_values_are_dropped(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["api", None, ...], ["version"], "under")
    assert tree.match("/api/v1/users/7") == ("under", {"version": "v1"})


def test_registration_errors(tree_cls: Any) -> None:
    tree = tree_cls()
    tree.add(["a", None], ["id"], "first")
    with pytest.raises(ValueError, match="already registered"):
        tree.add(["a", None], ["other"], "second")
    with pytest.raises(ValueError, match="catch-all must be the last"):
        tree.add(["b", ..., "c"], ["rest"], "x")


# ---------------------------------------------------------------- property test

REGEXES = [re.compile(r"\d+"), re.compile(r"a\w*"), re.compile(r"(\w)(\d)")]
STATIC = ["a", "b", "ab", "A", "1", "é"]


def _segment_strategy() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(STATIC), st.none(), st.sampled_from(REGEXES))


@st.composite
def routes(draw: st.DrawFn) -> list[list[Any]]:
    out = []
    for _ in range(draw(st.integers(1, 12))):
        segments = draw(st.lists(_segment_strategy(), min_size=1, max_size=4))
        if draw(st.booleans()):
            segments.append(...)
        elif draw(st.integers(0, 3)) == 0:
            segments.append("")  # a trailing slash
        out.append(segments)
    return out


@st.composite
def paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(st.sampled_from(["a", "b", "ab", "A", "1", "12", "a1", "x", "é", ""]), max_size=6))
    if draw(st.booleans()):
        segments = [quote(s) if draw(st.booleans()) else s for s in segments]
    return "/" + "/".join(segments)


def _reference(table: list[tuple[list[Any], tuple[str, ...], int]], path: str, sensitive: bool) -> Any:
    """Linear matcher: every route that matches, then the best by (rank, regex) per segment."""
    segments = [unquote(s) for s in path.split("/")[1:]]
    found = []
    for route, names, payload in table:
        matched = _match_route(route, segments, sensitive)
        if matched is not None:
            key, values = matched
            found.append((key, payload, dict(zip(names, values, strict=False))))
    if not found:
        return None
    _, payload, params = min(found, key=lambda entry: entry[0])
    return payload, params


def _match_route(route: list[Any], segments: list[str], sensitive: bool) -> tuple[list[Any], list[str]] | None:
    key: list[tuple[int, str]] = []
    values: list[str] = []
    for index, segment in enumerate(route):
        if segment is ...:
            rest = "/".join(segments[index:])
            return ([*key, (3, "")], [*values, rest]) if rest else None
        if index >= len(segments):
            return None
        value = segments[index]
        if isinstance(segment, str):
            if unquote(segment) != value if sensitive else unquote(segment).lower() != value.lower():
                return None
            key.append((0, ""))
        elif segment is None:
            if not value:
                return None
            key.append((2, ""))
            values.append(value)
        else:
            match = segment.fullmatch(value)
            if match is None:
                return None
            key.append((1, segment.pattern))
            values.extend(match.groups() if segment.groups else [value])
    return (key, values) if len(route) == len(segments) else None


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route_set=routes(), requests=st.lists(paths(), min_size=1, max_size=20), sensitive=st.booleans())
def test_tree_agrees_with_a_linear_reference(
    tree_cls: Any, route_set: list[list[Any]], requests: list[str], sensitive: bool
) -> None:
    tree = tree_cls(sensitive=sensitive)
    table = []
    for payload, segments in enumerate(route_set):
        width = sum(_width(segment) for segment in segments if not isinstance(segment, str))
        names = tuple(f"p{i}" for i in range(width))
        try:
            tree.add(segments, names, payload)
        except ValueError:
            continue  # the same shape twice: the tree refuses, the reference skips it too
        table.append((segments, names, payload))
    for path in requests:
        assert tree.match(path) == _reference(table, path, sensitive), path


def _width(segment: Any) -> int:
    return segment.groups if isinstance(segment, re.Pattern) and segment.groups else 1
