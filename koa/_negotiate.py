"""Content negotiation as Node's `negotiator` does it (behind Koa's ctx.accepts*)."""
from __future__ import annotations

import re
from typing import NamedTuple

_MEDIA_RE = re.compile(r"^\s*([^\s/]+?)/([^;\s]+)\s*(?:;(.*))?$")
_TOKEN_RE = re.compile(r"^\s*([^\s;]+?)\s*(?:;(.*))?$")
_LANG_RE = re.compile(r"^\s*([^\s\-;]+?)(?:-([^\s;]+?))?\s*(?:;(.*))?$")


class _Spec(NamedTuple):
    q: float
    s: int  # specificity
    o: int  # position in the header
    i: int  # position in the caller's list


def _split_quoted(value: str, sep: str) -> list[str]:
    """Split on `sep` outside double quotes (one pass: headers can be long and hostile)."""
    if '"' not in value:
        return value.split(sep)
    parts: list[str] = []
    start = 0
    quoted = False
    for i, char in enumerate(value):
        if char == '"':
            quoted = not quoted
        elif char == sep and not quoted:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _quality(raw: str | None) -> float:
    if raw is None:
        return 1.0
    try:
        q = float(raw)
    except ValueError:
        return 0.0
    return q if q == q else 0.0  # NaN is not acceptable


def _params(raw: str | None) -> tuple[dict[str, str], float]:
    params: dict[str, str] = {}
    q = 1.0
    if raw:
        for item in _split_quoted(raw, ";"):
            key, _, val = item.strip().partition("=")
            key = key.strip().lower()
            val = val.strip()
            if len(val) > 1 and val[0] == '"' and val[-1] == '"':
                val = val[1:-1]
            if key == "q":
                q = _quality(val)
            elif key:
                params[key] = val
    return params, q


# -- media types ------------------------------------------------------------------
class _Media(NamedTuple):
    type: str
    subtype: str
    params: dict[str, str]
    q: float
    o: int


def _parse_media(value: str, o: int) -> _Media | None:
    m = _MEDIA_RE.match(value)
    if m is None:
        return None
    params, q = _params(m.group(3))
    return _Media(m.group(1), m.group(2), params, q, o)


def _parse_accept(header: str) -> list[_Media]:
    specs = []
    for o, item in enumerate(_split_quoted(header, ",")):
        media = _parse_media(item.strip(), o)
        if media is not None:
            specs.append(media)
    return specs


def _media_priority(provided: str, accepted: list[_Media], index: int) -> _Spec | None:
    p = _parse_media(provided, 0)
    if p is None:
        return None
    best: _Spec | None = None
    for spec in accepted:
        s = 0
        if spec.type.lower() == p.type.lower():
            s |= 4
        elif spec.type != "*":
            continue
        if spec.subtype.lower() == p.subtype.lower():
            s |= 2
        elif spec.subtype != "*":
            continue
        if spec.params:
            if all(v == "*" or v.lower() == p.params.get(k, "").lower() for k, v in spec.params.items()):
                s |= 1
            else:
                continue
        cand = _Spec(spec.q, s, spec.o, index)
        if best is None or (best.s - s or best.q - spec.q or best.o - spec.o) < 0:
            best = cand
    return best


def _sort_key(spec: _Spec) -> tuple[float, int, int, int]:
    return (-spec.q, -spec.s, spec.o, spec.i)


def media_types(header: str | None, provided: list[str] | None = None) -> list[str]:
    """Acceptable media types, best first (all of the header's when `provided` is None)."""
    accepted = _parse_accept("*/*" if header is None else header)
    if provided is None:
        ordered = sorted((m for m in accepted if m.q > 0), key=lambda m: (-m.q, m.o))
        return [f"{m.type}/{m.subtype}" for m in ordered]
    return _choose(provided, [_media_priority(t, accepted, i) for i, t in enumerate(provided)])


def _choose(provided: list[str], priorities: list[_Spec | None]) -> list[str]:
    ranked = sorted((p for p in priorities if p is not None and p.q > 0), key=_sort_key)
    return [provided[p.i] for p in ranked]


# -- charsets and encodings ---------------------------------------------------------
class _Token(NamedTuple):
    value: str
    q: float
    o: int


def _parse_tokens(header: str) -> list[_Token]:
    tokens = []
    for o, item in enumerate(header.split(",")):
        m = _TOKEN_RE.match(item.strip())
        if m is None:
            continue
        _, q = _params(m.group(2))
        tokens.append(_Token(m.group(1), q, o))
    return tokens


def _token_priority(value: str, accepted: list[_Token], index: int) -> _Spec | None:
    best: _Spec | None = None
    for spec in accepted:
        if spec.value.lower() == value.lower():
            s = 1
        elif spec.value == "*":
            s = 0
        else:
            continue
        if best is None or (best.s - s or best.q - spec.q or best.o - spec.o) < 0:
            best = _Spec(spec.q, s, spec.o, index)
    return best


def charsets(header: str | None, provided: list[str] | None = None) -> list[str]:
    """Acceptable charsets, best first."""
    accepted = _parse_tokens("*" if header is None else header)
    if provided is None:
        return [t.value for t in sorted((t for t in accepted if t.q > 0), key=lambda t: (-t.q, t.o))]
    return _choose(provided, [_token_priority(c, accepted, i) for i, c in enumerate(provided)])


def encodings(header: str | None, provided: list[str] | None = None) -> list[str]:
    """Acceptable content codings, best first; `identity` is implied unless refused."""
    accepted = _parse_tokens(header or "")
    if not any(t.value.lower() == "identity" or t.value == "*" for t in accepted):
        lowest = min((t.q for t in accepted), default=1.0)
        accepted.append(_Token("identity", lowest / 2 if accepted else 1.0, len(accepted)))
    if provided is None:
        return [t.value for t in sorted((t for t in accepted if t.q > 0), key=lambda t: (-t.q, t.o))]
    return _choose(provided, [_token_priority(e, accepted, i) for i, e in enumerate(provided)])


# -- languages -----------------------------------------------------------------------
class _Lang(NamedTuple):
    prefix: str
    full: str
    q: float
    o: int


def _parse_lang(value: str, o: int) -> _Lang | None:
    m = _LANG_RE.match(value)
    if m is None:
        return None
    prefix, suffix = m.group(1), m.group(2)
    _, q = _params(m.group(3))
    return _Lang(prefix, f"{prefix}-{suffix}" if suffix else prefix, q, o)


def _lang_priority(value: str, accepted: list[_Lang], index: int) -> _Spec | None:
    p = _parse_lang(value, 0)
    if p is None:
        return None
    best: _Spec | None = None
    for spec in accepted:
        if spec.full.lower() == p.full.lower():
            s = 4
        elif spec.prefix.lower() == p.full.lower():
            s = 2
        elif spec.full.lower() == p.prefix.lower():
            s = 1
        elif spec.full == "*":
            s = 0
        else:
            continue
        if best is None or (best.s - s or best.q - spec.q or best.o - spec.o) < 0:
            best = _Spec(spec.q, s, spec.o, index)
    return best


def languages(header: str | None, provided: list[str] | None = None) -> list[str]:
    """Acceptable languages, best first."""
    accepted = []
    for o, item in enumerate(("*" if header is None else header).split(",")):
        lang = _parse_lang(item.strip(), o)
        if lang is not None:
            accepted.append(lang)
    if provided is None:
        return [t.full for t in sorted((t for t in accepted if t.q > 0), key=lambda t: (-t.q, t.o))]
    return _choose(provided, [_lang_priority(x, accepted, i) for i, x in enumerate(provided)])
