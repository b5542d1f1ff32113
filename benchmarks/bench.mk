# HTTP load benchmark (issue 8), meant for `include benchmarks/bench.mk` in the top-level Makefile,
# whose PYTHON, PY (koa's .venv python), build and tools targets it uses.
#   make bench        every server, 3 interleaved rounds of 5 s runs (~25 min); writes
#                     benchmarks/results/latest.json, docs/benchmarks.md and docs/benchmarks.png
#   make bench-quick  CI: bare + koa (+ koa on uvicorn), 3 rounds of 1 s runs (~1.5 min); fails when
#                     koa's median req/s over the bare protocol's in the same run is below BENCH_FLOORS
PEERS_PY := benchmarks/.peers-venv/bin/python
# Floors on koa's ratio to bare, per scenario ('*' = each): about 0.7x what `make bench-quick`
# typically measures on the 2-core CI machine (2026-11-24, after object reuse: plaintext 0.79,
# json 0.85, router 0.87, mw 0.69, 64k 1.03, post 0.65, c1024 0.77; single rounds dip ~15%
# below), so that only a real regression trips them.
BENCH_FLOORS ?= --floor plaintext=0.52 --floor json=0.55 --floor router=0.58 --floor mw=0.45 --floor 64k=0.68 --floor post=0.44 --floor c1024=0.50
BENCH_ARGS ?=

.PHONY: bench bench-quick bench-peers bench-floors

bench-peers:
	bash benchmarks/setup_peers.sh

bench: build tools bench-peers
	$(PEERS_PY) benchmarks/run_http.py --koa-python $(PY) --report $(BENCH_ARGS)

bench-quick: build tools
	$(PYTHON) benchmarks/run_http.py --quick --rounds 3 --koa-python $(PY) $(BENCH_FLOORS) $(BENCH_ARGS)

# 5 quick rounds; prints --floor options at 0.75 x koa's lowest per-round ratio, to paste above
bench-floors: build tools
	$(PYTHON) benchmarks/run_http.py --quick --rounds 5 --koa-python $(PY) --suggest-floors $(BENCH_ARGS)
