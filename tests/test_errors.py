"""Contract section 6: koa.HttpError, the per-status classes, and how errors become responses."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, HttpError, Koa, errors
from koa._status import MESSAGES
from koa.errors import create_error


def test_defaults() -> None:
    err = HttpError()
    assert err.status == 500
    assert err.status_code == 500
    assert err.message == "Internal Server Error"
    assert str(err) == "Internal Server Error"
    assert err.expose is False
    assert err.headers is None
    assert isinstance(err, Exception)


@pytest.mark.parametrize(("status", "expose"), [(400, True), (404, True), (499, True), (500, False), (503, False)])
def test_expose_defaults_to_status_below_500(status: int, expose: bool) -> None:
    assert HttpError(status).expose is expose


def test_expose_can_be_forced() -> None:
    assert HttpError(500, expose=True).expose is True
    assert HttpError(400, expose=False).expose is False


def test_message_and_headers() -> None:
    err = HttpError(401, "login first", headers={"WWW-Authenticate": "Bearer"})
    assert err.message == "login first"
    assert str(err) == "login first"
    assert err.headers == {"WWW-Authenticate": "Bearer"}


def test_properties_become_attributes() -> None:
    err = HttpError(422, "invalid", field="email", code="E_EMAIL")
    assert err.field == "email"  # type: ignore[attr-defined]
    assert err.code == "E_EMAIL"  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [200, 302, 399, 600, 999, 0, -1])
def test_non_error_statuses_become_500(status: int) -> None:
    err = HttpError(status, "x")
    assert err.status == 500
    assert err.expose is False


@pytest.mark.parametrize("status", ["404", 404.0, None, True])
def test_status_must_be_an_int(status: Any) -> None:
    with pytest.raises(TypeError, match="HttpError status must be an int"):
        HttpError(status)


def test_repr() -> None:
    assert repr(HttpError(404)) == "HttpError(404, 'Not Found')"
    assert repr(errors.NotFound("gone")) == "NotFound(404, 'gone')"


@pytest.mark.parametrize(
    ("name", "status"),
    [("BadRequest", 400), ("Unauthorized", 401), ("PaymentRequired", 402), ("Forbidden", 403),
     ("NotFound", 404), ("MethodNotAllowed", 405), ("NotAcceptable", 406), ("RequestTimeout", 408),
     ("Conflict", 409), ("Gone", 410), ("LengthRequired", 411), ("PreconditionFailed", 412),
     ("PayloadTooLarge", 413), ("URITooLong", 414), ("UnsupportedMediaType", 415),
     ("RangeNotSatisfiable", 416), ("ExpectationFailed", 417), ("ImATeapot", 418),
     ("UnprocessableEntity", 422), ("TooManyRequests", 429), ("RequestHeaderFieldsTooLarge", 431),
     ("InternalServerError", 500), ("NotImplemented", 501), ("BadGateway", 502),
     ("ServiceUnavailable", 503), ("GatewayTimeout", 504), ("HTTPVersionNotSupported", 505)],
)
def test_a_class_per_status(name: str, status: int) -> None:
    cls = getattr(errors, name)
    err = cls()
    assert isinstance(err, HttpError)
    assert err.status == status
    assert err.message == MESSAGES[status]
    assert err.expose is (status < 500)
    assert cls.__doc__ == f"HTTP {status} {MESSAGES[status]}."
    custom = cls("custom", expose=True, headers={"X": "1"}, detail=1)
    assert (custom.message, custom.expose, custom.headers, custom.detail) == ("custom", True, {"X": "1"}, 1)


def test_catch_by_class() -> None:
    with pytest.raises(errors.NotFound):
        raise create_error(404)
    with pytest.raises(HttpError):
        raise errors.Forbidden()


def test_create_error() -> None:
    err = create_error(409, "taken", expose=False)
    assert type(err) is errors.Conflict
    assert (err.status, err.message, err.expose) == (409, "taken", False)
    plain = create_error(420)
    assert type(plain) is HttpError
    assert plain.status == 420
    assert plain.message == "420"


def test_every_4xx_and_5xx_phrase_has_a_class() -> None:
    for status in MESSAGES:
        if 400 <= status < 600:
            assert type(create_error(status)) is not HttpError, status


# -- section 6, end to end ---------------------------------------------------------------
def raising(err: BaseException, **options: Any) -> Koa:
    app = Koa(silent=True, **options)

    async def mw(ctx: Context, next: Any) -> None:
        ctx.set("X-Before-Error", "1")
        raise err

    app.use(mw)
    return app


class WithStatus(Exception):
    status = 409
    expose = True
    headers = {"Retry-After": "10"}


@pytest.mark.parametrize(
    ("err", "status", "body"),
    [
        (HttpError(404), 404, "Not Found"),
        (HttpError(400, "bad name"), 400, "bad name"),
        (HttpError(500, "secret"), 500, "Internal Server Error"),
        (errors.ServiceUnavailable("down for maintenance", expose=True), 503, "down for maintenance"),
        (RuntimeError("secret"), 500, "Internal Server Error"),
        (FileNotFoundError(2, "No such file", "/etc/secret"), 500, "Internal Server Error"),
        (PermissionError("denied"), 500, "Internal Server Error"),
        (KeyError("k"), 500, "Internal Server Error"),
        (WithStatus("conflict!"), 409, "conflict!"),
    ],
)
async def test_errors_become_responses(fetch: Callable[..., Any], err: BaseException, status: int,
                                       body: str) -> None:
    res = await fetch(raising(err))
    assert res.status_code == status
    assert res.text == body
    assert res.headers["content-type"] == "text/plain; charset=utf-8"
    assert res.headers["content-length"] == str(len(body.encode()))
    assert "x-before-error" not in res.headers


async def test_non_http_error_headers_are_honoured(fetch: Callable[..., Any]) -> None:
    res = await fetch(raising(WithStatus("conflict!")))
    assert res.headers["retry-after"] == "10"


async def test_http_error_headers_are_honoured(fetch: Callable[..., Any]) -> None:
    res = await fetch(raising(errors.TooManyRequests(headers={"Retry-After": "5"})))
    assert res.status_code == 429
    assert res.headers["retry-after"] == "5"
    assert "x-before-error" not in res.headers


@pytest.mark.parametrize("env", ["development", "production", "test"])
async def test_no_traceback_reaches_the_client(fetch: Callable[..., Any], env: str) -> None:
    def deep() -> None:
        raise ValueError("internal detail: password=hunter2")

    app = Koa(env=env, silent=True)

    async def mw(ctx: Context, next: Any) -> None:
        deep()

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 500
    assert res.text == "Internal Server Error"
    for leak in ("Traceback", "hunter2", "deep", "ValueError", ".py"):
        assert leak not in res.text


async def test_error_event_gets_err_and_ctx(fetch: Callable[..., Any]) -> None:
    err = HttpError(418, "teapot")
    app = raising(err)
    seen: list[tuple[BaseException, Any]] = []
    app.on("error", lambda e, ctx: seen.append((e, ctx)))
    await fetch(app, "GET", "/brew")
    assert seen[0][0] is err
    assert isinstance(seen[0][1], Context)
    assert seen[0][1].path == "/brew"


async def test_error_from_a_sync_middleware(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: ctx.throw(403, "no entry"))
    res = await fetch(app)
    assert (res.status_code, res.text) == (403, "no entry")


async def test_error_raised_after_next_is_handled(fetch: Callable[..., Any]) -> None:
    app = Koa(silent=True)

    async def outer(ctx: Context, next: Any) -> None:
        await next()
        raise HttpError(502, "upstream broke", expose=True)

    app.use(outer).use(lambda ctx, next: setattr(ctx, "body", "fine"))
    res = await fetch(app)
    assert (res.status_code, res.text) == (502, "upstream broke")


async def test_base_exceptions_are_not_swallowed(make_ctx: Callable[..., Context]) -> None:
    app = Koa()

    async def interrupt(ctx: Context, next: Any) -> None:
        raise KeyboardInterrupt

    app.use(interrupt)
    with pytest.raises(KeyboardInterrupt):
        await app.handle(make_ctx(app=app))
