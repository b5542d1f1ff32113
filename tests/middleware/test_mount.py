"""mount() / koa.mount: koa-mount's prefixes, cascading and restored paths."""
from __future__ import annotations

from typing import Any

import pytest

import koa
from koa import Koa, compose, mount


def text(value: str) -> Any:
    async def respond(ctx: Any, next: Any) -> None:
        ctx.body = value

    return respond


def test_koa_mount_is_the_middleware() -> None:
    from koa.middleware import mount as middleware_mount

    assert koa.mount is middleware_mount


async def test_mount_at_root(fetch: Any) -> None:
    a, b = Koa(), Koa()

    async def hello(ctx: Any, next: Any) -> None:
        if ctx.path == "/hello":
            ctx.body = "Hello"
            return
        await next()

    async def world(ctx: Any, next: Any) -> None:
        if ctx.path == "/world":
            ctx.body = "World"
            return
        await next()

    a.use(hello)
    b.use(world)
    app = Koa()
    app.use(mount(a)).use(mount(b))
    assert (await fetch(app, "GET", "/")).status_code == 404
    assert (await fetch(app, "GET", "/hello")).text == "Hello"
    assert (await fetch(app, "GET", "/world")).text == "World"


async def test_mount_at_path(fetch: Any) -> None:
    app = Koa()
    app.use(mount("/hello", text("Hello"))).use(mount("/world", text("World")))
    assert (await fetch(app, "GET", "/hello")).text == "Hello"
    assert (await fetch(app, "GET", "/world")).text == "World"
    assert (await fetch(app, "GET", "/")).status_code == 404


@pytest.mark.parametrize(("path", "status"), [
    ("/kljasdf", 404), ("/prefixlaksjdf", 404), ("/prefix", 204), ("/prefix/", 204), ("/prefix/lkjasdf", 204),
])
async def test_prefix_without_slash(fetch: Any, path: str, status: int) -> None:
    async def no_content(ctx: Any, next: Any) -> None:
        ctx.status = 204

    app = Koa()
    app.use(mount("/prefix", no_content))
    assert (await fetch(app, "GET", path)).status_code == status


@pytest.mark.parametrize(("path", "status"), [
    ("/kljasdf", 404), ("/prefixlaksjdf", 404), ("/prefix", 404), ("/prefix/", 204), ("/prefix/lkjasdf", 204),
])
async def test_prefix_with_slash(fetch: Any, path: str, status: int) -> None:
    async def no_content(ctx: Any, next: Any) -> None:
        ctx.status = 204

    app = Koa()
    app.use(mount("/prefix/", no_content))
    assert (await fetch(app, "GET", path)).status_code == status


async def test_paths_seen_inside_and_restored(fetch: Any) -> None:
    seen: list[tuple[str, str, Any]] = []

    async def inner(ctx: Any, next: Any) -> None:
        seen.append(("inner", ctx.path, ctx.mount_path))
        await next()
        seen.append(("inner after", ctx.path, ctx.mount_path))

    async def outer_after(ctx: Any, next: Any) -> None:
        seen.append(("parent downstream", ctx.path, getattr(ctx, "mount_path", None)))
        ctx.body = ctx.url

    app = Koa()

    async def first(ctx: Any, next: Any) -> None:
        await next()
        seen.append(("first after", ctx.path, getattr(ctx, "mount_path", None)))

    app.use(first).use(mount("/foo", inner)).use(outer_after)
    r = await fetch(app, "GET", "/foo/bar?x=1")
    assert r.text == "/foo/bar?x=1"  # the query survives the path rewrites
    assert seen == [
        ("inner", "/bar", "/foo"),
        ("parent downstream", "/foo/bar", None),
        ("inner after", "/bar", "/foo"),
        ("first after", "/foo/bar", None),
    ]


async def test_cascade_and_nested(fetch: Any) -> None:
    a, b, c = Koa(), Koa(), Koa()

    async def ma(ctx: Any, next: Any) -> None:
        await next()
        if not ctx.body:
            ctx.body = "foo"

    async def mb(ctx: Any, next: Any) -> None:
        await next()
        if not ctx.body:
            ctx.body = "bar"

    async def mc(ctx: Any, next: Any) -> None:
        await next()
        ctx.body = "baz"

    c.use(mc)
    b.use(mb).use(mount("/baz", c))
    a.use(ma).use(mount("/bar", b))
    app = Koa()
    app.use(mount("/foo", a))
    assert (await fetch(app, "GET", "/")).status_code == 404
    assert (await fetch(app, "GET", "/foo")).text == "foo"
    assert (await fetch(app, "GET", "/foo/bar")).text == "bar"
    assert (await fetch(app, "GET", "/foo/bar/baz")).text == "baz"


async def test_path_restored_on_error(fetch: Any) -> None:
    paths: list[str] = []

    async def boom(ctx: Any, next: Any) -> None:
        raise RuntimeError("boom")

    async def watch(ctx: Any, next: Any) -> None:
        try:
            await next()
        finally:
            paths.append(ctx.path)

    app = Koa(silent=True)
    app.use(watch).use(mount("/foo", boom))
    assert (await fetch(app, "GET", "/foo/x")).status_code == 500
    assert paths == ["/foo/x"]


async def test_list_and_composed_and_await_next(fetch: Any) -> None:
    calls: list[str] = []

    async def one(ctx: Any, next: Any) -> None:
        calls.append("one")
        await next  # awaiting next without calling it works inside a mount

    async def two(ctx: Any, next: Any) -> None:
        calls.append("two")
        await next()

    app = Koa()
    app.use(mount("/l", [one, two])).use(mount("/c", compose([one]))).use(text("end"))
    assert (await fetch(app, "GET", "/l/x")).text == "end"
    assert (await fetch(app, "GET", "/c/x")).text == "end"
    assert calls == ["one", "two", "one"]


def test_mount_checks_arguments() -> None:
    with pytest.raises(ValueError, match="begin with"):
        mount("foo", text("x"))
    with pytest.raises(TypeError):
        mount(3, text("x"))
    with pytest.raises(TypeError):
        mount("/foo", "not middleware")
