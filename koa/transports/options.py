"""server_options: the settings every transport honours, with their defaults and checks.

`ServerOptions.from_kwargs(**options)` is what `create_server()` and `listen()` call: a
misspelt name is a `TypeError`, a bad value a `ValueError` (or `TypeError` for a wrong
type), raised before anything is bound.
"""
from __future__ import annotations

import logging
import ssl as _ssl
from dataclasses import dataclass, fields
from typing import Any

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """The contract's server_options (API.md section 2), validated."""

    keep_alive_timeout: float = 5.0  # seconds a connection may idle between requests
    header_timeout: float = 10.0  # seconds for a request head to arrive, from its first byte: 408
    body_timeout: float = 30.0  # seconds a read of the request body waits for its next bytes: 408
    max_header_size: int = 16 * KIB  # request line + headers: 414 / 431 past it
    max_headers: int = 100  # 431 past it
    max_body_size: int = MIB  # buffered reads (read(), json(), ...): 413 past it
    backlog: int = 2048
    reuse_port: bool = False
    ssl: _ssl.SSLContext | None = None  # serve HTTPS
    access_log: bool | logging.Logger = False  # True: the "koa.access" logger

    def __post_init__(self) -> None:
        for name in ("keep_alive_timeout", "header_timeout", "body_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"server option {name} must be a number of seconds, got {value!r}")
            if not value > 0:
                raise ValueError(f"server option {name} must be > 0, got {value!r}")
            object.__setattr__(self, name, float(value))
        for name, minimum in (("max_header_size", 64), ("max_headers", 1), ("max_body_size", 0), ("backlog", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"server option {name} must be an int, got {value!r}")
            if value < minimum:
                raise ValueError(f"server option {name} must be >= {minimum}, got {value!r}")
        if not isinstance(self.reuse_port, bool):
            raise TypeError(f"server option reuse_port must be a bool, got {self.reuse_port!r}")
        if self.ssl is not None and not isinstance(self.ssl, _ssl.SSLContext):
            raise TypeError(f"server option ssl must be an ssl.SSLContext or None, got {self.ssl!r}")
        if not isinstance(self.access_log, (bool, logging.Logger)):
            raise TypeError(f"server option access_log must be a bool or a logging.Logger, got {self.access_log!r}")

    @classmethod
    def from_kwargs(cls, options: dict[str, Any]) -> ServerOptions:
        """Check and build the options; an unknown name is a TypeError."""
        unknown = sorted(set(options) - NAMES)
        if unknown:
            raise TypeError(
                f"unknown server option(s): {', '.join(unknown)} (known: {', '.join(sorted(NAMES))})"
            )
        return cls(**options)

    @property
    def access_logger(self) -> logging.Logger | None:
        """The logger access lines go to, or None when access logging is off."""
        if self.access_log is True:
            return logging.getLogger("koa.access")
        if isinstance(self.access_log, logging.Logger):
            return self.access_log
        return None


NAMES = frozenset(f.name for f in fields(ServerOptions))
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(ServerOptions)}

__all__ = ["DEFAULTS", "NAMES", "ServerOptions"]
