"""Koa's __tests__/application/onerror.test.js: app.onerror(err), the default error reporter."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koa import Context, HttpError, Koa


def _raised(err: BaseException) -> BaseException:
    try:
        raise err
    except BaseException as caught:  # noqa: BLE001 - give it a traceback
        return caught


def test_non_error_raises_type_error() -> None:
    app = Koa()
    with pytest.raises(TypeError, match="non-error thrown: 'foo'"):
        app.onerror("foo")  # type: ignore[arg-type]


def test_error_with_status_and_expose_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    err = ValueError("boom")
    err.status = 418  # type: ignore[attr-defined]
    err.expose = True  # type: ignore[attr-defined]
    app.onerror(err)
    assert capsys.readouterr().err == ""


def test_404_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    err = Exception()
    err.status = 404  # type: ignore[attr-defined]
    app.onerror(err)
    assert capsys.readouterr().err == ""


def test_http_error_404_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    app.onerror(HttpError(404))
    assert capsys.readouterr().err == ""


def test_exposed_http_error_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    app.onerror(HttpError(400, "bad"))
    app.onerror(HttpError(503, "down", expose=True))
    assert capsys.readouterr().err == ""


def test_silent_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    app.silent = True
    app.onerror(_raised(RuntimeError("quiet")))
    assert capsys.readouterr().err == ""


def test_logs_traceback_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa(env="dev")
    app.onerror(_raised(RuntimeError("loud")))
    out = capsys.readouterr()
    assert out.out == ""
    assert "Traceback (most recent call last)" in out.err
    assert "RuntimeError: loud" in out.err
    # indented by two spaces between blank lines, as Koa prints it
    lines = out.err.split("\n")
    assert lines[0] == ""
    assert all(line.startswith("  ") for line in lines[1:-2] if line)


def test_unexposed_http_error_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    app.onerror(_raised(HttpError(500, "kaput")))
    assert "kaput" in capsys.readouterr().err


def test_expose_must_be_true_not_truthy(capsys: pytest.CaptureFixture[str]) -> None:
    app = Koa()
    err = RuntimeError("truthy expose")
    err.expose = "yes"  # type: ignore[attr-defined]
    app.onerror(_raised(err))
    assert "truthy expose" in capsys.readouterr().err


async def test_request_errors_print_unless_listened(
    fetch: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Koa()

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("from a request")

    app.use(boom)
    res = await fetch(app)
    assert res.status_code == 500
    err = capsys.readouterr().err
    assert "RuntimeError: from a request" in err
    assert "from a request" not in res.text


async def test_error_listener_replaces_the_default_reporter(
    fetch: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Koa()
    seen: list[tuple[BaseException, Context]] = []
    app.on("error", lambda err, ctx: seen.append((err, ctx)))

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("listened")

    app.use(boom)
    assert (await fetch(app)).status_code == 500
    assert capsys.readouterr().err == ""
    assert str(seen[0][0]) == "listened"
    assert isinstance(seen[0][1], Context)


async def test_request_404_error_is_not_printed(
    fetch: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Koa()
    app.use(lambda ctx, next: ctx.throw(404))
    assert (await fetch(app)).status_code == 404
    assert capsys.readouterr().err == ""


async def test_silent_app_prints_nothing_for_request_errors(
    fetch: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Koa(silent=True)

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("hush")

    app.use(boom)
    assert (await fetch(app)).status_code == 500
    assert capsys.readouterr().err == ""


def test_onerror_can_be_overridden() -> None:
    seen: list[BaseException] = []

    class MyKoa(Koa):
        def onerror(self, err: BaseException, ctx: Context | None = None) -> None:
            seen.append(err)

    app = MyKoa()
    err = RuntimeError("x")
    app.emit("error", err, None)
    assert seen == [err]
