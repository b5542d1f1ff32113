"""What router.routes() and router.allowed_methods() do per request."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from koa import errors

if TYPE_CHECKING:
    from koa.context import Context
    from koa.router.layer import Handler, Layer
    from koa.router.router import Router
    from koa.types import Middleware, Next


class Endpoint:
    """A tree leaf (see _table.build): the chain for one method and one path shape, and what ctx learns."""

    __slots__ = ("handler", "path", "name", "route", "rank")

    def __init__(self, handler: Handler, route: Layer, rank: tuple[int, int]) -> None:
        assert route.path is not None
        self.handler = handler
        self.path: str = route.path
        self.name = route.name
        self.route = route
        self.rank = rank  # orders the Allow header: (stack index, index in route.methods)


class Routes:
    """router.routes(): the middleware that runs the route matching ctx.method and ctx.path."""

    __slots__ = ("router", "trees", "host")
    _koa_async_middleware = True  # __call__ returns the route's awaitable: no extra coroutine

    def __init__(self, router: Router) -> None:
        self.router = router
        # the router's, kept here to be read without a lookup per request (see Router.host, Router._trees)
        self.trees: dict[str, Any] | None = None
        self.host: Any = None

    def __call__(self, ctx: Context, next: Next) -> Awaitable[Any]:  # noqa: A002
        return self._dispatch(ctx, next)

    def _dispatch(self, ctx: Context, next: Next) -> Awaitable[Any]:  # noqa: A002
        # (compiled, ctx is typed here: its fields and its request's are read without a lookup)
        router = self.router
        trees = self.trees
        if trees is None:
            trees = router._build()
        if self.host is not None and not router.match_host(ctx.hostname):
            return next()
        ctx.router = router
        request = ctx.request
        tree = trees.get(request.method)
        path = request._path
        if path is None:
            path = request._split()
        found = tree.match(path) if tree is not None else None
        if found is None:
            # allowed_methods() looks at the routers that did not match, after the fact
            missed = getattr(ctx, "_koa_router_missed", None)
            if missed is None:
                missed = []
                setattr(ctx, "_koa_router_missed", missed)  # noqa: B010 - (ctx is a C type when compiled)
            missed.append(router)
            return next()
        endpoint, ctx.params = found
        ctx.route_path = endpoint.path
        ctx.route_name = endpoint.name
        return endpoint.handler(ctx, next)


def allowed_methods(
    implemented: frozenset[str],
    throw: bool,
    not_implemented: Callable[[], BaseException] | None,
    method_not_allowed: Callable[[], BaseException] | None,
) -> Middleware:
    """The middleware of router.allowed_methods(): acts after the app, when nothing answered."""

    async def allowed_methods_middleware(ctx: Context, next: Next) -> None:  # noqa: A002
        await next()
        if ctx.status != 404:
            return
        missed: list[Router] | None = getattr(ctx, "_koa_router_missed", None)
        if not missed:
            return
        allowed = _allowed(missed, ctx.path)
        allow = ", ".join(allowed)
        headers = {"Allow": allow}
        method = ctx.method
        error: BaseException
        if method not in implemented:
            if throw:
                error = not_implemented() if not_implemented else errors.NotImplemented(headers=headers)
                raise error
            ctx.status = 501
            ctx.set("Allow", allow)
        elif allowed:
            if method == "OPTIONS":
                ctx.status = 200
                ctx.body = ""
                ctx.set("Allow", allow)
            elif method not in allowed:
                if throw:
                    error = method_not_allowed() if method_not_allowed else errors.MethodNotAllowed(headers=headers)
                    raise error
                ctx.status = 405
                ctx.set("Allow", allow)

    return allowed_methods_middleware


def _allowed(routers: list[Router], path: str) -> list[str]:
    """The methods that some route of `routers` answers for `path`, in registration order."""
    allowed: list[str] = []
    for router in routers:
        trees = router._trees
        if trees is None:
            trees = router._build()
        ranked = []
        for method, tree in trees.items():
            found = tree.match(path)
            if found is not None:
                ranked.append((found[0].rank, method))
        for _, method in sorted(ranked):
            if method not in allowed:
                allowed.append(method)
    return allowed


