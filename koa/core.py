"""The original koa package's `koa.core`: `app()` makes the application."""
from __future__ import annotations

from typing import Any

from koa._speedups import Dispatcher
from koa.application import Koa
from koa.compose import compose


class MiddlewareList(list[Any]):
    """`app.middleware`: Koa's list of middleware, which `app.middleware()` composes, as koa.core's did."""

    def __call__(self) -> Dispatcher:
        """The stack as it is now, as one middleware (for `mount(prefix, app.middleware())`)."""
        return compose(self)


def app(**options: Any) -> Koa:
    """koa.core.app(): a Koa application (options as `Koa(...)` takes them).

    As in the original package, `app.middleware()` gives the app's stack as one
    middleware and `app.get_http_request_handler` a protocol factory for
    `loop.create_server()`.
    """
    application = Koa(**options)
    application.middleware = MiddlewareList(application.middleware)
    return application
