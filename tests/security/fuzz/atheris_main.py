"""Coverage-guided fuzzing with atheris (libFuzzer) over the same targets as the hypothesis suite.

    python tests/security/fuzz/atheris_main.py TARGET [libFuzzer flags]
    python tests/security/fuzz/atheris_main.py head -max_total_time=60 -rss_limit_mb=2048
    python tests/security/fuzz/atheris_main.py all -max_total_time=30     # each target in turn

TARGET is one of security.fuzz.targets.TARGETS (query, cookies, negotiate, range, form,
router) or `head`: raw bytes into our HTTP/1.1 protocol, in memory (security/fuzz/inproc.py;
the first byte picks where the reads are cut). A failed oracle is a crash: libFuzzer
saves the input as crash-<sha1> in the current directory; replay it with
`python tests/security/fuzz/atheris_main.py TARGET crash-<sha1>` (make fuzz puts them in
.fuzz/ with -artifact_prefix). For `head`, the corpus directory (.fuzz/head, or
$KOA_FUZZ_SEEDS) is seeded from tests/security/corpus/requests.jsonl and kept between runs,
so that what libFuzzer learns accumulates.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import atheris  # noqa: E402 - after the path set-up

with atheris.instrument_imports(include=["koa"]):
    import koa  # noqa: F401
    import koa._forms
    import koa._negotiate
    import koa.cookies
    import koa.middleware.send
    import koa.request
    import koa.router
    import koa.transports.httptools_server  # noqa: F401

from security.fuzz import inproc, targets  # noqa: E402

_wire: inproc.Wire | None = None


def head(data: bytes) -> None:
    """Raw bytes into our protocol; byte 0 says where the reads are cut."""
    global _wire
    if _wire is None:
        _wire = inproc.Wire()
    if not data:
        return
    step = data[0] or 1
    body = data[1:]
    inproc.check_wire(_wire, body, list(range(step, len(body), step)))
    _wire.hub.app.errors.clear()  # type: ignore[attr-defined]


TARGETS = {**targets.TARGETS, "head": head}


def seed_corpus(directory: Path) -> None:
    """The request corpus as libFuzzer seeds for `head` (byte 0 = 255: one read)."""
    from security.corpus import load

    directory.mkdir(parents=True, exist_ok=True)
    for case in load():
        data = b"".join(chunk for chunk, _ in case.steps)
        (directory / case.name).write_bytes(b"\xff" + data[:65536])


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in (*TARGETS, "all"):
        print(__doc__, file=sys.stderr)
        print(f"targets: {', '.join(TARGETS)}, all", file=sys.stderr)
        return 2
    name, flags = argv[1], argv[2:]
    if name == "all":
        failed = 0
        for each in TARGETS:
            print(f"== atheris: {each}", flush=True)
            failed |= subprocess.call([sys.executable, str(HERE), each, *flags])
        return failed
    fuzz_flags = list(flags)
    if name == "head" and not any(not f.startswith("-") for f in flags):
        seeds = Path(os.environ.get("KOA_FUZZ_SEEDS") or ROOT / ".fuzz" / "head")
        seed_corpus(seeds)
        fuzz_flags.append(str(seeds))
    target = TARGETS[name]

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup([argv[0], *fuzz_flags], one_input)
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
