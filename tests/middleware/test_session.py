"""session(): koa-session's cookie store (interoperable with koa-session 7), external stores, options."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from koa import Koa
from koa.cookies import Keygrip
from koa.middleware import session
from koa.middleware.session import MemoryStore, decode, encode

KEYS = ["k1", "k2"]
HERE = Path(__file__).resolve().parent

# written by koa-session 7.0.2 (node koa_session_interop.js write, MAX_AGE=3153600000000: 100 years)
# for the session {user: "tobi", n: 1, uni: "é☃"}
KOA_SESSION_COOKIE = (
    "koa.sess=eyJ1c2VyIjoidG9iaSIsIm4iOjEsInVuaSI6IsOp4piDIiwi"
    "X2V4cGlyZSI6NDk0OTA5NzY1ODY0NiwiX21heEFnZSI6MzE1MzYwMDAwMDAwMH0=; koa.sess.sig=wz6FAtljHzmgUhKHkRD1nFxhUZ4"
)


def cookies_of(response: Any) -> dict[str, str]:
    """name -> full Set-Cookie line."""
    out = {}
    for line in response.headers.get_list("set-cookie"):
        out[line.split("=", 1)[0]] = line
    return out


def counter_app(**options: Any) -> Koa:
    app = Koa(keys=KEYS)
    app.use(session(app, **options))

    async def views(ctx: Any, next: Any) -> None:
        if ctx.path == "/logout":
            ctx.session = None
            ctx.body = "bye"
            return
        if ctx.path == "/peek":
            ctx.body = {"is_new": ctx.session.is_new, "data": dict(ctx.session)}
            return
        ctx.session.views = ctx.session.get("views", 0) + 1
        ctx.body = f"{ctx.session.views} views"

    app.use(views)
    return app


async def test_view_counter_round_trip(client: Any) -> None:
    async with client(counter_app()) as c:
        r = await c.get("/")
        assert r.text == "1 views"
        set_cookies = cookies_of(r)
        assert set(set_cookies) == {"koa.sess", "koa.sess.sig"}
        assert "httponly" in set_cookies["koa.sess"] and "path=/" in set_cookies["koa.sess"]
        assert (await c.get("/")).text == "2 views"
        assert (await c.get("/")).text == "3 views"
        peek = (await c.get("/peek")).json()
        assert peek == {"is_new": False, "data": {"views": 3}}


async def test_cookie_format_is_koa_sessions(client: Any) -> None:
    async with client(counter_app()) as c:
        r = await c.get("/")
    line = cookies_of(r)["koa.sess"]
    value = line.split(";", 1)[0].split("=", 1)[1]
    data = json.loads(base64.b64decode(value))
    assert data["views"] == 1
    assert data["_maxAge"] == 86400 * 1000  # milliseconds inside, as koa-session has them
    assert abs(data["_expire"] - (time.time() + 86400) * 1000) < 10_000
    sig = cookies_of(r)["koa.sess.sig"].split(";", 1)[0].split("=", 1)[1]
    assert Keygrip(KEYS).verify(f"koa.sess={value}", sig)


async def test_reads_a_koa_session_cookie(fetch: Any) -> None:
    r = await fetch(counter_app(), "GET", "/peek", headers={"cookie": KOA_SESSION_COOKIE})
    assert r.json() == {"is_new": False, "data": {"user": "tobi", "n": 1, "uni": "é☃"}}
    assert "set-cookie" not in r.headers  # unchanged: nothing to save


async def test_bad_signature_or_garbage_starts_afresh(fetch: Any) -> None:
    tampered = KOA_SESSION_COOKIE.replace("wz6F", "xz6F")
    r = await fetch(counter_app(), "GET", "/peek", headers={"cookie": tampered})
    assert r.json() == {"is_new": True, "data": {}}
    value = base64.b64encode(b"not json").decode()
    sig = Keygrip(KEYS).sign(f"koa.sess={value}")
    r = await fetch(counter_app(), "GET", "/peek", headers={"cookie": f"koa.sess={value}; koa.sess.sig={sig}"})
    assert r.json() == {"is_new": True, "data": {}}


async def test_expired_cookie_is_a_new_session(fetch: Any) -> None:
    app = counter_app()
    events: list[Any] = []
    app.on("session:expired", events.append)
    data = {"views": 5, "_expire": int(time.time() * 1000) - 1000, "_maxAge": 1000}
    value = encode(data)
    sig = Keygrip(KEYS).sign(f"koa.sess={value}")
    r = await fetch(app, "GET", "/", headers={"cookie": f"koa.sess={value}; koa.sess.sig={sig}"})
    assert r.text == "1 views"
    await asyncio.sleep(0)
    assert events and events[0]["value"]["views"] == 5


async def test_destroy_clears_the_cookie(client: Any) -> None:
    async with client(counter_app()) as c:
        await c.get("/")
        r = await c.get("/logout")
        cleared = cookies_of(r)
        assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in cleared["koa.sess"]
        assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in cleared["koa.sess.sig"]
        assert (await c.get("/")).text == "1 views"


async def test_untouched_or_empty_session_sets_no_cookie(fetch: Any) -> None:
    app = Koa(keys=KEYS)
    app.use(session(app))

    async def look(ctx: Any, next: Any) -> None:
        ctx.body = str(ctx.session.get("x"))

    app.use(look)
    assert "set-cookie" not in (await fetch(app)).headers


async def test_max_age_session_and_options(fetch: Any) -> None:
    r = await fetch(counter_app(max_age="session", same_site="lax", key="sid", http_only=False))
    line = cookies_of(r)["sid"]
    assert "expires" not in line and "samesite=lax" in line and "httponly" not in line
    value = line.split(";", 1)[0].split("=", 1)[1]
    assert decode(value) == {"views": 1, "_session": True}


async def test_unsigned_cookie(fetch: Any) -> None:
    app = Koa()
    app.use(session(app, signed=False))

    async def set_it(ctx: Any, next: Any) -> None:
        ctx.session["a"] = 1
        ctx.body = "ok"

    app.use(set_it)
    assert set(cookies_of(await fetch(app))) == {"koa.sess"}


async def test_rolling_resends_unchanged_session(client: Any) -> None:
    async with client(counter_app(rolling=True)) as c:
        await c.get("/")
        r = await c.get("/peek")
        assert "koa.sess" in cookies_of(r)
    async with client(counter_app()) as c:
        await c.get("/")
        assert "set-cookie" not in (await c.get("/peek")).headers


async def test_renew_when_half_expired(fetch: Any) -> None:
    data = {"views": 1, "_expire": int((time.time() + 10) * 1000), "_maxAge": 100_000}
    value = encode(data)
    header = f"koa.sess={value}; koa.sess.sig={Keygrip(KEYS).sign(f'koa.sess={value}')}"
    assert "koa.sess" in cookies_of(await fetch(counter_app(renew=True), "GET", "/peek", headers={"cookie": header}))
    assert "set-cookie" not in (await fetch(counter_app(), "GET", "/peek", headers={"cookie": header})).headers


async def test_session_methods(client: Any) -> None:
    app = Koa(keys=KEYS)
    app.use(session(app, auto_commit=False))

    async def handler(ctx: Any, next: Any) -> None:
        sess = ctx.session
        sess["a"] = 1
        assert sess.a == 1 and sess.populated and sess.length == 1
        sess["_private"] = "not saved"
        assert sess.to_json() == {"a": 1}
        sess.max_age = 60
        if ctx.path == "/commit":
            await sess.manually_commit()
        ctx.body = "ok"

    app.use(handler)
    async with client(app) as c:
        assert "set-cookie" not in (await c.get("/")).headers  # auto_commit=False
        r = await c.get("/commit")
        line = cookies_of(r)["koa.sess"]
        data = decode(line.split(";", 1)[0].split("=", 1)[1])
        assert data["a"] == 1 and data["_maxAge"] == 60_000 and "_private" not in data


async def test_assign_a_dict(fetch: Any) -> None:
    app = Koa(keys=KEYS)
    app.use(session(app))

    async def handler(ctx: Any, next: Any) -> None:
        ctx.session = {"user": "ann"}
        ctx.body = dict(ctx.session)

    app.use(handler)
    r = await fetch(app)
    assert r.json() == {"user": "ann"}
    assert decode(cookies_of(r)["koa.sess"].split(";", 1)[0].split("=", 1)[1])["user"] == "ann"


async def test_valid_and_before_save_hooks(fetch: Any) -> None:
    saved: list[dict[str, Any]] = []
    app = Koa(keys=KEYS)
    app.use(session(app, valid=lambda ctx, data: data.get("ua") == ctx.get("User-Agent"),
                    before_save=lambda ctx, sess: saved.append(dict(sess))))

    async def handler(ctx: Any, next: Any) -> None:
        ctx.session["ua"] = ctx.get("User-Agent")
        ctx.body = str(ctx.session.is_new)

    app.use(handler)
    r = await fetch(app, headers={"user-agent": "a"})
    cookie = "; ".join(line.split(";", 1)[0] for line in cookies_of(r).values())
    assert (await fetch(app, headers={"user-agent": "a", "cookie": cookie})).text == "False"
    assert (await fetch(app, headers={"user-agent": "b", "cookie": cookie})).text == "True"
    assert saved[0] == {"ua": "a"}


# -- external stores ------------------------------------------------------------------
async def test_external_store(client: Any) -> None:
    store = MemoryStore()
    app = counter_app(store=store, prefix="sess:")
    async with client(app) as c:
        r = await c.get("/")
        key = cookies_of(r)["koa.sess"].split(";", 1)[0].split("=", 1)[1]
        assert key.startswith("sess:") and key in store.sessions
        data, expires = store.sessions[key]
        assert data["views"] == 1
        assert expires is not None and expires > time.time() + 86400  # outlives the cookie
        assert (await c.get("/")).text == "2 views"
        await c.get("/logout")
        assert key not in store.sessions


async def test_async_store_and_custom_external_key(fetch: Any) -> None:
    calls: list[str] = []

    class AsyncStore:
        def __init__(self) -> None:
            self.data: dict[str, Any] = {"known": {"views": 41}}

        async def get(self, key: str, max_age: Any, *, rolling: bool, ctx: Any) -> Any:
            calls.append(f"get {key}")
            return self.data.get(key)

        async def set(self, key: str, data: Any, max_age: Any, *, rolling: bool, changed: bool, ctx: Any) -> None:
            calls.append(f"set {key} changed={changed}")
            self.data[key] = data

        async def destroy(self, key: str, *, ctx: Any) -> None:
            calls.append(f"destroy {key}")

    class HeaderKey:
        def get(self, ctx: Any) -> str:
            return ctx.get("X-Session")

        def set(self, ctx: Any, value: str) -> None:
            ctx.set("X-Session", value)

    store = AsyncStore()
    r = await fetch(counter_app(store=store, external_key=HeaderKey()), headers={"x-session": "known"})
    assert r.text == "42 views"
    assert r.headers["x-session"] == "known"
    assert "set-cookie" not in r.headers
    assert calls == ["get known", "set known changed=True"]


async def test_missing_external_session_emits_missed(fetch: Any) -> None:
    app = counter_app(store=MemoryStore())
    events: list[Any] = []
    app.on("session:missed", events.append)
    sig = Keygrip(KEYS).sign("koa.sess=gone")
    r = await fetch(app, headers={"cookie": f"koa.sess=gone; koa.sess.sig={sig}"})
    assert r.text == "1 views"
    await asyncio.sleep(0)
    assert events and events[0]["key"] == "gone"


async def test_regenerate_gets_a_new_key(fetch: Any) -> None:
    store = MemoryStore()
    store.sessions["old"] = ({"user": "x"}, None)
    app = Koa(keys=KEYS)
    app.use(session(app, store=store))

    async def login(ctx: Any, next: Any) -> None:
        await ctx.session.regenerate()
        ctx.body = ctx.session.external_key

    app.use(login)
    sig = Keygrip(KEYS).sign("koa.sess=old")
    r = await fetch(app, headers={"cookie": f"koa.sess=old; koa.sess.sig={sig}"})
    assert r.text != "old" and r.text in store.sessions and "old" not in store.sessions
    assert store.sessions[r.text][0]["user"] == "x"


async def test_context_store(fetch: Any) -> None:
    created: list[Any] = []

    class PerRequest(MemoryStore):
        def __init__(self, ctx: Any) -> None:
            super().__init__()
            created.append(ctx)

    r = await fetch(counter_app(context_store=PerRequest))
    assert r.text == "1 views" and len(created) == 1


async def test_session_in_a_mounted_app(fetch: Any) -> None:
    from koa import mount

    inner = counter_app()
    outer = Koa(keys=KEYS)
    outer.use(mount("/app", inner))
    assert (await fetch(outer, "GET", "/app/")).text == "1 views"


# -- wiring-time checks --------------------------------------------------------------------
def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="app.keys"):
        session(Koa())
    app = Koa(keys=KEYS)
    with pytest.raises(TypeError):
        session("app")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        session(app, max_age=-1)
    with pytest.raises(TypeError):
        session(app, store=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        session(app, genid="x")  # type: ignore[arg-type]
    session(app)
    with pytest.raises(ValueError, match="already"):
        session(app)


# -- with koa-session itself ------------------------------------------------------------------
def _node_path() -> str | None:
    node = shutil.which("node")
    if node is None:
        return None
    paths = [os.environ.get("KOA_INTEROP_NODE_PATH", ""), str(HERE.parent / "interop" / "node_modules")]
    node_path = os.pathsep.join(p for p in paths if p)
    probe = subprocess.run([node, "-e", "require('koa'); require('koa-session')"], env={**os.environ,
                           "NODE_PATH": node_path}, capture_output=True, timeout=30)
    return node_path if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def koa_session() -> Any:
    node_path = _node_path()
    if node_path is None:
        pytest.skip("node with koa and koa-session 7 is not available (set KOA_INTEROP_NODE_PATH)")

    def run(*args: str) -> Any:
        out = subprocess.run(["node", str(HERE / "koa_session_interop.js"), *args], capture_output=True,
                             text=True, timeout=30, env={**os.environ, "NODE_PATH": node_path}, check=True)
        return json.loads(out.stdout)

    return run


async def test_koa_session_reads_ours(koa_session: Any, fetch: Any) -> None:
    app = Koa(keys=KEYS)
    app.use(session(app))

    async def write(ctx: Any, next: Any) -> None:
        ctx.session.update({"user": "tobi", "n": 1, "uni": "é☃"})
        ctx.body = "ok"

    app.use(write)
    r = await fetch(app)
    header = "; ".join(line.split(";", 1)[0] for line in cookies_of(r).values())
    got = koa_session("read", header)
    assert json.loads(got["body"]) == {"isNew": False, "data": {"user": "tobi", "n": 1, "uni": "é☃"}}


async def test_we_read_koa_sessions_live(koa_session: Any, fetch: Any) -> None:
    written = koa_session("write")
    header = "; ".join(line.split(";", 1)[0] for line in written["setCookie"])
    r = await fetch(counter_app(), "GET", "/peek", headers={"cookie": header})
    assert r.json() == {"is_new": False, "data": {"user": "tobi", "n": 1, "uni": "é☃"}}
