"""Replay the malicious/malformed request corpus over raw sockets, on our server and on aiohttp's.

Each case (tests/security/corpus/requests.jsonl, described in corpus/__init__.py) is sent
byte for byte on a fresh connection; what comes back must be the expected responses, no
more (a smuggled request would add one), the expected close, and nothing of what the case
tries to inject. Then a new connection must still be answered. A transport that cannot
meet a case records the difference, with its reason, in the corpus entry: it is then held
to that recorded outcome instead, never skipped.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from security._apps import corpus_app, make_static_root
from security._wire import Exchange, ServerThread, exchange, good_request
from security.corpus import Case, load

CASES = load()
TRANSPORTS = ["httptools", "aiohttp"]
READ_TIMEOUT = 5.0  # seconds for a whole exchange (the slow cases use 0.5 s server timeouts)
BUG_TIMEOUT = 2.0  # the same for a case failing on an open bug (an xfail need not wait long)
# sent after a case whose connection must stay open: it must be answered, last and alone, on the
# same connection (so a smuggled extra response shows up before it, with no waiting for silence)
SENTINEL = b"GET /__sentinel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class Servers:
    """One server per (transport, options), started on first use, stopped at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: dict[tuple[str, str], ServerThread] = {}

    def get(self, transport: str, options: dict[str, Any]) -> ServerThread:
        key = (transport, repr(sorted(options.items())))
        server = self.running.get(key)
        if server is None:
            server = self.running[key] = ServerThread(corpus_app(self.root), transport, **options).start()
        return server

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    pool = Servers(make_static_root(tmp_path_factory.mktemp("corpus")))
    try:
        yield pool
    finally:
        pool.stop()


def check(result: Exchange, expect: dict[str, Any], seen: list[tuple[str, str]], sentinel: bool) -> list[str]:
    """What is wrong with `result` (an empty list when it is as `expect`ed)."""
    problems = []
    if result.garbage:
        problems.append(f"the reply is not HTTP: {result.garbage}")
    if sentinel:
        last = result.responses[-1] if result.responses else None
        if last is None or b"/__sentinel" not in last.body:
            problems.append("the connection did not stay usable: the request sent after the case got no answer")
        else:
            result.responses.pop()
            result.closed = False
        seen = [entry for entry in seen if entry[1] != "/__sentinel"]
    statuses = expect["statuses"]
    got = result.statuses
    if len(got) != len(statuses) or not all(
        s == want if isinstance(want, int) else s in want for s, want in zip(got, statuses, strict=True)
    ):
        problems.append(f"statuses {got}, expected {statuses}")
    if "close" in expect and expect["close"] is not None and result.closed != expect["close"]:
        problems.append("the connection was not closed" if expect["close"] else "the connection was closed")
    app = expect.get("app")
    if app is not None:
        low, high = (app, app) if isinstance(app, int) else app
        if not low <= len(seen) <= high:
            problems.append(f"{len(seen)} request(s) reached the app, expected {app}: {seen}")
    if "paths" in expect and [url for _, url in seen] != expect["paths"]:
        problems.append(f"the app saw {[url for _, url in seen]}, expected {expect['paths']}")
    if any("/smuggled" in url for _, url in seen) and "paths" not in expect:
        problems.append(f"a smuggled request reached the app: {seen}")
    if "within" in expect and result.elapsed > expect["within"]:
        problems.append(f"took {result.elapsed:.2f}s, expected at most {expect['within']}s")
    for text in expect.get("absent", ()):
        if text.encode("latin-1") in result.raw:
            problems.append(f"{text!r} is in the reply")
    if "body" in expect and (not result.responses or expect["body"].encode() not in result.responses[-1].body):
        problems.append(f"the last body does not contain {expect['body']!r}")
    for name, value in expect.get("headers", {}).items():
        got_value = result.responses[-1].header(name) if result.responses else None
        if got_value != value:
            problems.append(f"{name}: {got_value!r}, expected {value!r}")
    return problems


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus(case: Case, transport: str, servers: Servers, request: pytest.FixtureRequest) -> None:
    if transport in case.bugs:
        request.applymarker(pytest.mark.xfail(reason=case.bugs[transport], strict=True))
    server = servers.get(transport, case.options)
    seen: list[tuple[str, str]] = server.app.seen  # type: ignore[attr-defined]
    before = len(seen)
    expect, _reason = case.expect_for(transport)
    sentinel = expect.get("close") is False
    result = exchange(
        server.port, [*case.steps, (SENTINEL, 0.0)] if sentinel else case.steps,
        responses=len(expect["statuses"]), until_close=expect.get("close") is not None,
        timeout=BUG_TIMEOUT if transport in case.bugs else READ_TIMEOUT,
    )
    problems = check(result, expect, seen[before:], sentinel)
    assert not problems, f"{case.name} on {transport}: {'; '.join(problems)}\nreply: {result.raw[:600]!r}"
    assert not server.unexpected_errors(), server.unexpected_errors()
    after = good_request(server.port)
    assert after.statuses == [200], f"the server stopped answering after {case.name}: {after.raw[:200]!r}"


def test_corpus_is_large_and_cited() -> None:
    """The corpus covers each family the issue names, and most entries cite where they come from."""
    categories = {c.category.split("/")[0] for c in CASES}
    assert {"smuggling", "framing", "syntax", "limits", "splitting", "traversal", "slow", "pipelining"} <= categories
    assert len(CASES) >= 150
    assert sum(1 for c in CASES if c.refs) >= 40
