"""How `koa serve` runs: one process, pre-forked workers under a supervisor, or a reloader.

- `serve()`: this process serves until SIGINT/SIGTERM (exit status 0).
- `prefork()`: the app is imported once, then N workers are forked. On TCP each worker binds
  the port itself with SO_REUSEPORT (the kernel spreads connections over them; the parent
  holds the port, bound but not listening, so that port 0 means one port for all); on a Unix
  socket they share the parent's listening socket. The parent restarts a worker that dies
  (backing off when they die at once, giving up after many quick deaths), and turns SIGINT
  and SIGTERM into a graceful stop of every worker (exit 0), SIGHUP into a rolling restart.
- `reload()`: the parent binds the socket, runs `koa serve` in a child process on it (so a
  restart refuses no connection), and restarts the child when a watched `.py` file changes
  (watchfiles). The parent never imports the app, so the child always runs fresh code.
"""
from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, NoReturn

from koa.cli import ServeConfig, listening_socket, load_app

if TYPE_CHECKING:
    from koa.application import Koa

log = logging.getLogger("koa.server")

QUICK_DEATH = 1.0  # a worker that dies sooner than this after starting counts as a failed start
MAX_QUICK_DEATHS = 10  # in a row: the app cannot start, stop trying
KILL_GRACE = 5.0  # after the shutdown timeout, how long a worker has before SIGKILL
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(config: ServeConfig, app: Koa) -> int:
    """Serve in this process until SIGINT or SIGTERM."""
    from koa.transports.server import print_banner, run

    sock = listening_socket(config)
    run(
        app,
        config.host,
        config.port,
        transport=config.transport,
        sock=sock,
        uds=config.uds if sock is None else None,
        shutdown_timeout=config.shutdown_timeout,
        on_ready=print_banner,
        **config.server_options(),
    )
    return 0


# -- pre-forked workers ----------------------------------------------------------------------
def _bind_tcp(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _bind_unix(path: str, backlog: int) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        import stat

        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(backlog)
    return sock


class Supervisor:
    """Keeps `count` forked workers running (see the module docstring)."""

    def __init__(self, config: ServeConfig, app: Koa, listener: socket.socket | None, port: int) -> None:
        self.config = config
        self.app = app
        self.listener = listener
        self.port = port
        self.workers: dict[int, float] = {}  # pid -> started at
        self.quick_deaths = 0
        self.respawn_at = 0.0
        self.stopping = False
        self.parent = os.getpid()

    def run(self) -> int:
        watched = {signal.SIGCHLD, signal.SIGHUP, *_STOP_SIGNALS}
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)
        try:
            for _ in range(self.config.workers):
                self._spawn()
            while True:
                info = signal.sigtimedwait(watched, 0.5)
                failed = self._reap()
                if failed:
                    self._stop_all()
                    return 1
                if info is not None and info.si_signo in _STOP_SIGNALS:
                    self._stop_all()
                    return 0
                if info is not None and info.si_signo == signal.SIGHUP:
                    log.info("koa: SIGHUP, restarting the workers")
                    for pid in list(self.workers):
                        _kill(pid, signal.SIGTERM)
                self._top_up()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (tests/server/test_cli.py drives it)
            self._worker()
        self.workers[pid] = time.monotonic()

    def _worker(self) -> NoReturn:
        code = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
            for sig in (signal.SIGCHLD, signal.SIGHUP, *_STOP_SIGNALS):
                signal.signal(sig, signal.SIG_DFL)
            _die_with_parent()
            from koa.transports.server import run

            config = self.config
            options = config.server_options()
            if self.listener is not None:
                run(self.app, None, None, transport=config.transport, sock=self.listener,
                    shutdown_timeout=config.shutdown_timeout, **options)
            else:
                options["reuse_port"] = True
                run(self.app, config.host, self.port, transport=config.transport,
                    shutdown_timeout=config.shutdown_timeout, **options)
            code = 0
        except KeyboardInterrupt:
            code = 0
        except BaseException:  # noqa: BLE001 - report, then let the supervisor decide
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _reap(self) -> bool:
        """Collect dead workers; True when they keep dying at start (give up)."""
        while self.workers:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return False
            started = self.workers.pop(pid, None)
            if started is None or self.stopping:
                continue
            code = os.waitstatus_to_exitcode(status)
            lived = time.monotonic() - started
            if code == 0 and lived >= QUICK_DEATH:
                log.info("koa: worker %d exited, starting another", pid)
            else:
                log.warning("koa: worker %d died (exit status %d), starting another", pid, code)
            if lived < QUICK_DEATH:
                self.quick_deaths += 1
                if self.quick_deaths >= MAX_QUICK_DEATHS:
                    log.error("koa: workers keep dying at start; giving up")
                    return True
                self.respawn_at = time.monotonic() + min(0.1 * 2 ** self.quick_deaths, 5.0)
            else:
                self.quick_deaths = 0
        return False

    def _top_up(self) -> None:
        if self.stopping or time.monotonic() < self.respawn_at:
            return
        while len(self.workers) < self.config.workers:
            self._spawn()

    def _stop_all(self) -> None:
        self.stopping = True
        for pid in list(self.workers):
            _kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_timeout + KILL_GRACE
        while self.workers and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.workers.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in list(self.workers):
            _kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.workers.clear()


def _kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _die_with_parent() -> None:
    """Linux: a worker gets SIGTERM when the supervisor dies, instead of running on alone."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def prefork(config: ServeConfig) -> int:
    """Serve with `config.workers` forked worker processes (see the module docstring)."""
    from koa.transports.options import ServerOptions

    app = load_app(config.target)  # once, before forking: the workers share its pages
    backlog = ServerOptions.from_kwargs(config.options).backlog
    listener = listening_socket(config)
    holder = None
    port = config.port
    if listener is None and config.uds:
        listener = _bind_unix(config.uds, backlog)
    elif listener is None:
        holder = _bind_tcp(config.host, config.port, reuse_port=True)  # bound, never listening
        port = holder.getsockname()[1]
    if listener is not None:
        listener.setblocking(False)
        name = listener.getsockname()
        where = f"unix:{name}" if isinstance(name, str) else f"http://{name[0]}:{name[1]}"
    else:
        where = f"{'https' if config.certfile else 'http'}://{config.host}:{port}"
    print(f"koa: serving {where} with {config.workers} workers (supervisor pid {os.getpid()})",
          file=sys.stderr, flush=True)
    try:
        return Supervisor(config, app, listener, port).run()
    finally:
        if holder is not None:
            holder.close()
        if listener is not None:
            listener.close()
            if config.uds and config.fd is None:
                with contextlib.suppress(OSError):
                    os.unlink(config.uds)


# -- reload ------------------------------------------------------------------------------------
def _child_command(config: ServeConfig, fd: int) -> list[str]:
    cmd = [sys.executable, "-m", "koa", "serve", config.target, "--fd", str(fd),
           "--host", config.host, "--port", str(config.port), "--transport", config.transport,
           "--shutdown-timeout", str(config.shutdown_timeout), "--workers", str(config.workers)]
    if config.access_log:
        cmd.append("--access-log")
    if config.certfile:
        cmd += ["--certfile", config.certfile]
    if config.keyfile:
        cmd += ["--keyfile", config.keyfile]
    for name, value in config.options.items():
        cmd += ["--" + name.replace("_", "-"), str(value)]
    return cmd


def reload(config: ServeConfig) -> int:
    """Serve in a child process, restarted when a watched file changes (development)."""
    try:
        import watchfiles
    except ImportError:
        print("koa: --reload needs watchfiles (pip install 'koa[reload]')", file=sys.stderr)
        return 1
    from koa.transports.options import ServerOptions

    backlog = ServerOptions.from_kwargs(config.options).backlog
    if config.uds:
        sock = _bind_unix(config.uds, backlog)
    else:
        sock = _bind_tcp(config.host, config.port, reuse_port=False)
        sock.listen(backlog)
    sock.set_inheritable(True)
    fd = sock.fileno()
    if config.port == 0 and not config.uds:
        config.port = sock.getsockname()[1]
    dirs = config.reload_dirs or [os.getcwd()]
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _STOP_SIGNALS}
    print(f"koa: reloading on changes in {', '.join(dirs)}", file=sys.stderr, flush=True)
    child = _start_child(config, fd)
    try:
        for changes in watchfiles.watch(*dirs, watch_filter=watchfiles.PythonFilter(), stop_event=stop,
                                        raise_interrupt=False, debounce=200, step=50):
            names = sorted({os.path.relpath(path) for _, path in changes})
            print(f"koa: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''} changed, restarting",
                  file=sys.stderr, flush=True)
            _stop_child(child, config.shutdown_timeout)
            child = _start_child(config, fd)
    finally:
        _stop_child(child, config.shutdown_timeout)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        if config.uds:
            with contextlib.suppress(OSError):
                os.unlink(config.uds)
    return 0


def _start_child(config: ServeConfig, fd: int) -> subprocess.Popen[Any]:
    return subprocess.Popen(_child_command(config, fd), pass_fds=(fd,))


def _stop_child(child: subprocess.Popen[Any], timeout: float) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout + KILL_GRACE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


__all__ = ["Supervisor", "prefork", "reload", "serve"]
