"""Koa's __tests__/context/cookies.test.js, and ctx.cookies as contract section 5 and 11 describe it."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from koa import Context, Koa
from koa.cookies import Cookies, Keygrip


def set_cookies(ctx: Context) -> list[str]:
    value = ctx.response.get("Set-Cookie")
    if value is None:
        return []
    raw = ctx.response.headers["set-cookie"]
    return list(raw) if isinstance(raw, list) else [raw]


def keyed(make_ctx: Callable[..., Context], cookie: str | None = None, keys: list[str] | None = None,
          **options: Any) -> Context:
    app = Koa(keys=keys if keys is not None else ["a", "b"])
    headers = {"Cookie": cookie} if cookie is not None else None
    return make_ctx(headers=headers, app=app, **options)


# -- set ---------------------------------------------------------------------------------
async def test_set_an_unsigned_cookie(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        ctx.cookies.set("name", "jon")
        ctx.status = 204

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 204
    assert res.headers.get_list("set-cookie") == ["name=jon; path=/; httponly"]


async def test_signed_without_keys_raises(fetch: Callable[..., Any]) -> None:
    app = Koa()

    async def mw(ctx: Context, next: Any) -> None:
        try:
            ctx.cookies.set("foo", "bar", signed=True)
        except RuntimeError as err:
            ctx.body = str(err)

    app.use(mw)
    assert (await fetch(app)).text == ".keys required for signed cookies"


async def test_send_a_signed_cookie(fetch: Callable[..., Any]) -> None:
    app = Koa(keys=["a", "b"])

    async def mw(ctx: Context, next: Any) -> None:
        ctx.cookies.set("name", "jon", signed=True)
        ctx.status = 204

    app.use(mw)
    cookies = (await fetch(app)).headers.get_list("set-cookie")
    assert any(c.startswith("name=jon;") for c in cookies)
    sig = Keygrip(["a"]).sign("name=jon")
    assert f"name.sig={sig}; path=/; httponly" in cookies


async def test_secure_comes_from_the_request(fetch: Callable[..., Any]) -> None:
    app = Koa(proxy=True, keys=["a", "b"])

    async def mw(ctx: Context, next: Any) -> None:
        ctx.cookies.set("name", "jon", signed=True)
        ctx.status = 204

    app.use(mw)
    res = await fetch(app, headers={"X-Forwarded-Proto": "https"})
    cookies = res.headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("name=") and cookies[1].startswith("name.sig=")
    assert all(c.endswith("; secure; httponly") for c in cookies)


async def test_cookies_can_be_replaced(fetch: Callable[..., Any]) -> None:
    app = Koa()

    class Replacement:
        def __init__(self, ctx: Context) -> None:
            self.ctx = ctx

        def set(self, key: str, value: str) -> None:
            self.ctx.set(key, value)

    async def mw(ctx: Context, next: Any) -> None:
        ctx.cookies = Replacement(ctx)
        ctx.cookies.set("name", "jon")
        ctx.status = 204

    app.use(mw)
    res = await fetch(app)
    assert res.status_code == 204
    assert res.headers["name"] == "jon"


def test_cookies_object_is_cached(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert isinstance(ctx.cookies, Cookies)
    assert ctx.cookies is ctx.cookies


def test_attribute_format_is_koas(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("a", "1")
    ctx.cookies.set("b", "2", path="/app", domain="example.com", http_only=False, same_site="Lax",
                    priority="High")
    ctx.cookies.set("c", "3", same_site=True, partitioned=True)
    ctx.cookies.set("d", "4", path=None)
    assert set_cookies(ctx) == [
        "a=1; path=/; httponly",
        "b=2; path=/app; domain=example.com; priority=high; samesite=lax",
        "c=3; path=/; samesite=strict; httponly; partitioned",
        "d=4; httponly",
    ]


@pytest.mark.parametrize("same_site", ["strict", "lax", "none", "STRICT"])
def test_same_site_values(make_ctx: Callable[..., Context], same_site: str) -> None:
    ctx = make_ctx()
    ctx.cookies.set("s", "1", same_site=same_site)
    assert set_cookies(ctx) == [f"s=1; path=/; samesite={same_site.lower()}; httponly"]


def test_same_site_false_is_omitted(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("s", "1", same_site=False)
    assert set_cookies(ctx) == ["s=1; path=/; httponly"]


def test_max_age_is_in_seconds(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    before = time.time()
    ctx.cookies.set("m", "1", max_age=3600)
    header = set_cookies(ctx)[0]
    match = re.fullmatch(r"m=1; path=/; expires=(.+ GMT); httponly", header)
    assert match is not None
    expires = parsedate_to_datetime(match.group(1)).timestamp()
    assert before + 3600 - 2 <= expires <= time.time() + 3600 + 1


def test_expires_datetime(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("e", "1", expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert set_cookies(ctx) == ["e=1; path=/; expires=Wed, 02 Jan 2030 03:04:05 GMT; httponly"]


def test_naive_expires_is_utc(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("e", "1", expires=datetime(2030, 1, 2, 3, 4, 5))
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in set_cookies(ctx)[0]


def test_set_none_deletes(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("gone", None)
    assert set_cookies(ctx) == ["gone=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly"]


def test_set_empty_string_deletes(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.cookies.set("gone", "", max_age=100)
    assert set_cookies(ctx) == ["gone=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly"]


def test_delete_a_signed_cookie_as_koa_does(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx, keys=["k1", "k2"])
    ctx.cookies.set("gone", None)
    # byte for byte what Koa 3 writes for ctx.cookies.set('gone', null, {signed: true})
    assert set_cookies(ctx) == [
        "gone=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
        "gone.sig=iSXq_O403J_mrYfjgMrVGpyMhCE; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
    ]


def test_set_returns_the_jar(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    assert ctx.cookies.set("a", "1").set("b", "2") is ctx.cookies
    assert len(set_cookies(ctx)) == 2


def test_several_cookies_accumulate(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    ctx.set("Set-Cookie", "pre=existing")
    ctx.cookies.set("a", "1")
    ctx.cookies.set("a", "2")
    assert set_cookies(ctx) == ["pre=existing", "a=1; path=/; httponly", "a=2; path=/; httponly"]


def test_overwrite_replaces_same_name(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx)
    ctx.cookies.set("a", "1")
    ctx.cookies.set("ab", "x", signed=False)
    ctx.cookies.set("a", "2", overwrite=True)
    cookies = set_cookies(ctx)
    assert [c.split(";")[0].split("=")[0] for c in cookies] == ["ab", "a", "a.sig"]
    assert cookies[1].startswith("a=2;")
    assert cookies[2].startswith("a.sig=" + Keygrip(["a"]).sign("a=2"))


def test_secure_over_http_raises(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx()
    with pytest.raises(ValueError, match="Cannot send secure cookie over unencrypted connection"):
        ctx.cookies.set("s", "1", secure=True)
    assert set_cookies(ctx) == []


def test_secure_over_https(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(scheme="https")
    ctx.cookies.set("s", "1")
    ctx.cookies.set("t", "2", secure=False)
    assert set_cookies(ctx) == ["s=1; path=/; secure; httponly", "t=2; path=/; httponly"]


def test_secure_true_over_https(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(scheme="https")
    ctx.cookies.set("s", "1", secure=True)
    assert set_cookies(ctx) == ["s=1; path=/; secure; httponly"]


def test_secure_behind_an_untrusted_proxy_raises(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"X-Forwarded-Proto": "https"})
    with pytest.raises(ValueError):
        ctx.cookies.set("s", "1", secure=True)


@pytest.mark.parametrize("name", ["", "a;b", "a=b", "bad\nname", "snow☃", 42])
def test_invalid_names_raise(make_ctx: Callable[..., Context], name: Any) -> None:
    with pytest.raises(TypeError, match="argument name is invalid"):
        make_ctx().cookies.set(name, "v")


@pytest.mark.parametrize("value", ["a;b", "line\nbreak", "snow☃"])
def test_invalid_values_raise(make_ctx: Callable[..., Context], value: str) -> None:
    with pytest.raises(TypeError, match="argument value is invalid"):
        make_ctx().cookies.set("n", value)


def test_non_string_value_raises(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="must be a str or None"):
        make_ctx().cookies.set("n", 42)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["/a;b", "/ü", "/a\nb"])
def test_invalid_path_raises(make_ctx: Callable[..., Context], path: str) -> None:
    with pytest.raises(TypeError, match="option path is invalid"):
        make_ctx().cookies.set("n", "v", path=path)


@pytest.mark.parametrize("domain", ["exa mple.com", "example.com;x", "-bad.com", "ex_ample.com"])
def test_invalid_domain_raises(make_ctx: Callable[..., Context], domain: str) -> None:
    with pytest.raises(TypeError, match="option domain is invalid"):
        make_ctx().cookies.set("n", "v", domain=domain)


@pytest.mark.parametrize("domain", [".example.com", "sub.example.co.uk", "localhost", "EXAMPLE.COM"])
def test_valid_domains(make_ctx: Callable[..., Context], domain: str) -> None:
    ctx = make_ctx()
    ctx.cookies.set("n", "v", domain=domain)
    assert f"; domain={domain}" in set_cookies(ctx)[0]


@pytest.mark.parametrize("max_age", [float("nan"), float("inf"), "10", True])
def test_invalid_max_age_raises(make_ctx: Callable[..., Context], max_age: Any) -> None:
    with pytest.raises(TypeError, match="option max_age is invalid"):
        make_ctx().cookies.set("n", "v", max_age=max_age)


def test_invalid_priority_raises(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="option priority is invalid"):
        make_ctx().cookies.set("n", "v", priority="urgent")


def test_invalid_same_site_raises(make_ctx: Callable[..., Context]) -> None:
    with pytest.raises(TypeError, match="option same_site is invalid"):
        make_ctx().cookies.set("n", "v", same_site="sometimes")


def test_set_after_headers_sent_is_ignored(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(body=b"")
    ctx.flush_headers()
    ctx.cookies.set("late", "1")
    assert set_cookies(ctx) == []


# -- get ---------------------------------------------------------------------------------
def test_get_unsigned(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Cookie": "a=1; b=two; c="})
    assert ctx.cookies.get("a") == "1"
    assert ctx.cookies.get("b") == "two"
    assert ctx.cookies.get("c") == ""
    assert ctx.cookies.get("missing") is None


def test_get_without_cookie_header(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx().cookies.get("a") is None


def test_get_first_of_duplicates(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Cookie": "a=1; a=2"}).cookies.get("a") == "1"


def test_get_quoted_value(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Cookie": 'q="quoted value"'}).cookies.get("q") == "quoted value"


def test_get_value_with_equals(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Cookie": "t=abc==; u=x"}).cookies.get("t") == "abc=="


def test_get_across_several_cookie_headers(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers=[("Cookie", "a=1"), ("Cookie", "b=2")])
    assert ctx.cookies.get("a") == "1"
    assert ctx.cookies.get("b") == "2"


def test_get_signed_valid(make_ctx: Callable[..., Context]) -> None:
    sig = Keygrip(["a"]).sign("name=jon")
    ctx = keyed(make_ctx, f"name=jon; name.sig={sig}")
    assert ctx.cookies.get("name", signed=True) == "jon"
    assert ctx.cookies.get("name") == "jon"  # signed by default when app.keys is set
    assert set_cookies(ctx) == []


def test_get_signed_with_bad_signature_is_none(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx, "name=jon; name.sig=forged")
    assert ctx.cookies.get("name", signed=True) is None
    # the bad signature cookie is cleared, as Koa does
    assert set_cookies(ctx) == ["name.sig=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly"]


def test_get_signed_tampered_value_is_none(make_ctx: Callable[..., Context]) -> None:
    sig = Keygrip(["a"]).sign("name=jon")
    ctx = keyed(make_ctx, f"name=admin; name.sig={sig}")
    assert ctx.cookies.get("name") is None


def test_get_signed_without_signature_is_none(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx, "name=jon")
    assert ctx.cookies.get("name", signed=True) is None
    assert set_cookies(ctx) == []


def test_get_signed_missing_cookie_is_none(make_ctx: Callable[..., Context]) -> None:
    assert keyed(make_ctx, "other=1").cookies.get("name", signed=True) is None


def test_get_unsigned_explicitly_with_keys(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx, "name=jon; name.sig=forged")
    assert ctx.cookies.get("name", signed=False) == "jon"


def test_get_signed_with_an_old_key_resigns_with_the_first(make_ctx: Callable[..., Context]) -> None:
    old_sig = Keygrip(["old"]).sign("name=jon")
    ctx = keyed(make_ctx, f"name=jon; name.sig={old_sig}", keys=["new", "old"])
    assert ctx.cookies.get("name") == "jon"
    new_sig = Keygrip(["new"]).sign("name=jon")
    assert set_cookies(ctx) == [f"name.sig={new_sig}; path=/; httponly"]


def test_get_signed_without_keys_raises(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx(headers={"Cookie": "name=jon; name.sig=x"})
    with pytest.raises(RuntimeError, match=".keys required for signed cookies"):
        ctx.cookies.get("name", signed=True)


def test_set_signed_by_default_with_keys(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx, keys=["k1", "k2"])
    ctx.cookies.set("user", "tobi")
    assert set_cookies(ctx) == ["user=tobi; path=/; httponly", "user.sig=m3HBzP77Nk8CFApcbBgcPFQDyRY; path=/; httponly"]


def test_set_unsigned_explicitly_with_keys(make_ctx: Callable[..., Context]) -> None:
    ctx = keyed(make_ctx)
    ctx.cookies.set("plain", "v", signed=False)
    assert set_cookies(ctx) == ["plain=v; path=/; httponly"]


async def test_round_trip_through_a_client(client: Callable[..., Any]) -> None:
    app = Koa(keys=["secret"])

    async def mw(ctx: Context, next: Any) -> None:
        if ctx.path == "/login":
            ctx.cookies.set("user", "tobi")
            ctx.body = "logged in"
        else:
            ctx.body = ctx.cookies.get("user") or "anonymous"

    app.use(mw)
    async with client(app) as c:
        assert (await c.get("/login")).text == "logged in"
        assert (await c.get("/me")).text == "tobi"
        sig = c.cookies["user.sig"]
        c.cookies.clear()
        c.cookies.set("user", "admin")  # tamper, keeping the signature
        c.cookies.set("user.sig", sig)
        assert (await c.get("/me")).text == "anonymous"


# -- Keygrip -----------------------------------------------------------------------------
def test_keygrip_sign_and_verify() -> None:
    grip = Keygrip(["k1", "k2"])
    sig = grip.sign("user=tobi")
    assert sig == "m3HBzP77Nk8CFApcbBgcPFQDyRY"  # keygrip's sha1/base64url output
    assert "=" not in sig and "+" not in sig and "/" not in sig
    assert grip.verify("user=tobi", sig)
    assert grip.index("user=tobi", sig) == 0
    assert grip.index("user=tobi", Keygrip(["k2"]).sign("user=tobi")) == 1
    assert grip.index("user=tobi", "nope") == -1
    assert not grip.verify("user=admin", sig)


def test_keygrip_accepts_bytes_keys() -> None:
    assert Keygrip([b"k1"]).sign("user=tobi") == Keygrip(["k1"]).sign("user=tobi")


@pytest.mark.parametrize("keys", [[], "single", b"bytes"])
def test_keygrip_needs_a_list_of_keys(keys: Any) -> None:
    with pytest.raises(TypeError):
        Keygrip(keys)


def test_app_keys_may_be_a_keygrip(make_ctx: Callable[..., Context]) -> None:
    app = Koa()
    app.keys = Keygrip(["k1"])  # type: ignore[assignment]
    ctx = make_ctx(app=app)
    ctx.cookies.set("user", "tobi")
    assert set_cookies(ctx)[1].startswith("user.sig=m3HBzP77Nk8CFApcbBgcPFQDyRY;")
