"""TestClient: drive an app in-process over its ASGI interface, no socket (like supertest)."""
from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from koa.application import Koa


class TestClient(httpx.AsyncClient):
    """An httpx.AsyncClient wired to `app`; `async with` also runs startup/shutdown."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        app: Koa,
        *,
        base_url: str = "http://127.0.0.1",
        client: tuple[str, int] = ("127.0.0.1", 12345),
        **kwargs: Any,
    ) -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=client)
        super().__init__(transport=transport, base_url=base_url, **kwargs)
        self.app = app

    async def __aenter__(self) -> TestClient:
        await super().__aenter__()
        await self.app.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await self.app.shutdown()
        finally:
            await super().__aexit__(exc_type, exc_value, traceback)
