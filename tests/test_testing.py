"""koa.testing.TestClient: an in-process httpx client over the app's ASGI interface (contract section 10)."""
from __future__ import annotations

from typing import Any

import httpx

from koa import Context, Koa
from koa.testing import TestClient


def echo_app() -> Koa:
    app = Koa()

    async def echo(ctx: Context, next: Any) -> None:
        ctx.body = {
            "method": ctx.method, "url": ctx.url, "host": ctx.host, "ip": ctx.ip, "href": ctx.href,
            "body": (await ctx.request.text()),
        }

    app.use(echo)
    return app


async def test_is_an_httpx_async_client() -> None:
    async with TestClient(echo_app()) as client:
        assert isinstance(client, httpx.AsyncClient)
        res = await client.post("/items?x=1", content=b"payload")
    assert res.json() == {"method": "POST", "url": "/items?x=1", "host": "127.0.0.1", "ip": "127.0.0.1",
                          "href": "http://127.0.0.1/items?x=1", "body": "payload"}


async def test_base_url_and_client_address() -> None:
    async with TestClient(echo_app(), base_url="https://example.com", client=("10.1.2.3", 999)) as client:
        res = await client.get("/")
    assert res.json()["href"] == "https://example.com/"
    assert res.json()["ip"] == "10.1.2.3"


async def test_errors_come_back_as_responses() -> None:
    app = Koa(silent=True)

    async def boom(ctx: Context, next: Any) -> None:
        raise RuntimeError("boom")

    app.use(boom)
    async with TestClient(app) as client:
        res = await client.get("/")
    assert res.status_code == 500


async def test_startup_and_shutdown_run_around_the_block() -> None:
    app = Koa()
    events: list[str] = []
    app.on("startup", lambda a: events.append("startup"))
    app.on("shutdown", lambda a: events.append("shutdown"))
    client = TestClient(app)
    assert events == []
    async with client:
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]


async def test_without_context_manager_no_lifespan() -> None:
    app = Koa()
    events: list[str] = []
    app.on("startup", lambda a: events.append("startup"))
    app.use(lambda ctx, next: setattr(ctx, "body", "ok"))
    client = TestClient(app)
    try:
        assert (await client.get("/")).text == "ok"
    finally:
        await client.aclose()
    assert events == []


async def test_not_collected_by_pytest() -> None:
    assert TestClient.__test__ is False
    app = Koa()
    client = TestClient(app)
    assert client.app is app
    await client.aclose()
