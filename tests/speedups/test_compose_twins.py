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


async def test_next_called_through_every_protocol(twin: types.ModuleType) -> None:
    # `next()` (vectorcall in the compiled twin), `next.__call__()` (tp_call), `await next`
    seen: list[str] = []

    async def via_call(ctx: Any, next: Any) -> None:
        await next()
        with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
            next.__call__()

    async def via_dunder(ctx: Any, next: Any) -> None:
        await next.__call__()
        with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
            next()

    async def via_await(ctx: Any, next: Any) -> None:
        await next
        with pytest.raises(RuntimeError, match="next\\(\\) called multiple times"):
            await next

    async def last(ctx: Any, next: Any) -> None:
        seen.append("last")

    await twin.Dispatcher((via_call, via_dunder, via_await, last))(None)
    assert seen == ["last"]


async def test_next_takes_no_arguments(twin: types.ModuleType) -> None:
    async def a(ctx: Any, next: Any) -> None:
        for call in (lambda: next(1), lambda: next(x=1), lambda: next.__call__(1)):
            with pytest.raises(TypeError):
                call()
        await next()  # a refused call does not count as a call

    async def b(ctx: Any, next: Any) -> str:
        return "b"

    assert await twin.Dispatcher((a, b))(None) is None


async def test_every_layer_gets_the_ctx_and_values_come_back(twin: types.ModuleType) -> None:
    ctx = object()
    got: list[object] = []

    async def layer(c: Any, next: Any) -> Any:
        got.append(c)
        return await next()

    async def last(c: Any, next: Any) -> str:
        got.append(c)
        assert await next() is None  # past the innermost layer
        return "value"

    assert await twin.Dispatcher((layer,) * 4 + (last,))(ctx) == "value"
    assert got == [ctx] * 5


async def test_interleaved_requests_keep_their_own_state(twin: types.ModuleType) -> None:
    import asyncio

    seen: list[tuple[str, str]] = []

    async def layer(ctx: Any, next: Any) -> None:
        await asyncio.sleep(0)  # let the other request run in between
        await next()
        seen.append(("after", ctx))

    async def last(ctx: Any, next: Any) -> None:
        await asyncio.sleep(0)
        seen.append(("last", ctx))

    d = twin.Dispatcher((layer, layer, last))
    await asyncio.gather(d("a"), d("b"))
    assert sorted(seen) == sorted([("last", "a"), ("last", "b")] + [("after", "a"), ("after", "b")] * 2)


async def test_nested_dispatcher_calls_outer_next_once(twin: types.ModuleType) -> None:
    order: list[str] = []

    def layer(name: str) -> Any:
        async def mw(ctx: Any, next: Any) -> None:
            order.append(f"{name}>")
            await next()
            order.append(f"<{name}")

        return mw

    inner = twin.Dispatcher((layer("i1"), layer("i2")))
    await twin.Dispatcher((layer("o1"), inner, layer("o2")))(None)
    assert order == ["o1>", "i1>", "i2>", "o2>", "<o2", "<i2", "<i1", "<o1"]


def test_cycle_through_next_is_collected(twin: types.ModuleType) -> None:
    # ctx -> next -> (the request's shared state) -> ctx: the GC must see every edge
    import gc
    import weakref

    class Ctx:
        next: Any = None

    async def keep(ctx: Any, next: Any) -> None:
        ctx.next = next
        await next()

    async def stop(ctx: Any, next: Any) -> None:
        ctx.next = next

    ctx = Ctx()
    ref = weakref.ref(ctx)
    coro = twin.Dispatcher((keep, keep, stop))(ctx)
    with pytest.raises(StopIteration):
        coro.send(None)
    del ctx, coro
    gc.collect()
    assert ref() is None


def test_compiled_next_uses_vectorcall() -> None:
    if not USING_EXTENSIONS:
        pytest.skip("the compiled twin is not in use")
    compiled = importlib.import_module("koa._speedups._compose_c")
    assert compiled.VECTORCALL
    with pytest.raises(TypeError):  # sealed: no subclass could override __call__ unseen

        class Sub(compiled._Next):  # type: ignore[misc,name-defined]
            pass
