"""The malicious/malformed request corpus (requests.jsonl) and its reader.

One JSON object per line:

    name        unique id (the pytest id)
    category    smuggling/CL.TE, framing/chunk-size, traversal/serve, slow/slowloris, ...
    refs        where the case comes from (RFC section, CVE, llhttp/h11 test, PortSwigger)
    raw         the bytes to send, as a JSON string of code points 0-255 (latin-1);
                `{{repeat:TEXT:N}}` is TEXT N times (`{i}` inside is the repetition's index),
                innermost first, so large heads stay readable
    steps       instead of raw: a list of {"raw": ..., "wait": seconds}, or
                {"trickle": raw, "every": seconds, "size": bytes} (a slowloris client)
    options     server options for this case (a server with them is started for it)
    expect      statuses   the final responses, in order: each an int or a list of allowed ints;
                           exactly that many responses (a smuggled request would add one)
                close      true: the server closes after them; false: the connection stays open and in
                           step (a request sent after the case is answered, last, on it); null:
                           not checked (read until the server falls silent)
                app        how many requests reached the app (int, or [min, max])
                paths      the exact request targets the app saw, in order
                within     seconds: the whole exchange (to the close) takes at most this
                absent     strings that must not appear anywhere in what the server sent
                body       a string the last response's body contains
                headers    {name: value} the last response has exactly (value null: has not)
    transports  {"aiohttp": {"expect": {...}, "reason": "..."}}: a known difference of that
                transport; its `expect` keys replace the main ones there, and the reason says why
    bugs        {"httptools": "..."}: an open bug of ours that makes the case fail there; the test
                is then a strict xfail, so that it turns red the moment the bug is fixed
    note        anything else worth knowing

Invariants checked for every case on every transport: the reply parses as HTTP/1.x; no
request target containing "/smuggled" reaches the app; the server's loop reports no
unexpected error; and a new connection is answered afterwards.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from security._wire import Step, trickle

CORPUS = Path(__file__).with_name("requests.jsonl")
_REPEAT = re.compile(r"\{\{repeat:((?:(?!\{\{|\}\}).)*):(\d+)\}\}", re.DOTALL)
EXPECT_KEYS = frozenset({"statuses", "close", "app", "paths", "within", "absent", "body", "headers"})
CASE_KEYS = frozenset({"name", "category", "refs", "raw", "steps", "options", "expect", "transports", "bugs", "note"})


def expand(text: str) -> bytes:
    """A corpus string as the bytes to send ({{repeat:...}} expanded, latin-1 encoded)."""
    while True:
        match = _REPEAT.search(text)
        if match is None:
            return text.encode("latin-1")
        body, count = match.group(1), int(match.group(2))
        repeated = "".join(body.replace("{i}", str(i)) for i in range(count))
        text = text[: match.start()] + repeated + text[match.end():]


@dataclass
class Case:
    """One corpus entry, ready to replay."""

    name: str
    category: str
    steps: list[Step]
    expect: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    transports: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)
    bugs: dict[str, str] = field(default_factory=dict)

    def expect_for(self, transport: str) -> tuple[dict[str, Any], str | None]:
        """The expected outcome on `transport`, and the recorded reason when it differs."""
        diff = self.transports.get(transport)
        if diff is None:
            return self.expect, None
        return {**self.expect, **diff["expect"]}, diff["reason"]


def _steps(entry: dict[str, Any]) -> list[Step]:
    if "raw" in entry:
        return [(expand(entry["raw"]), 0.0)]
    steps = entry["steps"]
    if isinstance(steps, dict):
        return list(trickle(expand(steps["trickle"]), steps["every"], steps.get("size", 1)))
    return [(expand(step["raw"]), float(step.get("wait", 0))) for step in steps]


def load(path: Path = CORPUS) -> list[Case]:
    """Every case of the corpus file, checked for shape."""
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        entry = json.loads(line)
        unknown = set(entry) - CASE_KEYS
        if unknown or ("raw" in entry) == ("steps" in entry):
            raise ValueError(f"{path.name}:{number}: bad entry {entry.get('name')!r} ({sorted(unknown)})")
        if set(entry["expect"]) - EXPECT_KEYS or "statuses" not in entry["expect"]:
            raise ValueError(f"{path.name}:{number}: bad expect in {entry['name']!r}")
        for transport, diff in entry.get("transports", {}).items():
            if not diff.get("reason") or set(diff.get("expect", {})) - EXPECT_KEYS:
                raise ValueError(f"{path.name}:{number}: a difference on {transport} needs expect and a reason")
        cases.append(Case(
            name=entry["name"], category=entry["category"], steps=_steps(entry), expect=entry["expect"],
            options=entry.get("options", {}), transports=entry.get("transports", {}), refs=entry.get("refs", []),
            bugs=entry.get("bugs", {}),
        ))
    names = [c.name for c in cases]
    if len(names) != len(set(names)):
        raise ValueError(f"{path.name}: duplicate case names")
    return cases


__all__ = ["CORPUS", "Case", "expand", "load"]
