"""Gunicorn runs a koa app with koa's worker classes: one request, a graceful stop."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import koa
from transports.serving import free_port, unavailable

pytest.importorskip("gunicorn")

APP = textwrap.dedent('''
    import asyncio, os
    from pathlib import Path
    from koa import Koa

    MARKS = Path(os.environ["KOA_TEST_MARKS"])
    app = Koa()

    def mark(what):
        with MARKS.open("a") as f:
            f.write(what + "\\n")

    app.on("startup", lambda a: mark("startup"))
    app.on("shutdown", lambda a: mark("shutdown"))

    async def handler(ctx, next):
        if ctx.path == "/slow":
            await asyncio.sleep(1.0)
        ctx.body = {"pid": os.getpid(), "path": ctx.path, "ip": ctx.ip}

    app.use(handler)
''')


@pytest.fixture(params=["koa.transports.gunicorn_worker.KoaWorker", "koa.workers.KoaAiohttpWorker"])
def worker_class(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name.endswith(".KoaWorker") and unavailable("httptools"):
        pytest.skip("koa.transports.server is not there yet")
    return name


@pytest.fixture
def gunicorn(tmp_path: Path, worker_class: str) -> Iterator[tuple[subprocess.Popen[bytes], int, Path]]:
    (tmp_path / "koa_gunicorn_app.py").write_text(APP)
    marks = tmp_path / "marks.txt"
    port = free_port()
    env = dict(os.environ, KOA_TEST_MARKS=str(marks))
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(Path(koa.__file__).parents[1]), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", worker_class, "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--graceful-timeout", "5", "--timeout", "20", "--chdir", str(tmp_path), "koa_gunicorn_app:app"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        yield proc, port, marks
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


async def wait_up(client: httpx.AsyncClient, proc: subprocess.Popen[bytes]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "gunicorn exited"
        try:
            await client.get("/")
            return
        except httpx.TransportError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.1)


async def test_gunicorn_serves_and_stops_gracefully(gunicorn: tuple[subprocess.Popen[bytes], int, Path]) -> None:
    proc, port, marks = gunicorn
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
        await wait_up(c, proc)
        r = await c.get("/hello")
        assert r.status_code == 200
        assert r.json()["path"] == "/hello"
        assert r.json()["ip"] == "127.0.0.1"
        pids = {(await c.get("/")).json()["pid"] for _ in range(20)}
        assert pids and proc.pid not in pids  # served by the workers, not the arbiter

        slow = asyncio.ensure_future(c.get("/slow"))
        await asyncio.sleep(0.3)  # the request is in flight
        proc.send_signal(signal.SIGTERM)
        r = await slow  # graceful: the in-flight request still gets its answer
        assert r.status_code == 200
    code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 20)
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0, output
    lines = marks.read_text().split()
    assert lines.count("startup") == 2, output  # one per worker
    assert lines.count("shutdown") == 2, output
