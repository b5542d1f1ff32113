"""Dispatch through compose at depth 1, 5, 10, 20: compiled vs pure (ns per request).

Run: `make bench-micro` (pytest-benchmark). Target: compiled >= 3x faster at depth 10.

Both twins run under the same, smallest harness: the benchmark loop calls
`finish_call(stack, None)`, which runs the request's coroutine to its end in C without
raising StopIteration. The `floor` rows are no dispatcher at all: the same layers as
plain coroutines awaiting each other directly (`await inner(ctx, next)`), the least
any `next` can cost; compiled - floor is what the compiled `next` itself adds.
"""
from __future__ import annotations

import importlib
from typing import Any

import pytest

from benchmarks._drive import finish_call
from koa._speedups import NO_EXTENSIONS

TWINS = ["py"] if NO_EXTENSIONS else ["py", "c"]
DEPTHS = [1, 5, 10, 20]


async def _pass(ctx: Any, next: Any) -> None:  # noqa: A002
    await next()


async def _end(ctx: Any, next: Any) -> None:  # noqa: A002
    return None


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("twin", TWINS)
def test_dispatch_depth(benchmark: Any, twin: str, depth: int) -> None:
    dispatcher_cls = importlib.import_module(f"koa._speedups._compose_{twin}").Dispatcher
    stack = dispatcher_cls(tuple([_pass] * (depth - 1) + [_end]))
    benchmark.group = f"compose depth {depth}"
    benchmark(finish_call, stack, None)


def _chain(depth: int) -> Any:
    """`depth` layers like _pass/_end, each awaiting the next coroutine directly."""

    async def end(ctx: Any, next: Any = None) -> None:  # noqa: A002
        return None

    def layer(inner: Any) -> Any:
        async def direct(ctx: Any, next: Any = None) -> None:  # noqa: A002
            await inner(ctx, next)

        return direct

    fn = end
    for _ in range(depth - 1):
        fn = layer(fn)
    return fn


@pytest.mark.parametrize("depth", DEPTHS)
def test_dispatch_floor(benchmark: Any, depth: int) -> None:
    benchmark.group = f"compose depth {depth}"
    benchmark(finish_call, _chain(depth), None)
