"""Stepping a request's coroutine inside its contextvars context: the readable twin of _step_c.pyx.

The transports run a request's coroutine themselves (see koa/transports/_driver.py);
`send()` advances it once and says whether it finished, so that the compiled twin can
do it without raising and catching a StopIteration per request.
"""
from __future__ import annotations

from collections.abc import Coroutine
from contextvars import Context
from typing import Any


def send(context: Context, coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """Send None into `coro` inside `context`: (True, what it returned) or (False, what it yielded)."""
    try:
        return False, context.run(coro.send, None)
    except StopIteration as stop:
        return True, stop.value
