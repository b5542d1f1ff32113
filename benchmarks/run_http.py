#!/usr/bin/env python3
"""HTTP load benchmark: koa against a bare httptools+uvloop ceiling and other frameworks.

    python3 benchmarks/run_http.py                      # every server, 3 rounds of 5 s runs
    python3 benchmarks/run_http.py --quick              # CI: bare + koa, 1 round of 1 s runs
    python3 benchmarks/run_http.py --quick --floor '*=0.30' --floor plaintext=0.45
    benchmarks/.peers-venv/bin/python benchmarks/run_http.py --report   # + docs/benchmarks.{md,png}

On a 2-core machine every server runs pinned to CPU 0 and the load generator to CPU 1 (taskset).
Rounds are interleaved (each round starts each server afresh, in a rotating order, and runs every
scenario on it) and the tables give medians. Only 127.0.0.1 is ever a target, every run is bounded
by its duration, and nothing is installed here: `bash benchmarks/setup_peers.sh` makes the peers'
venv and node_modules, `make build` koa's .venv, and wrk comes from Debian (apt-get install wrk).

Stdlib only (matplotlib, when importable, draws the chart of --report). Results go to
benchmarks/results/latest.json (quick runs: benchmarks/results/quick.json.tmp) and stdout.
Exit status: 0; 2 when nothing could run; 3 when a --floor on koa's ratio to bare is not met.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(1, str(Path(__file__).resolve().parent / "http"))  # the harness_* modules (a plain directory)

from harness_load import TOOLS, LoadError, tool_missing, tool_version  # noqa: E402
from harness_report import CEILING, chart, document, summarize, tables  # noqa: E402
from harness_servers import (  # noqa: E402
    BENCH_DIR,
    REPO,
    SCENARIO_BY_NAME,
    SCENARIOS,
    SERVER_BY_NAME,
    SERVERS,
    Running,
    Runtimes,
    Scenario,
    peak_rss_kib,
    request,
    reset_peak_rss,
    start,
    stop,
    wait_ready,
)

QUICK_SERVERS = ["bare", "koa", "koa-uvicorn"]
GATE_TOOL = "wrk"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help=f"CI mode: servers {','.join(QUICK_SERVERS)}, 1 round, 1 s runs, 1 s warm-up")
    p.add_argument("--servers", help="comma-separated server names (see --list); default all (quick: a subset)")
    p.add_argument("--scenarios", help="comma-separated scenario names (see --list); default all")
    p.add_argument("--tools", default="wrk", help="load generators, comma-separated: wrk, bombardier, autocannon")
    p.add_argument("--duration", type=int, help="seconds per measured run (default 5, quick 1)")
    p.add_argument("--warmup", type=int, help="seconds of warm-up before each scenario, 0 for none (default 1)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 3, quick 1)")
    p.add_argument("--connections", type=int, default=64, help="keep-alive connections (default 64)")
    p.add_argument("--interleave", choices=("server", "scenario"),
                   help="per round, run all scenarios of one server at a time (default), or each scenario on "
                        "every server in turn with all servers up (quick's default)")
    p.add_argument("--server-cpu", default="0", help="CPU list for the servers (taskset -c), 'none' to not pin")
    p.add_argument("--client-cpu", default="1", help="CPU list for the load generator, 'none' to not pin")
    p.add_argument("--koa-python", default=str(REPO / ".venv" / "bin" / "python"),
                   help="interpreter with koa installed (serves koa and the bare ceiling)")
    p.add_argument("--peers-python", default=str(BENCH_DIR / ".peers-venv" / "bin" / "python"),
                   help="interpreter of the peer frameworks (benchmarks/setup_peers.sh)")
    p.add_argument("--koa-app", default="benchmarks.http.koa_app:app",
                   help="MODULE:ATTR of the koa app the koa servers serve (default benchmarks.http.koa_app:app)")
    p.add_argument("--node", default=shutil.which("node") or "node")
    p.add_argument("--ready-timeout", type=float, default=30.0, help="seconds a server gets to answer GET /")
    p.add_argument("--json", dest="json_path", help="results file (default benchmarks/results/latest.json)")
    p.add_argument("--from-json", help="no measuring: read this results file and print / --report it")
    p.add_argument("--report", action="store_true", help="write benchmarks.md and benchmarks.png into --docs-dir")
    p.add_argument("--docs-dir", default=str(REPO / "docs"), help="where --report writes (default docs/)")
    p.add_argument("--floor", action="append", default=[], metavar="SCENARIO=RATIO",
                   help="exit 3 if the gate server's req/s over bare's falls below RATIO ('*' for every scenario)")
    p.add_argument("--gate-server", default="koa", help="the server --floor applies to (default koa)")
    p.add_argument("--suggest-floors", type=float, nargs="?", const=0.75, metavar="MARGIN",
                   help="print --floor options: MARGIN (default 0.75) x the gate server's lowest per-round ratio")
    p.add_argument("--list", action="store_true", help="list servers and scenarios and exit")
    args = p.parse_args(argv)
    args.duration = args.duration or (1 if args.quick else 5)
    args.warmup = (1 if args.warmup is None else args.warmup)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.interleave = args.interleave or ("scenario" if args.quick else "server")
    for attr in ("koa_python", "peers_python"):  # servers start in the repo root, whatever our cwd
        if os.sep in getattr(args, attr):
            setattr(args, attr, os.path.abspath(getattr(args, attr)))
    args.server_cpu = None if args.server_cpu == "none" else args.server_cpu
    args.client_cpu = None if args.client_cpu == "none" else args.client_cpu
    default_json = "results/quick.json.tmp" if args.quick else "results/latest.json"
    args.json_path = Path(args.json_path) if args.json_path else BENCH_DIR / default_json
    return args


def parse_floors(specs: list[str]) -> dict[str, float]:
    floors = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or (name != "*" and name not in SCENARIO_BY_NAME):
            raise SystemExit(f"--floor {spec!r}: expected SCENARIO=RATIO with SCENARIO in "
                             f"{', '.join(SCENARIO_BY_NAME)} or '*'")
        floors[name] = float(value)
    return floors


def pick(names: str | None, default: list[str], known: dict[str, Any], what: str) -> list[str]:
    chosen = [n.strip() for n in names.split(",") if n.strip()] if names else default
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return chosen


# --- versions and machine
def _probe(python: str, code: str) -> dict[str, Any]:
    try:
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
        return dict(json.loads(out.stdout.strip().splitlines()[-1])) if out.returncode == 0 else {
            "error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    except (OSError, ValueError, IndexError, subprocess.TimeoutExpired) as e:
        return {"error": str(e)}


KOA_PROBE = """
import json, sys, importlib.metadata as md
d = {"python": sys.version.split()[0]}
try:
    import uvloop; d["loop"] = "uvloop " + uvloop.__version__
except ImportError:
    d["loop"] = "asyncio"
d["httptools"] = md.version("httptools")
try:
    import koa
    from koa._speedups import USING_EXTENSIONS, NO_EXTENSIONS
    d.update(koa=koa.__version__, using_extensions=USING_EXTENSIONS, no_extensions=NO_EXTENSIONS)
except Exception as e:
    d["koa"] = "import failed: %s: %s" % (type(e).__name__, e)
for name in ("uvicorn",):
    try: d[name] = md.version(name)
    except md.PackageNotFoundError: pass
print(json.dumps(d))
"""

PEERS_PROBE = """
import json, sys, importlib.metadata as md
d = {"python": sys.version.split()[0]}
for name in ("sanic", "blacksheep", "starlette", "uvicorn", "falcon", "aiohttp", "uvloop", "httptools"):
    try: d[name] = md.version(name)
    except md.PackageNotFoundError: d[name] = "missing"
print(json.dumps(d))
"""


def node_versions(node: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        out["node"] = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10,
                                     check=False).stdout.strip()
    except OSError:
        return out
    for pkg in ("koa", "@koa/router", "koa-bodyparser", "fastify"):
        try:
            out[pkg] = json.loads((BENCH_DIR / "node_modules" / pkg / "package.json").read_text())["version"]
        except (OSError, ValueError, KeyError):
            out[pkg] = "missing"
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg())}


# --- the measuring loop
Failures = dict[tuple[str, str, str], str]  # (tool, server, scenario) -> why it has no measurement


def check_answers(server: Running, scenarios: list[Scenario], tools: list[str], failures: Failures) -> list[Scenario]:
    """Send each scenario's request once; the scenarios this server answers as expected."""
    good = []
    for sc in scenarios:
        try:
            status, headers, body = request(server.port, sc)
            wrong = sc.check(status, headers, body)
        except OSError as e:
            wrong = f"request failed: {e}"
        if wrong:
            for tool in tools:
                failures[(tool, server.spec.name, sc.name)] = f"wrong answer to {sc.method} {sc.path}: {wrong}"
            log(f"  {server.spec.name:<12} {sc.name:<9} skipped: wrong answer: {wrong}")
        else:
            good.append(sc)
    return good


def measure_one(server: Running, sc: Scenario, args: argparse.Namespace, tools: list[str], round_no: int,
                runs: list[dict[str, Any]]) -> bool:
    """Warm up, then measure `sc` on `server` with each tool; False once the server has died."""
    name = server.spec.name
    for tool in tools:
        conns = sc.connections or args.connections
        run: dict[str, Any] = {"round": round_no, "tool": tool, "server": name, "scenario": sc.name,
                               "connections": conns, "duration": args.duration}
        try:
            if args.warmup:
                TOOLS[tool](server.port, sc, conns, args.warmup, args.client_cpu)
            reset_peak_rss(server.proc.pid)
            result = TOOLS[tool](server.port, sc, conns, args.duration, args.client_cpu)
            run.update(result.as_dict(), rss_kib=peak_rss_kib(server.proc.pid))
            rss = f"{run['rss_kib'] / 1024:6.1f} MiB" if run["rss_kib"] else "   ? MiB"
            err = f"  ERRORS {result.errors} ({result.detail})" if result.errors else ""
            log(f"  {name:<12} {sc.name:<9} {tool:<10} {result.rps:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                f"  p99 {result.p99_ms:6.2f} ms  {rss}{err}")
        except LoadError as e:
            run["error"] = str(e)[:300]
            log(f"  {name:<12} {sc.name:<9} {tool:<10} failed: {e}")
        if server.proc.poll() is not None:
            run["error"] = f"server exited with {server.proc.returncode}: {server.log_tail(5)}"
            log(f"  {name:<12} died: {server.log_tail(5)}")
            runs.append(run)
            return False
        runs.append(run)
    return True


def launch(name: str, mw: int, batch: list[Scenario], args: argparse.Namespace, tools: list[str],
           runtimes: Runtimes, log_dir: Path, failures: Failures) -> tuple[Running, list[Scenario]]:
    """Start one server instance and check its answers; the scenarios it may be measured on."""
    server = start(SERVER_BY_NAME[name], runtimes, args.server_cpu, mw, log_dir)
    why = wait_ready(server, args.ready_timeout)
    if why:
        log(f"  {name:<12} did not start: {why}")
        for sc in batch:
            for tool in tools:
                failures[(tool, name, sc.name)] = f"did not start: {_last_line(why)}"
        return server, []
    return server, check_answers(server, batch, tools, failures)


def measure(args: argparse.Namespace, servers: list[str], scenarios: list[Scenario], tools: list[str],
            runtimes: Runtimes, skipped: dict[str, str]) -> tuple[list[dict[str, Any]], Failures]:
    """Every round: start each server afresh, measure; `--interleave` says in which order.

    "server": one server at a time runs all its scenarios (only one server process exists at once).
    "scenario": all servers are started first, then each scenario runs on every server in turn, so
    the runs a ratio compares are seconds apart (steadier ratios on a machine with other work).
    """
    runs: list[dict[str, Any]] = []
    failures: Failures = {}
    variants = sorted({sc.middleware for sc in scenarios})
    log_dir = Path(tempfile.mkdtemp(prefix="koa-bench-"))
    active = [s for s in servers if s not in skipped]
    for round_no in range(1, args.rounds + 1):
        shift = (round_no - 1) % max(len(active), 1)
        order = active[shift:] + active[:shift]  # rotate: no server always runs first or last
        log(f"round {round_no}/{args.rounds}: {', '.join(order)}")
        if args.interleave == "server":
            for name in order:
                for mw in variants:
                    batch = [sc for sc in scenarios if sc.middleware == mw]
                    server, good = launch(name, mw, batch, args, tools, runtimes, log_dir, failures)
                    try:
                        for sc in good:
                            if not measure_one(server, sc, args, tools, round_no, runs):
                                break
                    finally:
                        stop(server)
            continue
        instances: dict[tuple[str, int], tuple[Running, list[Scenario]]] = {}
        try:
            for name in order:
                for mw in variants:
                    batch = [sc for sc in scenarios if sc.middleware == mw]
                    instances[(name, mw)] = launch(name, mw, batch, args, tools, runtimes, log_dir, failures)
            for sc in scenarios:
                for name in order:
                    server, good = instances[(name, sc.middleware)]
                    if sc in good and server.proc.poll() is None:
                        measure_one(server, sc, args, tools, round_no, runs)
        finally:
            for server, _ in instances.values():
                stop(server)
    log(f"server logs: {log_dir}")
    return runs, failures


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else text


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- gate
def gate(rows: list[dict[str, Any]], floors: dict[str, float], server: str, scenarios: list[str]) -> list[str]:
    """Messages for every floor not met (an invalid or missing row fails its floor too)."""
    failed = []
    for sc in scenarios:
        floor = floors.get(sc, floors.get("*"))
        if floor is None:
            continue
        row = next((r for r in rows if r["tool"] == GATE_TOOL and r["server"] == server and r["scenario"] == sc), None)
        ratio = row["ratio"] if row else None
        if ratio is None:
            why = "no row" if row is None else (row["reason"] or "no ceiling to compare with")
            failed.append(f"{server}/{sc}: no ratio ({why}); floor {floor:.2f}")
            log(f"gate {server}/{sc}: FAIL, no ratio ({why})")
        elif ratio < floor:
            failed.append(f"{server}/{sc}: ratio {ratio:.3f} < floor {floor:.2f}")
            log(f"gate {server}/{sc}: FAIL, ratio {ratio:.3f} < floor {floor:.2f}")
        else:
            log(f"gate {server}/{sc}: ok, ratio {ratio:.3f} >= floor {floor:.2f}")
    return failed


def suggest_floors(runs: list[dict[str, Any]], server: str, scenarios: list[str], margin: float) -> str:
    """`--floor` options from this run: `margin` x the lowest ratio to bare among rounds of one scenario."""
    by_key = {(r["round"], r["scenario"], r["server"]): r for r in runs if r["tool"] == GATE_TOOL and "error" not in r}
    opts = []
    for sc in scenarios:
        ratios = []
        for (round_no, scenario, name), r in by_key.items():
            base = by_key.get((round_no, scenario, CEILING))
            if name == server and scenario == sc and base and base["rps"] and not r["errors"]:
                ratios.append(r["rps"] / base["rps"])
        if ratios:
            opts.append(f"--floor {sc}={margin * min(ratios):.2f}")
            log(f"floor {server}/{sc}: per-round ratios {', '.join(f'{x:.3f}' for x in sorted(ratios))}")
    return " ".join(opts) if opts else f"# no valid {server} and {CEILING} runs to suggest floors from"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for s in SERVERS:
            print(f"server   {s.name:<12} {s.label}{' — ' + s.note if s.note else ''}")
        for sc in SCENARIOS:
            print(f"scenario {sc.name:<12} {sc.method} {sc.path}  ({sc.title})")
        return 0
    floors = parse_floors(args.floor)
    scenario_names = pick(args.scenarios, [s.name for s in SCENARIOS], SCENARIO_BY_NAME, "scenario")
    scenarios = [SCENARIO_BY_NAME[n] for n in scenario_names]
    servers = pick(args.servers, QUICK_SERVERS if args.quick else [s.name for s in SERVERS], SERVER_BY_NAME, "server")
    tools = pick(args.tools, ["wrk"], TOOLS, "tool")

    if args.from_json:
        data = json.loads(Path(args.from_json).read_text())
        meta, rows = data["meta"], data["summary"]
        servers = [s for s in meta["servers"] if s in SERVER_BY_NAME]
        scenario_names, tools = meta["scenarios"], meta["tools_used"]
    else:
        runtimes = Runtimes(args.koa_python, args.peers_python, args.node, args.koa_app)
        for tool in list(tools):
            why = tool_missing(tool)
            if why:
                log(f"tool {tool}: not available, skipped: {why}")
                tools.remove(tool)
        if not tools:
            log("no load generator available")
            return 2
        skipped = {s: why for s in servers if (why := runtimes.missing(SERVER_BY_NAME[s]))}
        for s, why in skipped.items():
            log(f"server {s}: skipped: {why}")
        meta = {
            "command": "python3 benchmarks/run_http.py " + shlex.join(sys.argv[1:] if argv is None else argv),
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
            "machine": machine(), "servers": servers, "scenarios": scenario_names, "tools_used": tools,
            "duration": args.duration, "warmup": args.warmup, "rounds": args.rounds, "interleave": args.interleave,
            "connections": args.connections, "server_cpu": args.server_cpu, "client_cpu": args.client_cpu,
            "koa": _probe(args.koa_python, KOA_PROBE) if os.path.exists(args.koa_python) else {},
            "peers": _probe(args.peers_python, PEERS_PROBE) if os.path.exists(args.peers_python) else {},
            "node": node_versions(args.node) if any(SERVER_BY_NAME[s].runtime == "node" for s in servers) else {},
            "tool_versions": {t: tool_version(t) for t in tools},
            "skipped": skipped,
        }
        k = meta["koa"]
        log(f"koa USING_EXTENSIONS={k.get('using_extensions', '?')} Python {k.get('python', '?')} "
            f"loop {k.get('loop', '?')} koa {k.get('koa', '?')}")
        log(f"machine: {meta['machine']}; servers on CPU {args.server_cpu}, load on CPU {args.client_cpu}; "
            f"{args.rounds} round(s) x {args.duration} s (+{args.warmup} s warm-up) per run")
        if args.server_cpu is not None and args.server_cpu == args.client_cpu:
            log("warning: server and load generator share a CPU")
        t0 = time.monotonic()
        runs, failures = measure(args, servers, scenarios, tools, runtimes, skipped)
        rows = summarize(runs, failures)
        meta["elapsed_s"] = round(time.monotonic() - t0, 1)
        args.json_path.parent.mkdir(parents=True, exist_ok=True)
        args.json_path.write_text(json.dumps({"meta": meta, "summary": rows, "runs": runs}, indent=1) + "\n")
        log(f"results: {args.json_path} ({meta['elapsed_s']} s)")
        if not runs:
            log("nothing was measured")
            print(tables(rows, servers, scenario_names, tools))
            return 2

    k = meta.get("koa", {})
    print(f"koa {k.get('koa', '?')}: USING_EXTENSIONS={k.get('using_extensions', '?')}, Python {k.get('python', '?')}, "
          f"loop {k.get('loop', '?')}; {meta['rounds']} round(s) x {meta['duration']} s per run, server on CPU "
          f"{meta['server_cpu']}, load on CPU {meta['client_cpu']}; load average {meta['machine']['loadavg']}\n")
    print(tables(rows, servers, scenario_names, tools))
    if args.report:
        docs = Path(args.docs_dir)
        docs.mkdir(parents=True, exist_ok=True)
        png = docs / "benchmarks.png"
        drew = chart(rows, servers, scenario_names, tools[0], png)
        if not drew:
            log("no chart: matplotlib is not importable here (run with benchmarks/.peers-venv/bin/python)")
        breakdown = None
        if "koa" in servers:
            out = subprocess.run([args.koa_python, str(BENCH_DIR / "breakdown.py")], capture_output=True, text=True)
            breakdown = out.stdout.strip() if out.returncode == 0 else None
            if breakdown is None:
                log(f"no breakdown: benchmarks/breakdown.py failed: {out.stderr.strip()[-300:]}")
        (docs / "benchmarks.md").write_text(
            document(rows, meta, servers, scenario_names, tools, png.name if drew else None, breakdown) + "\n")
        log(f"wrote {docs / 'benchmarks.md'}" + (f" and {png}" if drew else ""))
    if args.suggest_floors is not None:
        runs = data["runs"] if args.from_json else runs
        print(suggest_floors(runs, args.gate_server, scenario_names, args.suggest_floors))
    if floors:
        if CEILING not in servers:
            log("--floor needs the bare server in the run")
            return 3
        if gate(rows, floors, args.gate_server, scenario_names):
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
