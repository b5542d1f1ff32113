"""Declares the optional compiled speedups; all metadata lives in pyproject.toml.

Two kinds: the Cython twins in koa/_speedups/*.pyx, and the hot core modules listed in
koa/_speedups/__init__.py's CORE, compiled from their own .py (the .pxd beside each makes
their classes C types; the .py stays the pure-Python twin). Without Cython the shipped
.c files are compiled; without a compiler, koa installs as pure Python.
"""
import os
import re
import sys

from setuptools import Extension, setup

NO_EXTENSIONS = (
    os.environ.get("KOA_NO_EXTENSIONS", "") not in ("", "0")
    or sys.implementation.name != "cpython"
)
HERE = os.path.dirname(os.path.abspath(__file__))
# annotations are documentation here, not C types: a `str` argument must accept what Python accepts
DIRECTIVES = {"language_level": 3, "annotation_typing": False}


def _has_cython() -> bool:
    try:
        import Cython  # noqa: F401
    except ImportError:
        return False
    return True


def _core() -> list[str]:
    """CORE from koa/_speedups/__init__.py, read without importing koa."""
    with open(os.path.join(HERE, "koa", "_speedups", "__init__.py"), encoding="utf-8") as f:
        block = re.search(r"^CORE = \((.*?)^\)", f.read(), re.S | re.M)
    assert block, "CORE not found in koa/_speedups/__init__.py"
    return re.findall(r'"([\w.]+)"', block.group(1))


def _extension(name: str, source: str) -> Extension:
    if not _has_cython():
        source = os.path.splitext(source)[0] + ".c"
    # optional: no compiler -> pure install. Don't call cythonize(): it drops optional=True.
    # -g0: no debug info (Python's own CFLAGS ask for it), a tenth of the size in the wheels
    ext = Extension(name, [source], optional=True, extra_compile_args=[] if sys.platform == "win32" else ["-g0"])
    ext.cython_directives = DIRECTIVES  # type: ignore[attr-defined]
    return ext


def _extensions() -> list:
    if NO_EXTENSIONS:
        return []
    twins = sorted(n[:-4] for n in os.listdir(os.path.join(HERE, "koa", "_speedups")) if n.endswith(".pyx"))
    return [_extension(f"koa._speedups.{n}", f"koa/_speedups/{n}.pyx") for n in twins] + [
        _extension(name, name.replace(".", "/") + ".py") for name in _core()
    ]


setup(ext_modules=_extensions())
