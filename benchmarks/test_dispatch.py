"""Dispatch through compose at depth 1, 5, 10, 20: compiled vs pure (ns per request).

Run: `make bench-micro` (pytest-benchmark). Target: compiled >= 3x faster at depth 10.
"""
from __future__ import annotations

import importlib
from typing import Any

import pytest

from benchmarks._drive import drive
from koa._speedups import NO_EXTENSIONS

TWINS = ["py"] if NO_EXTENSIONS else ["py", "c"]


async def _pass(ctx: Any, next: Any) -> None:
    await next()


async def _end(ctx: Any, next: Any) -> None:
    return None


@pytest.mark.parametrize("depth", [1, 5, 10, 20])
@pytest.mark.parametrize("twin", TWINS)
def test_dispatch_depth(benchmark: Any, twin: str, depth: int) -> None:
    dispatcher_cls = importlib.import_module(f"koa._speedups._compose_{twin}").Dispatcher
    stack = dispatcher_cls(tuple([_pass] * (depth - 1) + [_end]))
    benchmark.group = f"compose depth {depth}"
    benchmark(lambda: drive(stack(None)))
