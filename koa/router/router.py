"""Router: @koa/router's API (verbs, use, prefix, param, url, allowed_methods) over a radix tree."""
from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from koa._speedups import Tree
from koa.compose import to_middleware
from koa.router._dispatch import Endpoint, Routes, allowed_methods
from koa.router._table import ParamFn, ParamHook, build
from koa.router.layer import METHODS, Layer
from koa.router.pattern import Pattern, Shape

if TYPE_CHECKING:
    from koa.context import Context
    from koa.types import AnyMiddleware, Middleware, Next

M = TypeVar("M", bound="AnyMiddleware")
Host = str | Sequence[str] | re.Pattern[str]

Leaves = dict[tuple[str, Shape], tuple[Layer, tuple[str, ...]]]
"""(method, shape) -> the first route there and its parameter names: what _check() compares."""

DEFAULT_METHODS = ("HEAD", "OPTIONS", "GET", "PUT", "PATCH", "POST", "DELETE")
_hook_seq = itertools.count()

Match = Tree.Match
"""What router.match() finds: the route (`.path`, `.name`, `.methods`) and its params.

The tree's own class, so that the (compiled) tree makes it in one step.
"""
_find_in = Tree.find_in


class _BoundVerb:
    __slots__ = ("router", "methods")

    def __init__(self, router: Router, methods: tuple[str, ...]) -> None:
        self.router = router
        self.methods = methods

    @overload
    def __call__(self, path: str | Sequence[str], /, *, name: str | None = None) -> Callable[[M], M]: ...
    @overload
    def __call__(self, name: str, path: str, /) -> Callable[[M], M]: ...
    @overload
    def __call__(
        self, path: str | Sequence[str], middleware: AnyMiddleware, /, *more: AnyMiddleware, name: str | None = None
    ) -> Router: ...
    @overload
    def __call__(self, name: str, path: str, middleware: AnyMiddleware, /, *more: AnyMiddleware) -> Router: ...

    def __call__(self, *args: Any, name: str | None = None) -> Any:
        if len(args) >= 2 and isinstance(args[1], str):
            name, args = args[0], args[1:]
        if not args:
            raise TypeError("a route needs a path")
        path, middleware = args[0], args[1:]
        if middleware:
            return self.router.register(path, self.methods, *middleware, name=name)

        def decorator(fn: M) -> M:
            self.router.register(path, self.methods, fn, name=name)
            return fn

        return decorator


class _Verb:
    """router.get() & co.: `(path, *mw)`, `(name, path, *mw)`, or a decorator without mw."""

    def __init__(self, *methods: str) -> None:
        self.methods = methods
        verb = "all" if len(methods) > 1 else methods[0].lower()
        self.__doc__ = f"@koa/router's router.{verb}(): register a route; returns the router."

    @overload
    def __get__(self, router: None, owner: type[Router]) -> _Verb: ...
    @overload
    def __get__(self, router: Router, owner: type[Router]) -> _BoundVerb: ...

    def __get__(self, router: Router | None, owner: type[Router]) -> _Verb | _BoundVerb:
        return self if router is None else _BoundVerb(router, self.methods)


class Router:
    """@koa/router's Router: routes, router middleware and nested routers in one radix tree."""

    get = _Verb("GET")
    post = _Verb("POST")
    put = _Verb("PUT")
    patch = _Verb("PATCH")
    delete = _Verb("DELETE")
    head = _Verb("HEAD")
    options = _Verb("OPTIONS")
    all = _Verb(*METHODS)

    def __init__(
        self,
        prefix: str = "",
        *,
        sensitive: bool = False,
        strict: bool = False,
        host: Host | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        self._routes = Routes(self)  # (first: host and _trees are kept in it, see below)
        self.sensitive = sensitive
        self.strict = strict
        self.host = host
        self.methods = [method.upper() for method in (DEFAULT_METHODS if methods is None else methods)]
        self.stack: list[Layer] = []  # every layer, those of mounted routers included, in order
        self.params: dict[str, list[ParamHook]] = {}
        self._prefix = _trim(prefix)
        self._shapes: Leaves = {}
        self._names: dict[str, Layer] = {}
        self._trees = None

    # perf: both live in the Routes middleware (C fields when compiled), which reads them per request
    @property
    def host(self) -> Host | None:
        """Only requests for this host (a str, a list of them, or a regex) are routed."""
        return self._routes.host  # type: ignore[no-any-return]

    @host.setter
    def host(self, value: Host | None) -> None:
        self._routes.host = value

    @property
    def _trees(self) -> dict[str, Tree[Endpoint]] | None:
        """The matching trees per method, built on first use; None once a change makes them stale."""
        return self._routes.trees

    @_trees.setter
    def _trees(self, value: dict[str, Tree[Endpoint]] | None) -> None:
        self._routes.trees = value

    # ---------------------------------------------------------------- registration

    def register(
        self, path: str | Sequence[str], methods: Iterable[str], *middleware: AnyMiddleware, name: str | None = None
    ) -> Router:
        """@koa/router's router.register(): a route for `methods` running `middleware` in order."""
        if isinstance(path, re.Pattern):
            raise TypeError("a route path is a string pattern; use :name(regex) for a regex segment")
        if not isinstance(path, str):
            for each in path:
                self.register(each, methods, *middleware, name=name)
            return self
        methods = [method.upper() for method in methods]
        if not methods:
            raise ValueError(f"route {path!r} needs at least one method")
        if path and not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        layer = Layer(path, methods, (), name=name, strict=self.strict, sensitive=self.sensitive)
        if not middleware:
            raise TypeError(f"route {layer.describe(self._prefix)} needs at least one middleware")
        layer.stack = [self._middleware(layer, fn) for fn in middleware]
        self._add(layer)
        return self

    def use(self, *args: Any) -> Router:
        """@koa/router's router.use([path], *middleware): router middleware or nested routers.

        Without a path, middleware runs before every route of this router that matches (and
        only then); with a path (a string, a list of them, or a compiled regex), only for
        the routes under it; `"/"` means the root alone. `router.use("/v1", v1.routes())`
        mounts a copy of v1's routes under /v1.
        """
        paths: list[str | re.Pattern[str] | None] = [None]
        if args and isinstance(args[0], (str, re.Pattern)):
            paths, args = [args[0]], args[1:]
        elif args and isinstance(args[0], (list, tuple)) and args[0] and all(isinstance(p, str) for p in args[0]):
            paths, args = list(args[0]), args[1:]
        if not args:
            raise TypeError("router.use() needs at least one middleware")
        for path in paths:
            if isinstance(path, str) and path and not path.startswith("/"):
                raise ValueError(f"router.use() path {path!r} must start with '/'")
            for fn in args:
                child = fn.router if isinstance(fn, Routes) else fn if isinstance(fn, Router) else None
                if child is not None:
                    self._mount(path, child)
                    continue
                if isinstance(path, re.Pattern):
                    layer = Layer(None, (), (), regex=path)
                elif not path:
                    layer = Layer(None, (), ())
                else:
                    layer = Layer(path, (), (), strict=self.strict, sensitive=self.sensitive, end=path == "/")
                layer.stack = [self._middleware(layer, fn)]
                self._add(layer)
        return self

    def param(self, name: str, fn: ParamFn) -> Router:
        """@koa/router's router.param(): run `fn(value, ctx, next)` before routes with `:name`."""
        if not callable(fn):
            raise TypeError(f"router.param({name!r}) needs a callable (value, ctx, next)")
        self.params.setdefault(name, []).append(ParamHook(name, fn, next(_hook_seq)))
        self._trees = None
        return self

    def prefix(self, prefix: str) -> Router:
        """@koa/router's router.prefix(): replace the prefix of this router's routes."""
        prefix = _trim(prefix)
        placed = []
        for layer in self.stack:
            try:
                placed.append(layer.prefixed(prefix))
            except ValueError as error:
                raise ValueError(f"route {layer.describe(prefix)}: {error}") from None
        shapes: Leaves = {}
        for layer, (_, pattern) in zip(self.stack, placed, strict=True):
            self._check(shapes, layer, pattern)
        self._shapes = shapes
        for layer, (path, pattern) in zip(self.stack, placed, strict=True):
            layer.path, layer.pattern = path, pattern
        self._prefix = prefix
        self._trees = None
        return self

    def redirect(self, source: str, destination: str, code: int = 301) -> Router:
        """@koa/router's router.redirect(): `source` answers with a redirect to `destination`.

        Either may be a route name; a destination with `://` is an external URL.
        """
        if not source.startswith("/"):
            source = self.url(source).removeprefix(self._prefix) or "/"
        if not destination.startswith("/") and "://" not in destination:
            destination = self.url(destination)

        async def redirect_middleware(ctx: Context, next: Next) -> None:  # noqa: A002
            ctx.redirect(destination)
            ctx.status = code

        return self.all(source, redirect_middleware)

    # ---------------------------------------------------------------- lookups

    def route(self, name: str) -> Layer | None:
        """@koa/router's router.route(): the route called `name` (None rather than false)."""
        return self._names.get(name)

    def url(
        self,
        name: str,
        params: Mapping[str, Any] | Sequence[Any] | str | int | None = None,
        query: Mapping[str, Any] | str | None = None,
    ) -> str:
        """@koa/router's router.url(): the path of route `name`, escaped, with `query`.

        Raises KeyError for an unknown name (koa-router returns an Error).
        """
        route = self.route(name)
        if route is None:
            raise KeyError(f"no route named {name!r}")
        return route.url(params, query)

    def match(self, path: str, method: str) -> Match | None:
        """The route that a request for `path` (raw, as in ctx.path) and `method` would run."""
        trees = self._trees
        if trees is None:
            trees = self._build()
        # perf: one call into the tree, which picks the method's tree and makes the Match
        return _find_in(trees, path, method)

    def match_host(self, hostname: str | None) -> bool:
        """@koa/router's router.matchHost(), against ctx.hostname (no port)."""
        host = self.host
        if host is None:
            return True
        if not hostname:
            return False
        if isinstance(host, str):
            return hostname == host
        if isinstance(host, re.Pattern):
            return host.search(hostname) is not None
        return hostname in host

    # ---------------------------------------------------------------- middleware

    def routes(self) -> Routes:
        """@koa/router's router.routes(): the middleware that dispatches to the routes."""
        return self._routes

    middleware = routes

    def allowed_methods(
        self,
        *,
        throw: bool = False,
        not_implemented: Callable[[], BaseException] | None = None,
        method_not_allowed: Callable[[], BaseException] | None = None,
    ) -> Middleware:
        """@koa/router's router.allowedMethods(): OPTIONS, 405 and 501, with an `Allow` header.

        With `throw=True` it raises `MethodNotAllowed` / `NotImplemented` carrying the
        `Allow` header (or what the factories return) instead of setting the status.
        """
        return allowed_methods(frozenset(self.methods), throw, not_implemented, method_not_allowed)

    # ---------------------------------------------------------------- internals

    def _middleware(self, layer: Layer, fn: Any) -> Callable[..., Awaitable[Any]]:
        try:
            return to_middleware(fn)
        except TypeError as error:
            raise TypeError(f"route {layer.describe(self._prefix)}: {error}") from None

    def _add(self, *layers: Layer) -> None:
        """Place `layers` under the prefix and append them, or refuse them all."""
        placed = []
        for layer in layers:
            try:
                placed.append(layer.prefixed(self._prefix))
            except ValueError as error:
                raise ValueError(f"route {layer.describe(self._prefix)}: {error}") from None
        shapes = self._shapes.copy()
        for layer, (_, pattern) in zip(layers, placed, strict=True):
            self._check(shapes, layer, pattern)
        self._shapes = shapes
        for layer, (path, pattern) in zip(layers, placed, strict=True):
            layer.path, layer.pattern = path, pattern
            if layer.name is not None and layer.is_route:
                self._names.setdefault(layer.name, layer)
        self.stack.extend(layers)
        self._trees = None

    def _check(self, shapes: Leaves, layer: Layer, pattern: Pattern | None) -> None:
        """Refuse a route that would share a tree leaf with a different pattern; record it in `shapes`."""
        if not layer.is_route or pattern is None:
            return
        for variant in pattern.variants:
            for method in layer.methods:
                if method == "HEAD" and layer.implied_head:
                    continue
                key = (method, variant.shape)
                other = shapes.get(key)
                if other is None:
                    shapes[key] = (layer, variant.names)
                elif other[1] != variant.names:
                    raise ValueError(
                        f"route {layer.describe(self._prefix)} is ambiguous with route {other[0].describe()}: "
                        "they match the same paths with different parameter names"
                    )

    def _mount(self, path: str | re.Pattern[str] | None, child: Router) -> None:
        if isinstance(path, re.Pattern):
            raise TypeError("a nested router is mounted at a string path, not a regex")
        if child is self:
            raise ValueError("a router cannot be mounted into itself")
        if child.sensitive != self.sensitive:
            raise ValueError(
                f"cannot mount a router with sensitive={child.sensitive} into one with sensitive={self.sensitive}"
            )
        token = object()
        hooks = tuple(hook for hooks in child.params.values() for hook in hooks)
        self._add(*(layer.clone(_trim(path or ""), token, hooks) for layer in child.stack))

    def _build(self) -> dict[str, Tree[Endpoint]]:
        trees = self._trees = build(self.stack, self.sensitive, self.params)
        return trees

    def __repr__(self) -> str:
        return f"<Router prefix={self._prefix!r} routes={sum(layer.is_route for layer in self.stack)}>"


def _trim(prefix: str) -> str:
    return prefix[:-1] if prefix.endswith("/") else prefix
