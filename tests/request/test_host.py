"""Koa's __tests__/request/host, hostname, href, origin, protocol, secure, ip, ips, subdomains tests."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from koa import Context, Koa


def req(make_ctx: Callable[..., Context], headers: dict[str, str] | None = None, **options: object) -> Context:
    app = Koa()
    for key in ("proxy", "proxy_ip_header", "max_ips_count", "subdomain_offset"):
        if key in options:
            setattr(app, key, options.pop(key))
    return make_ctx(headers=headers, app=app, **options)


# -- host ----------------------------------------------------------------------------------
def test_host_with_port(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"Host": "foo.com:3000"}).host == "foo.com:3000"


def test_host_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx).host == ""


def test_http1_ignores_authority(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {":authority": "foo.com:3000", "Host": "bar.com:8000"}, http_version="1.1")
    assert ctx.host == "bar.com:8000"


def test_http2_uses_authority(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {":authority": "foo.com:3000", "Host": "bar.com:8000"}, http_version="2")
    assert ctx.host == "foo.com:3000"


def test_http2_falls_back_to_host(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"Host": "bar.com:8000"}, http_version="2").host == "bar.com:8000"


def test_forwarded_host_ignored_without_proxy(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-Host": "bar.com", "Host": "foo.com"}).host == "foo.com"


def test_forwarded_host_ignored_without_proxy_http2(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "proxy.com:8080", ":authority": "foo.com:3000",
                         "Host": "bar.com:8000"}, http_version="2")
    assert ctx.host == "foo.com:3000"


def test_forwarded_host_used_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "bar.com, baz.com", "Host": "foo.com"}, proxy=True)
    assert ctx.host == "bar.com"


def test_forwarded_host_used_with_proxy_http2(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "proxy.com:8080", ":authority": "foo.com:3000",
                         "Host": "bar.com:8000"}, proxy=True, http_version="2")
    assert ctx.host == "proxy.com:8080"


def test_empty_forwarded_host_falls_back(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-Host": "", "Host": "foo.com"}, proxy=True).host == "foo.com"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("evil.com:fake@legitimate.com", "legitimate.com"),
        ("user@example.com", "example.com"),
        ("user:pass@example.com:8080", "example.com:8080"),
        ("user@", ""),
    ],
)
def test_host_with_userinfo(make_ctx: Callable[..., Context], host: str, expected: str) -> None:
    assert req(make_ctx, {"Host": host}).host == expected


def test_userinfo_in_forwarded_host(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "evil.com:fake@legitimate.com", "Host": "foo.com"}, proxy=True)
    assert ctx.host == "legitimate.com"


def test_userinfo_in_authority(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {":authority": "evil.com:fake@legitimate.com", "Host": "foo.com"}, http_version="2")
    assert ctx.host == "legitimate.com"


# -- hostname ------------------------------------------------------------------------------
def test_hostname_without_port(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"Host": "foo.com:3000"}).hostname == "foo.com"


def test_hostname_missing_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx).hostname == ""


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("[::1]", "[::1]"),
        ("[::1]:80", "[::1]"),
        ("[::1]:1337", "[::1]"),
        ("[2001:cdba:0000:0000:0000:0000:3257:9652]:1337", "[2001:cdba::3257:9652]"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("[invalidIPv6]", ""),
        ("[::1", ""),
        ("[fe80::1%25eth0]", ""),
    ],
)
def test_hostname_ipv6(make_ctx: Callable[..., Context], host: str, expected: str) -> None:
    assert req(make_ctx, {"Host": host}).hostname == expected


def test_hostname_forwarded_host_ignored_without_proxy(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-Host": "bar.com", "Host": "foo.com"}).hostname == "foo.com"


def test_hostname_forwarded_host_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "bar.com, baz.com", "Host": "foo.com"}, proxy=True)
    assert ctx.hostname == "bar.com"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("evil.com:fake@legitimate.com", "legitimate.com"),
        ("user@example.com", "example.com"),
        ("user:pass@example.com:8080", "example.com"),
    ],
)
def test_hostname_with_userinfo(make_ctx: Callable[..., Context], host: str, expected: str) -> None:
    assert req(make_ctx, {"Host": host}).hostname == expected


def test_hostname_userinfo_in_forwarded_host(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Host": "evil.com:fake@legitimate.com", "Host": "foo.com"}, proxy=True)
    assert ctx.hostname == "legitimate.com"


# -- href, origin ------------------------------------------------------------------------
def test_href_is_the_full_url(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/users/1?next=/dashboard", headers={"Host": "localhost"})
    assert ctx.href == "http://localhost/users/1?next=/dashboard"
    ctx.url = "/foo/users/1?next=/dashboard"  # href is about the original URL
    assert ctx.href == "http://localhost/users/1?next=/dashboard"


async def test_href_through_a_client(fetch: Callable[..., object]) -> None:
    app = Koa()
    app.use(lambda ctx, next: setattr(ctx, "body", ctx.href))
    res = await fetch(app, "GET", "/foo", headers={"Host": "example.com"})
    assert res.text == "http://example.com/foo"  # type: ignore[attr-defined]


@pytest.mark.parametrize("target", ["http://example.com/foo", "HTTPS://Example.com/foo?x=1"])
def test_href_of_an_absolute_form_target(make_ctx: Callable[..., Context], target: str) -> None:
    assert make_ctx(target, headers={"Host": "other.com"}).href == target


def test_href_over_https_behind_a_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"Host": "internal:8080", "X-Forwarded-Host": "example.com",
                         "X-Forwarded-Proto": "https"}, proxy=True)
    assert ctx.href == "https://example.com/"


def test_origin_is_the_origin_header(make_ctx: Callable[..., Context]) -> None:
    ctx = make_ctx("/users/1?next=/dashboard", headers={"Host": "localhost", "Origin": "http://example.com"})
    assert ctx.origin == "http://example.com"
    ctx.url = "/foo/users/1?next=/dashboard"
    assert ctx.origin == "http://example.com"


def test_origin_missing_is_none(make_ctx: Callable[..., Context]) -> None:
    assert make_ctx(headers={"Host": "localhost"}).origin is None


# -- protocol, secure --------------------------------------------------------------------
def test_protocol_https_when_encrypted(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, scheme="https")
    assert ctx.protocol == "https"
    assert ctx.secure is True


def test_protocol_http_when_unencrypted(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx)
    assert ctx.protocol == "http"
    assert ctx.secure is False


def test_forwarded_proto_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Proto": "https, http"}, proxy=True)
    assert ctx.protocol == "https"
    assert ctx.secure is True


def test_empty_forwarded_proto_is_http(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-Proto": ""}, proxy=True).protocol == "http"


def test_forwarded_proto_without_proxy_is_ignored(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-Proto": "https, http"})
    assert ctx.protocol == "http"
    assert ctx.secure is False


def test_encrypted_connection_wins_over_forwarded_proto(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-Proto": "http"}, proxy=True, scheme="https").protocol == "https"


# -- ips, ip -------------------------------------------------------------------------------
def test_ips_ignored_without_proxy(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-For": "127.0.0.1,127.0.0.2"}, proxy=False).ips == []


def test_ips_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "127.0.0.1,127.0.0.2"}, proxy=True)
    assert ctx.ips == ["127.0.0.1", "127.0.0.2"]


def test_ips_are_trimmed(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, {"X-Forwarded-For": " 1.1.1.1 ,  2.2.2.2 "}, proxy=True).ips == ["1.1.1.1", "2.2.2.2"]


def test_custom_ip_header_ignored_without_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Client-IP": "127.0.0.1,127.0.0.2"}, proxy=False, proxy_ip_header="x-client-ip")
    assert ctx.ips == []


def test_custom_ip_header_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Client-IP": "127.0.0.1,127.0.0.2", "X-Forwarded-For": "9.9.9.9"},
              proxy=True, proxy_ip_header="X-Client-IP")
    assert ctx.ips == ["127.0.0.1", "127.0.0.2"]


def test_max_ips_count_ignored_without_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "127.0.0.1,127.0.0.2"}, proxy=False, max_ips_count=1)
    assert ctx.ips == []


def test_max_ips_count_keeps_the_nearest(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "127.0.0.1,127.0.0.2"}, proxy=True, max_ips_count=1)
    assert ctx.ips == ["127.0.0.2"]
    assert ctx.ip == "127.0.0.2"


def test_max_ips_count_larger_than_the_list(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "1.1.1.1,2.2.2.2"}, proxy=True, max_ips_count=5)
    assert ctx.ips == ["1.1.1.1", "2.2.2.2"]


def test_ip_is_the_first_ip_behind_a_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "127.0.0.1"}, proxy=True, client=("127.0.0.2", 1))
    assert ctx.ip == "127.0.0.1"


def test_ip_is_the_peer_without_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"X-Forwarded-For": "6.6.6.6"}, client=("127.0.0.2", 1))
    assert ctx.ip == "127.0.0.2"


def test_ip_without_peer_is_empty(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx, client=None).ip == ""


def test_ip_is_cached(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, client=("127.0.0.2", 1))
    assert ctx.ip == "127.0.0.2"
    ctx.request.client = ("127.0.0.1", 1)
    assert ctx.ip == "127.0.0.2"


def test_ip_can_be_set(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, client=("127.0.0.2", 1))
    assert ctx.ip == "127.0.0.2"
    ctx.ip = "127.0.0.1"
    assert ctx.request.ip == "127.0.0.1"


# -- subdomains ----------------------------------------------------------------------------
def test_subdomains(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"Host": "tobi.ferrets.example.com"}, subdomain_offset=2)
    assert ctx.subdomains == ["ferrets", "tobi"]
    ctx.app.subdomain_offset = 3
    assert ctx.subdomains == ["tobi"]
    ctx.app.subdomain_offset = 0
    assert ctx.subdomains == ["com", "example", "ferrets", "tobi"]


def test_subdomains_without_host(make_ctx: Callable[..., Context]) -> None:
    assert req(make_ctx).subdomains == []


@pytest.mark.parametrize("host", ["127.0.0.1:3000", "127.0.0.1", "[::1]:3000", "[2001:db8::1]"])
def test_subdomains_of_an_ip_address(make_ctx: Callable[..., Context], host: str) -> None:
    assert req(make_ctx, {"Host": host}).subdomains == []


def test_subdomains_use_forwarded_host_with_proxy(make_ctx: Callable[..., Context]) -> None:
    ctx = req(make_ctx, {"Host": "internal", "X-Forwarded-Host": "api.example.com"}, proxy=True)
    assert ctx.subdomains == ["api"]
