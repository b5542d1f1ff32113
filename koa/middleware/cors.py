"""Cross-Origin Resource Sharing, like @koa/cors."""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from koa._headers import check_value
from koa.context import Context
from koa.middleware._carry import carry_headers
from koa.types import Middleware, Next

OriginOption = str | Iterable[str] | Callable[[Context], "str | None | Awaitable[str | None]"] | None
CredentialsOption = bool | Callable[[Context], "bool | Awaitable[bool]"]


def _header_list(name: str, value: str | Iterable[str] | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value
    else:
        items = list(value)
        if not all(isinstance(item, str) for item in items):
            raise TypeError(f"{name} must be a str or a list of str, got {value!r}")
        text = ",".join(items)
    return check_value(name, text) or None


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def cors(
    *,
    origin: OriginOption = None,
    allow_methods: str | Iterable[str] | None = "GET,HEAD,PUT,POST,DELETE,PATCH",
    expose_headers: str | Iterable[str] | None = None,
    allow_headers: str | Iterable[str] | None = None,
    max_age: float | str | None = None,
    credentials: CredentialsOption = False,
    keep_headers_on_error: bool = True,
    secure_context: bool = False,
    private_network_access: bool = False,
) -> Middleware:
    """@koa/cors: answer preflights and add Access-Control-* headers.

    `origin` is `*` by default; a str is sent as is, a list (or set) allows exactly
    those origins (echoing the request's), and a function `(ctx) -> str | None`
    (sync or async) decides per request, None skipping CORS. With `credentials`, `*`
    becomes the request's Origin. `max_age` is in seconds, as in Koa.
    """
    allowed: frozenset[str] | None = None
    fixed_origin: str | None = None
    origin_fn: Callable[[Context], Any] | None = None
    if origin is None:
        fixed_origin = "*"
    elif isinstance(origin, str):
        fixed_origin = check_value("origin", origin)
    elif callable(origin):
        origin_fn = origin
    else:
        allowed = frozenset(origin)
        if not all(isinstance(o, str) for o in allowed):
            raise TypeError(f"origin must be a str, a list of str or a function, got {origin!r}")
    if not isinstance(credentials, bool) and not callable(credentials):
        raise TypeError(f"credentials must be a bool or a function, got {credentials!r}")
    methods = _header_list("allow_methods", allow_methods)
    exposed = _header_list("expose_headers", expose_headers)
    allowed_headers = _header_list("allow_headers", allow_headers)
    if max_age is None:
        max_age_value = None
    elif isinstance(max_age, bool) or not isinstance(max_age, (int, float, str)):
        raise TypeError(f"max_age must be a number of seconds, got {max_age!r}")
    else:
        max_age_value = check_value("max_age", str(int(max_age)) if isinstance(max_age, (int, float)) else max_age)
    secure_headers = (
        {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
        if secure_context else {}
    )

    async def cors_middleware(ctx: Context, next: Next) -> None:
        request_origin = ctx.get("Origin")
        # always Vary on Origin: the answer depends on it (rs/cors#10)
        ctx.vary("Origin")

        if origin_fn is not None:
            allow_origin = await _resolve(origin_fn(ctx))
            if not allow_origin:
                await next()
                return
        elif allowed is not None:
            if request_origin not in allowed:
                await next()
                return
            allow_origin = request_origin
        else:
            allow_origin = fixed_origin

        if isinstance(credentials, bool):
            with_credentials = credentials
        else:
            with_credentials = bool(await _resolve(credentials(ctx)))
        if with_credentials and allow_origin == "*":
            allow_origin = request_origin  # `*` is not allowed with credentials

        if ctx.method != "OPTIONS":
            # simple or actual request
            headers: dict[str, str] = {}
            if allow_origin:
                headers["Access-Control-Allow-Origin"] = allow_origin
            if with_credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
            if exposed:
                headers["Access-Control-Expose-Headers"] = exposed
            headers.update(secure_headers)
            ctx.set(headers)
            if not keep_headers_on_error:
                await next()
                return
            try:
                await next()
            except Exception as err:
                carry_headers(err, headers, vary="Origin")
                raise
            return

        # preflight
        if not ctx.get("Access-Control-Request-Method"):
            await next()  # not a preflight request
            return
        if allow_origin:
            ctx.set("Access-Control-Allow-Origin", allow_origin)
        if with_credentials:
            ctx.set("Access-Control-Allow-Credentials", "true")
        if max_age_value:
            ctx.set("Access-Control-Max-Age", max_age_value)
        if private_network_access and ctx.get("Access-Control-Request-Private-Network"):
            ctx.set("Access-Control-Allow-Private-Network", "true")
        if methods:
            ctx.set("Access-Control-Allow-Methods", methods)
        if secure_headers:
            ctx.set(secure_headers)
        request_headers = allowed_headers or ctx.get("Access-Control-Request-Headers")
        if request_headers:
            ctx.set("Access-Control-Allow-Headers", request_headers)
        ctx.status = 204

    return cors_middleware

