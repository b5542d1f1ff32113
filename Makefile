# Two entry points on a fresh machine: `make serve` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -q
DEBIAN_TOOLS := wrk nginx

.PHONY: fuzz soak serve test test-compiled test-pure typecheck lint build tools bench-micro docs clean

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

# compile koa/_speedups in place (a no-op when there is nothing to build)
build: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

serve: build
	$(PY) -m koa serve examples.hello:app --host 127.0.0.1 --port 3000

# Debian tools some tests drive (wrk for load, nginx as a reverse proxy)
tools:
	@missing=""; for t in $(DEBIAN_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

test: build tools typecheck lint test-compiled test-pure

test-compiled: build
	$(PY) -m pytest $(PYTEST_ARGS)

test-pure: build
	KOA_NO_EXTENSIONS=1 $(PY) -m pytest $(PYTEST_ARGS)

typecheck: $(STAMP)
	$(PY) -m mypy

lint: $(STAMP)
	$(PY) -m ruff check koa tests

# the documentation site into site/ (mkdocs.yml); any warning fails the build
docs: $(STAMP)
	$(PY) -m mkdocs build --strict

# micro-benchmarks (pytest-benchmark): compose depth, router match, in-process request
bench-micro: build
	$(PY) -m pytest benchmarks -q -p no:cacheprovider --benchmark-columns=min,median,ops --benchmark-sort=name \
		--benchmark-min-time=0.01 --benchmark-max-time=0.2
	$(PY) benchmarks/breakdown.py --rounds 3 -n 10000

FUZZ_EXAMPLES ?= 5000
FUZZ_SECONDS ?= 60
SOAK_REQUESTS ?= 200000

# longer fuzzing than CI: hypothesis with many examples, then atheris on every target
fuzz: build
	KOA_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/security/test_fuzz.py -q -p no:cacheprovider
	@mkdir -p .fuzz
	@if $(PY) -c "import atheris" 2>/dev/null; then \
		$(PY) tests/security/fuzz/atheris_main.py all -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -artifact_prefix=.fuzz/; \
	else echo "atheris is not installed here: hypothesis only"; fi

# 200k keep-alive requests per transport with streams and disconnects; RSS, fds, tasks checked
soak: build
	KOA_SOAK_REQUESTS=$(SOAK_REQUESTS) KOA_SOAK_SECONDS=600 $(PY) -m pytest tests/soak -q -s -p no:cacheprovider

include benchmarks/bench.mk

clean:
	rm -rf build dist *.egg-info koa/_speedups/*.so koa/_speedups/*.c
