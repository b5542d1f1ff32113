"""koa-compose's test suite, carried over: koa.compose(list_of_middleware)."""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Generator
from typing import Any

import pytest

from koa import compose
from koa.compose import to_middleware


async def wait(ms: float) -> None:
    await asyncio.sleep(ms / 1000)


class Ctx:
    """A plain object standing in for a Context."""


async def test_onion_order() -> None:
    arr: list[int] = []

    async def a(ctx: Any, next: Any) -> None:
        arr.append(1)
        await wait(1)
        await next()
        await wait(1)
        arr.append(6)

    async def b(ctx: Any, next: Any) -> None:
        arr.append(2)
        await wait(1)
        await next()
        await wait(1)
        arr.append(5)

    async def c(ctx: Any, next: Any) -> None:
        arr.append(3)
        await wait(1)
        await next()
        await wait(1)
        arr.append(4)

    await compose([a, b, c])(Ctx())
    assert arr == [1, 2, 3, 4, 5, 6]


async def test_can_be_called_twice() -> None:
    async def a(ctx: Any, next: Any) -> None:
        ctx.arr.append(1)
        await next()
        ctx.arr.append(6)

    async def b(ctx: Any, next: Any) -> None:
        ctx.arr.append(2)
        await next()
        ctx.arr.append(5)

    async def c(ctx: Any, next: Any) -> None:
        ctx.arr.append(3)
        await next()
        ctx.arr.append(4)

    stack = compose([a, b, c])
    ctx1, ctx2 = Ctx(), Ctx()
    ctx1.arr, ctx2.arr = [], []  # type: ignore[attr-defined]
    await stack(ctx1)
    await stack(ctx2)
    assert ctx1.arr == [1, 2, 3, 4, 5, 6]  # type: ignore[attr-defined]
    assert ctx2.arr == [1, 2, 3, 4, 5, 6]  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad", [None, "string", b"bytes", 42, {"a": 1}, lambda ctx, next: None, iter([])])
def test_only_accepts_a_list(bad: Any) -> None:
    with pytest.raises(TypeError, match="compose\\(\\) takes a list of middleware"):
        compose(bad)


def test_accepts_a_tuple() -> None:
    async def mw(ctx: Any, next: Any) -> None:
        await next()

    assert compose((mw,)).middleware == (mw,)


async def test_next_returns_an_awaitable() -> None:
    seen: list[bool] = []

    async def a(ctx: Any, next: Any) -> None:
        result = next()
        seen.append(hasattr(result, "__await__"))
        await result

    await compose([a, a])(Ctx())
    assert seen == [True, True]


async def test_zero_middleware() -> None:
    assert await compose([])(Ctx()) is None


@pytest.mark.parametrize("bad", [None, 42, "mw", object()])
def test_only_accepts_callables(bad: Any) -> None:
    async def ok(ctx: Any, next: Any) -> None:
        await next()

    with pytest.raises(TypeError, match="middleware must be a callable"):
        compose([ok, bad])


async def test_next_at_the_end_of_the_stack() -> None:
    called: list[bool] = []

    async def last(ctx: Any, next: Any) -> None:
        await next()
        called.append(True)

    await compose([last])(Ctx())
    assert called == [True]


async def test_errors_propagate() -> None:
    async def boom(ctx: Any, next: Any) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await compose([boom])(Ctx())


async def test_keeps_the_context() -> None:
    ctx = Ctx()

    async def check(c: Any, next: Any) -> None:
        assert c is ctx
        await next()
        assert c is ctx

    await compose([check, check, check])(ctx)


async def test_catches_downstream_errors() -> None:
    arr: list[int] = []

    async def a(ctx: Any, next: Any) -> None:
        arr.append(1)
        try:
            arr.append(6)
            await next()
            arr.append(7)
        except ValueError:
            arr.append(2)
        arr.append(3)

    async def b(ctx: Any, next: Any) -> None:
        arr.append(4)
        raise ValueError

    await compose([a, b])(Ctx())
    assert arr == [1, 6, 4, 2, 3]


async def test_composes_with_an_outer_next() -> None:
    called: list[bool] = []

    async def outer_next() -> None:
        called.append(True)

    await compose([])(Ctx(), outer_next)
    assert called == [True]


async def test_errors_in_wrapped_sync_functions() -> None:
    def sync_boom(ctx: Any, next: Any) -> None:
        raise RuntimeError("sync")

    with pytest.raises(RuntimeError, match="sync"):
        await compose([sync_boom])(Ctx())


async def test_composes_with_other_compositions() -> None:
    called: list[int] = []

    def step(n: int) -> Any:
        async def mw(ctx: Any, next: Any) -> None:
            called.append(n)
            await next()

        return mw

    await compose([compose([step(1), step(2)]), step(3)])(Ctx())
    assert called == [1, 2, 3]


async def test_next_twice_raises() -> None:
    async def twice(ctx: Any, next: Any) -> None:
        await next()
        await next()

    with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
        await compose([twice])(Ctx())


async def test_next_call_then_await_raises() -> None:
    async def twice(ctx: Any, next: Any) -> None:
        await next()
        await next

    with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
        await compose([twice])(Ctx())


async def test_next_twice_inside_composition_in_an_app_is_500(fetch: Callable[..., Any]) -> None:
    from koa import Koa

    async def twice(ctx: Any, next: Any) -> None:
        await next()
        await next()

    app = Koa(silent=True)
    app.use(compose([twice]))
    assert (await fetch(app)).status_code == 500


async def test_composition_is_valid_middleware() -> None:
    async def a(ctx: Any, next: Any) -> None:
        await next()

    stack = compose([a, a])
    await compose([stack, stack])(Ctx())


async def test_returns_the_last_return_value() -> None:
    async def a(ctx: Any, next: Any) -> int:
        value = await next()
        assert value == 2
        return 1

    async def b(ctx: Any, next: Any) -> int:
        value = await next()
        assert value is None
        return 2

    assert await compose([a, b])(Ctx()) == 1


async def test_original_list_is_not_affected() -> None:
    async def a(ctx: Any, next: Any) -> None:
        await next()

    middleware = [a]
    stack = compose(middleware)
    middleware.append(a)
    assert len(stack.middleware) == 1
    await stack(Ctx())


async def test_does_not_get_stuck_on_the_outer_next() -> None:
    middleware_called: list[bool] = []
    outer_called: list[bool] = []

    async def mw(ctx: Any, next: Any) -> None:
        middleware_called.append(True)
        await next()

    async def outer() -> None:
        outer_called.append(True)

    await compose([mw])(Ctx(), outer)
    assert middleware_called == [True]
    assert outer_called == [True]


async def test_middleware_not_calling_next_stops_the_chain() -> None:
    called: list[str] = []

    async def stop(ctx: Any, next: Any) -> None:
        called.append("stop")

    async def never(ctx: Any, next: Any) -> None:
        called.append("never")

    await compose([stop, never])(Ctx())
    assert called == ["stop"]


async def test_plain_function_result_is_awaited_only_when_awaitable() -> None:
    async def inner(ctx: Any, next: Any) -> str:
        return "inner"

    stack = compose([lambda ctx, next: next(), inner])
    assert await stack(Ctx()) == "inner"
    assert await compose([lambda ctx, next: 42])(Ctx()) == 42


async def test_generator_middleware_is_converted() -> None:
    seen: list[str] = []

    def gen(ctx: Any, next: Any) -> Generator[Any, None, None]:
        seen.append("before")
        yield from next
        seen.append("after")

    async def last(ctx: Any, next: Any) -> None:
        seen.append("last")

    await compose([gen, last])(Ctx())
    assert seen == ["before", "last", "after"]


async def test_generator_middleware_errors_propagate() -> None:
    def gen(ctx: Any, next: Any) -> Generator[Any, None, None]:
        yield from next
        raise KeyError("from generator")

    with pytest.raises(KeyError):
        await compose([gen])(Ctx())


async def test_generator_middleware_can_catch_downstream_errors() -> None:
    seen: list[str] = []

    def gen(ctx: Any, next: Any) -> Generator[Any, None, None]:
        try:
            yield from next
        except ValueError as err:
            seen.append(str(err))

    async def boom(ctx: Any, next: Any) -> None:
        raise ValueError("downstream")

    await compose([gen, boom])(Ctx())
    assert seen == ["downstream"]


def test_to_middleware_keeps_async_functions_as_they_are() -> None:
    async def mw(ctx: Any, next: Any) -> None:
        pass

    assert to_middleware(mw) is mw


def test_to_middleware_keeps_async_callable_objects() -> None:
    class Obj:
        async def __call__(self, ctx: Any, next: Any) -> None:
            pass

    obj = Obj()
    assert to_middleware(obj) is obj


def test_to_middleware_keeps_a_dispatcher() -> None:
    stack = compose([])
    assert to_middleware(stack) is stack


def test_to_middleware_wraps_a_sync_function_keeping_its_name() -> None:
    def named(ctx: Any, next: Any) -> None:
        pass

    wrapped = to_middleware(named)
    assert wrapped is not named
    assert wrapped.__name__ == "named"
    assert inspect.iscoroutinefunction(wrapped)


def test_to_middleware_refuses_non_callables() -> None:
    with pytest.raises(TypeError, match="middleware must be a callable"):
        to_middleware(42)


async def test_a_koa_app_in_compose() -> None:
    from koa import Koa

    child = Koa()
    seen: list[str] = []

    async def child_mw(ctx: Any, next: Any) -> None:
        seen.append("child")
        await next()

    async def after(ctx: Any, next: Any) -> None:
        seen.append("after")

    child.use(child_mw)
    await compose([child, after])(Ctx())
    assert seen == ["child", "after"]
