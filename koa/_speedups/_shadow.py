"""What a core module's pure twin reads of `cython` when Cython is not installed: it is not compiled.

(Compiled, `cython.compiled` is a constant Cython folds at build time; see koa/context.py.
`locals` types a function's variables when compiled and does nothing here, as in Cython's own
pure-Python shadow module; `bint`, `int` and `Py_ssize_t` are the C types it names.)
"""
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

compiled = False
bint = bool
int = int  # noqa: A001
Py_ssize_t = int


def locals(**types: Any) -> Callable[[F], F]:  # noqa: A001 - Cython's name
    return lambda fn: fn
