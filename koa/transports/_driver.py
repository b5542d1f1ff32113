"""The body of a connection's task: a coroutine object that resumes the requests it is handed.

koa runs a request synchronously in the protocol callback that completed its head, with
the connection's task set as the current task, and only when the request waits does the
task take over. Python 3.11 has no eager tasks and a Task per request costs more than the
rest of a small request, so each connection makes one Task whose coroutine is a
`TaskBody`: every `send()`/`throw()` the Task makes is forwarded to the connection, which
steps the waiting request inside that request's own `contextvars.Context`.

`asyncio.current_task()`, `asyncio.timeout()` and cancellation therefore behave as in any
task: the task that is current while a request runs is the one that resumes it and the
one a timeout cancels.
"""
from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Protocol


class Owner(Protocol):
    """What a TaskBody forwards to (the connection protocol)."""

    def task_send(self) -> Any: ...

    def task_throw(self, exc: BaseException) -> Any: ...


class TaskBody(Coroutine[Any, Any, None]):
    """The coroutine of a connection's Task (see the module docstring)."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Owner) -> None:
        self._owner = owner

    def send(self, value: Any) -> Any:
        return self._owner.task_send()

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if val is None:
            val = typ() if isinstance(typ, type) else typ
        return self._owner.task_throw(val)

    def close(self) -> None:
        pass

    def __await__(self) -> Generator[Any, None, None]:
        raise TypeError("a connection's TaskBody is run by its Task, not awaited")

    def __repr__(self) -> str:
        return f"<TaskBody of {self._owner!r}>"


__all__ = ["Owner", "TaskBody"]
