#!/usr/bin/env bash
# The reference servers of benchmarks/run_http.py, apart from koa's own environment:
#   benchmarks/.peers-venv     Python peers from benchmarks/requirements-peers.txt (pinned)
#   benchmarks/node_modules    Node peers from benchmarks/package.json + package-lock.json
# Idempotent: a stamp per requirements file makes a second run take well under a second.
# Nothing here becomes a dependency of koa. wrk comes from Debian (`make tools`).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
VENV=.peers-venv
STAMP="$VENV/.installed"

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup_peers: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [ ! -f "$STAMP" ] || [ requirements-peers.txt -nt "$STAMP" ]; then
    echo "setup_peers: installing requirements-peers.txt into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements-peers.txt
    touch "$STAMP"
fi

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    if [ ! -f node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ] \
        || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        echo "setup_peers: npm ci (node $(node --version))"
        npm ci --no-audit --no-fund --loglevel=error
    fi
else
    echo "setup_peers: node/npm not found: the Koa.js and Fastify rows will be skipped" >&2
fi

command -v wrk >/dev/null 2>&1 || echo "setup_peers: wrk not found (make tools, or apt-get install -y wrk)" >&2
echo "setup_peers: ready ($VENV, node_modules)"
