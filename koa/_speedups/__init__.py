"""The one place that chooses between the compiled and the pure-Python twins.

Two kinds of compiled code live here:

- `_compose_c`, `_step_c`, `_tree_c` (Cython sources of their own, twins of the `_py` modules);
- the hot core modules in `CORE`, compiled from their own `.py` with the `.pxd` beside
  each (which makes their classes C types). The extension module sits next to the
  source and shadows it; `SourceFinder` below makes the import system take the `.py`
  instead when `KOA_NO_EXTENSIONS=1`, or, in a source checkout, when the `.py` is newer
  than its build (a stale build would run old code).

`koa.__speedups__` / `USING_EXTENSIONS` say whether the compiled twins are in use;
`compiled_modules()` lists the modules that really came from extensions.
"""
from __future__ import annotations

import os
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES, SOURCE_SUFFIXES, FileFinder, ModuleSpec, SourceFileLoader
from typing import TYPE_CHECKING, Any

NO_EXTENSIONS = (
    os.environ.get("KOA_NO_EXTENSIONS", "") not in ("", "0")
    or sys.implementation.name != "cpython"
)
USING_EXTENSIONS = False

# a source checkout (setup.py beside the package), where a build can fall behind an edited source;
# not an installed wheel, whose files all get the time they were unpacked at
SOURCE_TREE = os.path.exists(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "setup.py"))

# compiled from their own source (see setup.py); imported only after koa/__init__ imports this
CORE = (
    "koa.request",
    "koa.response",
    "koa.context",
    "koa.application",
    "koa.router._dispatch",
    "koa.transports._http11",
    "koa.transports._sending",
    "koa.transports.httptools_server",
)


class SourceFinder:
    """A meta path finder that imports a CORE module from its `.py` when the build must not be used."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name not in CORE or not path:
            return None
        directory = list(path)[0]
        leaf = name.rpartition(".")[2]
        source = os.path.join(directory, leaf + ".py")
        if not NO_EXTENSIONS:
            built = _built(directory, leaf)
            if built is None or not SOURCE_TREE:
                return None  # the default machinery finds the build, or the source when there is none
            try:
                stale = os.stat(source).st_mtime > os.stat(built).st_mtime
            except OSError:
                return None
            if not stale:
                return None
            warnings.warn(f"{built} is older than {source}: using the source (run `make build`)", stacklevel=2)
        return FileFinder(directory, (SourceFileLoader, SOURCE_SUFFIXES)).find_spec(name)


def _built(directory: str, leaf: str) -> str | None:
    for suffix in EXTENSION_SUFFIXES:
        candidate = os.path.join(directory, leaf + suffix)
        if os.path.exists(candidate):
            return candidate
    return None


def compiled_modules() -> list[str]:
    """The compiled modules in use: the CORE modules loaded from extensions, and the twins."""
    names = [*CORE, "koa._speedups._compose_c", "koa._speedups._step_c", "koa._speedups._tree_c"]
    return [
        name for name in names
        if name in sys.modules and str(getattr(sys.modules[name], "__file__", "")).endswith(tuple(EXTENSION_SUFFIXES))
    ]


if not any(isinstance(finder, SourceFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, SourceFinder())

if TYPE_CHECKING or NO_EXTENSIONS:  # type checkers always read the pure twin
    from ._compose_py import DONE, Dispatcher
    from ._step_py import send, start
    from ._tree_py import Tree
else:
    try:
        from ._compose_c import DONE, Dispatcher
        from ._step_c import send, start
        from ._tree_c import Tree

        USING_EXTENSIONS = True
    except ImportError:  # not built here: same behaviour, slower
        from ._compose_py import DONE, Dispatcher
        from ._step_py import send, start
        from ._tree_py import Tree

__all__ = [
    "CORE", "DONE", "NO_EXTENSIONS", "USING_EXTENSIONS", "Dispatcher", "Tree", "compiled_modules", "send", "start",
]
