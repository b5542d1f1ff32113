"""Koa's __tests__/response/attachment.test.js (and the content-disposition package cases it quotes)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, Koa

CHINESE = "attachment; filename=\"include-no-ascii-char-???-ok.png\"; " \
          "filename*=UTF-8''include-no-ascii-char-%E4%B8%AD%E6%96%87%E5%90%8D-ok.png"


def disposition(ctx: Context) -> str | None:
    return ctx.response.get("Content-Disposition")


def test_does_not_override_a_set_content_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.response.set("Content-Type", "application/octet-stream")
    ctx.attachment("malicious.html")
    assert ctx.response.get("Content-Type") == "application/octet-stream"
    assert disposition(ctx) == 'attachment; filename="malicious.html"'


def test_keeps_a_safe_type_for_svg(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.response.set("Content-Type", "application/octet-stream")
    ctx.attachment("image.svg")
    assert ctx.response.get("Content-Type") == "application/octet-stream"


def test_sets_the_type_when_unset(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("document.pdf")
    assert ctx.response.get("Content-Type") == "application/pdf"


def test_filename_param(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("path/to/tobi.png")
    assert disposition(ctx) == 'attachment; filename="tobi.png"'
    assert ctx.type == "image/png"


def test_without_filename(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment()
    assert disposition(ctx) == "attachment"
    assert ctx.type == ""


def test_non_ascii_filename(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("path/to/include-no-ascii-char-中文名-ok.png")
    assert disposition(ctx) == CHINESE


async def test_non_ascii_filename_through_a_client(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def mw(ctx: Context, next: Any) -> None:
        ctx.attachment("path/to/include-no-ascii-char-中文名-ok.json")
        ctx.body = {"foo": "bar"}

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.headers["content-disposition"] == CHINESE.replace(".png", ".json")
    assert res.headers["content-type"] == "application/json; charset=utf-8"
    assert res.json() == {"foo": "bar"}


def test_fallback_must_be_a_string_or_bool(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="fallback.*string"):
        make_ctx().attachment("plans.pdf", fallback=42)  # type: ignore[arg-type]


def test_fallback_defaults_to_true(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("€ rates.pdf")
    assert disposition(ctx) == "attachment; filename=\"? rates.pdf\"; filename*=UTF-8''%E2%82%AC%20rates.pdf"


def test_fallback_false_has_no_latin1_fallback(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("£ and € rates.pdf", fallback=False)
    assert disposition(ctx) == "attachment; filename*=UTF-8''%C2%A3%20and%20%E2%82%AC%20rates.pdf"


def test_fallback_false_keeps_a_latin1_name(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("£ rates.pdf", fallback=False)
    assert disposition(ctx) == 'attachment; filename="£ rates.pdf"'


def test_fallback_true_generates_a_latin1_fallback(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("£ and € rates.pdf", fallback=True)
    assert disposition(ctx) == \
        "attachment; filename=\"£ and ? rates.pdf\"; filename*=UTF-8''%C2%A3%20and%20%E2%82%AC%20rates.pdf"


def test_fallback_true_passes_a_latin1_name(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("£ rates.pdf", fallback=True)
    assert disposition(ctx) == 'attachment; filename="£ rates.pdf"'


def test_fallback_string_must_be_latin1(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="(?i)fallback.*iso-8859-1"):
        make_ctx().attachment("€ rates.pdf", fallback="€ rates.pdf")


def test_fallback_string_is_used(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("£ and € rates.pdf", fallback="£ and EURO rates.pdf")
    assert disposition(ctx) == \
        "attachment; filename=\"£ and EURO rates.pdf\"; filename*=UTF-8''%C2%A3%20and%20%E2%82%AC%20rates.pdf"


def test_fallback_string_even_for_a_latin1_name(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment('"£ rates".pdf', fallback="£ rates.pdf")
    assert disposition(ctx) == "attachment; filename=\"£ rates.pdf\"; filename*=UTF-8''%22%C2%A3%20rates%22.pdf"


def test_fallback_equal_to_the_name_does_nothing(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("plans.pdf", fallback="plans.pdf")
    assert disposition(ctx) == 'attachment; filename="plans.pdf"'


def test_fallback_uses_the_basename(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment("€ rates.pdf", fallback="/path/to/EURO rates.pdf")
    assert disposition(ctx) == "attachment; filename=\"EURO rates.pdf\"; filename*=UTF-8''%E2%82%AC%20rates.pdf"


def test_fallback_without_filename(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment(None, fallback="plans.pdf")
    assert disposition(ctx) == "attachment"


@pytest.mark.parametrize("kind", [42, "invlaid;type", "", "in line"])
def test_type_must_be_a_token(make_ctx: Callable[..., Context], kind: Any) -> None:
    with pytest.raises(TypeError, match="invalid type"):
        make_ctx().attachment(None, type=kind)


def test_inline_type(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment(None, type="inline")
    assert disposition(ctx) == "inline"
    ctx.attachment("plans.pdf", type="inline")
    assert disposition(ctx) == 'inline; filename="plans.pdf"'


def test_type_is_normalised(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.attachment(None, type="INLINE")
    assert disposition(ctx) == "inline"


# more names, each checked against content-disposition 0.5 under Node
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('"quoted".txt', 'attachment; filename="\\"quoted\\".txt"'),
        ("a\\b.txt", 'attachment; filename="a\\\\b.txt"'),
        ("100%25.txt", "attachment; filename=\"100%25.txt\"; filename*=UTF-8''100%2525.txt"),
        ("x#$&+^`|~!*'()y.txt", "attachment; filename=\"x#$&+^`|~!*'()y.txt\""),
        ("tab\there.txt", "attachment; filename=\"tab?here.txt\"; filename*=UTF-8''tab%09here.txt"),
        ("ctrl\x85x.txt", "attachment; filename=\"ctrl?x.txt\"; filename*=UTF-8''ctrl%C2%85x.txt"),
        ("weird;name,=.txt", 'attachment; filename="weird;name,=.txt"'),
        ("", "attachment; filename*=UTF-8''"),
        ("emoji😀.txt", "attachment; filename=\"emoji??.txt\"; filename*=UTF-8''emoji%F0%9F%98%80.txt"),
        ("café.txt", 'attachment; filename="café.txt"'),
        ("a\x7fb.txt", "attachment; filename=\"a?b.txt\"; filename*=UTF-8''a%7Fb.txt"),
    ],
)
def test_matches_content_disposition(make_ctx: Callable[..., Context], name: str, expected: str) -> None:
    ctx = make_ctx()
    ctx.attachment(name)
    assert disposition(ctx) == expected
