"""Koa's __tests__/response/etag, last-modified and vary tests."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from koa import Context


def test_etag_with_quotes_is_kept(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.etag = '"asdf"'
    assert res.get("ETag") == '"asdf"'


def test_weak_etag_is_kept(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.etag = 'W/"asdf"'
    assert res.get("ETag") == 'W/"asdf"'


def test_etag_gets_quotes(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.etag = "asdf"
    assert res.get("ETag") == '"asdf"'


def test_etag_getter(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    assert res.etag == ""
    res.etag = '"asdf"'
    assert res.etag == '"asdf"'


@pytest.mark.parametrize("bad", [None, 123, b"x"])
def test_etag_must_be_a_string(make_ctx: Callable[..., Context], bad: Any) -> None:
    with pytest.raises(TypeError, match="etag must be a str"):
        make_ctx().etag = bad


def test_etag_refuses_crlf(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().etag = "a\r\nb"


def test_last_modified_sets_an_http_date(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.last_modified = datetime(2020, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    assert res.get("Last-Modified") == "Mon, 03 Feb 2020 04:05:06 GMT"


def test_last_modified_converts_to_gmt(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.last_modified = datetime(2020, 2, 3, 6, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    assert res.get("Last-Modified") == "Mon, 03 Feb 2020 04:05:06 GMT"


def test_naive_last_modified_is_utc(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.last_modified = datetime(2020, 2, 3, 4, 5, 6)
    assert res.get("Last-Modified") == "Mon, 03 Feb 2020 04:05:06 GMT"


def test_last_modified_from_a_date_string(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.last_modified = "Mon, 03 Feb 2020 04:05:06 GMT"
    assert res.get("Last-Modified") == "Mon, 03 Feb 2020 04:05:06 GMT"


def test_last_modified_from_a_timestamp(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.last_modified = 1580702706
    assert res.get("Last-Modified") == "Mon, 03 Feb 2020 04:05:06 GMT"


def test_last_modified_getter_drops_microseconds(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    when = datetime(2020, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    res.last_modified = when
    got = res.last_modified
    assert got is not None
    assert got == when.replace(microsecond=0)
    assert got.tzinfo is not None


def test_last_modified_missing_is_none(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().response.last_modified is None


def test_last_modified_unparsable_header_is_none(make_ctx: Callable[..., Context]) -> None:
    res = make_ctx().response
    res.set("Last-Modified", "yesterday")
    assert res.last_modified is None


@pytest.mark.parametrize("bad", [None, [2020], object()])
def test_last_modified_rejects_other_types(make_ctx: Callable[..., Context], bad: Any) -> None:
    with pytest.raises(TypeError, match="last_modified takes a datetime"):
        make_ctx().last_modified = bad


def test_last_modified_rejects_a_bad_string(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().last_modified = "not a date"


# -- vary ----------------------------------------------------------------------------------
def test_vary_sets(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.vary("Accept")
    assert ctx.response.get("Vary") == "Accept"


def test_vary_appends(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.vary("Accept")
    ctx.vary("Accept-Encoding")
    assert ctx.response.get("Vary") == "Accept, Accept-Encoding"


def test_vary_does_not_duplicate(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.vary("Accept")
    ctx.vary("Accept-Encoding")
    ctx.vary("Accept")
    ctx.vary("accept-encoding")
    assert ctx.response.get("Vary") == "Accept, Accept-Encoding"


def test_vary_list_and_comma_string(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.vary(["Origin", "Accept"])
    ctx.vary("Accept, Cookie")
    assert ctx.response.get("Vary") == "Origin, Accept, Cookie"


def test_vary_star_absorbs_everything(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.vary("Accept")
    ctx.vary("*")
    assert ctx.response.get("Vary") == "*"
    ctx.vary("Origin")
    assert ctx.response.get("Vary") == "*"


def test_vary_keeps_an_existing_header(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("Vary", "Accept")
    ctx.vary("Origin")
    assert ctx.response.get("Vary") == "Accept, Origin"


@pytest.mark.parametrize("field", ["Bad Field", "a:b", "x\r\ny"])
def test_vary_refuses_invalid_field_names(make_ctx: Callable[..., Context], field: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        make_ctx().vary(field)
