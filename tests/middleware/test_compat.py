"""koa.core / koa.common: the original koa package's API (0.3), on top of koa.middleware."""
from __future__ import annotations

import base64
import types
from pathlib import Path
from typing import Any

import pytest

import koa.common
import koa.core
from koa import Koa
from koa.router import Router


def test_core_app_is_a_koa_app() -> None:
    app = koa.core.app()
    assert isinstance(app, Koa)
    assert koa.core.app(silent=True).silent is True


async def test_app_middleware_composes_the_stack(fetch: Any) -> None:
    users = koa.core.app()

    async def hello(ctx: Any, next: Any) -> None:
        ctx.body = f"users at {ctx.path}"

    users.use(hello)
    app = koa.core.app()
    app.use(koa.common.mount("/admin", users.middleware()))
    r = await fetch(app, "GET", "/admin/users")
    assert r.text == "users at /users"


async def test_common_pieces(tmp_path: Path, fetch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "bar.txt").write_text("bar")
    assert isinstance(koa.common.router(), Router)
    app = koa.core.app()
    app.use(koa.common.logger)
    app.use(koa.common.body_parser)
    router = koa.common.router()

    async def echo(ctx: Any, next: Any) -> None:
        ctx.body = {"got": ctx.request.body}

    router.post("/echo", echo)
    app.use(router.middleware())
    app.use(koa.common.mount("/data", koa.common.static(tmp_path)))
    assert (await fetch(app, "GET", "/data/foo/bar.txt")).text == "bar"
    assert (await fetch(app, "POST", "/echo", json={"a": 1})).json() == {"got": {"a": 1}}
    assert (await fetch(app, "POST", "/echo", content=b"plain", headers={"content-type": "text/plain"})).json() == \
        {"got": "plain"}
    out = capsys.readouterr().out
    assert "<-- GET /data/foo/bar.txt" in out and "--> POST /echo 200" in out


def test_static_needs_a_directory(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError):
        koa.common.static(tmp_path / "f")


async def test_generator_middleware_as_in_the_original(fetch: Any) -> None:
    @types.coroutine
    def old_style(ctx: Any, next: Any) -> Any:
        ctx.set("X-Old", "yes")
        yield from next

    async def handler(ctx: Any, next: Any) -> None:
        ctx.body = "0.1.5"

    app = koa.core.app()
    app.use(old_style).use(handler)
    r = await fetch(app)
    assert (r.text, r.headers["x-old"]) == ("0.1.5", "yes")


async def test_basic_auth(fetch: Any) -> None:
    async def validator(user: str, password: str) -> bool:
        return (user, password) == ("ann", "s3cret:with colon")

    app = koa.core.app()
    app.use(koa.common.basic_auth(validator))
    app.use(lambda ctx, next: setattr(ctx, "body", "welcome"))

    def auth(text: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}

    assert (await fetch(app, headers=auth("ann:s3cret:with colon"))).text == "welcome"
    for headers in (auth("ann:wrong"), {}, {"Authorization": "Basic !!!"}, {"Authorization": "Bearer x"},
                    auth("no-colon")):
        r = await fetch(app, headers=headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Basic realm="Authorization Required"'
    sync = koa.core.app()
    sync.use(koa.common.basic_auth(lambda user, password: user == "x"))
    sync.use(lambda ctx, next: setattr(ctx, "body", "ok"))
    assert (await fetch(sync, headers=auth("x:y"))).text == "ok"
    with pytest.raises(TypeError):
        koa.common.basic_auth("nope")  # type: ignore[arg-type]
