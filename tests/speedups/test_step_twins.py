"""Both twins of send() (a coroutine stepped inside a contextvars context) behave alike."""
from __future__ import annotations

import contextvars
import importlib
import types
from typing import Any

import pytest

from koa._speedups import NO_EXTENSIONS

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("step_test", default="outside")


@pytest.fixture(params=["py", "c"])
def twin(request: pytest.FixtureRequest) -> types.ModuleType:
    if request.param == "c" and NO_EXTENSIONS:
        pytest.skip("KOA_NO_EXTENSIONS is set")
    return importlib.import_module(f"koa._speedups._step_{request.param}")


class _Yield:
    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return (yield self.value)


def test_return_value(twin: types.ModuleType) -> None:
    async def coro() -> str:
        return "done"

    assert twin.send(contextvars.copy_context(), coro()) == (True, "done")


def test_yield_then_return(twin: types.ModuleType) -> None:
    async def coro() -> int:
        await _Yield("first")
        await _Yield("second")
        return 3

    c = coro()
    context = contextvars.copy_context()
    assert twin.send(context, c) == (False, "first")
    assert twin.send(context, c) == (False, "second")
    assert twin.send(context, c) == (True, 3)


def test_exception_propagates(twin: types.ModuleType) -> None:
    async def coro() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        twin.send(contextvars.copy_context(), coro())


def test_variables_stay_in_the_context(twin: types.ModuleType) -> None:
    async def coro() -> str:
        before = VAR.get()
        VAR.set("inside")
        await _Yield(None)
        return before + "/" + VAR.get()

    context = contextvars.copy_context()
    c = coro()
    assert twin.send(context, c) == (False, None)
    assert VAR.get() == "outside"  # the caller's context is untouched
    assert twin.send(context, c) == (True, "outside/inside")
    assert context[VAR] == "inside"


def test_a_finished_coroutine_raises(twin: types.ModuleType) -> None:
    async def coro() -> None:
        return None

    c = coro()
    context = contextvars.copy_context()
    assert twin.send(context, c) == (True, None)
    with pytest.raises(RuntimeError):
        twin.send(context, c)


# -- start(): the request's awaitable made inside its context, with koa's variable set there --
CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("start_test", default=None)


def test_start_sets_the_variable_in_the_context_only(twin: types.ModuleType) -> None:
    seen: list[Any] = []

    def fn(ctx: str) -> Any:
        seen.append((CURRENT.get(), VAR.get()))
        VAR.set("set while starting")  # stays in `context`

        async def run() -> Any:
            return CURRENT.get(), VAR.get()
        return run()

    context = contextvars.copy_context()
    coro = twin.start(context, CURRENT, "ctx", fn)
    assert seen == [("ctx", "outside")]
    assert twin.send(context, coro) == (True, ("ctx", "set while starting"))
    assert CURRENT.get() is None and VAR.get() == "outside"


def test_start_gives_something_send_steps_for_any_awaitable(twin: types.ModuleType) -> None:
    context = contextvars.copy_context()
    coro = twin.start(context, CURRENT, "ctx", lambda ctx: _Yield("waited"))
    assert twin.send(context, coro) == (False, "waited")
    assert twin.send(context, coro) == (True, None)


def test_start_refuses_what_await_refuses(twin: types.ModuleType) -> None:
    with pytest.raises(TypeError, match="can't be used in 'await' expression"):
        twin.start(contextvars.copy_context(), CURRENT, "ctx", lambda ctx: 42)


def test_start_passes_on_what_fn_raises(twin: types.ModuleType) -> None:
    def fn(ctx: str) -> Any:
        raise LookupError("no route")

    with pytest.raises(LookupError, match="no route"):
        twin.start(contextvars.copy_context(), CURRENT, "ctx", fn)
    assert CURRENT.get() is None
