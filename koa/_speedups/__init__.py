"""The one place that chooses between the compiled and the pure-Python twins."""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

NO_EXTENSIONS = (
    os.environ.get("KOA_NO_EXTENSIONS", "") not in ("", "0")
    or sys.implementation.name != "cpython"
)
USING_EXTENSIONS = False

if TYPE_CHECKING or NO_EXTENSIONS:  # type checkers always read the pure twin
    from ._compose_py import DONE, Dispatcher
    from ._tree_py import Tree
else:
    try:
        from ._compose_c import DONE, Dispatcher
        from ._tree_c import Tree

        USING_EXTENSIONS = True
    except ImportError:  # not built here: same behaviour, slower
        from ._compose_py import DONE, Dispatcher
        from ._tree_py import Tree

__all__ = ["DONE", "NO_EXTENSIONS", "USING_EXTENSIONS", "Dispatcher", "Tree"]
