"""Declares the optional compiled speedups; all metadata lives in pyproject.toml."""
import os
import sys

from setuptools import Extension, setup

NO_EXTENSIONS = (
    os.environ.get("KOA_NO_EXTENSIONS", "") not in ("", "0")
    or sys.implementation.name != "cpython"
)
HERE = os.path.dirname(os.path.abspath(__file__))


def _source(name: str) -> str:
    """The .pyx when Cython is here (it is a build requirement), else the shipped .c."""
    pyx = f"koa/_speedups/{name}.pyx"
    try:
        import Cython  # noqa: F401
    except ImportError:
        return f"koa/_speedups/{name}.c"
    return pyx


def _extensions() -> list:
    if NO_EXTENSIONS:
        return []
    names = [
        n[:-4] for n in sorted(os.listdir(os.path.join(HERE, "koa", "_speedups"))) if n.endswith(".pyx")
    ]
    # optional: no compiler -> pure install. Don't call cythonize(): it drops optional=True.
    return [Extension(f"koa._speedups.{n}", [_source(n)], optional=True) for n in names]


setup(ext_modules=_extensions())
