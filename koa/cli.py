"""`koa serve MODULE:ATTR` (also `python -m koa serve ...`): serve an app with koa's own server.

    koa serve examples.hello:app --host 127.0.0.1 --port 3000
    koa serve app:app --workers 4           # pre-forked processes sharing the port (SO_REUSEPORT)
    koa serve app:app --reload              # restart when a source file changes (watchfiles)
    koa serve app:app --uds /run/app.sock   # a Unix socket instead of host:port
    koa serve app:app --certfile c.pem --keyfile k.pem   # HTTPS

SIGINT and SIGTERM stop gracefully (requests in flight get --shutdown-timeout seconds), and
the exit status is then 0. A bad MODULE:ATTR, option or address exits with status 1 or 2.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import socket
import ssl
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from koa import __version__


class AppNotFound(Exception):
    """MODULE:ATTR does not name a koa app."""


def load_app(target: str) -> Any:
    """Import `module:attr` (attr may be dotted; `app` when omitted), with the current directory importable."""
    module_name, _, attr = target.partition(":")
    if not module_name:
        raise AppNotFound(f"{target!r}: expected MODULE:ATTR, e.g. examples.hello:app")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise AppNotFound(f"no module named {exc.name!r} (from {target!r})") from None
        raise
    obj: Any = module
    for part in (attr or "app").split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AppNotFound(f"module {module_name!r} has no attribute {attr or 'app'!r}") from None
    from koa.application import Koa

    if not isinstance(obj, Koa):
        raise AppNotFound(f"{target!r} is {type(obj).__name__}, not a koa.Koa app")
    return obj


@dataclass
class ServeConfig:
    """What `koa serve` was asked to do (picklable: it crosses into workers)."""

    target: str
    host: str = "127.0.0.1"
    port: int = 3000
    uds: str | None = None
    fd: int | None = None
    workers: int = 1
    reload: bool = False
    reload_dirs: list[str] = field(default_factory=list)
    access_log: bool = False
    certfile: str | None = None
    keyfile: str | None = None
    transport: str = "httptools"
    shutdown_timeout: float = 10.0
    options: dict[str, Any] = field(default_factory=dict)

    def server_options(self) -> dict[str, Any]:
        """server_options for create_server() (the TLS context is made here, in the serving process)."""
        options = dict(self.options)
        if self.access_log:
            options["access_log"] = True
        if self.certfile:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certfile, self.keyfile)
            options["ssl"] = context
        return options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="koa", description="koa: Koa.js for Python asyncio")
    parser.add_argument("--version", action="version", version=f"koa {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve an app", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("target", metavar="MODULE:ATTR", help="the app, e.g. examples.hello:app")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to bind (default 3000; 0 picks one)")
    serve.add_argument("--uds", metavar="PATH", help="bind this Unix socket instead of --host/--port")
    serve.add_argument("--fd", type=int, help=argparse.SUPPRESS)  # an inherited listening socket (--reload)
    serve.add_argument("--workers", type=int, default=1, metavar="N",
                       help="pre-forked worker processes sharing the port (default 1: no supervisor)")
    serve.add_argument("--reload", action="store_true", help="restart when a source file changes (development)")
    serve.add_argument("--reload-dir", action="append", default=[], metavar="DIR",
                       help="directory to watch with --reload (default: the current directory); repeatable")
    serve.add_argument("--access-log", action="store_true", help="log every request to stderr")
    serve.add_argument("--certfile", help="TLS certificate chain (PEM): serve HTTPS")
    serve.add_argument("--keyfile", help="TLS private key (PEM), when not in --certfile")
    serve.add_argument("--transport", default="httptools", choices=("httptools", "aiohttp"),
                       help="the HTTP server (default httptools: koa's own)")
    serve.add_argument("--shutdown-timeout", type=float, default=10.0, metavar="SECONDS",
                       help="on SIGINT/SIGTERM, how long requests in flight may take (default 10)")
    serve.add_argument("--keep-alive-timeout", type=float, metavar="SECONDS", help="server option (default 5)")
    serve.add_argument("--header-timeout", type=float, metavar="SECONDS", help="server option (default 10)")
    serve.add_argument("--body-timeout", type=float, metavar="SECONDS", help="server option (default 30)")
    serve.add_argument("--max-body-size", type=int, metavar="BYTES", help="server option (default 1 MiB)")
    serve.add_argument("--backlog", type=int, help="server option (default 2048)")
    return parser


def _config(args: argparse.Namespace) -> ServeConfig:
    options: dict[str, Any] = {}
    for name in ("keep_alive_timeout", "header_timeout", "body_timeout", "max_body_size", "backlog"):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    return ServeConfig(
        target=args.target, host=args.host, port=args.port, uds=args.uds, fd=args.fd, workers=args.workers,
        reload=args.reload, reload_dirs=args.reload_dir, access_log=args.access_log, certfile=args.certfile,
        keyfile=args.keyfile, transport=args.transport, shutdown_timeout=args.shutdown_timeout, options=options,
    )


def _check(config: ServeConfig, parser: argparse.ArgumentParser) -> None:
    from koa.transports.options import ServerOptions

    if config.workers < 1:
        parser.error("--workers must be >= 1")
    if config.keyfile and not config.certfile:
        parser.error("--keyfile needs --certfile")
    if not 0 <= config.port <= 65535:
        parser.error("--port must be between 0 and 65535")
    if config.shutdown_timeout < 0:
        parser.error("--shutdown-timeout must be >= 0")
    try:
        ServerOptions.from_kwargs(config.options)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))


def setup_logging(access_log: bool) -> None:
    """koa's messages (and access lines, when asked for) to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name, level in (("koa", logging.INFO), ("koa.access", logging.INFO if access_log else logging.WARNING)):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """The `koa` command."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "serve":
        parser.print_help()
        return 2
    config = _config(args)
    _check(config, parser)
    setup_logging(config.access_log)
    from koa import _supervisor

    try:
        if config.reload:
            return _supervisor.reload(config)
        if config.workers > 1:
            return _supervisor.prefork(config)
        return _supervisor.serve(config, load_app(config.target))
    except AppNotFound as exc:
        print(f"koa: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the address is taken, the certificate is unreadable, ...
        print(f"koa: {exc}", file=sys.stderr)
        return 1


def listening_socket(config: ServeConfig) -> socket.socket | None:
    """The socket handed down by a supervisor (--fd), if any."""
    if config.fd is None:
        return None
    sock = socket.socket(fileno=config.fd)
    sock.setblocking(False)
    return sock


__all__ = ["AppNotFound", "ServeConfig", "load_app", "main", "setup_logging"]
