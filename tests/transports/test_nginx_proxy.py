"""Behind a real nginx: ctx.ip, ctx.protocol and ctx.host with app.proxy on and off.

nginx (the Debian package; `make test` installs it) runs from a config written into tmp_path,
on 127.0.0.1, in front of koa served by each networked transport. The client connects from
127.0.0.2, so the address nginx sees differs from the one koa sees (nginx's, 127.0.0.1).
A second nginx listener terminates TLS with a throwaway self-signed certificate.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from koa import Koa
from koa.context import Context
from koa.types import Next
from transports.serving import NETWORKED, free_port, serve

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
CLIENT_ADDRESS = "127.0.0.2"

CONF = """
worker_processes 1;
{user}
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_max_body_size 16m;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream koa {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{http_port};
        {tls_listen}
        location / {{
            proxy_pass http://koa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
"""


def _certificate(tmp: Path) -> tuple[Path, Path] | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-nodes", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=shop.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


class Nginx:
    """A running nginx in front of 127.0.0.1:`upstream`."""

    def __init__(self, tmp: Path, upstream: int) -> None:
        self.http_port = free_port()
        self.tls_port: int | None = None
        tls_listen = ""
        pair = _certificate(tmp)
        if pair is not None:
            self.tls_port = free_port()
            tls_listen = (f"listen 127.0.0.1:{self.tls_port} ssl;\n        ssl_certificate {pair[0]};\n"
                          f"        ssl_certificate_key {pair[1]};")
        conf = tmp / "nginx.conf"
        conf.write_text(CONF.format(
            tmp=tmp, upstream=upstream, http_port=self.http_port, tls_listen=tls_listen,
            user="user root;" if os.geteuid() == 0 else "",
        ))
        assert NGINX is not None
        self.proc = subprocess.Popen(
            [NGINX, "-e", str(tmp / "error.log"), "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.log = tmp / "error.log"

    async def wait_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode() if self.proc.stderr else ''}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.http_port)
            except OSError:
                if loop.time() > deadline:
                    raise TimeoutError("nginx did not start") from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # nginx: fast shutdown
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture(params=[t for t in NETWORKED if t in ("httptools", "aiohttp", "uvicorn")])
def upstream_transport(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def nginx_factory(tmp_path: Path) -> Iterator[Any]:
    if NGINX is None:
        pytest.skip("nginx is not installed (make test installs it)")
    started: list[Nginx] = []

    def start(upstream: int) -> Nginx:
        proxy = Nginx(tmp_path, upstream)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def addresses_app(proxy: bool, **options: Any) -> Koa:
    app = Koa(proxy=proxy, **options)

    async def mw(ctx: Context, next: Next) -> None:
        ctx.body = {"ip": ctx.ip, "ips": ctx.ips, "protocol": ctx.protocol, "secure": ctx.secure,
                    "host": ctx.host, "hostname": ctx.hostname, "href": ctx.href}

    app.use(mw)
    return app


@pytest.fixture
async def behind_nginx(upstream_transport: str, nginx_factory: Any) -> Any:
    """`async with behind_nginx(app) as (proxy, upstream_port):` koa behind a started nginx."""
    import contextlib

    @contextlib.asynccontextmanager
    async def run(app: Koa) -> AsyncIterator[tuple[Nginx, int]]:
        async with serve(app, upstream_transport) as direct:
            port = direct.base_url.port
            assert port is not None
            proxy = nginx_factory(port)
            await proxy.wait_ready()
            yield proxy, port

    return run


def from_second_address(**kwargs: Any) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=CLIENT_ADDRESS, verify=False)
    return httpx.AsyncClient(transport=transport, timeout=10.0, **kwargs)


async def test_proxy_off_ignores_forwarded_headers(behind_nginx: Any) -> None:
    async with behind_nginx(addresses_app(proxy=False)) as (nginx, _), from_second_address() as c:
        r = await c.get(f"http://127.0.0.1:{nginx.http_port}/p?x=1", headers={"Host": "shop.example"})
    assert r.status_code == 200, nginx.log.read_text()
    assert r.json() == {
        "ip": "127.0.0.1", "ips": [], "protocol": "http", "secure": False,  # nginx's own address
        "host": "koa", "hostname": "koa", "href": "http://koa/p?x=1",  # nginx's Host: the upstream's name
    }


async def test_proxy_on_trusts_nginx(behind_nginx: Any) -> None:
    async with behind_nginx(addresses_app(proxy=True)) as (nginx, _), from_second_address() as c:
        r = await c.get(f"http://127.0.0.1:{nginx.http_port}/p?x=1", headers={"Host": "shop.example"})
    assert r.json() == {
        "ip": CLIENT_ADDRESS, "ips": [CLIENT_ADDRESS], "protocol": "http", "secure": False,
        "host": "shop.example", "hostname": "shop.example", "href": "http://shop.example/p?x=1",
    }


async def test_proxy_on_over_tls(behind_nginx: Any) -> None:
    async with behind_nginx(addresses_app(proxy=True)) as (nginx, _), from_second_address() as c:
        if nginx.tls_port is None:
            pytest.skip("openssl is not installed: no certificate for the TLS listener")
        r = await c.get(f"https://127.0.0.1:{nginx.tls_port}/secure", headers={"Host": "shop.example:8443"})
    assert r.json() == {
        "ip": CLIENT_ADDRESS, "ips": [CLIENT_ADDRESS], "protocol": "https", "secure": True,
        "host": "shop.example:8443", "hostname": "shop.example", "href": "https://shop.example:8443/secure",
    }


async def test_proxy_on_with_a_client_supplied_chain(behind_nginx: Any) -> None:
    """nginx appends to X-Forwarded-For: max_ips_count=1 keeps only the address nginx saw."""
    spoofed = {"Host": "shop.example", "X-Forwarded-For": "203.0.113.66"}
    async with behind_nginx(addresses_app(proxy=True)) as (nginx, _), from_second_address() as c:
        r = await c.get(f"http://127.0.0.1:{nginx.http_port}/", headers=spoofed)
    assert r.json()["ips"] == ["203.0.113.66", CLIENT_ADDRESS]
    assert r.json()["ip"] == "203.0.113.66"  # trusting the whole chain trusts the client

    async with behind_nginx(addresses_app(proxy=True, max_ips_count=1)) as (nginx, _), from_second_address() as c:
        r = await c.get(f"http://127.0.0.1:{nginx.http_port}/", headers=spoofed)
    assert r.json()["ips"] == [CLIENT_ADDRESS]
    assert r.json()["ip"] == CLIENT_ADDRESS


async def test_streaming_through_nginx(behind_nginx: Any) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Next) -> None:
        if ctx.method == "POST":
            ctx.body = {"size": len(await ctx.request.read(limit=8 * 1024 * 1024))}
            return

        async def body() -> AsyncIterator[bytes]:
            for i in range(50):
                yield b"%04d\n" % i

        ctx.body = body()

    app.use(mw)
    async with behind_nginx(app) as (nginx, _), from_second_address() as c:
        r = await c.get(f"http://127.0.0.1:{nginx.http_port}/")
        up = await c.post(f"http://127.0.0.1:{nginx.http_port}/", content=b"z" * (3 * 1024 * 1024))
    assert r.content == b"".join(b"%04d\n" % i for i in range(50))
    assert up.json() == {"size": 3 * 1024 * 1024}
