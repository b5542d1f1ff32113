"""Load generators of run_http.py: wrk (always), bombardier and autocannon (when present).

Each run is bounded: the tool's own duration, plus a hard subprocess timeout. Every URL is
http://127.0.0.1:PORT/..., built here from the port alone.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from harness_servers import BENCH_DIR, HOST, HTTP_DIR, Scenario, pinned

WRK_SCRIPT = HTTP_DIR / "wrk_report.lua"
AUTOCANNON = BENCH_DIR / "node_modules" / "autocannon" / "autocannon.js"


@dataclass
class LoadResult:
    """What one load run measured; `errors` counts socket errors, timeouts and non-2xx answers."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LoadError(RuntimeError):
    """The tool failed or printed nothing we could read."""


def _run(argv: list[str], duration: int, env: dict[str, str] | None = None) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 20, env=env,
                             stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as e:
        raise LoadError(f"{argv[0]} did not finish in {duration + 20} s") from e
    if out.returncode != 0:
        raise LoadError(f"{' '.join(argv)} exited {out.returncode}: {(out.stderr or out.stdout)[-400:]}")
    return out.stdout


def _url(port: int, scenario: Scenario) -> str:
    return f"http://{HOST}:{port}{scenario.path}"


def wrk(port: int, scenario: Scenario, connections: int, duration: int, cpu: str | None) -> LoadResult:
    """`wrk -t1`: one thread is all one core gives; wrk_report.lua prints the numbers as JSON."""
    env = dict(os.environ, WRK_METHOD=scenario.method, WRK_BODY=scenario.body, WRK_CONTENT_TYPE=scenario.content_type)
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "2s", "-s", str(WRK_SCRIPT),
            _url(port, scenario)]
    out = _run(pinned(argv, cpu), duration, env)
    m = re.search(r"WRK_JSON (\{.*\})", out)
    if not m:
        raise LoadError(f"no WRK_JSON line in wrk output: {out[-400:]}")
    d = json.loads(m.group(1))
    seconds = d["duration_us"] / 1e6
    errors = d["connect"] + d["read"] + d["write"] + d["status"] + d["timeout"]
    detail = ", ".join(f"{k} {d[k]}" for k in ("connect", "read", "write", "status", "timeout") if d[k])
    return LoadResult(d["requests"], seconds, d["requests"] / seconds if seconds else 0.0,
                      d["p50_us"] / 1000, d["p99_us"] / 1000, errors, detail)


def bombardier(port: int, scenario: Scenario, connections: int, duration: int, cpu: str | None) -> LoadResult:
    """codesenberg/bombardier (Go), when a build of it is on PATH."""
    argv = ["bombardier", "-c", str(connections), "-d", f"{duration}s", "-t", "2s", "-l", "-p", "r", "-o", "json"]
    if scenario.method != "GET":
        argv += ["-m", scenario.method, "-b", scenario.body, "-H", f"Content-Type: {scenario.content_type}"]
    out = _run(pinned([*argv, _url(port, scenario)], cpu), duration)
    try:
        d = json.loads(out[out.index("{"):])
    except ValueError as e:
        raise LoadError(f"bombardier printed no JSON: {out[-400:]}") from e
    r = d.get("result", d)
    ok = r.get("req2xx", 0)
    total = ok + sum(r.get(k, 0) for k in ("req1xx", "req3xx", "req4xx", "req5xx", "others"))
    seconds = float(r.get("timeTakenSeconds") or duration)
    pct = r.get("latency", {}).get("percentiles", {})
    socket_errors = sum(e.get("count", 0) for e in r.get("errors") or [])
    errors = total - ok + socket_errors
    detail = "; ".join(f"{e.get('description')} {e.get('count')}" for e in r.get("errors") or [])
    return LoadResult(total, seconds, total / seconds if seconds else 0.0, float(pct.get("50", 0)) / 1000,
                      float(pct.get("99", 0)) / 1000, errors, detail)


def autocannon(port: int, scenario: Scenario, connections: int, duration: int, cpu: str | None) -> LoadResult:
    """autocannon (Node, what Fastify publishes with), from benchmarks/node_modules."""
    argv = ["node", str(AUTOCANNON), "-c", str(connections), "-d", str(duration), "-t", "2", "-j"]
    if scenario.method != "GET":
        argv += ["-m", scenario.method, "-b", scenario.body, "-H", f"Content-Type={scenario.content_type}"]
    out = _run(pinned([*argv, _url(port, scenario)], cpu), duration)
    try:
        d = json.loads(out[out.index("{"):])
    except ValueError as e:
        raise LoadError(f"autocannon printed no JSON: {out[-400:]}") from e
    total = int(d["requests"]["total"])
    seconds = float(d.get("duration") or duration)
    errors = int(d.get("errors", 0)) + int(d.get("timeouts", 0)) + int(d.get("non2xx", 0))
    return LoadResult(total, seconds, total / seconds if seconds else 0.0, float(d["latency"]["p50"]),
                      float(d["latency"]["p99"]), errors)


TOOLS = {"wrk": wrk, "bombardier": bombardier, "autocannon": autocannon}


def tool_missing(tool: str) -> str | None:
    """Why `tool` cannot run here, or None."""
    if tool == "wrk":
        return None if shutil.which("wrk") else "wrk not found (apt-get install -y wrk)"
    if tool == "autocannon":
        if not shutil.which("node"):
            return "node not found"
        return None if AUTOCANNON.is_file() else "autocannon not in benchmarks/node_modules (setup_peers.sh)"
    if tool == "bombardier":
        # Debian's package of that name is a game, not this tool: ask the binary what it is.
        path = shutil.which("bombardier")
        if not path:
            return "bombardier not on PATH (Debian has no package of it; put a Go build on PATH)"
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5,
                                 stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return f"{path} did not answer --version"
        if "bombardier version" not in (out.stdout + out.stderr):
            return f"{path} is not codesenberg/bombardier"
        return None
    return f"unknown tool {tool}"


def tool_version(tool: str) -> str:
    try:
        if tool == "wrk":
            out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5, check=False)
            m = re.search(r"wrk (\S+)", out.stdout + out.stderr)
            return m.group(1) if m else "?"
        if tool == "autocannon":
            return str(json.loads((AUTOCANNON.parent / "package.json").read_text())["version"])
        if tool == "bombardier":
            out = subprocess.run(["bombardier", "--version"], capture_output=True, text=True, timeout=5,
                                 stdin=subprocess.DEVNULL, check=False)
            return (out.stdout + out.stderr).strip().split()[-1]
    except (OSError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired):
        pass
    return "?"
