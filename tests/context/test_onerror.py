"""Koa's __tests__/context/onerror.test.js: ctx.onerror(err) turns an error into the response."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, HttpError, Koa


def failing(make_err: Callable[[], BaseException], **app_options: Any) -> Koa:
    app = Koa(silent=True, **app_options)

    async def mw(ctx: Context, next: Any) -> None:
        ctx.set("Vary", "Accept-Encoding")
        ctx.set("X-CSRF-Token", "asdf")
        ctx.body = "something else"
        raise make_err()

    app.use(mw)
    return app


async def test_responds_with_the_error(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.body = "something else"
        ctx.throw(418, "boom")

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 418
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "4"
    assert res.text == "boom"


async def test_unsets_all_headers(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(418, "boom")))
    assert res.status_code == 418
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == "4"
    assert "vary" not in res.headers
    assert "x-csrf-token" not in res.headers


async def test_sets_headers_from_the_error(fetch: Callable[..., Any]) -> None:
    def make() -> BaseException:
        err = RuntimeError("boom")
        err.status = 418  # type: ignore[attr-defined]
        err.expose = True  # type: ignore[attr-defined]
        err.headers = {"X-New-Header": "Value"}  # type: ignore[attr-defined]
        return err

    res = await fetch(failing(make))
    assert res.status_code == 418
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["x-new-header"] == "Value"
    assert "vary" not in res.headers
    assert "x-csrf-token" not in res.headers
    assert res.text == "boom"


async def test_http_error_headers_are_kept(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(401, headers={"WWW-Authenticate": 'Basic realm="x"'})))
    assert res.status_code == 401
    assert res.headers["www-authenticate"] == 'Basic realm="x"'
    assert res.text == "Unauthorized"


async def test_error_headers_cannot_override_the_content_type(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(400, "<b>x</b>", headers={"Content-Type": "text/html"})))
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.text == "<b>x</b>"


async def test_invalid_error_headers_are_dropped(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(400, headers={"X-Bad": "a\r\nInjected: 1"})))
    assert res.status_code == 400
    assert "x-bad" not in res.headers
    assert "injected" not in res.headers


async def test_error_after_headers_sent_is_only_reported(fetch: Callable[..., Any]) -> None:
    app = Koa()
    seen: list[BaseException] = []
    app.on("error", lambda err, ctx: seen.append(err))

    async def mw(ctx: Context, next: Any) -> None:
        ctx.status = 200
        ctx.set("X-Foo", "Bar")
        ctx.flush_headers()
        raise RuntimeError("mock error")

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.headers["x-foo"] == "Bar"
    assert str(seen[0]) == "mock error"
    assert seen[0].header_sent is True  # type: ignore[attr-defined]


async def test_status_from_status_code_attribute(fetch: Callable[..., Any]) -> None:
    def make() -> BaseException:
        err = RuntimeError("Not found")
        err.status_code = 404  # type: ignore[attr-defined]
        return err

    res = await fetch(failing(make))
    assert res.status_code == 404
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.text == "Not Found"


@pytest.mark.parametrize("attr", ["status", "status_code"])
@pytest.mark.parametrize("bad", ["notnumber", 9999, 99, None, True, 4.04])
async def test_invalid_status_is_500(fetch: Callable[..., Any], attr: str, bad: Any) -> None:
    def make() -> BaseException:
        err = RuntimeError("some error")
        setattr(err, attr, bad)
        return err

    res = await fetch(failing(make))
    assert res.status_code == 500
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.text == "Internal Server Error"


async def test_error_status_is_updated_to_what_was_sent(fetch: Callable[..., Any]) -> None:
    app = Koa()
    seen: list[Any] = []
    app.on("error", lambda err, ctx: seen.append(err))
    err = RuntimeError("x")
    err.status = "bad"  # type: ignore[attr-defined]

    async def mw(ctx: Context, next: Any) -> None:
        raise err

    app.use(mw)
    await fetch(app)
    assert err.status == 500  # type: ignore[attr-defined]


async def test_the_same_error_object_is_emitted(fetch: Callable[..., Any]) -> None:
    app = Koa()
    error = ValueError("boom")
    error.status = 418  # type: ignore[attr-defined]
    error.expose = True  # type: ignore[attr-defined]
    received: list[BaseException] = []
    app.on("error", lambda err, ctx: received.append(err))

    async def mw(ctx: Context, next: Any) -> None:
        raise error

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 418
    assert received == [error]


async def test_exposed_empty_message_falls_back_to_the_phrase(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(400, "")))
    assert res.text == "Bad Request"


async def test_unexposed_5xx_hides_the_message(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(503, "database password is hunter2")))
    assert res.status_code == 503
    assert res.text == "Service Unavailable"


async def test_exposed_5xx_shows_the_message(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(503, "try later", expose=True)))
    assert res.text == "try later"


async def test_unexposed_4xx_hides_the_message(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: HttpError(403, "secret reason", expose=False)))
    assert res.status_code == 403
    assert res.text == "Forbidden"


async def test_plain_exception_message_never_leaks(fetch: Callable[..., Any]) -> None:
    res = await fetch(failing(lambda: KeyError("internal key")))
    assert res.status_code == 500
    assert res.text == "Internal Server Error"
    assert "internal key" not in res.text
    assert "Traceback" not in res.text


async def test_file_not_found_is_500(fetch: Callable[..., Any]) -> None:
    def make() -> BaseException:
        try:
            open("/definitely/not/here.txt")  # noqa: SIM115
        except FileNotFoundError as err:
            return err
        raise AssertionError("the file exists")

    res = await fetch(failing(make))
    assert res.status_code == 500
    assert res.text == "Internal Server Error"


async def test_exposed_plain_exception_uses_str(fetch: Callable[..., Any]) -> None:
    def make() -> BaseException:
        err = ValueError("bad input")
        err.status = 422  # type: ignore[attr-defined]
        err.expose = True  # type: ignore[attr-defined]
        return err

    res = await fetch(failing(make))
    assert res.status_code == 422
    assert res.text == "bad input"


async def test_exception_with_status_but_no_expose_is_hidden(fetch: Callable[..., Any]) -> None:
    def make() -> BaseException:
        err = ValueError("detail")
        err.status = 422  # type: ignore[attr-defined]
        return err

    res = await fetch(failing(make))
    assert res.status_code == 422
    assert res.text == "Unprocessable Entity"


def test_onerror_directly(make_ctx: Callable[..., Context]) -> None:
    app = Koa(silent=True)
    ctx = make_ctx(app=app)
    ctx.set("X-Remove", "1")
    ctx.body = {"a": 1}
    ctx.onerror(HttpError(404, "nothing here"))
    assert ctx.status == 404
    assert ctx.body == "nothing here"
    assert ctx.type == "text/plain"
    assert ctx.response.get("X-Remove") is None
    assert ctx.length == len("nothing here")


def test_onerror_html_looking_message_stays_plain_text(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(app=Koa(silent=True))
    ctx.onerror(HttpError(400, "<script>alert(1)</script>"))
    assert ctx.response.get("Content-Type") == "text/plain; charset=utf-8"


def test_onerror_resets_a_custom_message(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(app=Koa(silent=True))
    ctx.status = 200
    ctx.message = "All good"
    ctx.onerror(HttpError(400))
    assert ctx.message == "Bad Request"
