"""Layer: one route, or one piece of router middleware, with its parsed path (@koa/router's Layer)."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from koa.router.pattern import Pattern, parse

if TYPE_CHECKING:
    from koa.router._table import ParamHook

Handler = Callable[..., Awaitable[Any]]

METHODS = (
    "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK", "M-SEARCH",
    "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS", "PATCH", "POST",
    "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE",
    "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
)
"""Node's http.METHODS: what router.all() registers, as @koa/router does."""


class Layer:
    """@koa/router's Layer: a route (it has methods) or router middleware (it has none).

    `path` is the full pattern, the router's prefix and mount paths included; `local` is
    the same without this router's own prefix (so that `router.prefix()` can move it).
    Router middleware without a path has `path` None and runs for every route of its
    router; with a path it runs for the routes under that path.
    """

    __slots__ = (
        "local", "path", "methods", "implied_head", "stack", "name", "strict", "sensitive",
        "regex", "end", "pattern", "scope", "tokens", "inherited",
    )

    def __init__(
        self,
        local: str | None,
        methods: Sequence[str],
        stack: Sequence[Handler],
        *,
        name: str | None = None,
        strict: bool = False,
        sensitive: bool = False,
        regex: re.Pattern[str] | None = None,
        end: bool = False,
    ) -> None:
        self.local = local
        self.methods = list(methods)
        self.implied_head = "GET" in self.methods and "HEAD" not in self.methods
        if self.implied_head:
            self.methods.insert(0, "HEAD")  # koa-router: GET routes answer HEAD
        self.stack = list(stack)
        self.name = name
        self.strict = strict
        self.sensitive = sensitive
        self.regex = regex  # router.use(re.compile(...), mw): tested with search()
        self.end = end  # router.use("/", mw): the root only, not a prefix
        self.path: str | None = None
        self.pattern: Pattern | None = None
        # router middleware runs for the routes whose `tokens` hold its `scope` (None: all);
        # each mount adds a token to the routes it copies
        self.scope: object | None = None
        self.tokens: tuple[object, ...] = ()
        # router.param() hooks of the routers this layer was mounted from (as they were
        # then); those of the router that holds it are read when its table is built
        self.inherited: tuple[ParamHook, ...] = ()

    @property
    def is_route(self) -> bool:
        """Whether this layer is a route rather than router middleware."""
        return bool(self.methods)

    @property
    def param_names(self) -> tuple[str, ...]:
        """The parameter names of the full path, in order (koa-router's paramNames)."""
        return self.pattern.names if self.pattern is not None else ()

    def prefixed(self, prefix: str) -> tuple[str | None, Pattern | None]:
        """The full path and its pattern under `prefix`; ValueError when it is invalid."""
        if self.local is None:
            return None, None
        path = prefix + self.local or "/"
        return path, parse(path, strict=self.strict, sensitive=self.sensitive)

    def clone(self, mount: str, token: object, hooks: tuple[ParamHook, ...]) -> Layer:
        """This layer as seen by a router that mounts this layer's router at `mount`."""
        layer = Layer.__new__(Layer)
        layer.local = None if self.path is None else mount + self.path
        layer.methods = list(self.methods)
        layer.implied_head = self.implied_head
        layer.stack = list(self.stack)
        layer.name = self.name
        layer.strict = self.strict
        layer.sensitive = self.sensitive
        layer.regex = self.regex
        layer.end = self.end
        layer.path = self.path
        layer.pattern = self.pattern
        layer.scope = token if self.scope is None else self.scope
        layer.tokens = (*self.tokens, token)
        layer.inherited = (*self.inherited, *hooks)
        return layer

    def url(
        self,
        params: Mapping[str, Any] | Sequence[Any] | str | int | None = None,
        query: Mapping[str, Any] | str | None = None,
    ) -> str:
        """koa-router's layer.url(): the path with `params` (a mapping, or values in order)."""
        if self.pattern is None:
            raise ValueError("router middleware without a path has no URL")
        if params is None:
            values: Mapping[str, Any] = {}
        elif isinstance(params, Mapping):
            values = params
        else:
            if isinstance(params, (str, int)):
                params = [params]
            values = dict(zip(self.pattern.names, params, strict=False))
        return self.pattern.url(values, query)

    def __repr__(self) -> str:
        if self.is_route:
            named = f" name={self.name!r}" if self.name else ""
            return f"<Layer {','.join(self.methods)} {self.path}{named}>"
        return f"<Layer middleware {self.path or (self.regex and self.regex.pattern) or '(all routes)'}>"

    def describe(self, prefix: str = "") -> str:
        """How registration errors name this layer: `GET /users/:id (name 'user')`."""
        if len(self.methods) >= len(METHODS):
            methods = "ALL"
        else:
            methods = ",".join(m for m in self.methods if m != "HEAD" or not self.implied_head) or "use"
        path = self.path or (prefix + (self.local or "")) or "/"
        named = f" (name {self.name!r})" if self.name else ""
        return f"{methods} {path}{named}"
