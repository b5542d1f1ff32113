"""The documentation cannot rot: every ```python block of README.md and docs/ runs, and the site builds.

Each block runs on its own, as a reader would paste it (into `python -m asyncio`, where
top-level `await` works): in a fresh namespace, in an empty temporary directory, as
`__main__`, with `Koa.listen()` replaced by one that checks its arguments against the real
server's and returns at once. Blocks check their own results with `assert`. A block that defines a
`Koa` app but never sends it a request gets one `GET /`, which must not fail with a 5xx.
A block preceded by `<!-- not-tested -->` is skipped; those stay rare (see the cap below).

The "Coming from Koa.js" tables are checked against the code: every name in their koa
column must exist on a live `app`, `ctx` (inside a request that went through session,
body_parser, mount and a router), `router`, `err`, or be importable from `koa`; the keywords
a call there shows must be parameters of the callable; `ctx.<name> = ...` for a name that
koa does not define must be one that koa's middleware reads (`getattr(ctx, "<name>"...`).
Finally the site must build with `mkdocs build --strict` (skipped without mkdocs).
"""
from __future__ import annotations

import ast
import importlib
import inspect
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from koa import Koa
from koa.testing import TestClient

ROOT = Path(__file__).resolve().parents[2]
NOT_TESTED = "<!-- not-tested -->"
MAX_NOT_TESTED = 3
_FENCE = re.compile(r"^(\s*)```\s*(\w*)")


@dataclass(frozen=True)
class Block:
    """One fenced ```python block: where it is, and its source."""

    path: Path
    line: int  # 1-based line of the first line of code
    source: str
    tested: bool

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        indent, lang = m.groups()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith("```"):
            end += 1
        if lang in ("python", "py"):
            if indent:
                raise AssertionError(f"{path}:{i + 1}: an indented python block would not be tested; unindent it")
            previous = next((line.strip() for line in reversed(lines[:i]) if line.strip()), "")
            yield Block(path, i + 2, "\n".join(lines[i + 1:end]) + "\n", previous != NOT_TESTED)
        i = end + 1


ALL_BLOCKS = [block for path in doc_files() if path.exists() for block in blocks(path)]


def test_blocks_are_found() -> None:
    pages = {block.path for block in ALL_BLOCKS}
    assert ROOT / "README.md" in pages
    assert len(pages) > 5, "the docs pages have no python blocks?"


def test_untested_blocks_are_rare() -> None:
    untested = [block.id for block in ALL_BLOCKS if not block.tested]
    assert len(untested) <= MAX_NOT_TESTED, f"too many <!-- not-tested --> blocks: {untested}"


REAL_LISTEN = inspect.signature(Koa.listen)


def fake_listen(self: Koa, *args: Any, **kwargs: Any) -> None:
    """app.listen() for the docs: check the arguments as the real one would, then return at once."""
    listen = REAL_LISTEN.bind(self, *args, **kwargs)
    listen.apply_defaults()
    try:
        from koa.transports.options import ServerOptions
        from koa.transports.server import run
    except ImportError:  # no server in this tree: nothing more to check the arguments against
        return
    options = listen.arguments["server_options"]
    served = inspect.signature(run).bind(self, listen.arguments["host"], listen.arguments["port"], **options)
    ServerOptions.from_kwargs(served.arguments.get("server_options", {}))


@pytest.mark.parametrize("block", [b for b in ALL_BLOCKS if b.tested], ids=lambda b: b.id)
async def test_code_block(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.setattr(Koa, "listen", fake_listen)
    # pad with blank lines so that tracebacks give the line numbers of the markdown file
    source = "\n" * (block.line - 1) + block.source
    code = compile(source, str(block.path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    # run as a script: `if __name__ == "__main__": app.listen(...)` calls the fake listen()
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(tmp_path / "app.py")}
    result = eval(code, namespace)  # noqa: S307 - the docs' own examples
    if inspect.iscoroutine(result):
        await result
    if "TestClient" not in block.source:
        for value in list(namespace.values()):
            if isinstance(value, Koa):
                async with TestClient(value) as client:
                    response = await client.get("/")
                assert response.status_code < 500, f"{block.id}: GET / answered {response.status_code}"


# -- the "Coming from Koa.js" table -----------------------------------------------------------

COMING_FROM = ROOT / "docs" / "coming-from-koajs.md"
_CODE_SPAN = re.compile(r"`([^`]+)`")
_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def koa_column() -> list[tuple[int, str]]:
    """(line, code span) for every code span in the second column of the page's tables."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(COMING_FROM.read_text(encoding="utf-8").splitlines(), 1):
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2 or cells[1] == "koa":
            continue
        found.extend((number, span) for span in _CODE_SPAN.findall(cells[1]))
    return found


@dataclass(frozen=True)
class Span:
    """What a code span of the koa column names: `name`, the keywords it is called with, whether it is assigned."""

    name: str
    keywords: tuple[str, ...]
    assigned: bool


def read_span(span: str) -> Span:
    """`await ctx.request.json()` -> ctx.request.json; `cors(origin=...)` -> cors, ("origin",); `ctx.x = 1` assigned."""
    text = span.strip().removeprefix("await ").removeprefix("@")
    node = ast.parse(text).body[0]
    if isinstance(node, ast.Assign):
        return Span(ast.unparse(node.targets[0]), (), True)
    assert isinstance(node, ast.Expr), f"not an expression: {span!r}"
    expr = node.value
    if isinstance(expr, ast.Call):
        keywords = tuple(k.arg for k in expr.keywords if k.arg is not None)
        return Span(ast.unparse(expr.func), keywords, False)
    return Span(ast.unparse(expr), (), False)


def read_by_koa(attribute: str) -> bool:
    """Whether koa's code reads `ctx.<attribute>` that users set (`getattr(ctx, "compress", None)`)."""
    needle = f'getattr(ctx, "{attribute}"'
    return any(needle in path.read_text(encoding="utf-8") for path in (ROOT / "koa").rglob("*.py"))


def resolve(name: str, roots: dict[str, Any]) -> Any:
    """The object `name` stands for: an attribute path from a root object, or from the koa package."""
    first, *rest = name.split(".")
    if first == "koa":
        obj: Any = importlib.import_module("koa")
    elif first in roots:
        obj = roots[first]
    else:
        raise AssertionError(f"unknown root {first!r}")
    for part in rest:
        if not hasattr(obj, part) and inspect.ismodule(obj):
            obj = importlib.import_module(f"{obj.__name__}.{part}")
        else:
            obj = getattr(obj, part)
    return obj


@pytest.mark.skipif(not COMING_FROM.exists(), reason="no Coming from Koa.js page yet")
async def test_coming_from_koajs_names_exist() -> None:
    import koa
    from koa.middleware import body_parser, mount, session
    from koa.router import Router

    spans = koa_column()
    assert len(spans) > 100, "the Koa.js table looks truncated"
    app = Koa(keys=["docs"])
    router = Router()
    missing: list[str] = []

    async def check(ctx: Any, next: Any) -> None:
        roots = {
            "app": app, "ctx": ctx, "router": router, "err": koa.HttpError(404),
            **{name: getattr(koa, name) for name in koa.__all__},
        }
        for line, text in spans:
            try:
                span = read_span(text)
            except (SyntaxError, AssertionError) as exc:
                missing.append(f"line {line}: cannot read {text!r}: {exc}")
                continue
            if not _NAME.match(span.name):
                missing.append(f"line {line}: {text!r} does not name an attribute path")
                continue
            try:
                obj = resolve(span.name, roots)
            except (AttributeError, ImportError, AssertionError) as exc:
                parent, _, attribute = span.name.rpartition(".")
                if not (span.assigned and parent == "ctx" and read_by_koa(attribute)):
                    missing.append(f"line {line}: {text}: {exc!r}")
                continue
            if span.keywords:
                parameters = inspect.signature(obj).parameters
                takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
                unknown = [k for k in span.keywords if k not in parameters and not takes_any]
                if unknown:
                    missing.append(f"line {line}: {span.name}() takes no keyword {', '.join(unknown)}")
        ctx.body = "checked"

    router.get("/users/:id", check)
    app.use(session(app)).use(body_parser())
    app.use(mount("/v1", router.routes()))
    async with TestClient(app) as client:
        response = await client.get("/v1/users/1")
    assert response.text == "checked"
    assert not missing, "names in the koa column that the code does not have:\n" + "\n".join(missing)


# -- the site ------------------------------------------------------------------------------------


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
         "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output, output
    assert (tmp_path / "site" / "index.html").exists()
