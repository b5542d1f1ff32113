"""Soak: many keep-alive requests, streams and abandoned exchanges; the server must end where it began.

A server process (soak_server.py) per transport takes a warm-up load, then its RSS, open
fds and asyncio tasks are read at /__stats; then the main load; then, once every client
connection is closed, the same numbers again. RSS may grow only by a small bound, fds and
tasks must be back to their counts, and no response generator may be left open.

The mix, per round of a load worker (deterministic, seeded): pipelined keep-alive GETs
(most of the requests), a POST with a Content-Length or chunked body, a streamed response
read whole, a 500 from a raising handler, a stream abandoned mid-body (RST), a request
body abandoned mid-way.

In the normal suite this is short (KOA_SOAK_REQUESTS, default 20 000 per transport);
`make soak` runs 200 000 (KOA_SOAK_REQUESTS=200000). Every loop is bounded in count and
in time (KOA_SOAK_SECONDS per phase), and everything stays on 127.0.0.1.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REQUESTS = int(os.environ.get("KOA_SOAK_REQUESTS", "20000"))
PHASE_SECONDS = float(os.environ.get("KOA_SOAK_SECONDS", "120"))
WARMUP = max(3000, REQUESTS // 10)
CONNECTIONS = 8
PIPELINE = 8
# RSS may grow this much between the end of the warm-up and the end of the run (allocator
# slack, caches filling); a leak of even 100 bytes per request would pass it long before 200k
RSS_GROWTH_LIMIT = int(os.environ.get("KOA_SOAK_RSS_MIB", "8")) * 1024 * 1024
SERVER = Path(__file__).with_name("soak_server.py")
TRANSPORTS = ["httptools", "aiohttp"]


@dataclass
class Tally:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    abandoned: int = 0

    def count(self, status: int) -> None:
        self.requests += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1


@pytest.fixture(params=TRANSPORTS)
def soak_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), "--transport", request.param], stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        proc.wait(5)
        pytest.fail(f"the soak server did not start: {line!r}")
    try:
        yield int(line.split()[1]), proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, bytes(body)
            body += await reader.readexactly(size + 2)
            del body[-2:]
    return status, await reader.readexactly(int(headers.get("content-length", "0")))


GET = b"GET %s HTTP/1.1\r\nHost: soak\r\n\r\n"


async def worker(port: int, target: int, tally: Tally, seed: int, deadline: float) -> None:
    """Requests on one keep-alive connection (reopened when an exchange ends it) until `target` is reached."""
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while tally.requests < target and time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.90:
                paths = [rng.choice([b"/", b"/", b"/json"]) for _ in range(PIPELINE)]
                writer.write(b"".join(GET % p for p in paths))
                for _ in paths:
                    status, _ = await read_response(reader)
                    tally.count(status)
            elif roll < 0.94:
                body = b"p" * rng.randint(0, 2048)
                head = b"POST /echo HTTP/1.1\r\nHost: soak\r\n"
                if rng.random() < 0.5:
                    writer.write(head + b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                else:
                    chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
                    writer.write(head + b"Transfer-Encoding: chunked\r\n\r\n" + chunk + b"0\r\n\r\n")
                status, echoed = await read_response(reader)
                assert echoed == str(len(body)).encode()
                tally.count(status)
            elif roll < 0.97:
                writer.write(GET % b"/stream?n=20")
                status, streamed = await read_response(reader)
                assert len(streamed) == 20 * 1024
                tally.count(status)
            elif roll < 0.98:
                writer.write(GET % b"/boom")
                status, _ = await read_response(reader)
                tally.count(status)
            elif roll < 0.99:
                await abandon_response(port)
                tally.abandoned += 1
                tally.count(0)
            else:
                await abandon_request_body(port)
                tally.abandoned += 1
                tally.count(0)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def abandon_response(port: int) -> None:
    """Ask for a long stream, read a little of it, reset the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(GET % b"/big")
    await reader.readexactly(8192)
    writer.transport.abort()


async def abandon_request_body(port: int) -> None:
    """Announce a body, send part of it, leave."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\n" + b"b" * 1000)
    await writer.drain()
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def load(port: int, requests: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + PHASE_SECONDS
    await asyncio.gather(*(worker(port, requests, tally, seed, deadline) for seed in range(CONNECTIONS)))
    return tally


async def stats(port: int) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(GET % b"/__stats")
        status, body = await read_response(reader)
        assert status == 200
        return json.loads(body)  # type: ignore[no-any-return]
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def quiet_stats(port: int, timeout: float = 10.0) -> dict[str, Any]:
    """/__stats once the server has settled: no connection but the one asking, no stream open, and
    the same task count three polls in a row (a closed connection's task ends a loop turn later)."""
    deadline = time.monotonic() + timeout
    seen: list[int] = []
    while True:
        now = await stats(port)
        if now["connections"] == 1 and now["generators"] == 0:
            seen.append(now["tasks"])
            if len(seen) >= 3 and len(set(seen[-3:])) == 1:
                return now
        else:
            seen.clear()
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not settle: {now}")
        await asyncio.sleep(0.1)


async def test_soak(soak_server: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = soak_server
    warm = await load(port, WARMUP)
    assert warm.requests >= WARMUP, f"warm-up stopped at {warm.requests} requests (time limit)"
    before = await quiet_stats(port)
    started = time.monotonic()
    run = await load(port, REQUESTS)
    elapsed = time.monotonic() - started
    after = await quiet_stats(port)
    assert proc.poll() is None, "the server died"
    assert run.requests >= REQUESTS, f"stopped at {run.requests} of {REQUESTS} requests (time limit)"
    unexpected = {s: n for s, n in run.statuses.items() if s not in (0, 200, 500)}
    assert not unexpected, unexpected
    growth = after["rss"] - before["rss"]
    report = (f"{run.requests} requests in {elapsed:.1f}s ({run.requests / elapsed:.0f}/s), {run.abandoned} abandoned; "
              f"RSS {before['rss'] / 2**20:.1f} -> {after['rss'] / 2**20:.1f} MiB ({growth / 2**10:+.0f} KiB); "
              f"fds {before['fds']} -> {after['fds']}; tasks {before['tasks']} -> {after['tasks']}; "
              f"gc objects {before['objects']} -> {after['objects']}")
    print(report)
    assert growth <= RSS_GROWTH_LIMIT, report
    assert after["fds"] == before["fds"], report
    assert after["tasks"] == before["tasks"], (report, before["task_names"], after["task_names"])
