"""Keep headers on an error response: Koa's ctx.onerror() keeps only `err.headers`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from koa._headers import merge_vary


def carry_headers(
    err: BaseException, headers: Mapping[str, str], *, vary: str | None = None, override: bool = True
) -> None:
    """Add `headers` (and a Vary field) to `err.headers`; `override=False` keeps the error's own."""
    current = getattr(err, "headers", None)
    merged: dict[str, Any] = dict(current) if isinstance(current, Mapping) else {}
    present = {name.lower(): name for name in merged}
    for name, value in headers.items():
        old = present.get(name.lower())
        if old is not None:
            if not override:
                continue
            del merged[old]
        merged[name] = value
    if vary is not None:
        old_vary = [str(merged.pop(name)) for name in list(merged) if name.lower() == "vary"]
        merged["Vary"] = merge_vary(", ".join(old_vary), vary)
    try:
        err.headers = merged  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        pass  # some exception types refuse new attributes
