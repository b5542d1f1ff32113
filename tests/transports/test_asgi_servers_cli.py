"""Smoke test of the real command lines: koa serve (both transports), uvicorn, hypercorn, granian."""
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

APP = textwrap.dedent('''
    import os
    from pathlib import Path
    from koa import Koa

    MARKS = Path(os.environ["KOA_TEST_MARKS"])
    app = Koa()  # proxy off: X-Forwarded-* must not count

    def mark(what):
        with MARKS.open("a") as f:
            f.write(what + "\\n")

    app.on("startup", lambda a: mark("startup"))
    app.on("shutdown", lambda a: mark("shutdown"))

    async def handler(ctx, next):
        if ctx.path == "/stream":
            async def body():
                for i in range(3):
                    yield f"{i};"
            ctx.body = body()
            return
        if ctx.method == "POST":
            ctx.body = {"size": len(await ctx.request.read())}
            return
        ctx.body = {"ip": ctx.ip, "protocol": ctx.protocol, "version": ctx.request.http_version}

    app.use(handler)
''')

COMMANDS = {
    "koa-serve": ["-m", "koa", "serve", "koa_cli_app:app", "--host", "127.0.0.1", "--port", "{port}"],
    "koa-serve-aiohttp": ["-m", "koa", "serve", "koa_cli_app:app", "--host", "127.0.0.1", "--port", "{port}",
                          "--transport", "aiohttp"],
    # --no-proxy-headers: else uvicorn itself trusts X-Forwarded-* from 127.0.0.1 (see the README)
    "uvicorn": ["-m", "uvicorn", "koa_cli_app:app", "--host", "127.0.0.1", "--port", "{port}", "--lifespan", "on",
                "--no-proxy-headers"],
    "hypercorn": ["-m", "hypercorn", "koa_cli_app:app", "--bind", "127.0.0.1:{port}"],
    "granian": ["-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", "{port}", "koa_cli_app:app"],
}


@pytest.fixture(params=list(COMMANDS))
def server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], int, Path, str]]:
    name: str = request.param
    reason = unavailable(name)
    if reason:
        pytest.skip(reason)
    (tmp_path / "koa_cli_app.py").write_text(APP)
    marks = tmp_path / "marks.txt"
    port = free_port()
    env = dict(os.environ, KOA_TEST_MARKS=str(marks))
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(Path(koa.__file__).parents[1]), env.get("PYTHONPATH", "")])
    args = [a.format(port=port) for a in COMMANDS[name]]
    proc = subprocess.Popen([sys.executable, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        yield proc, port, marks, name
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


async def test_serves_and_stops(server: tuple[subprocess.Popen[bytes], int, Path, str]) -> None:
    proc, port, marks, name = server
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
            try:
                r = await c.get("/", headers={"X-Forwarded-For": "192.0.2.1", "X-Forwarded-Proto": "https"})
                break
            except httpx.TransportError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)
        # app.proxy is off: the peer's address and the connection's scheme
        assert r.json() == {"ip": "127.0.0.1", "protocol": "http", "version": "1.1"}
        assert (await c.get("/stream")).text == "0;1;2;"
        assert (await c.post("/", content=b"x" * 100_000)).json() == {"size": 100_000}
    proc.send_signal(signal.SIGTERM)
    code = await asyncio.get_running_loop().run_in_executor(None, proc.wait, 20)
    output = proc.stdout.read().decode() if proc.stdout else ""
    assert code == 0 if name.startswith("koa") else code in (0, -signal.SIGTERM), output
    assert marks.read_text().split() == ["startup", "shutdown"], output
