"""Signed cookies interoperate with Koa.js (the `cookies` + `keygrip` packages).

The fixtures below were produced by Koa 3 itself (`node koa_cookies.js sign`, keys
["k1", "k2"], and with KOA_KEYS='["k2"]' for the rotation case), so these checks run
everywhere. When Node and `npm install` (in this directory) are available, the tests
at the end also run Koa live against koa's own output, in both directions.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from koa import Context, Koa

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "koa_cookies.js"
KEYS = ["k1", "k2"]

# Set-Cookie headers written by Koa 3.x for the `sign` mode of koa_cookies.js, keys ["k1", "k2"]
KOA_SIGNED = [
    "user=tobi; path=/; httponly",
    "user.sig=m3HBzP77Nk8CFApcbBgcPFQDyRY; path=/; httponly",
    "session=abc123=; path=/app; samesite=lax; httponly",
    "session.sig=TUF-BQ9xAY478-ZS_QpoPl32H1o; path=/app; samesite=lax; httponly",
    "plain=value; path=/",
    "gone=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
    "gone.sig=iSXq_O403J_mrYfjgMrVGpyMhCE; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
]
# the same cookie signed by Koa with the key "k2" only (an old key after a rotation)
KOA_SIGNED_WITH_K2 = "user=tobi; user.sig=vCiQcc3r5c3IiraZOhpdIqCCE0s"
# what Koa answers when it reads that cookie with keys ["k1", "k2"]: re-signed with k1
KOA_RESIGN = "user.sig=m3HBzP77Nk8CFApcbBgcPFQDyRY; path=/; httponly"


def cookie_header(set_cookies: list[str]) -> str:
    """The Cookie header a browser sends back for these Set-Cookie headers (live ones)."""
    live = [c for c in set_cookies if "expires=Thu, 01 Jan 1970" not in c]
    return "; ".join(c.split(";", 1)[0] for c in live)


def our_set_cookies(ctx: Context) -> list[str]:
    raw = ctx.response.headers.get("set-cookie", [])
    return list(raw) if isinstance(raw, list) else [raw]


def sign_like_the_node_script(make_ctx: Callable[..., Context]) -> list[str]:
    ctx = make_ctx(app=Koa(keys=KEYS))
    ctx.cookies.set("user", "tobi", signed=True)
    ctx.cookies.set("session", "abc123=", signed=True, path="/app", same_site="lax")
    ctx.cookies.set("plain", "value", signed=False, http_only=False)
    ctx.cookies.set("gone", None, signed=True)
    return our_set_cookies(ctx)


def test_we_write_exactly_what_koa_writes(make_ctx: Callable[..., Context]) -> None:
    assert sign_like_the_node_script(make_ctx) == KOA_SIGNED


def test_we_accept_koa_signed_cookies(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Cookie": cookie_header(KOA_SIGNED)}, app=Koa(keys=KEYS))
    assert ctx.cookies.get("user", signed=True) == "tobi"
    assert ctx.cookies.get("session", signed=True) == "abc123="
    assert our_set_cookies(ctx) == []  # signed with the first key: nothing to refresh


def test_we_reject_a_tampered_koa_cookie(make_ctx: Callable[..., Context]) -> None:
    header = cookie_header(KOA_SIGNED).replace("user=tobi", "user=admin")
    ctx = make_ctx(headers={"Cookie": header}, app=Koa(keys=KEYS))
    assert ctx.cookies.get("user", signed=True) is None


def test_we_reject_koa_cookies_signed_with_unknown_keys(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Cookie": cookie_header(KOA_SIGNED)}, app=Koa(keys=["other"]))
    assert ctx.cookies.get("user", signed=True) is None


def test_rotation_resigns_like_koa(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Cookie": KOA_SIGNED_WITH_K2}, app=Koa(keys=KEYS))
    assert ctx.cookies.get("user", signed=True) == "tobi"
    assert our_set_cookies(ctx) == [KOA_RESIGN]


# -- live, against Koa.js itself -----------------------------------------------------------
def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = Path(os.environ.get("KOA_INTEROP_NODE_MODULES", HERE / "node_modules"))
    if not (modules / "koa" / "package.json").is_file():
        pytest.skip(f"Koa.js is not installed: run `npm install` in {HERE}")
    return node


def run_koa(*args: str, keys: list[str] | None = None) -> dict[str, Any]:
    node = _node()
    env = dict(os.environ)
    modules = os.environ.get("KOA_INTEROP_NODE_MODULES")
    if modules:
        env["NODE_PATH"] = modules
    if keys is not None:
        env["KOA_KEYS"] = json.dumps(keys)
    done = subprocess.run([node, str(SCRIPT), *args], capture_output=True, text=True, timeout=30, env=env,
                          check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_live_koa_writes_what_we_write(make_ctx: Callable[..., Context]) -> None:
    assert run_koa("sign")["setCookie"] == sign_like_the_node_script(make_ctx)


def test_live_koa_accepts_our_signed_cookies(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(app=Koa(keys=KEYS))
    ctx.cookies.set("user", "tobi")
    ctx.cookies.set("token", "x.y-z_w")
    out = run_koa("read", cookie_header(our_set_cookies(ctx)), "user", "token")
    assert out["values"] == {"user": "tobi", "token": "x.y-z_w"}
    assert out["setCookie"] == []


def test_live_koa_rejects_our_cookie_when_tampered(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(app=Koa(keys=KEYS))
    ctx.cookies.set("user", "tobi")
    header = cookie_header(our_set_cookies(ctx)).replace("user=tobi", "user=root")
    out = run_koa("read", header, "user")
    assert out["values"] == {"user": None}


def test_live_koa_resigns_our_old_key_cookie_as_we_do(make_ctx: Callable[..., Context]) -> None:
    old = make_ctx(app=Koa(keys=["k2"]))
    old.cookies.set("user", "tobi")
    header = cookie_header(our_set_cookies(old))
    koa_js = run_koa("read", header, "user")
    ours = make_ctx(headers={"Cookie": header}, app=Koa(keys=KEYS))
    assert ours.cookies.get("user") == koa_js["values"]["user"] == "tobi"
    assert our_set_cookies(ours) == koa_js["setCookie"]


def test_live_we_accept_koa_cookies(make_ctx: Callable[..., Context]) -> None:
    header = cookie_header(run_koa("sign", keys=["k2", "k1"])["setCookie"])
    ctx = make_ctx(headers={"Cookie": header}, app=Koa(keys=KEYS))
    assert ctx.cookies.get("user") == "tobi"
    assert ctx.cookies.get("session") == "abc123="
    assert [c.split(";")[0] for c in our_set_cookies(ctx)] == [
        "user.sig=m3HBzP77Nk8CFApcbBgcPFQDyRY",
        "session.sig=TUF-BQ9xAY478-ZS_QpoPl32H1o",
    ]
