"""Koa's __tests__/application/use.test.js and compose.test.js, plus section 1 and 11 of the contract."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

import pytest

from koa import Context, Koa, compose


async def test_compose_middleware(fetch: Callable[..., Any]) -> None:
    app = Koa()
    calls: list[int] = []

    async def one(ctx: Context, next: Any) -> None:
        calls.append(1)
        await next()
        calls.append(6)

    async def two(ctx: Context, next: Any) -> None:
        calls.append(2)
        await next()
        calls.append(5)

    async def three(ctx: Context, next: Any) -> None:
        calls.append(3)
        await next()
        calls.append(4)

    app.use(one).use(two).use(three)
    res = await fetch(app)
    assert res.status_code == 404
    assert calls == [1, 2, 3, 4, 5, 6]


async def test_compose_mixed_middleware(fetch: Callable[..., Any]) -> None:
    """Plain functions returning next()'s awaitable mix with async def."""
    app = Koa()
    calls: list[int] = []

    def one(ctx: Context, next: Any) -> Any:
        calls.append(1)

        async def after() -> None:
            await next()
            calls.append(6)

        return after()

    async def two(ctx: Context, next: Any) -> None:
        calls.append(2)
        await next()
        calls.append(5)

    def three(ctx: Context, next: Any) -> Any:
        calls.append(3)
        return next()

    app.use(one).use(two).use(three)
    assert (await fetch(app)).status_code == 404
    assert calls == [1, 2, 3, 5, 6]


async def test_catch_thrown_errors_in_sync_functions(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: ctx.throw(404, "Not Found"))
    res = await fetch(app)
    assert res.status_code == 404
    assert res.text == "Not Found"


@pytest.mark.parametrize("value", [None, 0, False, "not a function", 3.5, [], {}])
def test_use_non_callable_raises_type_error_naming_it(value: Any) -> None:
    app = Koa()
    with pytest.raises(TypeError, match="middleware must be a callable") as info:
        app.use(value)
    assert repr(value) in str(info.value)
    assert app.middleware == []


def test_use_returns_the_app() -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        await next()

    assert app.use(mw) is app
    assert app.use(mw).use(mw) is app
    assert len(app.middleware) == 3


async def test_await_next_without_call(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def outer(ctx: Context, next: Any) -> None:
        await next
        ctx.body = ctx.body + " world"

    async def inner(ctx: Context, next: Any) -> None:
        ctx.body = "hello"

    app.use(outer).use(inner)
    assert (await fetch(app)).text == "hello world"


async def test_next_called_twice_is_a_500(fetch: Callable[..., Any]) -> None:
    app = Koa(silent=True)
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))

    async def twice(ctx: Context, next: Any) -> None:
        await next()
        await next()

    app.use(twice)
    res = await fetch(app)
    assert res.status_code == 500
    assert res.text == "Internal Server Error"
    assert isinstance(errors[0], RuntimeError)
    assert str(errors[0]) == "next() called multiple times"


async def test_generator_middleware_with_yield_from_next(fetch: Callable[..., Any]) -> None:
    app = Koa()
    calls: list[str] = []

    def old_style(ctx: Context, next: Any) -> Generator[Any, None, None]:
        calls.append("before")
        yield from next
        calls.append("after")
        ctx.set("X-Old", "yes")

    async def modern(ctx: Context, next: Any) -> None:
        calls.append("modern")
        ctx.body = "ok"

    app.use(old_style).use(modern)
    res = await fetch(app)
    assert res.text == "ok"
    assert res.headers["x-old"] == "yes"
    assert calls == ["before", "modern", "after"]


async def test_generator_middleware_yield_from_next_call(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def old_style(ctx: Context, next: Any) -> Generator[Any, None, None]:
        yield from next()
        ctx.body = ctx.body.upper()

    app.use(old_style)
    app.use(lambda ctx, next: setattr(ctx, "body", "shout"))
    assert (await fetch(app)).text == "SHOUT"


async def test_generator_middleware_can_await_asyncio(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def old_style(ctx: Context, next: Any) -> Generator[Any, None, None]:
        yield from asyncio.sleep(0).__await__()
        ctx.body = "slept"

    app.use(old_style)
    assert (await fetch(app)).text == "slept"


async def test_plain_sync_function_middleware(fetch: Callable[..., Any]) -> None:
    app = Koa()

    def sync(ctx: Context, next: Any) -> None:
        ctx.body = "sync"

    app.use(sync)
    res = await fetch(app)
    assert res.status_code == 200
    assert res.text == "sync"


async def test_sync_function_returning_next_continues_the_chain(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: next())
    app.use(lambda ctx, next: setattr(ctx, "body", "reached"))
    assert (await fetch(app)).text == "reached"


async def test_object_with_async_call(fetch: Callable[..., Any]) -> None:
    class Greeter:
        def __init__(self, word: str) -> None:
            self.word = word

        async def __call__(self, ctx: Context, next: Any) -> None:
            await next()
            ctx.body = f"{self.word}, {ctx.body}"

    app = Koa()
    app.use(Greeter("hello"))
    app.use(lambda ctx, next: setattr(ctx, "body", "world"))
    assert (await fetch(app)).text == "hello, world"


async def test_object_with_sync_call(fetch: Callable[..., Any]) -> None:
    class Setter:
        def __call__(self, ctx: Context, next: Any) -> Any:
            ctx.set("X-Sync-Object", "1")
            return next()

    app = Koa()
    app.use(Setter())
    app.use(lambda ctx, next: setattr(ctx, "body", "done"))
    res = await fetch(app)
    assert res.headers["x-sync-object"] == "1"
    assert res.text == "done"


async def test_functools_partial_middleware(fetch: Callable[..., Any]) -> None:
    import functools

    async def tagged(tag: str, ctx: Context, next: Any) -> None:
        ctx.body = tag

    app = Koa()
    app.use(functools.partial(tagged, "partial"))
    assert (await fetch(app)).text == "partial"


async def test_composed_stack_as_middleware(fetch: Callable[..., Any]) -> None:
    calls: list[str] = []

    async def a(ctx: Context, next: Any) -> None:
        calls.append("a")
        await next()

    async def b(ctx: Context, next: Any) -> None:
        calls.append("b")
        await next()

    async def last(ctx: Context, next: Any) -> None:
        calls.append("last")
        ctx.body = "done"

    app = Koa()
    app.use(compose([a, b])).use(last)
    assert (await fetch(app)).text == "done"
    assert calls == ["a", "b", "last"]


async def test_app_as_middleware_of_another(fetch: Callable[..., Any]) -> None:
    child = Koa()
    calls: list[str] = []

    async def child_mw(ctx: Context, next: Any) -> None:
        calls.append("child")
        ctx.set("X-Child", "1")
        await next()

    child.use(child_mw)

    async def parent_first(ctx: Context, next: Any) -> None:
        calls.append("parent>")
        await next()
        calls.append("<parent")

    async def parent_last(ctx: Context, next: Any) -> None:
        calls.append("parent-last")
        ctx.body = "from parent"

    parent = Koa()
    parent.use(parent_first).use(child).use(parent_last)
    res = await fetch(parent)
    assert res.text == "from parent"
    assert res.headers["x-child"] == "1"
    assert calls == ["parent>", "child", "parent-last", "<parent"]


async def test_child_app_can_respond_without_calling_next(fetch: Callable[..., Any]) -> None:
    child = Koa()
    child.use(lambda ctx, next: setattr(ctx, "body", "child answered"))
    parent = Koa()
    parent.use(child)
    parent.use(lambda ctx, next: setattr(ctx, "body", "never"))
    assert (await fetch(parent)).text == "child answered"


async def test_middleware_added_after_first_request_is_used(fetch: Callable[..., Any]) -> None:
    app = Koa()
    app.use(lambda ctx, next: next())
    assert (await fetch(app)).status_code == 404
    app.use(lambda ctx, next: setattr(ctx, "body", "late"))
    assert (await fetch(app)).text == "late"


async def test_callback_handles_a_context() -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", "via callback"))
    handler = app.callback()
    ctx = app.create_context(app.request("GET", "/", [], None))
    payload = await handler(ctx)
    assert payload == b"via callback"
    assert ctx.status == 200
