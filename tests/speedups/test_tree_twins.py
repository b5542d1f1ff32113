"""Both route tree twins (compiled and pure) answer alike: find(), find_in() and Match, the
compiled walk's special cases (hashed static children, long keys, more values or segments
than its stack buffers hold), and a property test of the two twins against each other."""
from __future__ import annotations

import importlib
import re
import types
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koa._speedups import NO_EXTENSIONS


@pytest.fixture(params=["py", "c"])
def twin(request: pytest.FixtureRequest) -> types.ModuleType:
    if request.param == "c":
        if NO_EXTENSIONS:
            pytest.skip("KOA_NO_EXTENSIONS is set")
        try:
            return importlib.import_module("koa._speedups._tree_c")
        except ImportError:
            pytest.skip("the compiled Tree is not built")
    return importlib.import_module("koa._speedups._tree_py")


def _twins() -> list[types.ModuleType]:
    modules = [importlib.import_module("koa._speedups._tree_py")]
    if not NO_EXTENSIONS:
        try:
            modules.append(importlib.import_module("koa._speedups._tree_c"))
        except ImportError:
            pass
    return modules


def test_find_returns_a_match_with_the_route(twin: types.ModuleType) -> None:
    tree = twin.Tree()
    tree.add(["users", None], ["id"], "payload", "route")
    tree.add(["about"], [], "about payload")  # no route: the payload stands for it
    found = tree.find("/users/42")
    assert type(found) is twin.Match is twin.Tree.Match
    assert (found.route, found.params) == ("route", {"id": "42"})
    assert repr(found) == "Match('route', {'id': '42'})"
    assert tree.match("/users/42") == ("payload", {"id": "42"})
    about = tree.find("/about")
    assert (about.route, about.params) == ("about payload", {})
    assert tree.find("/nope") is None
    assert tree.find("") is None
    assert tree.find("*") is None
    # a Match is a plain mutable record, a new one with its own params each time
    assert tree.find("/about") is not about
    about.params["x"] = "1"
    assert tree.find("/about").params == {}
    about.route = "other"
    assert about.route == "other"
    built = twin.Match("r", {"a": "b"})
    assert (built.route, built.params) == ("r", {"a": "b"})


def test_find_in_picks_the_method_tree(twin: types.ModuleType) -> None:
    get, post = twin.Tree(), twin.Tree()
    get.add(["a", None], ["id"], "get", "GET /a/:id")
    post.add(["a"], [], "post", "POST /a")
    trees = {"GET": get, "POST": post}
    found = twin.Tree.find_in(trees, "/a/1", "GET")
    assert (found.route, found.params) == ("GET /a/:id", {"id": "1"})
    assert twin.Tree.find_in(trees, "/a", "post").route == "POST /a"  # upper-cased when not a key
    assert twin.Tree.find_in(trees, "/a", "GET") is None
    assert twin.Tree.find_in(trees, "/a", "PUT") is None
    assert twin.Tree.find_in({}, "/a", "GET") is None


def test_many_static_siblings_are_found(twin: types.ModuleType) -> None:
    # more than a handful of children: the compiled twin hashes them
    words = [f"w{i}" for i in range(300)] + ["user", "users", "user_groups", "usage", "x" * 40, "x" * 41, "é"]
    loose, sensitive = twin.Tree(), twin.Tree(sensitive=True)
    for tree in (loose, sensitive):
        for word in words:
            tree.add(["api", word, None], ["id"], word)
            tree.add(["api", word.upper()], [], word.upper())
    for word in words:
        assert loose.match(f"/api/{word}/1") == (word, {"id": "1"})
        assert loose.match(f"/API/{word.upper()}/1") == (word, {"id": "1"})
        assert sensitive.match(f"/api/{word}/1") == (word, {"id": "1"})
        assert sensitive.match(f"/api/{word.upper()}") == (word.upper(), {})
        assert sensitive.match(f"/api/{word.upper()}/1") is None
        assert loose.match(f"/api/{word}q/1") is None
        assert loose.match(f"/api/{word[:-1]}/1") is None or word[:-1] in words
    assert loose.match("/api/caf%C3%A9/1") is None
    assert loose.match("/api/%C3%A9/1") == ("é", {"id": "1"})
    assert loose.match("/api/%C3%89/1") == ("é", {"id": "1"})


def test_static_keys_that_share_their_ends(twin: types.ModuleType) -> None:
    # same length, same first and last 8 bytes: the same hash in the compiled twin
    keys = [f"abcdefgh{c}ijklmnop" for c in "0123456789"] + [f"abcdefgh{c}{c}ijklmnop" for c in "01"]
    tree = twin.Tree()
    for key in keys:
        tree.add([key], [], key)
    for key in keys:
        assert tree.match("/" + key) == (key, {})
        assert tree.match("/" + key.upper()) == (key, {})
    assert tree.match("/abcdefghXijklmnop") is None
    assert tree.match("/abcdefgh0ijklmno") is None


@pytest.mark.parametrize("position", [0, 2, 9])
def test_keys_outside_latin1(twin: types.ModuleType, position: int) -> None:
    # before, among and after enough keys to be hashed: the compiled twin then uses the dict
    keys = list("abcdefghijkl")
    keys.insert(position, "✓")
    tree = twin.Tree()
    for key in keys:
        tree.add([key, None], ["v"], key)
    assert tree.match("/%E2%9C%93/1") == ("✓", {"v": "1"})
    assert tree.match("/✓/1") == ("✓", {"v": "1"})
    for key in "abcdefghijkl":
        assert tree.match(f"/{key.upper()}/1") == (key, {"v": "1"})
    assert tree.match("/m/1") is None


def test_more_values_than_the_stack_buffer(twin: types.ModuleType) -> None:
    count = 80
    tree = twin.Tree()
    names = [f"p{i}" for i in range(count)]
    tree.add([None] * count, names, "many")
    groups = re.compile("-".join(["(\\w)"] * 40))
    tree.add(["g", groups], [f"g{i}" for i in range(40)], "groups")
    values = [str(i) for i in range(count)]
    assert tree.match("/" + "/".join(values)) == ("many", dict(zip(names, values, strict=True)))
    letters = [chr(97 + i % 26) for i in range(40)]
    assert tree.match("/g/" + "-".join(letters)) == ("groups", {f"g{i}": c for i, c in enumerate(letters)})


def test_paths_with_many_segments(twin: types.ModuleType) -> None:
    tree = twin.Tree()
    tree.add(["a", "b", ...], ["rest"], "rest")
    tree.add(["a", None, "x"], ["id"], "x")
    deep = "/".join(["s"] * 200)
    assert tree.match("/a/b/" + deep) == ("rest", {"rest": deep})
    assert tree.match("/a/b/" + deep + "/") == ("rest", {"rest": deep + "/"})
    assert tree.match("/a/b/" + deep.replace("s", "%73")) == ("rest", {"rest": deep})
    assert tree.match("/a/" + deep) is None
    deep_params = twin.Tree()
    deep_params.add([None] * 100, [f"p{i}" for i in range(100)], "deep")
    deep_params.add([None] * 99 + ["x"], [f"p{i}" for i in range(99)], "static last")
    values = [str(i) for i in range(100)]
    assert deep_params.match("/" + "/".join(values))[0] == "deep"
    assert deep_params.match("/" + "/".join([*values[:99], "x"]))[0] == "static last"


def test_a_refused_route_leaves_no_trap(twin: types.ModuleType) -> None:
    # the refused route made a node that captures 40 values; walks through it stay in bounds
    tree = twin.Tree()
    groups = re.compile("-".join(["(\\w)"] * 40))
    with pytest.raises(ValueError, match="catch-all must be the last"):
        tree.add([groups, ..., "x"], [f"g{i}" for i in range(41)], "refused")
    tree.add([None, None], ["a", "b"], "two")
    path = "/" + "-".join("a" * 40)
    assert tree.match(path + "/y") == ("two", {"a": "-".join("a" * 40), "b": "y"})
    assert tree.match(path) is None


# ---------------------------------------------------------------- the twins against each other

WORDS = ["a", "b", "ab", "A", "user", "users", "user_groups", "usage", "é", "x" * 33, "k1", "k2", "k3", "k4", "k5"]
REGEXES = [re.compile(r"\d+"), re.compile(r"(\w)(\d)")]


@st.composite
def route_sets(draw: st.DrawFn) -> list[list[Any]]:
    segment = st.one_of(st.sampled_from(WORDS), st.none(), st.sampled_from(REGEXES))
    out = []
    for _ in range(draw(st.integers(1, 25))):
        segments = draw(st.lists(segment, min_size=1, max_size=4))
        tail = draw(st.integers(0, 4))
        if tail == 0:
            segments.append(...)
        elif tail == 1:
            segments.append("")
        out.append(segments)
    return out


@st.composite
def request_paths(draw: st.DrawFn) -> str:
    pieces = [*WORDS, "1", "12", "a1", "USER", "Users", "", "zz"]
    segments = draw(st.lists(st.sampled_from(pieces), max_size=6))
    if draw(st.booleans()):
        segments = [quote(s) if draw(st.booleans()) else s for s in segments]
    return "/" + "/".join(segments)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(route_set=route_sets(), requests=st.lists(request_paths(), min_size=1, max_size=25), sensitive=st.booleans())
def test_the_twins_agree(route_set: list[list[Any]], requests: list[str], sensitive: bool) -> None:
    twins = _twins()
    if len(twins) < 2:
        pytest.skip("the compiled Tree is not available")
    trees = [module.Tree(sensitive=sensitive) for module in twins]
    for payload, segments in enumerate(route_set):
        width = sum(r.groups or 1 if isinstance(r, re.Pattern) else 1 for r in segments if not isinstance(r, str))
        names = [f"p{i}" for i in range(width)]
        outcomes = []
        for tree in trees:
            try:
                tree.add(segments, names, payload, f"route {payload}")
                outcomes.append(None)
            except ValueError as error:
                outcomes.append(str(error))
        assert outcomes[0] == outcomes[1], segments
    for path in requests:
        pure, compiled = (tree.match(path) for tree in trees)
        assert pure == compiled, path
        found = [tree.find(path) for tree in trees]
        assert [None if f is None else (f.route, f.params) for f in found] == [
            None if pure is None else (f"route {pure[0]}", pure[1])
        ] * 2, path
