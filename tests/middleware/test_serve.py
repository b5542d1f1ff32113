"""serve() and send(): koa-static / koa-send, caching headers, ranges, precompressed twins, and no way out of root."""
from __future__ import annotations

import gzip
import os
from email.utils import formatdate
from pathlib import Path
from typing import Any

import brotli
import pytest

from koa import HttpError, Koa
from koa.middleware import send, serve

SECRET = b"TOP SECRET"
BIG = bytes(range(256)) * 400  # 102400 bytes


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with the files below, and outside/ next to it that must never be served."""
    root = tmp_path / "root"
    (root / "world").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / ".private").mkdir()
    (root / "some.path").mkdir()
    (root / "hello.txt").write_bytes(b"world")
    (root / "index.html").write_bytes(b"html index")
    (root / "world" / "index.html").write_bytes(b"html index")
    (root / "sub" / "index.txt").write_bytes(b"text index")
    (root / ".hidden").write_bytes(b"hidden")
    (root / ".private" / "id_rsa.txt").write_bytes(b"private key")
    (root / "user.json").write_bytes(b'{ "name": "tobi" }')
    (root / "some.path" / "index.json").write_bytes(b'{"x": 1}')
    (root / "gzip.json").write_bytes(b'{ "name": "tobi" }')
    (root / "gzip.json.gz").write_bytes(gzip.compress(b'{ "name": "tobi" }'))
    (root / "gzip.json.br").write_bytes(brotli.compress(b'{ "name": "tobi" }'))
    (root / "big.bin").write_bytes(BIG)
    (root / "noext").write_bytes(b"what am i")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(SECRET)
    (tmp_path / "root-sibling").mkdir()
    (tmp_path / "root-sibling" / "secret.txt").write_bytes(SECRET)
    (root / "link_in.txt").symlink_to(root / "hello.txt")
    (root / "link_out.txt").symlink_to(outside / "secret.txt")
    (root / "dir_out").symlink_to(outside, target_is_directory=True)
    (root / "hello.txt.gz").symlink_to(outside / "secret.txt")  # a twin leading out of root
    return root


def static_app(root: Path, **options: Any) -> Koa:
    app = Koa()
    app.use(serve(root, **options))
    return app


# -- serving ------------------------------------------------------------------------------
async def test_serves_a_file(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree), "GET", "/user.json")
    assert r.status_code == 200
    assert r.content == b'{ "name": "tobi" }'
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["content-length"] == "18"
    st = os.stat(tree / "user.json")
    assert r.headers["last-modified"] == formatdate(st.st_mtime, usegmt=True)
    assert r.headers["etag"] == f'W/"12-{st.st_mtime_ns // 1_000_000:x}"'
    assert r.headers["cache-control"] == "max-age=0"
    assert r.headers["accept-ranges"] == "bytes"


async def test_head(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree), "HEAD", "/hello.txt")
    assert r.status_code == 200
    assert r.headers["content-length"] == "5"
    assert r.content == b""


async def test_index(tree: Path, fetch: Any) -> None:
    app = static_app(tree)
    r = await fetch(app, "GET", "/")
    assert (r.status_code, r.text, r.headers["content-type"]) == (200, "html index", "text/html; charset=utf-8")
    assert (await fetch(app, "GET", "/world/")).text == "html index"
    assert (await fetch(app, "GET", "/world")).text == "html index"  # format: no slash needed
    r = await fetch(static_app(tree, index="index.txt"), "GET", "/sub/")
    assert (r.text, r.headers["content-type"]) == ("text index", "text/plain; charset=utf-8")
    assert (await fetch(static_app(tree, index=None), "GET", "/")).status_code == 404
    assert (await fetch(static_app(tree, format=False), "GET", "/world")).status_code == 404


async def test_missing_goes_downstream(tree: Path, fetch: Any) -> None:
    app = static_app(tree)

    async def fallback(ctx: Any, next: Any) -> None:
        ctx.body = "oh no"

    app.use(fallback)
    assert (await fetch(app, "GET", "/nope.txt")).text == "oh no"
    assert (await fetch(app, "GET", "/.hidden")).text == "oh no"
    assert (await fetch(app, "POST", "/hello.txt")).text == "oh no"  # only GET and HEAD


async def test_missing_is_404(tree: Path, fetch: Any) -> None:
    assert (await fetch(static_app(tree), "GET", "/nope.txt")).status_code == 404
    assert (await fetch(static_app(tree), "POST", "/hello.txt")).status_code == 404


async def test_defer(tree: Path, fetch: Any) -> None:
    app = static_app(tree, defer=True)

    async def downstream(ctx: Any, next: Any) -> None:
        if ctx.path == "/hello.txt" and ctx.query.get("mine"):
            ctx.body = "hey"
        if ctx.path == "/empty":
            ctx.status = 204

    app.use(downstream)
    assert (await fetch(app, "GET", "/hello.txt?mine=1")).text == "hey"
    assert (await fetch(app, "GET", "/hello.txt")).text == "world"
    assert (await fetch(app, "GET", "/empty")).status_code == 204
    assert (await fetch(app, "GET", "/nothing")).status_code == 404


async def test_max_age_immutable_and_own_headers(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree, max_age=3600, immutable=True), "GET", "/hello.txt")
    assert r.headers["cache-control"] == "max-age=3600,immutable"
    r = await fetch(static_app(tree, max_age=1.9), "GET", "/hello.txt")
    assert r.headers["cache-control"] == "max-age=1"

    def set_headers(response: Any, path: str, st: os.stat_result) -> None:
        assert path.endswith("hello.txt") and st.st_size == 5
        response.set("Cache-Control", "no-cache")
        response.set("Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT")

    r = await fetch(static_app(tree, set_headers=set_headers), "GET", "/hello.txt")
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["last-modified"] == "Thu, 01 Jan 2015 00:00:00 GMT"


async def test_hidden_option(tree: Path, fetch: Any) -> None:
    app = static_app(tree, hidden=True)
    assert (await fetch(app, "GET", "/.hidden")).text == "hidden"
    assert (await fetch(app, "GET", "/.private/id_rsa.txt")).text == "private key"
    app = static_app(tree)
    assert (await fetch(app, "GET", "/.private/id_rsa.txt")).status_code == 404
    assert (await fetch(app, "GET", "/%2eprivate/id_rsa.txt")).status_code == 404


async def test_extensions(tree: Path, fetch: Any) -> None:
    app = static_app(tree, extensions=["html", ".json"])
    assert (await fetch(app, "GET", "/user")).headers["content-type"].startswith("application/json")
    assert (await fetch(app, "GET", "/some.path/index")).json() == {"x": 1}  # dots elsewhere in the path are fine
    (tree / "data.v2.json").write_bytes(b"{}")
    assert (await fetch(app, "GET", "/data.v2")).status_code == 404  # the name has a dot: no extension tried
    assert (await fetch(static_app(tree, extensions=["json"]), "GET", "/hello")).status_code == 404


async def test_no_extension_is_octet_stream(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree), "GET", "/noext")
    assert r.headers["content-type"] == "application/octet-stream"


async def test_symlink_inside_root_is_fine(tree: Path, fetch: Any) -> None:
    assert (await fetch(static_app(tree), "GET", "/link_in.txt")).text == "world"


# -- conditional requests ---------------------------------------------------------------------
async def test_304_on_etag_and_date(tree: Path, client: Any) -> None:
    async with client(static_app(tree)) as c:
        first = await c.get("/hello.txt")
        r = await c.get("/hello.txt", headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304 and r.content == b""
        assert "content-length" not in r.headers
        r = await c.get("/hello.txt", headers={"If-Modified-Since": first.headers["last-modified"]})
        assert r.status_code == 304
        r = await c.get("/hello.txt", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
        assert r.status_code == 200
        r = await c.head("/hello.txt", headers={"If-None-Match": first.headers["etag"]})
        assert r.status_code == 304


async def test_412_preconditions(tree: Path, client: Any) -> None:
    async with client(static_app(tree)) as c:
        first = await c.get("/hello.txt")
        assert (await c.get("/hello.txt", headers={"If-Match": '"nope"'})).status_code == 412
        assert (await c.get("/hello.txt", headers={"If-Match": first.headers["etag"]})).status_code == 200
        assert (await c.get("/hello.txt", headers={"If-Match": "*"})).status_code == 200
        r = await c.get("/hello.txt", headers={"If-Unmodified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
        assert r.status_code == 412


# -- ranges ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "start", "end"), [
    ("bytes=0-99", 0, 99), ("bytes=100-", 100, len(BIG) - 1), ("bytes=-500", len(BIG) - 500, len(BIG) - 1),
    ("bytes=102000-999999", 102000, len(BIG) - 1), ("bytes=-999999", 0, len(BIG) - 1),
    ("bytes=5-5", 5, 5), ("BYTES = 1 - 2", 1, 2),
])
async def test_single_range(tree: Path, fetch: Any, header: str, start: int, end: int) -> None:
    r = await fetch(static_app(tree), "GET", "/big.bin", headers={"Range": header})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes {start}-{end}/{len(BIG)}"
    assert r.headers["content-length"] == str(end - start + 1)
    assert r.content == BIG[start:end + 1]


@pytest.mark.parametrize("header", ["bytes=102400-", "bytes=999999-", "bytes=-0"])
async def test_unsatisfiable_range(tree: Path, fetch: Any, header: str) -> None:
    r = await fetch(static_app(tree), "GET", "/big.bin", headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(BIG)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=abc", "bytes=5-1", "bytes=", "bytes=-"])
async def test_ignored_range_sends_everything(tree: Path, fetch: Any, header: str) -> None:
    r = await fetch(static_app(tree), "GET", "/big.bin", headers={"Range": header})
    assert r.status_code == 200 and r.content == BIG


async def test_range_head_and_if_range(tree: Path, client: Any) -> None:
    async with client(static_app(tree)) as c:
        r = await c.head("/big.bin", headers={"Range": "bytes=0-9"})
        assert (r.status_code, r.headers["content-length"], r.content) == (206, "10", b"")
        full = await c.get("/big.bin")
        r = await c.get("/big.bin", headers={"Range": "bytes=0-9", "If-Range": full.headers["etag"]})
        assert r.status_code == 206 and r.content == BIG[:10]
        r = await c.get("/big.bin", headers={"Range": "bytes=0-9", "If-Range": '"stale"'})
        assert r.status_code == 200 and r.content == BIG
        r = await c.get("/big.bin", headers={"Range": "bytes=0-9", "If-Range": full.headers["last-modified"]})
        assert r.status_code == 206
        r = await c.get("/big.bin", headers={"Range": "bytes=0-9", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT"})
        assert r.status_code == 200


async def test_ranges_can_be_turned_off(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree, accept_ranges=False), "GET", "/big.bin", headers={"Range": "bytes=0-9"})
    assert r.status_code == 200 and "accept-ranges" not in r.headers


# -- precompressed twins -----------------------------------------------------------------------------
async def test_precompressed(tree: Path, fetch: Any) -> None:
    app = static_app(tree)
    r = await fetch(app, "GET", "/gzip.json", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.headers["content-encoding"] == "br"
    assert r.headers["content-length"] == str(os.path.getsize(tree / "gzip.json.br"))
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.json() == {"name": "tobi"}  # httpx decodes br
    r = await fetch(app, "GET", "/gzip.json", headers={"Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-length"] == str(os.path.getsize(tree / "gzip.json.gz"))
    r = await fetch(app, "GET", "/gzip.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers and r.headers["content-length"] == "18"
    assert r.headers["vary"] == "Accept-Encoding"
    r = await fetch(static_app(tree, brotli=False), "GET", "/gzip.json", headers={"Accept-Encoding": "br, gzip"})
    assert r.headers["content-encoding"] == "gzip"
    r = await fetch(static_app(tree, brotli=False, gzip=False), "GET", "/gzip.json",
                    headers={"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in r.headers


async def test_twin_leading_out_of_root_is_ignored(tree: Path, fetch: Any) -> None:
    r = await fetch(static_app(tree), "GET", "/hello.txt", headers={"Accept-Encoding": "gzip"})
    assert r.content == b"world" and "content-encoding" not in r.headers


# -- no way out of root ------------------------------------------------------------------------------
TRAVERSALS = [
    "/../outside/secret.txt",
    "/../../outside/secret.txt",
    "/%2e%2e/outside/secret.txt",
    "/%2E%2E/outside/secret.txt",
    "/..%2foutside%2fsecret.txt",
    "/%2e%2e%2foutside%2fsecret.txt",
    "/world/../../outside/secret.txt",
    "/world/%2e%2e/%2e%2e/outside/secret.txt",
    "/..\\outside\\secret.txt",
    "/..%5coutside%5csecret.txt",
    "/%5c..%5coutside%5csecret.txt",
    "/hello.txt%00.html",
    "/%00../outside/secret.txt",
    "//outside/secret.txt",
    "/../root-sibling/secret.txt",
    "/link_out.txt",
    "/dir_out/secret.txt",
    "/%252e%252e/outside/secret.txt",
    "/.%2e/outside/secret.txt",
    "/%",
    "/%zz",
    "/%c0%ae%c0%ae/outside/secret.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_traversal_never_serves_outside(tree: Path, asgi: Any, path: str) -> None:
    app = Koa(silent=True)
    app.use(serve(tree))
    result = await asgi(app, "GET", path)
    assert result.status in (400, 403, 404)
    assert SECRET not in result.body


async def test_absolute_paths_stay_under_root(tree: Path, fetch: Any) -> None:
    outside = tree.parent / "outside" / "secret.txt"
    for path in (str(outside), "/" + str(outside), str(tree / "hello.txt")):
        app = Koa(silent=True)

        async def handler(ctx: Any, next: Any, path: str = path) -> None:
            await send(ctx, path, root=tree)

        app.use(handler)
        r = await fetch(app)
        assert r.status_code == 404 and SECRET not in r.content


@pytest.mark.parametrize(("path", "status"), [
    ("../outside/secret.txt", 403), ("a/../../outside/secret.txt", 403), ("..\\outside", 403),
    ("/%", 400), ("/x%00y", 403), ("/%ff", 400), ("/nope", 404),
])
async def test_send_statuses(tree: Path, fetch: Any, path: str, status: int) -> None:
    app = Koa(silent=True)

    async def handler(ctx: Any, next: Any) -> None:
        await send(ctx, path, root=tree)

    app.use(handler)
    assert (await fetch(app)).status_code == status


# -- send() itself ----------------------------------------------------------------------------------
async def test_send_returns_the_path(tree: Path, fetch: Any) -> None:
    sent: list[Any] = []
    app = Koa()

    async def handler(ctx: Any, next: Any) -> None:
        sent.append(await send(ctx, ctx.path, root=tree, index="index.html"))

    app.use(handler)
    await fetch(app, "GET", "/hello.txt")
    await fetch(app, "GET", "/world/")
    await fetch(app, "GET", "/.hidden")
    assert sent == [str(tree / "hello.txt"), str(tree / "world" / "index.html"), None]


async def test_send_relative_to_cwd(tree: Path, fetch: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree)
    app = Koa()

    async def handler(ctx: Any, next: Any) -> None:
        await send(ctx, "hello.txt")

    app.use(handler)
    assert (await fetch(app)).text == "world"


async def test_send_raises_404_for_downstream_to_handle(tree: Path, fetch: Any) -> None:
    app = Koa()

    async def handler(ctx: Any, next: Any) -> None:
        try:
            await send(ctx, "/nope", root=tree)
        except HttpError as err:
            ctx.body = f"caught {err.status}"

    app.use(handler)
    assert (await fetch(app)).text == "caught 404"


@pytest.mark.parametrize(("options", "exc"), [
    ({"index": "../x"}, ValueError), ({"index": 3}, TypeError), ({"max_age": -1}, ValueError),
    ({"extensions": "html"}, TypeError), ({"extensions": [""]}, TypeError), ({"set_headers": 1}, TypeError),
])
def test_serve_options_are_checked(tree: Path, options: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        serve(tree, **options)


def test_serve_root_must_be_a_directory(tree: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        serve(tree / "hello.txt")
    with pytest.raises(ValueError):
        serve(tree / "missing")
    with pytest.raises(TypeError):
        serve("")


async def test_precompressed_needs_accept_encoding(tree: Path, asgi: Any) -> None:
    app = static_app(tree)
    result = await asgi(app, "GET", "/gzip.json")  # no Accept-Encoding: identity only
    assert result.header("content-encoding") is None and result.body == b'{ "name": "tobi" }'
    result = await asgi(app, "GET", "/gzip.json", {"Accept-Encoding": "*"})
    assert result.header("content-encoding") == "br"
