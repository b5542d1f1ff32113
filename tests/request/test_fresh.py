"""Koa's __tests__/request/fresh.test.js and stale.test.js, plus the `fresh` package's rules."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from koa import Context

LAST_MODIFIED = "Sat, 01 Jan 2000 00:00:00 GMT"
EARLIER = "Fri, 31 Dec 1999 23:59:59 GMT"
LATER = "Sat, 01 Jan 2000 00:00:01 GMT"


def ctx_for(make_ctx: Callable[..., Context], headers: dict[str, str], method: str = "GET",
            status: int = 200, etag: str | None = None, last_modified: str | None = None) -> Context:
    ctx = make_ctx(method=method, headers=headers)
    ctx.status = status
    if etag is not None:
        ctx.set("ETag", etag)
    if last_modified is not None:
        ctx.set("Last-Modified", last_modified)
    return ctx


def test_not_get_or_head_is_not_fresh(make_ctx: Callable[..., Context]) -> None:
    ctx = ctx_for(make_ctx, {"If-None-Match": "123"}, method="POST", etag="123")
    assert ctx.fresh is False


def test_head_can_be_fresh(make_ctx: Callable[..., Context]) -> None:
    assert ctx_for(make_ctx, {"If-None-Match": '"1"'}, method="HEAD", etag='"1"').fresh is True


def test_non_2xx_is_not_fresh(make_ctx: Callable[..., Context]) -> None:
    ctx = ctx_for(make_ctx, {"If-None-Match": "123"}, status=404, etag="123")
    assert ctx.fresh is False


def test_304_can_be_fresh(make_ctx: Callable[..., Context]) -> None:
    assert ctx_for(make_ctx, {"If-None-Match": "123"}, status=304, etag="123").fresh is True


def test_default_404_is_not_fresh(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"If-None-Match": "123"})
    ctx.set("ETag", "123")
    assert ctx.fresh is False


def test_etag_match_is_fresh(make_ctx: Callable[..., Context]) -> None:
    assert ctx_for(make_ctx, {"If-None-Match": "123"}, etag="123").fresh is True


def test_etag_mismatch_is_stale(make_ctx: Callable[..., Context]) -> None:
    assert ctx_for(make_ctx, {"If-None-Match": "123"}, etag="hey").fresh is False


def test_stale_is_the_inverse(make_ctx: Callable[..., Context]) -> None:
    ctx = ctx_for(make_ctx, {"If-None-Match": '"123"'}, etag='"123"')
    assert ctx.fresh is True
    assert ctx.stale is False
    ctx2 = ctx_for(make_ctx, {"If-None-Match": '"123"'}, etag='"456"')
    assert ctx2.fresh is False
    assert ctx2.stale is True


def test_unconditional_request_is_not_fresh(make_ctx: Callable[..., Context]) -> None:
    assert ctx_for(make_ctx, {}, etag='"1"', last_modified=LAST_MODIFIED).fresh is False


@pytest.mark.parametrize(
    ("if_none_match", "etag", "fresh"),
    [
        ('"foo"', '"foo"', True),
        ('"foo"', '"bar"', False),
        ('"bar", "foo"', '"foo"', True),
        ('"bar" , "foo" ', '"foo"', True),
        ('W/"foo"', '"foo"', True),
        ('"foo"', 'W/"foo"', True),
        ('W/"foo"', 'W/"foo"', True),
        ("*", '"foo"', True),
        ("*", None, True),
        ('"foo"', None, False),
    ],
)
def test_if_none_match(make_ctx: Callable[..., Context], if_none_match: str, etag: str | None, fresh: bool) -> None:
    assert ctx_for(make_ctx, {"If-None-Match": if_none_match}, etag=etag).fresh is fresh


@pytest.mark.parametrize(
    ("if_modified_since", "last_modified", "fresh"),
    [
        (LAST_MODIFIED, LAST_MODIFIED, True),
        (LATER, LAST_MODIFIED, True),
        (EARLIER, LAST_MODIFIED, False),
        (LAST_MODIFIED, None, False),
        ("not a date", LAST_MODIFIED, False),
        (LAST_MODIFIED, "not a date", False),
    ],
)
def test_if_modified_since(
    make_ctx: Callable[..., Context], if_modified_since: str, last_modified: str | None, fresh: bool
) -> None:
    ctx = ctx_for(make_ctx, {"If-Modified-Since": if_modified_since}, last_modified=last_modified)
    assert ctx.fresh is fresh


def test_both_validators_must_pass(make_ctx: Callable[..., Context]) -> None:
    headers = {"If-None-Match": '"1"', "If-Modified-Since": LAST_MODIFIED}
    assert ctx_for(make_ctx, headers, etag='"1"', last_modified=LAST_MODIFIED).fresh is True
    assert ctx_for(make_ctx, headers, etag='"1"', last_modified=LATER).fresh is False
    assert ctx_for(make_ctx, headers, etag='"2"', last_modified=LAST_MODIFIED).fresh is False


@pytest.mark.parametrize("cache_control", ["no-cache", " no-cache", "max-age=0, no-cache", "no-cache , private"])
def test_no_cache_is_never_fresh(make_ctx: Callable[..., Context], cache_control: str) -> None:
    ctx = ctx_for(make_ctx, {"If-None-Match": '"1"', "Cache-Control": cache_control}, etag='"1"')
    assert ctx.fresh is False


def test_other_cache_control_does_not_matter(make_ctx: Callable[..., Context]) -> None:
    ctx = ctx_for(make_ctx, {"If-None-Match": '"1"', "Cache-Control": "max-age=0, no-cache-ish"}, etag='"1"')
    assert ctx.fresh is True


def test_fresh_with_etag_and_last_modified_setters(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"If-None-Match": '"v1"', "If-Modified-Since": LAST_MODIFIED})
    ctx.body = "content"
    ctx.etag = "v1"
    ctx.last_modified = datetime(2000, 1, 1, tzinfo=UTC)
    assert ctx.fresh is True


async def test_conditional_get_end_to_end(fetch: Callable[..., object]) -> None:
    from koa import Koa

    app = Koa()

    async def mw(ctx: Context, next: object) -> None:
        ctx.body = "cached content"
        ctx.etag = "v2"
        if ctx.fresh:
            ctx.status = 304

    app.use(mw)
    fresh = await fetch(app, headers={"If-None-Match": '"v2"'})
    assert fresh.status_code == 304  # type: ignore[attr-defined]
    assert fresh.content == b""  # type: ignore[attr-defined]
    stale = await fetch(app, headers={"If-None-Match": '"v1"'})
    assert stale.status_code == 200  # type: ignore[attr-defined]
    assert stale.text == "cached content"  # type: ignore[attr-defined]
