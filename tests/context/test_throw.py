"""Koa's __tests__/context/throw.test.js and assert.test.js: ctx.throw() and ctx.assert_()."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from koa import Context, HttpError
from koa.errors import BadRequest, NotFound, Unauthorized


def test_throw_message_is_500(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw("boom")
    err = info.value
    assert err.status == 500
    assert err.expose is False
    assert err.message == "boom"
    assert str(err) == "boom"


def test_throw_error_sets_500(make_ctx: Callable[..., Context]) -> None:
    original = RuntimeError("test")
    with pytest.raises(RuntimeError) as info:
        make_ctx().throw(original)
    assert info.value is original
    assert info.value.status == 500  # type: ignore[attr-defined]
    assert info.value.expose is False  # type: ignore[attr-defined]
    assert str(info.value) == "test"


def test_throw_status_and_error(make_ctx: Callable[..., Context]) -> None:
    original = ValueError("test")
    with pytest.raises(ValueError) as info:
        make_ctx().throw(422, original)
    assert info.value is original
    assert info.value.status == 422  # type: ignore[attr-defined]
    assert info.value.expose is True  # type: ignore[attr-defined]
    assert str(info.value) == "test"


def test_throw_status_and_message(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400, "name required")
    assert info.value.message == "name required"
    assert info.value.status == 400
    assert info.value.expose is True


def test_throw_message_and_status(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw("name required", 400)
    assert (info.value.status, info.value.message, info.value.expose) == (400, "name required", True)


def test_throw_status(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400)
    assert info.value.message == "Bad Request"
    assert info.value.status == 400
    assert info.value.expose is True


def test_throw_default_is_500(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw()
    assert (info.value.status, info.value.message, info.value.expose) == (500, "Internal Server Error", False)


@pytest.mark.parametrize(("status", "cls"), [(400, BadRequest), (401, Unauthorized), (404, NotFound)])
def test_throw_uses_the_status_subclass(make_ctx: Callable[..., Context], status: int, cls: type) -> None:
    with pytest.raises(cls):
        make_ctx().throw(status)


def test_throw_error_with_invalid_status_does_not_expose(make_ctx: Callable[..., Context]) -> None:
    err = RuntimeError("some error")
    err.status = -1  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError) as info:
        make_ctx().throw(err)
    assert str(info.value) == "some error"
    assert info.value.expose is False  # type: ignore[attr-defined]


def test_throw_error_keeps_its_own_status_and_expose(make_ctx: Callable[..., Context]) -> None:
    err = RuntimeError("teapot")
    err.status = 418  # type: ignore[attr-defined]
    err.expose = False  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError) as info:
        make_ctx().throw(err)
    assert info.value.status == 418  # type: ignore[attr-defined]
    assert info.value.expose is False  # type: ignore[attr-defined]


def test_throw_error_with_status_gets_expose_from_it(make_ctx: Callable[..., Context]) -> None:
    err = RuntimeError("gone")
    err.status = 410  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError) as info:
        make_ctx().throw(err)
    assert info.value.expose is True  # type: ignore[attr-defined]


def test_throw_existing_http_error_is_the_same_object(make_ctx: Callable[..., Context]) -> None:
    err = HttpError(409, "conflict")
    with pytest.raises(HttpError) as info:
        make_ctx().throw(err)
    assert info.value is err
    assert info.value.status == 409


def test_throw_status_message_props(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400, "msg", {"prop": True})
    err = info.value
    assert (err.message, err.status, err.expose) == ("msg", 400, True)
    assert err.prop is True  # type: ignore[attr-defined]


def test_throw_props_as_keywords(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400, "msg", prop=True, code="E_NAME")
    assert info.value.prop is True  # type: ignore[attr-defined]
    assert info.value.code == "E_NAME"  # type: ignore[attr-defined]


def test_throw_props_cannot_change_the_status(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400, "msg", {"prop": True, "status": -1, "status_code": 7})
    err = info.value
    assert (err.message, err.status, err.expose) == ("msg", 400, True)
    assert err.status_code == 400
    assert err.prop is True  # type: ignore[attr-defined]


def test_throw_message_props(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw("msg", {"prop": True})
    err = info.value
    assert (err.message, err.status, err.expose) == ("msg", 500, False)
    assert err.prop is True  # type: ignore[attr-defined]


def test_throw_status_props(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(400, {"prop": True})
    err = info.value
    assert (err.message, err.status, err.expose) == ("Bad Request", 400, True)
    assert err.prop is True  # type: ignore[attr-defined]


def test_throw_error_props(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(RuntimeError) as info:
        make_ctx().throw(RuntimeError("test"), {"prop": True})
    err = info.value
    assert str(err) == "test"
    assert err.status == 500  # type: ignore[attr-defined]
    assert err.expose is False  # type: ignore[attr-defined]
    assert err.prop is True  # type: ignore[attr-defined]


def test_throw_headers_and_expose_keywords(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(401, "login", headers={"WWW-Authenticate": "Basic"}, expose=False)
    assert info.value.headers == {"WWW-Authenticate": "Basic"}
    assert info.value.expose is False


@pytest.mark.parametrize("bad", [True, 1.5, object(), None])
def test_throw_rejects_other_arguments(make_ctx: Callable[..., Context], bad: object) -> None:
    with pytest.raises(TypeError):
        make_ctx().throw(bad)


def test_throw_non_error_status_becomes_500(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(200, "fine?")
    assert info.value.status == 500
    assert info.value.expose is False


# -- ctx.assert_ ------------------------------------------------------------------------
def test_assert_throws(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().assert_(False, 404, "custom message")
    assert info.value.status == 404
    assert info.value.message == "custom message"
    assert info.value.expose is True


@pytest.mark.parametrize("value", [0, "", None, [], {}, False])
def test_assert_throws_for_falsy(make_ctx: Callable[..., Context], value: object) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().assert_(value, 401)
    assert info.value.status == 401
    assert info.value.message == "Unauthorized"


@pytest.mark.parametrize("value", [1, "x", [0], {"a": 1}, True, object()])
def test_assert_passes_for_truthy(make_ctx: Callable[..., Context], value: object) -> None:
    assert make_ctx().assert_(value, 401, "nope") is None


def test_assert_defaults_to_500(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().assert_(False)
    assert info.value.status == 500
    assert info.value.expose is False


def test_assert_with_properties(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().assert_(None, 403, "forbidden", reason="role", headers={"X-Why": "role"})
    assert info.value.reason == "role"  # type: ignore[attr-defined]
    assert info.value.headers == {"X-Why": "role"}


def test_throw_with_keywords(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().throw(status=404, message="no such user", user_id=7)
    assert (info.value.status, info.value.message, info.value.expose) == (404, "no such user", True)
    assert info.value.user_id == 7  # type: ignore[attr-defined]


def test_throw_status_keyword_only(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(NotFound):
        make_ctx().throw(status=404)


@pytest.mark.parametrize(("kwargs", "match"), [({"status": "404"}, "status must be an int"),
                                               ({"status": True}, "status must be an int"),
                                               ({"message": 42}, "message must be a str")])
def test_throw_keywords_are_checked(make_ctx: Callable[..., Context], kwargs: dict[str, object],
                                    match: str) -> None:
    with pytest.raises(TypeError, match=match):
        make_ctx().throw(**kwargs)


def test_assert_with_keywords(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(HttpError) as info:
        make_ctx().assert_(None, status=401, message="login first")
    assert (info.value.status, info.value.message) == (401, "login first")
    with pytest.raises(HttpError) as info2:
        make_ctx().assert_(0, message="just a message")
    assert (info2.value.status, info2.value.message) == (500, "just a message")
