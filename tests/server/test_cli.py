"""`koa serve` / `python -m koa serve` in a real process: signals, exit statuses, workers, reload, UDS."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BANNER = re.compile(r"koa: serving (?:https?://[^:]+:(\d+)|unix:(\S+))")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1"}


@contextmanager
def koa_serve(*args: str, cwd: Path = REPO) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """Run `python -m koa serve ARGS`; yield the process and its port once the banner is out."""
    proc = subprocess.Popen([sys.executable, "-m", "koa", "serve", *args], cwd=cwd, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        port = 0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            match = BANNER.search(line)
            if match:
                port = int(match.group(1) or 0)
                break
        else:
            raise AssertionError("no banner")
        assert proc.poll() is None, proc.stdout.read()
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def get(port: int, path: str = "/", *, uds: str | None = None, timeout: float = 5.0) -> bytes:
    if uds is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(uds)
    else:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def answers(port: int) -> bool:
    try:
        return get(port, timeout=2).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def children(pid: int) -> set[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:  # pragma: no cover
        pytest.skip("pgrep is not installed")
    return {int(p) for p in out.split()}


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_stops_on_signals_with_status_0(sig: signal.Signals) -> None:
    with koa_serve("examples.hello:app", "--port", "0") as (proc, port):
        assert get(port).endswith(b"\r\n\r\nHello, World!")
        proc.send_signal(sig)
        assert proc.wait(10) == 0


def test_bad_target_exits_1() -> None:
    for target, message in (("no_such_module:app", "no module named"), ("examples.hello:nope", "no attribute")):
        result = subprocess.run([sys.executable, "-m", "koa", "serve", target], cwd=REPO, env=env(),
                                capture_output=True, text=True, timeout=20)
        assert result.returncode == 1
        assert message in result.stderr


def test_bad_options_exit_2() -> None:
    result = subprocess.run([sys.executable, "-m", "koa", "serve", "examples.hello:app", "--keep-alive-timeout", "0"],
                            cwd=REPO, env=env(), capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "keep_alive_timeout" in result.stderr


def test_address_in_use_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "koa", "serve", "examples.hello:app", "--port", str(port)],
                                cwd=REPO, env=env(), capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "address" in result.stderr.lower()


def test_workers_restart_a_crashed_worker_and_stop_together() -> None:
    with koa_serve("examples.hello:app", "--port", "0", "--workers", "2") as (proc, port):
        wait_for(lambda: len(children(proc.pid)) == 2)
        wait_for(lambda: answers(port))  # the workers bind the port themselves, a moment after the banner
        for _ in range(4):
            assert get(port).endswith(b"Hello, World!")
        before = children(proc.pid)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(children(proc.pid)) == 2 and victim not in children(proc.pid))
        time.sleep(0.5)  # the new worker is listening; connections the dead one had queued are gone
        for _ in range(4):
            assert get(port).endswith(b"Hello, World!")
        workers = children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        for pid in workers:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


def test_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "koa.sock")
    with koa_serve("examples.hello:app", "--uds", path) as (proc, _):
        assert get(0, uds=path).endswith(b"Hello, World!")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    assert not os.path.exists(path)


def test_reload_restarts_on_a_change(tmp_path: Path) -> None:
    pytest.importorskip("watchfiles")
    module = tmp_path / "reloadable.py"
    module.write_text("from koa import Koa\napp = Koa()\napp.use(lambda ctx, next: setattr(ctx, 'body', 'one'))\n")
    with koa_serve("reloadable:app", "--port", "0", "--reload", cwd=tmp_path) as (proc, port):
        assert get(port).endswith(b"one")
        module.write_text(module.read_text().replace("'one'", "'two'"))

        wait_for(lambda: answers(port) and get(port).endswith(b"two"), 15)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def test_tls_and_access_log(tmp_path: Path) -> None:
    import ssl

    from server.test_lifecycle import make_certificate

    cert, key = make_certificate(tmp_path)
    with koa_serve("examples.hello:app", "--port", "0", "--certfile", str(cert), "--keyfile", str(key),
                   "--access-log") as (proc, port):
        context = ssl.create_default_context(cafile=str(cert))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(b"GET /tls HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"Hello, World!")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert proc.stdout is not None
        log = proc.stdout.read()
    assert '"GET /tls HTTP/1.1" 200 13' in log


def test_listen_returns_after_sigterm() -> None:
    code = ("import sys\nfrom koa import Koa\napp = Koa()\napp.use(lambda ctx, next: setattr(ctx, 'body', 'hi'))\n"
            "app.on('shutdown', lambda a: print('shutdown ran', flush=True))\n"
            "print('koa: serving http://127.0.0.1:' + sys.argv[1], flush=True)\n"
            "app.listen(int(sys.argv[1]))\nprint('listen returned', flush=True)\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", code, str(port)], cwd=REPO, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: answers(port))
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out.splitlines()[-2:] == ["shutdown ran", "listen returned"]


def test_a_second_signal_cancels_what_is_in_flight(tmp_path: Path) -> None:
    (tmp_path / "slowapp.py").write_text(
        "import asyncio\nfrom koa import Koa\napp = Koa()\n\nasync def h(ctx, next):\n"
        "    await asyncio.sleep(30)\n\napp.use(h)\n")
    with koa_serve("slowapp:app", "--port", "0", "--shutdown-timeout", "20", cwd=tmp_path) as (proc, port):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        with sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.3)
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)  # graceful: would wait up to 20 s for the request
            time.sleep(0.3)
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)  # again: now
            assert proc.wait(10) == 0
            assert time.monotonic() - began < 5
