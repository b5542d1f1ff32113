"""Koa's __tests__/response/append, get, has, header(s), remove, set tests; header validation."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context


def test_append_multiple_values(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.append("x-foo", "bar1")
    ctx.append("x-foo", "bar2")
    assert ctx.response.headers["x-foo"] == ["bar1", "bar2"]


def test_append_a_list(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.append("Set-Cookie", ["foo=bar", "fizz=buzz"])
    ctx.append("Set-Cookie", "hi=again")
    assert ctx.response.headers["set-cookie"] == ["foo=bar", "fizz=buzz", "hi=again"]


def test_set_resets_appended_values(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.append("Link", "<http://localhost/>")
    ctx.append("Link", "<http://localhost:80/>")
    ctx.set("Link", "<http://127.0.0.1/>")
    assert ctx.response.headers["link"] == "<http://127.0.0.1/>"


def test_append_after_set(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("Link", "<http://localhost/>")
    ctx.append("Link", "<http://localhost:80/>")
    assert ctx.response.headers["link"] == ["<http://localhost/>", "<http://localhost:80/>"]


def test_get_is_case_insensitive(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-Foo", "bar")
    assert ctx.response.get("x-FOO") == "bar"


def test_get_missing_is_none(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.response.get("nonexistent") is None
    assert ctx.response.get("") is None


def test_get_joins_list_values(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-List", ["a", "b"])
    assert ctx.response.get("x-list") == "a, b"


def test_get_empty_string_value(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("Foo-Empty", "")
    assert ctx.response.get("foo-empty") == ""


def test_has_is_case_insensitive(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-Foo", "")
    assert ctx.response.has("x-Foo")
    assert ctx.has("x-foo")


def test_has_missing_is_false(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.response.has("boo") is False
    ctx.set("x-foo", 5)
    assert ctx.has("x-boo") is False


def test_headers_is_a_lower_case_copy(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-Foo", "bar")
    ctx.set("X-Number", 200)
    headers = ctx.response.headers
    assert headers == {"x-foo": "bar", "x-number": "200"}
    headers["x-foo"] = "changed"
    assert ctx.response.get("X-Foo") == "bar"
    assert ctx.response.header == {"x-foo": "bar", "x-number": "200"}


def test_headers_empty(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().response.headers == {}


async def test_headers_inside_a_request(fetch: Callable[..., Any]) -> None:
    from koa import Koa

    app = Koa()
    seen: list[dict[str, Any]] = []

    def mw(ctx: Context, next: Any) -> None:
        ctx.set("x-foo", "42")
        seen.append(dict(ctx.response.headers))

    app.use(mw)
    await fetch(app)
    assert seen == [{"x-foo": "42"}]


def test_remove(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("x-foo", "bar")
    ctx.remove("X-FOO")
    assert ctx.response.headers == {}
    ctx.remove("never-set")


def test_set(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("x-foo", "bar")
    assert ctx.response.get("x-foo") == "bar"


def test_set_coerces_to_string(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("x-foo", 5)
    ctx.set("x-float", 1.5)
    assert ctx.response.headers["x-foo"] == "5"
    assert ctx.response.headers["x-float"] == "1.5"


def test_set_none_is_a_type_error(make_ctx: Callable[..., Context]) -> None:
    # Node's setHeader(name, undefined) throws too; remove() drops a header
    ctx = make_ctx()
    with pytest.raises(TypeError, match="must not be None"):
        ctx.set("x-none", None)
    with pytest.raises(TypeError):
        ctx.set("x-list", ["a", None])
    assert not ctx.has("x-none")


def test_set_a_list(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("x-foo", ["foo", "bar", 123])
    assert ctx.response.headers["x-foo"] == ["foo", "bar", "123"]


def test_set_a_mapping(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set({"foo": "1", "bar": "2"})
    assert ctx.response.headers["foo"] == "1"
    assert ctx.response.headers["bar"] == "2"


def test_set_keeps_the_first_spelling_for_the_wire(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-Request-ID", "1")
    assert ctx.response._headers["x-request-id"] == ("X-Request-ID", "1")


@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "line\nbreak", "cr\rhere", "nul\x00"])
def test_set_refuses_crlf_and_nul(make_ctx: Callable[..., Context], value: str) -> None:
    ctx = make_ctx()
    with pytest.raises(ValueError, match="invalid character"):
        ctx.set("X-Bad", value)
    assert not ctx.has("X-Bad")


def test_set_refuses_crlf_in_a_list(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().set("X-Bad", ["ok", "bad\r\n"])


def test_set_refuses_crlf_in_a_mapping(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().set({"X-Ok": "1", "X-Bad": "a\nb"})


def test_append_refuses_crlf(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-A", "1")
    with pytest.raises(ValueError):
        ctx.append("X-A", "2\r\n")
    assert ctx.response.get("X-A") == "1"


def test_set_refuses_non_latin1(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError, match="not Latin-1"):
        make_ctx().set("X-Snow", "☃")


def test_set_accepts_latin1(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("X-Name", "café")
    assert ctx.response.get("x-name") == "café"


@pytest.mark.parametrize("name", ["", "Bad Name", "X:Y", "Ünicode", "a\r\nb", "(x)"])
def test_set_refuses_invalid_names(make_ctx: Callable[..., Context], name: str) -> None:
    with pytest.raises(ValueError, match="invalid header name"):
        make_ctx().set(name, "v")


@pytest.mark.parametrize("field", [5, None, b"X-Bytes", ["X-A"]])
def test_set_refuses_other_field_types(make_ctx: Callable[..., Context], field: Any) -> None:
    with pytest.raises(TypeError):
        make_ctx().set(field, "v")


async def test_crlf_in_a_header_is_a_500_with_nothing_written(fetch: Callable[..., Any]) -> None:
    from koa import Koa

    app = Koa(silent=True)

    def mw(ctx: Context, next: Any) -> None:
        ctx.set("X-Good", "1")
        ctx.set("Location", "/a\r\nSet-Cookie: evil=1")

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 500
    assert "set-cookie" not in res.headers
    assert "x-good" not in res.headers


def test_header_changes_after_headers_sent_are_ignored(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    ctx.set("X-Before", "1")
    ctx.flush_headers()
    assert ctx.header_sent is True
    ctx.set("X-After", "1")
    ctx.remove("X-Before")
    ctx.vary("Accept")
    ctx.status = 500
    assert ctx.response.get("X-After") is None
    assert ctx.response.get("X-Before") == "1"
    assert ctx.response.get("Vary") is None
    assert ctx.status == 404
