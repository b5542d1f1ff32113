"""What every Python server of the HTTP benchmark shares: bodies, the route set, options.

The endpoints (each server answers all of them the same way; run_http.py checks the answers):

    GET  /            "Hello, World!"                      text/plain
    GET  /json        {"message": "Hello, World!"}         application/json
    GET  /users/:id   "user <id>"  through a router holding the 203 GitHub API routes
    GET  /mw          "Hello, World!"  (behind BENCH_MIDDLEWARE no-op middleware, see below)
    GET  /64k         65536 bytes                          application/octet-stream
    POST /echo        the JSON body, parsed and serialised again

BENCH_MIDDLEWARE=N in the environment makes a server install N no-op middleware in front of
everything (the app-wide stack each framework offers); run_http.py starts a second instance
with N=10 for the `/mw` scenario, so the other scenarios are measured without them.
"""
from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES_FILE = os.path.join(HERE, "github_routes.txt")

HELLO = "Hello, World!"
MESSAGE = {"message": HELLO}
BIG = b"x" * 65536
MIDDLEWARE = int(os.environ.get("BENCH_MIDDLEWARE", "0") or 0)
HOST = "127.0.0.1"

_PARAM = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def github_routes() -> Iterator[tuple[str, str]]:
    """(METHOD, path) of the 203 GitHub routes, params as `:name`.

    `/users/:user...` is renamed `/users/:id...` everywhere, so `GET /users/:id` is a route of
    the set and no router sees two parameter names at one position.
    """
    with open(ROUTES_FILE, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            method, path = line.split()
            if path == "/users/:user" or path.startswith("/users/:user/"):
                path = "/users/:id" + path[len("/users/:user"):]
            yield method, path


def convert(path: str, style: str) -> str:
    """`:name` -> `{name}` (style "braces") or `<name>` (style "angle")."""
    if style == "braces":
        return _PARAM.sub(r"{\1}", path)
    if style == "angle":
        return _PARAM.sub(r"<\1>", path)
    return path


def grouped_routes(style: str = "colon") -> dict[str, list[str]]:
    """Converted path -> its methods, in first-seen order (for routers that take a method list)."""
    out: dict[str, list[str]] = {}
    for method, path in github_routes():
        out.setdefault(convert(path, style), []).append(method)
    return out


def port_from_argv(default: int = 8080) -> int:
    """The port, as the first command-line argument or $PORT."""
    if len(sys.argv) > 1:
        return int(sys.argv[1])
    return int(os.environ.get("PORT", default))
