"""`python -m koa serve MODULE:ATTR ...` (see koa/cli.py)."""
from __future__ import annotations

from koa.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
