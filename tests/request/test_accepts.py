"""Koa's __tests__/request/accepts*.test.js: content negotiation (accepts/negotiator semantics)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context

BROWSER = "application/*;q=0.2, image/jpeg;q=0.8, text/html, text/plain"


def with_header(make_ctx: Callable[..., Context], name: str, value: str | None) -> Context:
    return make_ctx(headers={name: value} if value is not None else None)


# -- ctx.accepts(types) --------------------------------------------------------------------
def test_no_arguments_returns_all_accepted_types(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", BROWSER)
    assert ctx.accepts() == ["text/html", "text/plain", "image/jpeg", "application/*"]


def test_no_arguments_without_header_is_any(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().accepts() == ["*/*"]


def test_no_valid_types_returns_false(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", BROWSER)
    assert ctx.accepts("image/png", "image/tiff") is False


def test_no_accept_header_returns_the_first_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.accepts("text/html", "text/plain", "image/jpeg", "application/*") == "text/html"


def test_extensions_are_converted(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "text/plain, text/html")
    assert ctx.accepts("html") == "html"
    assert ctx.accepts(".html") == ".html"
    assert ctx.accepts("txt") == "txt"
    assert ctx.accepts(".txt") == ".txt"
    assert ctx.accepts("png") is False


def test_a_list_returns_the_first_match(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "text/plain, text/html")
    assert ctx.accepts(["png", "text", "html"]) == "text"
    assert ctx.accepts(["png", "html"]) == "html"


def test_several_arguments_return_the_first_match(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "text/plain, text/html")
    assert ctx.accepts("png", "text", "html") == "text"
    assert ctx.accepts("png", "html") == "html"


def test_exact_match(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "text/plain, text/html")
    assert ctx.accepts("text/html") == "text/html"
    assert ctx.accepts("text/plain") == "text/plain"


def test_type_wildcard_match(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "application/json, */*")
    assert ctx.accepts("text/html") == "text/html"
    assert ctx.accepts("text/plain") == "text/plain"
    assert ctx.accepts("image/png") == "image/png"


def test_subtype_wildcard_match(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "application/json, text/*")
    assert ctx.accepts("text/html") == "text/html"
    assert ctx.accepts("text/plain") == "text/plain"
    assert ctx.accepts("image/png") is False
    assert ctx.accepts("png") is False


def test_unknown_extension_is_never_acceptable(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "*/*")
    assert ctx.accepts("nosuchext") is False
    assert ctx.accepts("nosuchext", "json") == "json"


# -- ctx.accepts_charsets / encodings / languages --------------------------------------------
CHARSETS = "utf-8, iso-8859-1;q=0.2, utf-7;q=0.5"


def test_charsets_no_arguments(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept-Charset", CHARSETS)
    assert ctx.accepts_charsets() == ["utf-8", "utf-7", "iso-8859-1"]


def test_charsets_best_fit(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept-Charset", CHARSETS)
    assert ctx.accepts_charsets("utf-7", "utf-8") == "utf-8"
    assert ctx.accepts_charsets(["utf-7", "utf-8"]) == "utf-8"


def test_charsets_no_match(make_ctx: Callable[..., Context]) -> None:
    assert with_header(make_ctx, "Accept-Charset", CHARSETS).accepts_charsets("utf-16") is False


def test_charsets_without_header_returns_the_first(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().accepts_charsets("utf-7", "utf-8") == "utf-7"
    assert make_ctx().accepts_charsets() == ["*"]


ENCODINGS = "gzip, compress;q=0.2"


def test_encodings_no_arguments(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept-Encoding", ENCODINGS)
    assert ctx.accepts_encodings() == ["gzip", "compress", "identity"]
    assert ctx.accepts_encodings("gzip", "compress") == "gzip"


def test_encodings_without_header_is_identity(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.accepts_encodings() == ["identity"]
    assert ctx.accepts_encodings("gzip", "deflate", "identity") == "identity"
    assert ctx.accepts_encodings("gzip", "deflate") is False


def test_encodings_best_fit(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept-Encoding", ENCODINGS)
    assert ctx.accepts_encodings("compress", "gzip") == "gzip"
    assert ctx.accepts_encodings("gzip", "compress") == "gzip"
    assert ctx.accepts_encodings(["compress", "gzip"]) == "gzip"


LANGUAGES = "en;q=0.8, es, pt"


def test_languages_no_arguments(make_ctx: Callable[..., Context]) -> None:
    assert with_header(make_ctx, "Accept-Language", LANGUAGES).accepts_languages() == ["es", "pt", "en"]


def test_languages_best_fit(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept-Language", LANGUAGES)
    assert ctx.accepts_languages("es", "en") == "es"
    assert ctx.accepts_languages(["es", "en"]) == "es"


def test_languages_no_match(make_ctx: Callable[..., Context]) -> None:
    assert with_header(make_ctx, "Accept-Language", LANGUAGES).accepts_languages("fr", "au") is False


def test_languages_without_header_returns_the_first(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().accepts_languages("es", "en") == "es"


# -- q-values, specificity and order, checked against Node's `accepts` 1.3 / negotiator 0.6 -----
KIND = {
    "types": ("Accept", "accepts"),
    "encodings": ("Accept-Encoding", "accepts_encodings"),
    "charsets": ("Accept-Charset", "accepts_charsets"),
    "languages": ("Accept-Language", "accepts_languages"),
}
NEGOTIATOR_CASES = [
    ('types', 'text/*;q=0.5, application/json', ['html', 'json'], 'json'),
    ('types', 'text/html;level=1, text/html;q=0.1', ['text/html'], 'text/html'),
    ('types', '*/*;q=0, text/plain', ['html', 'text'], 'text'),
    ('types', 'application/json;q=0.9, text/html;q=0.9', ['json', 'html'], 'json'),
    ('types', 'application/json;q=0.9, text/html;q=0.9', ['html', 'json'], 'json'),
    ('types', '', ['html'], 'html'),
    ('types', 'image/webp,*/*;q=0.8', ['png', 'webp'], 'webp'),
    ('types', 'text/html;q=0', ['html'], False),
    ('types', 'application/*+json', ['application/vnd.api+json'], False),
    ('types', 'text/plain;q=abc', ['text'], False),
    ('types', 'text/html', [], ['text/html']),
    ('types', 'text/*, text/html;q=0', ['html', 'text'], 'text'),
    ('encodings', 'gzip;q=0, *', ['gzip', 'br'], 'br'),
    ('encodings', 'br;q=1.0, gzip;q=0.8, *;q=0.1', ['gzip', 'br', 'identity'], 'br'),
    ('encodings', 'identity;q=0', ['identity'], False),
    ('encodings', '*;q=0', ['identity'], False),
    ('encodings', 'gzip', [], ['gzip', 'identity']),
    ('encodings', '', [], ['identity']),
    ('encodings', None, [], ['identity']),
    ('charsets', '*', ['utf-8'], 'utf-8'),
    ('charsets', '', ['utf-8'], False),
    ('charsets', 'ISO-8859-1', ['iso-8859-1'], 'iso-8859-1'),
    ('languages', 'en-US, en;q=0.8', ['en', 'en-US', 'fr'], 'en-US'),
    ('languages', 'en', ['en-GB', 'fr'], 'en-GB'),
    ('languages', 'en-GB', ['en'], 'en'),
    ('languages', '*', ['fr', 'de'], 'fr'),
    ('languages', '', ['fr'], False),
    ('languages', 'fr-CA;q=0.5, fr', [], ['fr', 'fr-CA']),
    ('types', 'text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8', [],
     ['text/html', 'application/xhtml+xml', 'application/xml', '*/*']),
    ('types', None, [], ['*/*']),
    ('types', '', [], []),
    ('types', 'text/html;q=0.8, TEXT/HTML;level=2', ['text/html'], 'text/html'),
    ('types', 'application/json, text/html', ['text/html;level=2', 'json'], 'json'),
    ('types', '*/*', ['json'], 'json'),
    ('types', 'text/html; charset=UTF-8', ['text/html; charset=utf-8'], 'text/html; charset=utf-8'),
    ('types', 'text/html; charset=utf-8', ['text/html'], False),
    ('encodings', 'GZIP', ['gzip'], 'gzip'),
    ('encodings', 'gzip, deflate, br', ['br', 'gzip'], 'gzip'),
    ('encodings', 'compress;q=0.5, gzip;q=1.0', ['compress', 'gzip'], 'gzip'),
    ('languages', 'en-us', ['en-US'], 'en-US'),
    ('languages', 'da, en-gb;q=0.8, en;q=0.7', ['en', 'en-GB', 'da'], 'da'),
    ('charsets', 'utf-8, iso-8859-1;q=0.2, utf-7;q=0.5', [], ['utf-8', 'utf-7', 'iso-8859-1']),
    ('types', 'text/plain, text/html', ['png', 'text', 'html'], 'text'),
    ('types', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
     ['json', 'html'], 'html'),
    ('types', 'application/json;q=0.5, application/*;q=0.6', ['json'], 'json'),
    ('languages', 'en-US;q=0.8, en;q=0.9', [], ['en', 'en-US']),
    ('encodings', 'gzip;q=0.5, identity;q=0.5', [], ['gzip', 'identity']),]


@pytest.mark.parametrize(("kind", "header", "args", "expected"), NEGOTIATOR_CASES)
def test_matches_node_negotiator(
    make_ctx: Callable[..., Context], kind: str, header: str | None, args: list[str], expected: Any
) -> None:
    name, method = KIND[kind]
    ctx = with_header(make_ctx, name, header)
    assert getattr(ctx, method)(*args) == expected


def test_quoted_parameters_are_parsed(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", 'text/html;foo="a,b";q=0.5, application/json;q=0.4')
    assert ctx.accepts() == ["text/html", "application/json"]
    # negotiator: a parameter in Accept must be matched by the offered type
    assert ctx.accepts("json", "html") == "json"
    assert ctx.accepts('text/html;foo="a,b"', "json") == 'text/html;foo="a,b"'


def test_malformed_entries_are_skipped(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "garbage, , text/html")
    assert ctx.accepts() == ["text/html"]
    assert ctx.accepts("html") == "html"


def test_accepts_is_lazy_about_the_header_cache(make_ctx: Callable[..., Context]) -> None:
    ctx = with_header(make_ctx, "Accept", "text/plain")
    assert ctx.accepts() == ["text/plain"]
    ctx.headers["Accept"] = "application/json"
    assert ctx.accepts() == ["application/json"]
