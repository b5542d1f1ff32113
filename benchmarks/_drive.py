"""Run a coroutine that never suspends, without an event loop (for in-process benchmarks)."""
from __future__ import annotations

from collections.abc import Coroutine
from typing import Any


def drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Step `coro` once; it must finish without awaiting real I/O."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("benchmark coroutine suspended")
