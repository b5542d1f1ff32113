"""Byte sizes as Koa's middleware take and print them (the `bytes` package): "1mb" <-> 1048576."""
from __future__ import annotations

import re

_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$", re.IGNORECASE)
_TRAILING_ZEROS = re.compile(r"\.0+$|(\.[0-9]*[1-9])0+$")


def parse_size(value: int | str, name: str) -> int:
    """An option given as a byte count or a string such as "56kb" / "1mb"; errors name the option."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number of bytes or a string like '1mb', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match is None:
            raise ValueError(f"{name}: cannot read {value!r} as a size (try 1024, '56kb' or '1mb')")
        return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])
    raise TypeError(f"{name} must be a number of bytes or a string like '1mb', got {type(value).__name__}")


def format_size(n: int) -> str:
    """bytes(n).toLowerCase(): `512b`, `1.21kb`, `3mb`."""
    magnitude = abs(n)
    unit = "b"
    for name in ("pb", "tb", "gb", "mb", "kb"):
        if magnitude >= _UNITS[name]:
            unit = name
            break
    text = f"{n / _UNITS[unit]:.2f}"
    return _TRAILING_ZEROS.sub(r"\1", text) + unit
