"""koa.middleware.asgi: Starlette and FastAPI apps inside a koa app, koa middleware around them."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from koa import Koa
from koa.context import Context
from koa.middleware.asgi import asgi
from koa.types import Next
from transports.serving import Served

starlette = pytest.importorskip("starlette")
fastapi = pytest.importorskip("fastapi")

from fastapi import FastAPI, Request  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request as StarletteRequest  # noqa: E402
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402


def make_starlette(events: list[str] | None = None) -> Starlette:
    async def hello(request: StarletteRequest) -> Response:
        return PlainTextResponse(f"hello {request.path_params['name']}", headers={"X-From": "starlette"})

    async def info(request: StarletteRequest) -> Response:
        return JSONResponse({
            "path": request.url.path, "root_path": request.scope["root_path"], "query": dict(request.query_params),
            "client": request.client.host if request.client else None, "scheme": request.url.scheme,
            "url": str(request.url), "header": request.headers.get("x-in"), "koa": "koa.context" in request.scope,
        })

    async def echo(request: StarletteRequest) -> Response:
        return Response(await request.body(), media_type="application/octet-stream")

    async def stream(request: StarletteRequest) -> Response:
        async def gen() -> AsyncIterator[bytes]:
            try:
                for i in range(int(request.query_params.get("n", "3"))):
                    yield f"part{i};".encode()
                    await asyncio.sleep(0.01)
            finally:
                if events is not None:
                    events.append("stream closed")

        return StreamingResponse(gen(), media_type="text/plain")

    async def cookie(request: StarletteRequest) -> Response:
        response = PlainTextResponse("cookies")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        return response

    async def fail(request: StarletteRequest) -> Response:
        raise RuntimeError("starlette handler failed")

    return Starlette(routes=[
        Route("/hello/{name}", hello), Route("/info", info), Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream), Route("/cookie", cookie), Route("/fail", fail),
    ])


def koa_around(asgi_app: Any, **options: Any) -> tuple[Koa, list[str]]:
    seen: list[str] = []
    app = Koa(silent=True)

    async def outer(ctx: Context, next: Next) -> None:
        await next()
        seen.append(f"{ctx.status} {ctx.response.get('X-From')}")
        ctx.set("X-Koa", "wrapped")

    async def fallback(ctx: Context, next: Next) -> None:
        ctx.body = "koa fallback"

    app.use(outer).use(asgi(asgi_app, **options)).use(fallback)
    return app, seen


async def test_starlette_under_a_prefix(served: Served) -> None:
    app, seen = koa_around(make_starlette(), prefix="/sl")
    async with served(app) as c:
        r = await c.get("/sl/hello/ann")
        other = await c.get("/slx/hello/ann")
        outside = await c.get("/elsewhere")
    assert (r.status_code, r.text) == (200, "hello ann")
    assert r.headers["x-from"] == "starlette"
    assert r.headers["x-koa"] == "wrapped"  # koa middleware saw and changed the response
    assert seen[0] == "200 starlette"
    assert other.text == outside.text == "koa fallback"


async def test_scope_built_from_ctx(served: Served) -> None:
    app, _ = koa_around(make_starlette(), prefix="/sl")
    async with served(app) as c:
        r = await c.get("/sl/info?q=1&z=%20", headers={"X-In": "in"})
        base = str(c.base_url).rstrip("/")
    assert r.json() == {
        "path": "/sl/info", "root_path": "/sl", "query": {"q": "1", "z": " "}, "client": "127.0.0.1",
        "scheme": "http", "url": f"{base}/sl/info?q=1&z=%20", "header": "in", "koa": True,
    }


async def test_proxy_addresses_reach_the_mounted_app(served: Served) -> None:
    app, _ = koa_around(make_starlette())
    app.proxy = True
    async with served(app) as c:
        r = await c.get("/info", headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"})
    assert r.json()["client"] == "198.51.100.7"
    assert r.json()["scheme"] == "https"


async def test_mounted_app_404_and_errors(served: Served) -> None:
    app, _ = koa_around(make_starlette(), prefix="/sl")
    async with served(app) as c:
        missing = await c.get("/sl/nope")
        failed = await c.get("/sl/fail")
    assert missing.status_code == 404  # the mounted app answers for its whole prefix
    assert missing.headers["x-koa"] == "wrapped"
    assert failed.status_code == 500
    assert "starlette handler failed" not in failed.text


async def test_request_body_reaches_the_mounted_app(served: Served) -> None:
    app, _ = koa_around(make_starlette())
    blob = bytes(range(256)) * 4096  # 1 MiB

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(blob), 65536):
            yield blob[i:i + 65536]

    async with served(app) as c:
        r = await c.post("/echo", content=blob)
        chunked = await c.post("/echo", content=chunks())
    assert r.content == blob
    assert chunked.content == blob


async def test_streaming_response_stays_streamed(served: Served, transport: str) -> None:
    app, seen = koa_around(make_starlette())
    async with served(app) as c, c.stream("GET", "/stream?n=5") as r:
        assert r.headers["x-koa"] == "wrapped"
        assert "content-length" not in r.headers
        parts = [chunk async for chunk in r.aiter_raw()]
    assert b"".join(parts) == b"".join(f"part{i};".encode() for i in range(5))
    if transport != "testclient":  # TestClient buffers the whole body
        assert len(parts) > 1


async def test_client_leaving_stops_the_mounted_stream(served: Served, transport: str) -> None:
    if transport == "testclient":
        pytest.skip("TestClient has no connection to drop")
    events: list[str] = []
    app, _ = koa_around(make_starlette(events))
    async with served(app) as c:
        reader, writer = await asyncio.open_connection(c.base_url.host, c.base_url.port)
        writer.write(b"GET /stream?n=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.readuntil(b"part1;"), 5)
        writer.close()
        for _ in range(250):
            if events:
                break
            await asyncio.sleep(0.02)
    assert events == ["stream closed"]


async def test_multiple_set_cookie_headers(served: Served) -> None:
    app, _ = koa_around(make_starlette())
    async with served(app) as c:
        r = await c.get("/cookie")
    assert [v.split(";")[0] for v in r.headers.get_list("set-cookie")] == ["a=1", "b=2"]


async def test_head_keeps_the_mounted_apps_length(served: Served) -> None:
    app, _ = koa_around(make_starlette())
    async with served(app) as c:
        r = await c.head("/hello/bob")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-length"] == str(len("hello bob"))


async def test_fastapi_app(served: Served) -> None:
    api = FastAPI()

    @api.get("/items/{item_id}")
    async def read_item(item_id: int, request: Request, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "root": request.scope["root_path"]}

    @api.post("/items")
    async def create_item(item: dict[str, Any]) -> dict[str, Any]:
        return {"created": item}

    app, _ = koa_around(api, prefix="/api")
    async with served(app) as c:
        r = await c.get("/api/items/3?q=x")
        bad = await c.get("/api/items/notanint")
        created = await c.post("/api/items", json={"name": "n"})
        docs = await c.get("/api/openapi.json")
    assert r.json() == {"item_id": 3, "q": "x", "root": "/api"}
    assert r.headers["x-koa"] == "wrapped"
    assert bad.status_code == 422
    assert created.json() == {"created": {"name": "n"}}
    assert docs.json()["paths"].keys() == {"/items/{item_id}", "/items"}


async def test_koa_middleware_can_rewrite_the_mounted_response() -> None:
    from koa.testing import TestClient

    app = Koa()

    async def upper(ctx: Context, next: Next) -> None:
        await next()
        if isinstance(ctx.body, bytes):
            ctx.body = ctx.body.upper()

    app.use(upper).use(asgi(make_starlette()))
    async with TestClient(app) as c:
        r = await c.get("/hello/zed")
    assert r.text == "HELLO ZED"
    assert r.headers["content-length"] == "9"


def test_prefix_checks() -> None:
    with pytest.raises(ValueError):
        asgi(make_starlette(), prefix="api")
    with pytest.raises(TypeError):
        asgi("not an app")  # type: ignore[arg-type]


async def test_no_response_is_500() -> None:
    from koa.testing import TestClient

    async def silent(scope: Any, receive: Any, send: Any) -> None:
        return None

    app = Koa(silent=True)
    app.use(asgi(silent))
    async with TestClient(app) as c:
        r = await c.get("/")
    assert r.status_code == 500


async def test_lifespan_of_the_mounted_app(served: Served) -> None:
    import contextlib

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[dict[str, Any]]:
        events.append("api startup")
        yield {"db": "connected"}
        events.append("api shutdown")

    api = FastAPI(lifespan=lifespan)

    @api.get("/db")
    async def db(request: Request) -> dict[str, Any]:
        return {"db": request.state.db}

    app = Koa()
    app.on("startup", lambda a: events.append("koa startup"))
    app.use(asgi(api, prefix="/api", lifespan=app))
    async with served(app) as c:
        r = await c.get("/api/db")
        assert events == ["koa startup", "api startup"]
    assert r.json() == {"db": "connected"}
    assert events == ["koa startup", "api startup", "api shutdown"]


async def test_failing_lifespan_startup_fails_the_koa_startup() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no db"})

    app = Koa()
    app.use(asgi(broken, lifespan=app))
    with pytest.raises(RuntimeError, match="no db"):
        await app.startup()


async def test_app_without_lifespan_support_is_served() -> None:
    from koa.testing import TestClient

    async def plain(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError("http only")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"plain"})

    app = Koa()
    app.use(asgi(plain, lifespan=app))
    async with TestClient(app) as c:
        assert (await c.get("/")).text == "plain"
