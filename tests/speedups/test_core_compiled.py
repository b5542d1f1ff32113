"""The core modules compiled from their own source: in use after `make build`, skipped when disabled."""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES

import pytest

import koa
from koa._speedups import CORE, NO_EXTENSIONS, compiled_modules


def _is_extension(name: str) -> bool:
    return str(importlib.import_module(name).__file__).endswith(tuple(EXTENSION_SUFFIXES))


@pytest.mark.parametrize("name", CORE)
def test_core_module_compiled_unless_disabled(name: str) -> None:
    # `make test` builds the extensions first: each core module must come from its build
    assert _is_extension(name) != NO_EXTENSIONS
    assert (name in compiled_modules()) != NO_EXTENSIONS


def test_compiled_classes_are_c_types() -> None:
    # the .pxd beside each module turns its classes into extension types when compiled
    from koa.context import Context
    from koa.request import Request
    from koa.response import Response

    for cls in (Context, Request, Response):
        assert (cls.__flags__ & (1 << 9) == 0) != NO_EXTENSIONS  # Py_TPFLAGS_HEAPTYPE: a class statement


def test_per_app_classes_take_attributes() -> None:
    # app.context / app.request / app.response are Python subclasses: extendable either way
    app = koa.Koa()
    app.context.db = "the db"  # type: ignore[attr-defined]
    ctx = app.create_context(app.request("GET", "/", [], None))
    assert ctx.db == "the db"  # type: ignore[attr-defined]
    ctx.anything = 1  # type: ignore[attr-defined]
    ctx.request.anything = 2  # type: ignore[attr-defined]
    ctx.response.anything = 3  # type: ignore[attr-defined]
    assert (ctx.anything, ctx.request.anything, ctx.response.anything) == (1, 2, 3)  # type: ignore[attr-defined]


def test_no_extensions_forces_the_source() -> None:
    code = (
        "import koa.transports.httptools_server, koa._speedups as s;"
        "import sys; print(s.compiled_modules())"
    )
    env = {**os.environ, "KOA_NO_EXTENSIONS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_pure_twins_need_no_cython() -> None:
    # koa.context reads `cython.compiled` (Cython folds it when compiling); without Cython
    # installed, the pure twin falls back to koa._speedups._shadow
    code = (
        "import sys; sys.modules['cython'] = None\n"  # as if Cython were not installed
        "import asyncio, koa.context as c\n"
        "from koa import Koa\n"
        "from koa.request import Request\n"
        "from koa.response import Response\n"
        "ctx = Koa().create_context(Request('GET', '/', []))\n"
        "print(c.__file__.endswith('.py'), c.release(ctx), ctx.request.ctx)\n"
    )
    env = {**os.environ, "KOA_NO_EXTENSIONS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "None"]
