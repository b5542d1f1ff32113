"""Koa's __tests__/response/status.test.js and message.test.js."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context


def test_set_status(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 403
    assert ctx.status == 403
    assert ctx.message == "Forbidden"


@pytest.mark.parametrize("code", [99, 0, -1, 1000, 10000])
def test_invalid_status_is_a_value_error(make_ctx: Callable[..., Context], code: int) -> None:
    with pytest.raises(ValueError, match=f"invalid status code: {code}"):
        make_ctx().status = code


@pytest.mark.parametrize("code", ["forbidden", "200", 200.0, None, True, False])
def test_non_int_status_is_a_type_error(make_ctx: Callable[..., Context], code: Any) -> None:
    with pytest.raises(TypeError, match="status code must be an int"):
        make_ctx().status = code


@pytest.mark.parametrize("code", [100, 103, 599, 700, 999])
def test_any_status_between_100_and_999(make_ctx: Callable[..., Context], code: int) -> None:
    ctx = make_ctx()
    ctx.status = code
    assert ctx.status == code


def test_custom_status_has_an_empty_message(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 700
    assert ctx.message == ""


def test_status_resets_a_custom_message(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 200
    ctx.message = "ok"
    ctx.status = 201
    assert ctx.message == "Created"


@pytest.mark.parametrize("code", [204, 205, 304])
def test_empty_status_drops_the_body(make_ctx: Callable[..., Context], code: int) -> None:
    ctx = make_ctx()
    ctx.body = {"foo": "bar"}
    ctx.set("Content-Length", "15")
    ctx.status = code
    assert ctx.body is None
    assert ctx.response.get("Content-Type") is None
    assert ctx.response.get("Content-Length") is None


def test_message(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 200
    assert ctx.message == "OK"


def test_set_message(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.status = 200
    ctx.message = "ok"
    assert ctx.message == "ok"
    assert ctx.response.to_json()["message"] == "ok"


def test_message_refuses_crlf(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(ValueError):
        make_ctx().message = "OK\r\nX-Injected: 1"


@pytest.mark.parametrize(
    ("code", "phrase"),
    [(100, "Continue"), (201, "Created"), (301, "Moved Permanently"), (418, "I'm a Teapot"),
     (422, "Unprocessable Entity"), (451, "Unavailable For Legal Reasons"), (503, "Service Unavailable")],
)
def test_reason_phrases(make_ctx: Callable[..., Context], code: int, phrase: str) -> None:
    ctx = make_ctx()
    ctx.status = code
    assert ctx.message == phrase


@pytest.mark.parametrize("bad", [42, None, b"OK"])
def test_message_must_be_a_string(make_ctx: Callable[..., Context], bad: Any) -> None:
    with pytest.raises(TypeError, match="message must be a str"):
        make_ctx().message = bad
