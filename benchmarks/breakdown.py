"""Where the time per request goes: koa's own server driven in-process, stage by stage, next to the bare protocol.

Each row runs the whole server path in this process: `data_received()` of a connection
protocol fed one `GET` request at a time, with a transport whose `write()` only keeps the
bytes (no socket, no event loop iteration, no syscall). A row adds one stage to the row
above it, so the difference is that stage's cost:

    bare        benchmarks/http/bare.py: llhttp parses, a canned answer is written (GET /)
    parse       koa's parser callbacks, the head checks and the Request; the app is not run
    respond     + Context and Response, the request's contextvars, and what app.handle() does with
                no middleware: a 404 settled, its head built, written, finished, the objects released
    handler     + one middleware setting ctx.body = "Hello, World!" (instead of the 404)
    router      + a Router holding the 203 GitHub API routes (GET /users/42 from here on)
    10 layers   + 10 no-op middleware in front

    .venv/bin/python benchmarks/breakdown.py            # compiled and pure (a subprocess), markdown
    .venv/bin/python benchmarks/breakdown.py --this     # only the mode of this process

Timing is CPU time (process_time), best of several rounds: the machine's other work adds
less noise to it than to wall time. What an HTTP benchmark adds on top is the kernel's share
(read, write, epoll: ~4.5 us per request on the 2-core benchmark machine) and the event loop.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE / "http"))

ROOT = b"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
USER = b"GET /users/42 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"  # the router rows
STAGES = ("bare", "parse", "respond", "handler", "router", "10 layers")


class _Transport:
    """What the protocols write to: keeps the last write, says it is open."""

    def __init__(self) -> None:
        self.last = b""
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        self.last = data

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        pass


def _time(feed: Callable[[bytes], None], request: bytes, rounds: int, n: int) -> float:
    for _ in range(n // 10):
        feed(request)  # warm up
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time_ns()
        for _ in range(n):
            feed(request)
        best = min(best, (time.process_time_ns() - start) / n)
    return best


def _apps() -> dict[str, Any]:
    from _common import github_routes

    from koa import Koa, Router

    async def hello(ctx: Any, next: Any) -> None:  # noqa: A002 - Koa's name
        ctx.body = "Hello, World!"

    def no_op() -> Any:
        async def layer(ctx: Any, next: Any) -> None:  # noqa: A002
            await next()
        return layer

    empty = Koa()
    handler = Koa().use(hello)
    router = Router()
    for method, path in github_routes():
        router.register(path, [method], hello)
    routed = Koa().use(router.routes()).use(router.allowed_methods())
    layered = Koa()
    for _ in range(10):
        layered.use(no_op())
    layered.use(router.routes()).use(router.allowed_methods())
    return {"parse": empty, "respond": empty, "handler": handler, "router": routed,
            "10 layers": layered}


def measure(rounds: int, n: int) -> dict[str, Any]:
    """ns per request of every stage, in this process's mode (compiled unless KOA_NO_EXTENSIONS=1)."""
    from bare import BareProtocol

    from koa import __speedups__
    from koa.transports.httptools_server import HttpToolsProtocol, Hub
    from koa.transports.options import ServerOptions

    class ParseOnly(HttpToolsProtocol):
        """The app is not run: a parsed request is dropped.

        (Its two overrides are Python methods: the parse row includes a call into each. The
        context is not a row of its own: the server makes and releases it in C (and reuses its
        objects, see Hub.keep), which a Python override here could not do as it does.)"""

        def _begin(self) -> Any:
            return None

        def _run(self, coro: Any) -> None:
            self._request = None

    results: dict[str, Any] = {"compiled": bool(__speedups__)}
    bare = BareProtocol()
    transport = _Transport()
    bare.connection_made(transport)  # type: ignore[arg-type]
    results["bare"] = _time(bare.data_received, ROOT, rounds, n)

    loop = asyncio.new_event_loop()
    apps = _apps()
    try:
        for stage in STAGES[1:]:
            hub = Hub(apps[stage], ServerOptions(), loop)
            cls = ParseOnly if stage == "parse" else HttpToolsProtocol
            protocol = cls(hub)
            transport = _Transport()
            # the protocol's requests run as its connection task (see koa/transports/_driver.py)
            loop.run_until_complete(_connect(protocol, transport))
            done: list[float] = []
            request = USER if stage in ("router", "10 layers") else ROOT
            loop.call_soon(lambda p=protocol, r=request, d=done: d.append(_time(p.data_received, r, rounds, n)))
            loop.run_until_complete(asyncio.sleep(0))
            results[stage] = done[0]
            if cls is HttpToolsProtocol:
                assert transport.last.startswith(b"HTTP/1.1 "), transport.last[:40]
            protocol.connection_lost(None)
            hub.stop_timer()
    finally:
        loop.close()
    return results


async def _connect(protocol: Any, transport: Any) -> None:
    protocol.connection_made(transport)
    await asyncio.sleep(0)


def _table(compiled: dict[str, Any], pure: dict[str, Any] | None) -> str:
    lines = [
        "| stage | adds | compiled: ns per request | its cost | pure Python: ns per request | its cost |",
        "|---|---|---:|---:|---:|---:|",
    ]
    what = {
        "bare": "llhttp parse + a canned answer (the ceiling)",
        "parse": "koa's parser callbacks, head checks, Request",
        "respond": "Context, Response, contextvars; a 404 settled, head built, written, finished",
        "handler": "one middleware setting a text body",
        "router": "Router with 203 routes, GET /users/:id",
        "10 layers": "10 no-op middleware",
    }
    previous: dict[str, float] = {}
    for stage in STAGES:
        row = [stage, what[stage]]
        for result in (compiled, pure):
            if result is None:
                row += ["", ""]
                continue
            key = id(result)
            value = result[stage]
            base = 0.0 if stage in ("bare", "parse") else previous.get(str(key), 0.0)
            row += [f"{value:,.0f}", "" if stage == "bare" else f"{value - base:+,.0f}"]
            previous[str(key)] = value
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--this", action="store_true", help="measure only this process's mode; print JSON")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("-n", type=int, default=30000, help="requests per round")
    args = p.parse_args()
    if args.this:
        print(json.dumps(measure(args.rounds, args.n)))
        return
    runs = {}
    for mode, env in (("compiled", {}), ("pure", {"KOA_NO_EXTENSIONS": "1"})):
        out = subprocess.run(
            [sys.executable, __file__, "--this", "--rounds", str(args.rounds), "-n", str(args.n)],
            env={**os.environ, **env}, capture_output=True, text=True, check=True,
        )
        runs[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    if not runs["compiled"]["compiled"]:
        print("(no compiled build here: both columns are pure Python; run `make build`)")
    print(_table(runs["compiled"], runs["pure"]))


if __name__ == "__main__":
    main()
