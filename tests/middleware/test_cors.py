"""cors(): @koa/cors' simple and preflight requests, options, and headers kept on errors."""
from __future__ import annotations

from typing import Any

import pytest

from koa import Koa
from koa.middleware import cors


def cors_app(**options: Any) -> Koa:
    app = Koa(silent=True)
    app.use(cors(**options))

    async def respond(ctx: Any, next: Any) -> None:
        if ctx.path == "/error":
            ctx.set("X-Unrelated", "1")
            ctx.throw(400, "bad")
        if ctx.path == "/crash":
            raise RuntimeError("crash")
        ctx.body = {"foo": "bar"}

    app.use(respond)
    return app


def preflight(origin: str = "http://koajs.com", **extra: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "PUT", **extra}


async def test_defaults(fetch: Any) -> None:
    r = await fetch(cors_app(), headers={"Origin": "http://koajs.com"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["vary"] == "Origin"
    assert r.json() == {"foo": "bar"}
    r = await fetch(cors_app())
    assert r.headers["access-control-allow-origin"] == "*"  # even without Origin


async def test_preflight(fetch: Any) -> None:
    r = await fetch(cors_app(), "OPTIONS", headers=preflight())
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET,HEAD,PUT,POST,DELETE,PATCH"
    assert "access-control-max-age" not in r.headers
    # OPTIONS without Access-Control-Request-Method is not a preflight
    r = await fetch(cors_app(), "OPTIONS", headers={"Origin": "http://koajs.com"})
    assert r.status_code == 200 and "access-control-allow-methods" not in r.headers


async def test_origin_options(fetch: Any) -> None:
    r = await fetch(cors_app(origin="http://example.com"), headers={"Origin": "http://koajs.com"})
    assert r.headers["access-control-allow-origin"] == "http://example.com"

    def by_path(ctx: Any) -> str | None:
        return None if ctx.path == "/forbidden" else "*"

    r = await fetch(cors_app(origin=by_path), "GET", "/forbidden", headers={"Origin": "http://koajs.com"})
    assert "access-control-allow-origin" not in r.headers

    async def async_origin(ctx: Any) -> str:
        return ctx.get("Origin") or "*"

    r = await fetch(cors_app(origin=async_origin), headers={"Origin": "http://koajs.com"})
    assert r.headers["access-control-allow-origin"] == "http://koajs.com"


async def test_origin_allow_list(fetch: Any) -> None:
    app = cors_app(origin=["https://a.example", "https://b.example"])
    r = await fetch(app, headers={"Origin": "https://b.example"})
    assert r.headers["access-control-allow-origin"] == "https://b.example"
    r = await fetch(app, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    assert r.headers["vary"] == "Origin"
    r = await fetch(app, "OPTIONS", headers=preflight("https://evil.example"))
    assert "access-control-allow-origin" not in r.headers


async def test_credentials(fetch: Any) -> None:
    r = await fetch(cors_app(credentials=True), headers={"Origin": "http://koajs.com"})
    # `*` is not allowed with credentials: the request's origin instead
    assert r.headers["access-control-allow-origin"] == "http://koajs.com"
    assert r.headers["access-control-allow-credentials"] == "true"
    r = await fetch(cors_app(credentials=True), "OPTIONS", headers=preflight())
    assert r.headers["access-control-allow-credentials"] == "true"
    r = await fetch(cors_app(credentials=lambda ctx: ctx.path == "/yes"), "GET", "/no",
                    headers={"Origin": "http://koajs.com"})
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["access-control-allow-origin"] == "*"

    async def async_credentials(ctx: Any) -> bool:
        return True

    r = await fetch(cors_app(credentials=async_credentials), headers={"Origin": "http://koajs.com"})
    assert r.headers["access-control-allow-credentials"] == "true"


async def test_expose_allow_headers_max_age_methods(fetch: Any) -> None:
    r = await fetch(cors_app(expose_headers=["content-length", "x-koa"]), headers={"Origin": "http://a"})
    assert r.headers["access-control-expose-headers"] == "content-length,x-koa"
    r = await fetch(cors_app(max_age=3600, allow_headers=["X-PINGOTHER", "Content-Type"]), "OPTIONS",
                    headers=preflight())
    assert r.headers["access-control-max-age"] == "3600"
    assert r.headers["access-control-allow-headers"] == "X-PINGOTHER,Content-Type"
    r = await fetch(cors_app(max_age=3600), headers={"Origin": "http://a"})
    assert "access-control-max-age" not in r.headers  # only on preflight
    r = await fetch(cors_app(), "OPTIONS", headers=preflight(**{"Access-Control-Request-Headers": "X-Foo"}))
    assert r.headers["access-control-allow-headers"] == "X-Foo"  # echoed when not configured
    r = await fetch(cors_app(allow_methods=["GET", "POST"]), "OPTIONS", headers=preflight())
    assert r.headers["access-control-allow-methods"] == "GET,POST"
    r = await fetch(cors_app(allow_methods=None), "OPTIONS", headers=preflight())
    assert "access-control-allow-methods" not in r.headers


async def test_secure_context_and_private_network(fetch: Any) -> None:
    for method, headers in (("GET", {"Origin": "http://a"}), ("OPTIONS", preflight())):
        r = await fetch(cors_app(secure_context=True), method, headers=headers)
        assert r.headers["cross-origin-opener-policy"] == "same-origin"
        assert r.headers["cross-origin-embedder-policy"] == "require-corp"
    r = await fetch(cors_app(), "OPTIONS", headers=preflight())
    assert "cross-origin-opener-policy" not in r.headers
    pna = {"Access-Control-Request-Private-Network": "true"}
    r = await fetch(cors_app(private_network_access=True), "OPTIONS", headers=preflight(**pna))
    assert r.headers["access-control-allow-private-network"] == "true"
    r = await fetch(cors_app(private_network_access=True), "OPTIONS", headers=preflight())
    assert "access-control-allow-private-network" not in r.headers
    r = await fetch(cors_app(), "OPTIONS", headers=preflight(**pna))
    assert "access-control-allow-private-network" not in r.headers


async def test_headers_kept_on_error(fetch: Any) -> None:
    r = await fetch(cors_app(), "GET", "/error", headers={"Origin": "http://koajs.com"})
    assert r.status_code == 400
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["vary"] == "Origin"
    assert "x-unrelated" not in r.headers
    r = await fetch(cors_app(), "GET", "/crash", headers={"Origin": "http://koajs.com"})
    assert r.status_code == 500 and r.headers["access-control-allow-origin"] == "*"
    r = await fetch(cors_app(keep_headers_on_error=False), "GET", "/error", headers={"Origin": "http://a"})
    assert "access-control-allow-origin" not in r.headers


async def test_vary_merges(fetch: Any) -> None:
    app = Koa(silent=True)

    async def vary_first(ctx: Any, next: Any) -> None:
        ctx.vary("Accept-Encoding")
        await next()

    async def err_with_vary(ctx: Any, next: Any) -> None:
        if ctx.path == "/star":
            ctx.throw(400, headers={"Vary": "*"})
        if ctx.path == "/has":
            ctx.throw(400, headers={"Vary": "Origin, Accept"})
        ctx.throw(400, headers={"Vary": "Accept"})

    app.use(vary_first).use(cors()).use(err_with_vary)
    r = await fetch(app, "GET", "/", headers={"Origin": "http://a"})
    assert r.headers["vary"] == "Accept, Origin"
    assert (await fetch(app, "GET", "/star", headers={"Origin": "http://a"})).headers["vary"] == "*"
    assert (await fetch(app, "GET", "/has", headers={"Origin": "http://a"})).headers["vary"] == "Origin, Accept"

    ok = Koa()
    ok.use(vary_first).use(cors())
    assert (await fetch(ok, headers={"Origin": "http://a"})).headers["vary"] == "Accept-Encoding, Origin"


@pytest.mark.parametrize(("options", "exc"), [
    ({"origin": [1]}, TypeError), ({"credentials": "yes"}, TypeError), ({"max_age": True}, TypeError),
    ({"expose_headers": [1]}, TypeError), ({"origin": "a\nb"}, ValueError),
])
def test_options_are_checked(options: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        cors(**options)
