"""Every benchmark run says which implementation and Python it measured."""
from __future__ import annotations

import platform
import sys

from koa._speedups import NO_EXTENSIONS, USING_EXTENSIONS


def pytest_report_header() -> list[str]:
    return [
        f"koa USING_EXTENSIONS={USING_EXTENSIONS} NO_EXTENSIONS={NO_EXTENSIONS}",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()}) on {platform.machine()}",
    ]
