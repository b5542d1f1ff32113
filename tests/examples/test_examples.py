"""Each example, started on a real port (our server) and exercised over HTTP."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def load(name: str) -> ModuleType:
    """Import examples/<name>.py afresh (examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def started(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    server = await app.create_server("127.0.0.1", 0)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", timeout=10) as client:
            yield client
    finally:
        await server.shutdown(timeout=2)


@pytest.fixture
def serve() -> Any:
    """`async with serve(app) as client:` — the app on a real port, and a client for it."""
    import contextlib

    return contextlib.asynccontextmanager(started)


async def test_hello(serve: Any) -> None:
    async with serve(load("hello").app) as c:
        r = await c.get("/")
        assert (r.status_code, r.text) == (200, "Hello, World!")


async def test_example_server_simple_in_process(serve: Any, capsys: pytest.CaptureFixture[str]) -> None:
    async with serve(load("example_server_simple").create_app()) as c:
        assert (await c.get("/admin/version")).text == "0.1.5"
        assert (await c.get("/foo")).status_code == 404
    assert "--> GET /admin/version 200" in capsys.readouterr().out


async def test_example_server(serve: Any) -> None:
    module = load("example_server")
    async with serve(module.app) as c:
        assert (await c.get("/admin/version")).text == "0.1.5"
        users = (await c.get("/admin/users")).json()
        assert users == [{"name": "testuser0"}, {"name": "testuser1"}, {"name": "testuser2"}]
        r = await c.post("/admin/users", json={"name": "easterbunny"})
        assert (r.status_code, r.text) == (201, "OK")
        assert (await c.get("/admin/users?start_id=2")).json() == [{"name": "testuser2"}, {"name": "easterbunny"}]
        assert (await c.get("/admin/users/3")).json() == {"name": "easterbunny"}
        assert (await c.get("/admin/users/99")).status_code == 404
        assert (await c.post("/admin/users", content=b"[]", headers={"content-type": "application/json"})
                ).status_code == 400
        r = await c.get("/data/foo/bar.txt")
        assert (r.status_code, r.text, r.headers["content-type"]) == (200, "bar", "text/plain; charset=utf-8")
        assert (await c.get("/data/xyz.dat")).content == (EXAMPLES / "testdata" / "xyz.dat").read_bytes()
        assert (await c.get("/data/../example_server.py")).status_code == 404  # httpx normalises the dots
        assert (await c.get("/data/%2e%2e/example_server.py")).status_code == 403
        assert (await c.get("/nope")).status_code == 404


async def test_rest_api(serve: Any) -> None:
    async with serve(load("rest_api").app) as c:
        assert (await c.get("/api/todos")).json() == []
        r = await c.post("/api/todos", json={"title": "  write docs "})
        assert r.status_code == 201
        assert r.json() == {"id": 1, "title": "write docs", "done": False}
        assert r.headers["location"] == "/api/todos/1"
        assert r.headers["access-control-expose-headers"] == "Location"
        r = await c.post("/api/todos", json={"title": ""})
        assert (r.status_code, r.json()) == (422, {"error": "title must be a non-empty string"})
        r = await c.post("/api/todos", content=b"{oops", headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"].startswith("invalid JSON")
        r = await c.post("/api/todos", json=["not", "an", "object"])
        assert r.status_code == 422
        r = await c.patch("/api/todos/1", json={"done": True})
        assert r.json() == {"id": 1, "title": "write docs", "done": True}
        assert (await c.get("/api/todos?done=false")).json() == []
        assert (await c.get("/api/todos?done=true")).json() == [{"id": 1, "title": "write docs", "done": True}]
        r = await c.put("/api/todos/1", json={})
        assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}
        assert "PATCH" in r.headers["allow"]
        r = await c.options("/api/todos", headers={"Origin": "https://app.example", "Access-Control-Request-Method":
                                                   "POST"})
        assert r.status_code == 204 and r.headers["access-control-max-age"] == "600"
        assert (await c.delete("/api/todos/1")).status_code == 204
        r = await c.get("/api/todos/1")
        assert (r.status_code, r.json()) == (404, {"error": "todo 1 not found"})
        r = await c.get("/elsewhere")
        assert (r.status_code, r.json()) == (404, {"error": "no route for GET /elsewhere"})
        r = await c.post("/api/todos", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
        assert r.status_code == 413


async def test_streaming_events_arrive_as_sent(serve: Any) -> None:
    module = load("streaming")
    async with serve(module.app) as c:
        page = await c.get("/")
        assert "EventSource" in page.text
        started_at = time.monotonic()
        arrivals: list[tuple[float, str]] = []
        async with c.stream("GET", "/events?count=3&interval=0.3") as r:
            assert r.headers["content-type"] == "text/event-stream; charset=utf-8"
            assert r.headers["cache-control"] == "no-cache"
            buffer = ""
            async for text in r.aiter_text():
                buffer += text
                while "\n\n" in buffer:
                    event, buffer = buffer.split("\n\n", 1)
                    arrivals.append((time.monotonic() - started_at, event))
        ticks = [(t, e) for t, e in arrivals if "event: tick" in e]
        assert [json.loads(e.split("data: ", 1)[1])["n"] for _, e in ticks] == [0, 1, 2]
        assert arrivals[-1][1] == "event: end\ndata: bye"
        # streamed, not buffered: the first tick came well before the last
        assert ticks[-1][0] - ticks[0][0] >= 0.5


async def test_streaming_gzip_and_disconnect(serve: Any) -> None:
    module = load("streaming")
    async with serve(module.app) as c:
        async with c.stream("GET", "/events?count=50&interval=0.05", headers={"Accept-Encoding": "gzip"}) as r:
            assert r.headers["content-encoding"] == "gzip"
            d = zlib.decompressobj(31)
            text = b""
            async for raw in r.aiter_raw():
                text += d.decompress(raw)
                if b"event: tick" in text:
                    break  # the first event decodes on its own: flushed as it was sent
            assert module.app.open_streams == 1
        # the client went away: the generator is closed
        for _ in range(100):
            if module.app.open_streams == 0:
                break
            await asyncio.sleep(0.05)
        assert module.app.open_streams == 0
        whole = await c.get("/events?count=2&interval=0", headers={"Accept-Encoding": "gzip"})
        assert whole.text.count("event: tick") == 2  # httpx decodes it


async def test_session(serve: Any) -> None:
    async with serve(load("session").app) as c:
        assert (await c.get("/")).text == "1 views"
        assert (await c.get("/")).text == "2 views"
        assert set(c.cookies.keys()) == {"koa.sess", "koa.sess.sig"}
        assert (await c.get("/favicon.ico")).status_code == 404
        assert (await c.get("/logout")).text == "bye"
        assert (await c.get("/")).text == "1 views"
        value = c.cookies["koa.sess"]
        c.cookies.clear()
        r = await c.get("/", headers={"Cookie": f"koa.sess={value}; koa.sess.sig=forged"})
        assert r.text == "1 views"  # a session with a bad signature is not read


# -- the original package's two examples, run as scripts (loop.create_server + get_http_request_handler) ---
def run_script(name: str) -> tuple[subprocess.Popen[str], int]:
    env = {**os.environ, "PORT": "0", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(EXAMPLES / f"{name}.py")], env=env, cwd=str(EXAMPLES),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"serving on \('[\d.]+', (\d+)\)", line)
    if match is None:
        proc.kill()
        raise AssertionError(f"{name} did not start: {line}{proc.stdout.read()}")
    return proc, int(match.group(1))


def stop(proc: subprocess.Popen[str]) -> str:
    # SIGTERM rather than Ctrl-C: a SIGINT that lands while the server is running a request's
    # step is caught and logged there (httptools_server _step), and run_forever() goes on
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


@pytest.mark.parametrize("name", ["example_server_simple", "example_server"])
async def test_original_examples_as_scripts(name: str) -> None:
    proc, port = await asyncio.to_thread(run_script, name)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            r = await c.get("/admin/version")
            assert (r.status_code, r.text) == (200, "0.1.5")
            assert (await c.get("/foo")).status_code == 404
            if name == "example_server":
                r = await c.post("/admin/users", json={"name": "easterbunny"})
                assert r.status_code == 201
                assert {"name": "easterbunny"} in (await c.get("/admin/users")).json()
                assert (await c.get("/data/foo/bar.txt")).text == "bar"
    finally:
        out = await asyncio.to_thread(stop, proc)
    assert "<-- GET /admin/version" in out
    assert "--> GET /admin/version 200" in out
    assert "Traceback" not in out
