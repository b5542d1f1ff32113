"""Medians, tables, docs/benchmarks.md and its chart, for run_http.py."""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from harness_servers import SCENARIO_BY_NAME, SERVER_BY_NAME

CEILING = "bare"


def summarize(runs: list[dict[str, Any]], failures: dict[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    """One row per (tool, server, scenario): medians over the rounds, peak RSS, errors, ratio to bare.

    A row is invalid when any of its runs saw an error (socket error, timeout, non-2xx) or a
    wrong answer, or when it has no run at all; an invalid row has no ratio.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["tool"], run["server"], run["scenario"]), []).append(run)
    keys = list(groups) + [k for k in failures if k not in groups]
    rows = []
    for key in keys:
        tool, server, scenario = key
        ok_runs = [r for r in groups.get(key, []) if "error" not in r]
        errors = sum(r.get("errors", 0) for r in ok_runs)
        reasons = [r["error"] for r in groups.get(key, []) if "error" in r]
        if key in failures:
            reasons.insert(0, failures[key])
        if errors:
            reasons.append("; ".join(sorted({r["detail"] for r in ok_runs if r.get("detail")})) or f"{errors} errors")
        rss = [r["rss_kib"] for r in ok_runs if r.get("rss_kib")]
        rows.append({
            "tool": tool, "server": server, "scenario": scenario,
            "label": SERVER_BY_NAME[server].label if server in SERVER_BY_NAME else server,
            "rounds": len(ok_runs),
            "rps": statistics.median(r["rps"] for r in ok_runs) if ok_runs else None,
            "rps_all": [round(r["rps"]) for r in ok_runs],
            "p50_ms": statistics.median(r["p50_ms"] for r in ok_runs) if ok_runs else None,
            "p99_ms": statistics.median(r["p99_ms"] for r in ok_runs) if ok_runs else None,
            "rss_mib": max(rss) / 1024 if rss else None,
            "errors": errors,
            "valid": bool(ok_runs) and not errors and not reasons,
            "reason": "; ".join(reasons)[:300],
        })
    ceiling = {(r["tool"], r["scenario"]): r["rps"] for r in rows if r["server"] == CEILING and r["valid"]}
    for r in rows:
        base = ceiling.get((r["tool"], r["scenario"]))
        r["ratio"] = r["rps"] / base if r["valid"] and base else None
    return rows


def _order(rows: list[dict[str, Any]], servers: list[str], scenarios: list[str]) -> list[dict[str, Any]]:
    def key(r: dict[str, Any]) -> tuple[int, int]:
        return (servers.index(r["server"]) if r["server"] in servers else 99,
                scenarios.index(r["scenario"]) if r["scenario"] in scenarios else 99)
    return sorted(rows, key=key)


def _num(x: float | None, fmt: str) -> str:
    return "—" if x is None else format(x, fmt)


def tables(rows: list[dict[str, Any]], servers: list[str], scenarios: list[str], tools: list[str]) -> str:
    """Markdown: per tool, a req/s matrix (ratio to bare in brackets), then every row in detail."""
    out = []
    for tool in tools:
        trows = _order([r for r in rows if r["tool"] == tool], servers, scenarios)
        if not trows:
            continue
        present = [s for s in scenarios if any(r["scenario"] == s for r in trows)]
        out.append(f"#### Requests per second, median ({tool}; in brackets: ratio to the bare ceiling)\n")
        out.append("| server | " + " | ".join(SCENARIO_BY_NAME[s].title for s in present) + " |")
        out.append("|---|" + "---:|" * len(present))
        for server in [s for s in servers if any(r["server"] == s for r in trows)]:
            cells = []
            for s in present:
                r = next((r for r in trows if r["server"] == server and r["scenario"] == s), None)
                if r is None:
                    cells.append("")
                elif not r["valid"]:
                    cells.append("invalid" if r["rps"] is None else f"~~{r['rps']:,.0f}~~ invalid")
                else:
                    cells.append(f"{r['rps']:,.0f} ({r['ratio']:.2f})" if r["ratio"] is not None
                                 else f"{r['rps']:,.0f}")
            out.append(f"| {SERVER_BY_NAME[server].label} | " + " | ".join(cells) + " |")
        out.append("")
        out.append(f"#### Every row ({tool})\n")
        out.append("| server | scenario | req/s | ratio | p50 ms | p99 ms | peak RSS MiB | rounds | errors | note |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in trows:
            out.append(" | ".join([
                f"| {r['server']}", r["scenario"], _num(r["rps"], ",.0f"), _num(r["ratio"], ".2f"),
                _num(r["p50_ms"], ".2f"), _num(r["p99_ms"], ".2f"), _num(r["rss_mib"], ".1f"),
                str(r["rounds"]), str(r["errors"]), ("" if r["valid"] else "INVALID: ") + r["reason"].replace("|", "/"),
            ]) + " |")
        out.append("")
    return "\n".join(out)


def chart(rows: list[dict[str, Any]], servers: list[str], scenarios: list[str], tool: str, path: Path) -> bool:
    """One horizontal bar panel per scenario (req/s, koa highlighted); False without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    trows = [r for r in rows if r["tool"] == tool and r["valid"]]
    present = [s for s in scenarios if any(r["scenario"] == s for r in trows)]
    if not present:
        return False
    ncols = 2
    nrows = (len(present) + 1) // 2
    fig, axes = plt.subplots(nrows, ncols, figsize=(13, 3.1 * nrows), squeeze=False)
    for ax in axes.flat[len(present):]:
        ax.set_visible(False)
    for ax, scenario in zip(axes.flat, present, strict=False):
        srows = sorted((r for r in trows if r["scenario"] == scenario), key=lambda r: r["rps"])
        labels = [r["server"] for r in srows]
        colors = ["#2b7bb9" if r["server"].startswith("koa") and r["server"] != "koajs" else
                  "#9a9a9a" if r["server"] == CEILING else "#e0a040" for r in srows]
        bars = ax.barh(labels, [r["rps"] / 1000 for r in srows], color=colors)
        for bar, r in zip(bars, srows, strict=True):
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {r['rps'] / 1000:.1f}k", va="center",
                    fontsize=8)
        ax.set_title(SCENARIO_BY_NAME[scenario].title, fontsize=10)
        ax.set_xlabel("thousand requests / s (median)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.margins(x=0.15)
    fig.suptitle(f"HTTP throughput, server on 1 core, {tool} on the other (higher is better)", fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def document(rows: list[dict[str, Any]], meta: dict[str, Any], servers: list[str], scenarios: list[str],
             tools: list[str], chart_name: str | None, breakdown: str | None = None) -> str:
    """docs/benchmarks.md: what was measured, on what, with which command, then the tables."""
    m = meta
    lines = [
        "# Benchmarks",
        "",
        "HTTP throughput of koa against a bare httptools+uvloop protocol (the ceiling: parse, answer, nothing",
        "else) and against other Python and Node.js frameworks, all measured in the same run on the same",
        "machine. Generated by `benchmarks/run_http.py --report`; do not edit by hand.",
        "",
        "## How",
        "",
        f"- Command: `{m['command']}`, {m['started']} UTC, {m.get('elapsed_s', '?')} s.",
        f"- Machine: {m['machine']['cpu']}, {m['machine']['cores']} cores, Linux {m['machine']['kernel']}; "
        f"load average {m['machine']['loadavg']} at the start (other work on the machine adds noise).",
        f"- Each server is pinned to CPU {m['server_cpu']} (`taskset`), the load generator to CPU {m['client_cpu']}.",
        f"- {m['rounds']} interleaved round(s): each round starts every server afresh, in a rotating order, and "
        + ("runs all scenarios on one server after the other"
           if m.get("interleave", "server") == "server" else
           "with all of them up runs each scenario on every server in turn")
        + f"; each run lasts {m['duration']} s after a {m['warmup']} s warm-up. Tables give the "
        "median over the rounds, peak RSS the maximum (VmHWM of the server process, reset per scenario).",
        f"- {m['connections']} keep-alive connections unless the scenario says otherwise; "
        "wrk `-t1 --timeout 2s`; latency percentiles from wrk's own histogram.",
        "- A row is invalid (and gets no ratio) when any run saw a socket error, a timeout, a non-2xx answer, "
        "or when the server's answer to the scenario's request was wrong before the load started.",
        "- Endpoints (the same in every server; the sources are in `benchmarks/http/`): `GET /` text, "
        "`GET /json` `{\"message\":\"Hello, World!\"}`, `GET /users/:id` through a router holding the 203 GitHub "
        "API routes, `GET /mw` behind 10 no-op app-wide middleware (a second instance of the server started "
        "with `BENCH_MIDDLEWARE=10`), `GET /64k` a 65,536-byte body, `POST /echo` a JSON body parsed and sent "
        "back as JSON, and `GET /` on 1024 connections.",
        "",
        "## Versions",
        "",
        f"- koa: Python {m['koa'].get('python', '?')}, USING_EXTENSIONS={m['koa'].get('using_extensions', '?')}, "
        f"loop {m['koa'].get('loop', '?')}, httptools {m['koa'].get('httptools', '?')}, "
        f"koa {m['koa'].get('koa', '?')}",
        "- peers (benchmarks/.peers-venv): " + ", ".join(f"{k} {v}" for k, v in m.get("peers", {}).items()),
        "- node: " + ", ".join(f"{k} {v}" for k, v in m.get("node", {}).items()),
        "- load: " + ", ".join(f"{k} {v}" for k, v in m.get("tool_versions", {}).items()),
        "",
        "## Results",
        "",
    ]
    if chart_name:
        lines += [f"![requests per second per scenario]({chart_name})", ""]
    lines.append(tables(rows, servers, scenarios, tools))
    skipped = m.get("skipped", {})
    if skipped:
        lines += ["Not measured in this run: " + "; ".join(f"{k} ({v})" for k, v in skipped.items()) + ".", ""]
    if breakdown:
        lines += [
            "", "## Where the time per request goes", "",
            "koa's own server driven in-process by `benchmarks/breakdown.py` (the same machine, right after the",
            "HTTP runs): `data_received()` of a connection fed one request at a time, writing into a transport",
            "that only keeps the bytes, so no syscall and no event loop turn is counted. Each row adds one stage",
            "to the row above; \"its cost\" is the difference. CPU time, best of 7 rounds of 30,000 requests.",
            "Over HTTP the kernel adds its share on top (read, write and epoll: ~4.5 us per request here, the",
            "same for every server), which is why a framework cost of a few microseconds already halves the",
            "bare protocol's requests per second.", "",
            "One kernel cost depends on the server's speed: on one host, a write that wakes a client sleeping in",
            "epoll (here wrk; in production a proxy such as nginx) costs the writing process ~1.5 us. A server",
            "slower than wrk wakes it once per answer. koa's server writes the small answers (up to 16 KiB) of",
            "one pass of the event loop together at its end, at most 32 connections at a time",
            "(`Sender._defer` in koa/transports/_sending.py), so a burst wakes the client once: worth ~8% more",
            "requests per second on `GET /` when it was added. The bare protocol writes each answer at once.", "",
            "Allocation is the other cost that grows with the framework: a finished request's ctx, request and",
            "response are made again by a later request (their fields set anew) when nothing holds them and",
            "nothing could tell them from new objects (`Hub.keep` in koa/transports/httptools_server.py). With",
            "typed C paths for the head callbacks, the text body and the router's state, this took the",
            "in-process `GET /` from ~24.9k to ~18.9k instructions (callgrind) when it was added.", "",
            breakdown, "",
        ]
    return "\n".join(lines)
