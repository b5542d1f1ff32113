"""The soak tests' server: a koa app in its own process, reporting on itself at /__stats.

    python tests/soak/soak_server.py --transport httptools    # prints "PORT <n>", serves until SIGTERM

Routes: `/` (small text), `/json`, `/echo` (reads the body, answers its length),
`/stream?n=N` (N chunks of 1 KiB from an async generator), `/big` (a long stream a client
is expected to abandon), `/boom` (raises), `/__stats` (this process: RSS, open fds, asyncio
tasks, the server's connections, live generators, after a gc).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from koa import Context, Koa  # noqa: E402
from koa.transports.server import new_event_loop  # noqa: E402

CHUNK = b"s" * 1024
open_generators = 0


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (psutil-free, so the server imports nothing extra)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def make_app(server_ref: dict[str, Any]) -> Koa:
    app = Koa()
    app.silent = True

    async def routes(ctx: Context, next: Any) -> None:
        path = ctx.path
        if path == "/":
            ctx.body = "ok"
        elif path == "/json":
            ctx.body = {"ok": True, "items": list(range(20))}
        elif path == "/echo":
            ctx.body = f"{len(await ctx.request.read())}"
        elif path == "/stream":
            ctx.body = _stream(int(ctx.query.get("n", "20")))
        elif path == "/big":
            ctx.body = _stream(4000, pause=True)
        elif path == "/boom":
            raise RuntimeError("soak: an error on purpose")
        elif path == "/__stats":
            gc.collect()
            current = asyncio.current_task()
            server = server_ref["server"]
            hub = getattr(server, "_hub", None)
            web = getattr(server, "_web", None)
            ctx.body = {
                "rss": rss_bytes(),
                "fds": open_fds(),
                "tasks": len([t for t in asyncio.all_tasks() if t is not current]),
                "task_names": sorted(repr(t.get_coro())[:60] for t in asyncio.all_tasks() if t is not current),
                "connections": len(hub.connections) if hub is not None else len(web.live) if web is not None else -1,
                "generators": open_generators,
                "objects": len(gc.get_objects()),
            }
        else:
            ctx.status = 404

    app.use(routes)
    return app


async def _stream(n: int, pause: bool = False) -> AsyncIterator[bytes]:
    global open_generators
    open_generators += 1
    try:
        for i in range(n):
            yield CHUNK
            if pause and i % 8 == 0:
                await asyncio.sleep(0)
    finally:
        open_generators -= 1


async def main(transport: str) -> None:
    ref: dict[str, Any] = {}
    app = make_app(ref)
    server = ref["server"] = await app.create_server("127.0.0.1", 0, transport=transport)
    print(f"PORT {server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.shutdown(5.0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", default="httptools")
    args = parser.parse_args()
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main(args.transport))
