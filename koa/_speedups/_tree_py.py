"""The route matcher in pure Python: the readable twin of _tree_c.pyx.

A radix tree over path segments. Each node holds a dict of static children (one lookup
per segment), then its dynamic children in priority order: constrained parameters
(sorted by regex source), the plain parameter, the catch-all. A walk takes the static
child when there is one and remembers the node only if it also has dynamic children, so
that it can come back there when the static branch dead-ends; otherwise it never
backtracks. A path ending in "/" ends at the node's `slash` leaf rather than its `leaf`.
Fully static paths are also kept in one dict keyed by the whole path, which answers most
static requests with a single lookup.

A pattern reaches `add()` already parsed, as one entry per segment:

- `str`: static text, as written (percent-escapes are decoded here, as for requests);
  a last "" is a trailing slash;
- `None`: a parameter, any non-empty segment;
- `re.Pattern`: a constrained segment, tried with `fullmatch`; it yields its groups, or
  the whole segment when it has none;
- `...`: the catch-all, the rest of the path (non-empty, a trailing "/" included), only as
  the last segment.

Requests are matched on their raw path: segments are percent-decoded only when the path
has a "%", and static text is compared case-insensitively unless the tree is sensitive.
A leaf is (payload, names, route): `match()` answers (payload, params), for the router's
dispatch, and `find()` answers a `Match(route, params)`, for router.match(), without an
intermediate tuple. Only plain data lives in the tree (dicts, tuples, compiled patterns), so
that a compiled class with the same methods can take its place.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import Any, Generic, Literal, TypeAlias, TypeVar, overload
from urllib.parse import unquote

P = TypeVar("P")
Segment: TypeAlias = "str | None | re.Pattern[str] | EllipsisType"


def decode(text: str) -> str:
    """decodeURIComponent that gives up quietly: invalid UTF-8 leaves `text` as it is."""
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


class Match:
    """What router.match() finds: the route (`.path`, `.name`, `.methods`) and its params."""

    __slots__ = ("route", "params")

    def __init__(self, route: Any, params: dict[str, str]) -> None:
        self.route = route
        self.params = params

    def __repr__(self) -> str:
        return f"Match({self.route!r}, {self.params!r})"


Leaf: TypeAlias = "tuple[P, tuple[str, ...], Any]"
"""(payload, parameter names, route): what a path that ends at a node finds."""

_REGEX, _PARAM, _CATCH_ALL = 0, 1, 2
_NO_REGEX: re.Pattern[str] = re.compile("(?!)")  # stands in the regex slot of the other kinds


class _Node(Generic[P]):
    __slots__ = ("static", "regexes", "param", "catch_all", "dynamic", "only", "leaf", "slash")

    def __init__(self) -> None:
        self.static: dict[str, _Node[P]] = {}
        self.regexes: dict[str, tuple[re.Pattern[str], _Node[P]]] = {}
        self.param: _Node[P] | None = None
        self.catch_all: _Node[P] | None = None
        # (kind, regex, child), in the order they are tried
        self.dynamic: tuple[tuple[int, re.Pattern[str], _Node[P]], ...] = ()
        self.only: _Node[P] | None = None  # the param child, when it is the only dynamic one
        self.leaf: Leaf[P] | None = None  # the path ends here
        self.slash: Leaf[P] | None = None  # the path ends here with a "/"

    def reorder(self) -> None:
        entries = [(_REGEX, *self.regexes[source]) for source in sorted(self.regexes)]
        if self.param is not None:
            entries.append((_PARAM, _NO_REGEX, self.param))
        if self.catch_all is not None:
            entries.append((_CATCH_ALL, _NO_REGEX, self.catch_all))
        self.dynamic = tuple(entries)
        self.only = self.param if len(entries) == 1 and entries[0][0] == _PARAM else None


def _params(names: tuple[str, ...], values: list[str]) -> dict[str, str]:
    # perf: literals for the usual counts are several times faster than dict(zip())
    count = len(names)
    if count > len(values):
        count = len(values)  # as zip(): extra values or names are left out
    if count == 1:
        return {names[0]: values[0]}
    if count == 2:
        return {names[0]: values[0], names[1]: values[1]}
    if count == 3:
        return {names[0]: values[0], names[1]: values[1], names[2]: values[2]}
    return dict(zip(names, values, strict=False))


def _width(segment: Segment) -> int:
    """How many values a dynamic segment captures: a regex's groups, or 1."""
    return segment.groups or 1 if isinstance(segment, re.Pattern) else 1


class Tree(Generic[P]):
    """Maps paths to payloads: add(segments, names, payload, route), match(path), find(path)."""

    __slots__ = ("sensitive", "_root", "_static", "_width")

    Match: TypeAlias = Match  # what find() returns, for the router without knowing which twin this is

    def __init__(self, sensitive: bool = False) -> None:
        self.sensitive = sensitive
        self._root: _Node[P] = _Node()
        self._static: dict[str, Leaf[P]] = {}
        self._width = 0  # the most values a route captures (the compiled twin sizes buffers by it)

    def add(self, segments: Sequence[Segment], names: Sequence[str], payload: P, route: Any = None) -> None:
        """Register `payload` (not None) at the paths that `segments` describe.

        `names` name the values captured by the dynamic segments, in order; values past
        the last name are matched but not reported. `route` is what find() reports as
        `Match.route` (the payload when None). Raises ValueError when a payload already
        sits at the same position, or when a catch-all is not last.
        """
        # before any node is made: a refused route may leave nodes that a walk still visits
        self._width = max(self._width, sum(_width(segment) for segment in segments if not isinstance(segment, str)))
        node = self._root
        slash = len(segments) > 0 and segments[-1] == ""  # a trailing "/": a leaf of its own
        last = len(segments) - 1
        for index, segment in enumerate(segments[:-1] if slash else segments):
            child: _Node[P] | None
            if isinstance(segment, str):
                key = decode(segment)
                if not self.sensitive:
                    key = key.lower()
                child = node.static.get(key)
                if child is None:
                    child = node.static[key] = _Node()
            elif segment is None:
                child = node.param
                if child is None:
                    child = node.param = _Node()
                    node.reorder()
            elif isinstance(segment, re.Pattern):
                entry = node.regexes.get(segment.pattern)
                if entry is None:
                    entry = node.regexes[segment.pattern] = (segment, _Node())
                    node.reorder()
                child = entry[1]
            else:
                if index != last:
                    raise ValueError("a catch-all must be the last segment")
                child = node.catch_all
                if child is None:
                    child = node.catch_all = _Node()
                    node.reorder()
            node = child
        if (node.slash if slash else node.leaf) is not None:
            raise ValueError("another route is already registered for the same paths")
        leaf: Leaf[P] = (payload, tuple(names), payload if route is None else route)
        if slash:
            node.slash = leaf
        else:
            node.leaf = leaf
        static = [segment for segment in segments if isinstance(segment, str)]
        if len(static) == len(segments):
            path = "/" + "/".join(static)
            self._static[path if self.sensitive else path.lower()] = leaf

    def match(self, path: str) -> tuple[P, dict[str, str]] | None:
        """The payload for `path` (raw, percent-encoded) and its decoded parameters, or None."""
        return self._walk(path, False)

    def find(self, path: str) -> Match | None:
        """match() as a Match: the route registered with the payload, and the parameters."""
        return self._walk(path, True)

    @staticmethod
    def find_in(trees: Mapping[str, Tree[P]], path: str, method: str) -> Match | None:
        """trees[method].find(path), the method upper-cased when it is not a key; None without a tree."""
        tree = trees.get(method)
        if tree is None:
            tree = trees.get(method.upper())
            if tree is None:
                return None
        return tree._walk(path, True)  # perf: tree.find(path), one call less

    @overload
    def _walk(self, path: str, as_match: Literal[False]) -> tuple[P, dict[str, str]] | None: ...
    @overload
    def _walk(self, path: str, as_match: Literal[True]) -> Match | None: ...

    def _walk(self, path: str, as_match: bool) -> tuple[P, dict[str, str]] | Match | None:
        """The matching itself: what match() returns, or find() when `as_match`."""
        leaf = self._static.get(path)
        if leaf is not None:
            return Match(leaf[2], {}) if as_match else (leaf[0], {})
        segments = path.split("/")
        if segments[0]:
            return None  # not an absolute path ("*", "" ...)
        if "%" in path:
            segments = [decode(segment) for segment in segments]
        fold = not self.sensitive
        count = len(segments)
        slash = count > 1 and not segments[-1]
        if slash:
            count -= 1  # the trailing "" picks node.slash rather than node.leaf
        node = self._root
        index = 1
        values: list[str] = []
        # choice points: (node, index, len(values), next entry of node.dynamic to try)
        pending: list[tuple[_Node[P], int, int, int]] | None = None
        while True:
            if index < count:
                segment = segments[index]
                static = node.static
                if static:
                    child = static.get(segment)
                    if child is None and fold:
                        child = static.get(segment.lower())
                    if child is not None:
                        if node.dynamic:
                            if pending is None:
                                pending = []
                            pending.append((node, index, len(values), 0))
                        node = child
                        index += 1
                        continue
                child = node.only
                if child is None:
                    attempt = 0
                elif segment:  # perf: the usual lone parameter, without the loop below
                    values.append(segment)
                    node = child
                    index += 1
                    continue
                else:
                    attempt = 1
            else:
                leaf = node.slash if slash else node.leaf
                if leaf is not None:
                    names = leaf[1]
                    if not values:
                        params = {}
                    elif len(names) == 1:  # perf: inline, the usual case
                        params = {names[0]: values[0]}
                    else:
                        params = _params(names, values)
                    return Match(leaf[2], params) if as_match else (leaf[0], params)
                attempt = len(node.dynamic)  # nothing left to consume: dead end
            # the dynamic children of `node` for segments[index], from `attempt` on;
            # on a dead end, resume at the latest choice point
            while True:
                dynamic = node.dynamic
                while attempt < len(dynamic):
                    kind, regex, child = dynamic[attempt]
                    attempt += 1
                    segment = segments[index]
                    if kind == _PARAM:
                        if not segment:
                            continue
                        if attempt < len(dynamic):
                            if pending is None:
                                pending = []
                            pending.append((node, index, len(values), attempt))
                        values.append(segment)
                    elif kind == _REGEX:
                        found = regex.fullmatch(segment)
                        if found is None:
                            continue
                        if attempt < len(dynamic):
                            if pending is None:
                                pending = []
                            pending.append((node, index, len(values), attempt))
                        if regex.groups:
                            values.extend(found.groups())
                        else:
                            values.append(segment)
                    else:
                        rest = "/".join(segments[index:])  # the trailing "/" included
                        if not rest:
                            continue
                        leaf = child.leaf
                        assert leaf is not None, "a catch-all node always ends a route"
                        values.append(rest)
                        params = _params(leaf[1], values)
                        return Match(leaf[2], params) if as_match else (leaf[0], params)
                    node = child
                    index += 1
                    break
                else:
                    if not pending:
                        return None
                    node, index, kept, attempt = pending.pop()
                    del values[kept:]
                    continue
                break
