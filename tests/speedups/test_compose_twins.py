"""Both compose twins (compiled and pure) behave alike."""
from __future__ import annotations

import importlib
import types
from typing import Any

import pytest

from koa._speedups import NO_EXTENSIONS, USING_EXTENSIONS


@pytest.fixture(params=["py", "c"])
def twin(request: pytest.FixtureRequest) -> types.ModuleType:
    if request.param == "c" and NO_EXTENSIONS:
        pytest.skip("KOA_NO_EXTENSIONS is set")
    return importlib.import_module(f"koa._speedups._compose_{request.param}")


def test_extensions_in_use_unless_disabled() -> None:
    # `make test` builds the extensions first, so the compiled twin must be active
    assert USING_EXTENSIONS or NO_EXTENSIONS
    assert USING_EXTENSIONS != NO_EXTENSIONS


async def test_onion_order(twin: types.ModuleType) -> None:
    calls: list[str] = []

    def layer(name: str) -> Any:
        async def mw(ctx: Any, next: Any) -> None:
            calls.append(f"{name}>")
            await next()
            calls.append(f"<{name}")

        return mw

    d = twin.Dispatcher((layer("a"), layer("b"), layer("c")))
    await d(object())
    assert calls == ["a>", "b>", "c>", "<c", "<b", "<a"]


async def test_await_next_without_call(twin: types.ModuleType) -> None:
    seen: list[int] = []

    async def a(ctx: Any, next: Any) -> None:
        await next
        seen.append(1)

    async def b(ctx: Any, next: Any) -> None:
        seen.append(0)

    await twin.Dispatcher((a, b))(None)
    assert seen == [0, 1]


async def test_next_twice_raises(twin: types.ModuleType) -> None:
    async def a(ctx: Any, next: Any) -> None:
        await next()
        await next()

    with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
        await twin.Dispatcher((a,))(None)


async def test_outer_next_runs_after_stack(twin: types.ModuleType) -> None:
    order: list[str] = []

    async def inner(ctx: Any, next: Any) -> None:
        order.append("inner")
        await next()
        order.append("inner-after")

    async def outer_next() -> None:
        order.append("outer")

    await twin.Dispatcher((inner,))(None, outer_next)
    assert order == ["inner", "outer", "inner-after"]


async def test_empty_stack(twin: types.ModuleType) -> None:
    assert await twin.Dispatcher(())(None) is None
    ran: list[bool] = []

    async def outer_next() -> None:
        ran.append(True)

    await twin.Dispatcher(())(None, outer_next)
    assert ran == [True]


async def test_value_returned_and_errors_propagate(twin: types.ModuleType) -> None:
    async def a(ctx: Any, next: Any) -> str:
        try:
            await next()
        except ValueError as err:
            return f"caught {err}"
        return "no error"

    async def b(ctx: Any, next: Any) -> None:
        raise ValueError("boom")

    assert await twin.Dispatcher((a, b))(None) == "caught boom"


async def test_generator_next_via_yield_from(twin: types.ModuleType) -> None:
    seen: list[str] = []

    @types.coroutine
    def old_style(ctx: Any, next: Any) -> Any:
        seen.append("before")
        yield from next
        seen.append("after")

    async def last(ctx: Any, next: Any) -> None:
        seen.append("last")

    await twin.Dispatcher((old_style, last))(None)
    assert seen == ["before", "last", "after"]


async def test_generator_middleware_chain(twin: types.ModuleType) -> None:
    # the original koa package's style: every layer a generator, `yield from next`
    seen: list[str] = []

    def layer(name: str) -> Any:
        @types.coroutine
        def mw(ctx: Any, next: Any) -> Any:
            seen.append(f"{name}>")
            yield from next
            seen.append(f"<{name}")

        return mw

    async def awaits_bare_next(ctx: Any, next: Any) -> None:
        seen.append("async>")
        await next  # the next layer is a generator: no __await__ of its own
        seen.append("<async")

    await twin.Dispatcher((layer("a"), awaits_bare_next, layer("b"), layer("c")))(None)
    assert seen == ["a>", "async>", "b>", "c>", "<c", "<b", "<async", "<a"]
