"""Route path patterns: parsing, the segments handed to the tree, and url() building.

Syntax (@koa/router's, per segment): static text, `:name`, `:name(regex)`, `:name?` (an
optional last segment) and `*name` (the rest of the path, last). Static text and
parameters may share a segment (`/:name.:ext`, `/v:major(\\d+)`); such a segment is
matched with one regex. A backslash escapes the next character (`\\:`, `\\(`).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import quote, urlencode

from koa._speedups._tree_py import Segment, decode

_NAME = re.compile(r"[^\W\d]\w*")
_SPECIAL = {"(": "'('", ")": "')'", "?": "'?'", "{": "'{'", "}": "'}'", "+": "'+'"}
# encodeURIComponent leaves these unescaped too
_SAFE = "!*'()"

Shape: TypeAlias = tuple[object, ...]
"""What makes two variants match the same paths: their segments, without parameter names."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a pattern: `:name`, `:name(regex)`, `:name?` or `*name`."""

    name: str
    regex: re.Pattern[str] | None  # the constraint (fullmatch), None for any value
    optional: bool = False
    catch_all: bool = False


Token: TypeAlias = "str | Param"


@dataclass(frozen=True, slots=True)
class Variant:
    """One concrete form of a pattern (optional segment present or not, trailing slash)."""

    segments: tuple[Segment, ...]
    names: tuple[str, ...]
    segment_names: tuple[tuple[str, ...], ...]  # names captured by each segment
    shape: Shape


@dataclass(frozen=True, slots=True)
class Pattern:
    """A parsed route path: what the tree needs (`variants`) and what url() needs (`tokens`)."""

    path: str
    tokens: tuple[tuple[Token, ...], ...]  # per segment, as written
    names: tuple[str, ...]
    variants: tuple[Variant, ...]

    def url(self, params: Mapping[str, Any], query: Mapping[str, Any] | str | None = None) -> str:
        """The path with `params` filled in and escaped (encodeURIComponent), plus `query`."""
        parts = []
        for tokens in self.tokens:
            text = []
            for token in tokens:
                if isinstance(token, str):
                    text.append(token)
                    continue
                value = params.get(token.name)
                if value is None:
                    if token.optional:
                        break
                    raise ValueError(f"url() for {self.path!r}: missing parameter {token.name!r}")
                value = str(value)
                if token.regex is not None and token.regex.fullmatch(value) is None:
                    raise ValueError(
                        f"url() for {self.path!r}: {token.name}={value!r} does not match {token.regex.pattern!r}"
                    )
                text.append(quote(value, safe=_SAFE + "/" if token.catch_all else _SAFE))
            else:
                parts.append("".join(text))
        url = "/" + "/".join(parts)
        if query:
            search = query if isinstance(query, str) else urlencode(query, doseq=True)
            url += "?" + search.removeprefix("?")
        return url


def parse(path: str, *, strict: bool = False, sensitive: bool = False) -> Pattern:
    """Parse a full route path; ValueError (without the route's name) when it is invalid."""
    if not path.startswith("/"):
        raise ValueError(f"path {path!r} must start with '/'")
    tokens = _tokenize(path)
    names: list[str] = []
    for index, segment in enumerate(tokens):
        for token in segment:
            if isinstance(token, str):
                continue
            if token.name in names:
                raise ValueError(f"duplicate parameter name {token.name!r} in {path!r}")
            names.append(token.name)
            if (token.optional or token.catch_all) and len(segment) > 1:
                what = "an optional parameter" if token.optional else "a catch-all"
                raise ValueError(f"{what} must be a whole segment in {path!r}")
            if token.optional and index != len(tokens) - 1:
                raise ValueError(f"optional parameter {token.name!r} must be the last segment in {path!r}")
            if token.catch_all and index != len(tokens) - 1:
                raise ValueError(f"catch-all *{token.name} must be the last segment in {path!r}")
    flags = re.DOTALL if sensitive else re.DOTALL | re.IGNORECASE
    written = [_to_segment(segment, flags) for segment in tokens]
    if not strict and len(written) > 1 and written[-1] == "":
        written.pop()  # "/users/" is "/users" unless strict
    forms = [written]
    last = tokens[-1]
    if len(last) == 1 and isinstance(last[0], Param) and last[0].optional:
        forms.append(written[:-1] or [""])
    variants = []
    for form in forms:
        for segments in _with_trailing_slash(form, strict):
            variants.append(_variant(segments, tokens, sensitive))
    return Pattern(path, tuple(tuple(segment) for segment in tokens), tuple(names), tuple(variants))


def _with_trailing_slash(segments: list[Segment], strict: bool) -> Iterator[list[Segment]]:
    yield segments
    if not strict and segments != [""] and segments[-1] is not ...:
        yield [*segments, ""]


def _variant(segments: list[Segment], tokens: list[list[Token]], sensitive: bool) -> Variant:
    shape: list[object] = []
    segment_names: list[tuple[str, ...]] = []
    for index, segment in enumerate(segments):
        if isinstance(segment, str):
            key = decode(segment)
            shape.append(key if sensitive else key.lower())
            segment_names.append(())
        else:
            shape.append(("re", segment.pattern) if isinstance(segment, re.Pattern) else segment)
            segment_names.append(tuple(token.name for token in tokens[index] if isinstance(token, Param)))
    names = tuple(name for group in segment_names for name in group)
    return Variant(tuple(segments), names, tuple(segment_names), tuple(shape))


def _to_segment(tokens: Sequence[Token], flags: int) -> Segment:
    if not tokens:
        return ""
    if len(tokens) == 1:
        token = tokens[0]
        if isinstance(token, str):
            return token
        if token.catch_all:
            return ...
        if token.regex is None:
            return None
        return re.compile(token.regex.pattern, flags)
    source = "".join(
        re.escape(decode(token)) if isinstance(token, str)
        else f"({token.regex.pattern if token.regex is not None else '.+?'})"
        for token in tokens
    )
    return re.compile(source, flags)


def _tokenize(path: str) -> list[list[Token]]:
    segments: list[list[Token]] = [[]]
    literal: list[str] = []

    def flush() -> None:
        if literal:
            segments[-1].append("".join(literal))
            literal.clear()

    index = 1
    length = len(path)
    while index < length:
        char = path[index]
        if char == "/":
            flush()
            segments.append([])
        elif char == "\\":
            if index + 1 == length:
                raise ValueError(f"path {path!r} ends with a lone backslash")
            literal.append(path[index + 1])
            index += 1
        elif char in ":*":
            found = _NAME.match(path, index + 1)
            if found is None:
                example = ":id" if char == ":" else "*rest"
                raise ValueError(f"{char!r} at {index} in {path!r} must be followed by a name, as in {example}")
            flush()
            index = found.end()
            regex = None
            if char == ":" and index < length and path[index] == "(":
                end = _closing_paren(path, index)
                regex = _compile(path, found.group(), path[index + 1 : end])
                index = end + 1
            optional = char == ":" and index < length and path[index] == "?"
            if optional:
                index += 1
            if index < length and path[index] in "+*":
                raise ValueError(f"repeated parameters are not supported in {path!r}; use *{found.group()}")
            segments[-1].append(Param(found.group(), regex, optional, char == "*"))
            continue
        elif char in _SPECIAL:
            raise ValueError(f"unexpected {_SPECIAL[char]} at {index} in {path!r} (escape it with a backslash)")
        else:
            literal.append(char)
        index += 1
    flush()
    return segments


def _closing_paren(path: str, start: int) -> int:
    depth = 0
    in_class = False
    index = start
    while index < len(path):
        char = path[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    raise ValueError(f"unbalanced '(' at {start} in {path!r}")


def _compile(path: str, name: str, source: str) -> re.Pattern[str]:
    if not source:
        raise ValueError(f"empty regex for parameter {name!r} in {path!r}")
    try:
        regex = re.compile(source)
    except re.error as error:
        raise ValueError(f"invalid regex {source!r} for parameter {name!r} in {path!r}: {error}") from None
    if regex.groups:
        raise ValueError(f"capturing group in the regex of {name!r} in {path!r}; use (?:...)")
    return regex
