"""helmet(): helmet 8's default headers, per-header options, and headers kept on errors."""
from __future__ import annotations

from typing import Any

import pytest

from koa import Koa
from koa.middleware import helmet

DEFAULTS = {
    "content-security-policy": "default-src 'self';base-uri 'self';font-src 'self' https: data:;"
                               "form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';"
                               "script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';"
                               "upgrade-insecure-requests",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "origin-agent-cluster": "?1",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-dns-prefetch-control": "off",
    "x-download-options": "noopen",
    "x-frame-options": "SAMEORIGIN",
    "x-permitted-cross-domain-policies": "none",
    "x-xss-protection": "0",
}


def helmet_app(**options: Any) -> Koa:
    app = Koa(silent=True)
    app.use(helmet(**options))

    async def respond(ctx: Any, next: Any) -> None:
        ctx.set("X-Powered-By", "PHP")  # set downstream: still there (helmet runs first, as in Koa)
        if ctx.path == "/error":
            ctx.throw(400, "bad", headers={"X-Frame-Options": "DENY"})
        ctx.body = "ok"

    app.use(respond)
    return app


async def test_defaults(fetch: Any) -> None:
    r = await fetch(helmet_app())
    for name, value in DEFAULTS.items():
        assert r.headers[name] == value, name
    assert "cross-origin-embedder-policy" not in r.headers


async def test_removes_x_powered_by_set_upstream(fetch: Any) -> None:
    app = Koa()

    async def powered(ctx: Any, next: Any) -> None:
        ctx.set("X-Powered-By", "koa")
        await next()

    app.use(powered).use(helmet())
    app.use(lambda ctx, next: setattr(ctx, "body", "ok"))
    assert "x-powered-by" not in (await fetch(app)).headers


async def test_kept_on_errors_without_overriding_the_errors_own(fetch: Any) -> None:
    r = await fetch(helmet_app(), "GET", "/error")
    assert r.status_code == 400
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


async def test_turning_headers_off(fetch: Any) -> None:
    r = await fetch(helmet_app(content_security_policy=False, x_download_options=False, x_xss_protection=False))
    assert "content-security-policy" not in r.headers
    assert "x-download-options" not in r.headers
    assert "x-xss-protection" not in r.headers
    assert r.headers["x-frame-options"] == "SAMEORIGIN"


async def test_options(fetch: Any) -> None:
    r = await fetch(helmet_app(
        strict_transport_security={"max_age": 123, "include_sub_domains": False, "preload": True},
        x_frame_options={"action": "deny"},
        referrer_policy={"policy": ["no-referrer", "strict-origin-when-cross-origin"]},
        cross_origin_embedder_policy={"policy": "credentialless"},
        cross_origin_resource_policy={"policy": "cross-origin"},
        x_dns_prefetch_control={"allow": True},
        x_permitted_cross_domain_policies={"permitted_policies": "by-content-type"},
    ))
    assert r.headers["strict-transport-security"] == "max-age=123; preload"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer,strict-origin-when-cross-origin"
    assert r.headers["cross-origin-embedder-policy"] == "credentialless"
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert r.headers["x-dns-prefetch-control"] == "on"
    assert r.headers["x-permitted-cross-domain-policies"] == "by-content-type"


async def test_csp_directives(fetch: Any) -> None:
    r = await fetch(helmet_app(content_security_policy={
        "directives": {"scriptSrc": ["'self'", "example.com"], "upgrade-insecure-requests": None,
                       "report_uri": "/csp"},
    }))
    csp = r.headers["content-security-policy"]
    assert "script-src 'self' example.com" in csp
    assert "upgrade-insecure-requests" not in csp
    assert csp.endswith("report-uri /csp")
    r = await fetch(helmet_app(content_security_policy={
        "use_defaults": False, "directives": {"default-src": ["'none'"]}, "report_only": True,
    }))
    assert r.headers["content-security-policy-report-only"] == "default-src 'none'"
    assert "content-security-policy" not in r.headers


async def test_csp_per_request_values(client: Any) -> None:
    def nonce(ctx: Any) -> str:
        ctx.state.nonce = ctx.get("X-Test-Nonce")
        return f"'nonce-{ctx.state.nonce}'"

    app = helmet_app(content_security_policy={"directives": {"script-src": ["'self'", nonce]}})
    async with client(app) as c:
        one = (await c.get("/", headers={"X-Test-Nonce": "abc"})).headers["content-security-policy"]
        two = (await c.get("/", headers={"X-Test-Nonce": "xyz"})).headers["content-security-policy"]
    assert "script-src 'self' 'nonce-abc'" in one and "'nonce-xyz'" in two


@pytest.mark.parametrize(("options", "exc"), [
    ({"x_frame_options": {"action": "allow-from"}}, ValueError),
    ({"x_frame_options": "deny"}, TypeError),
    ({"x_frame_options": {"acton": "deny"}}, TypeError),
    ({"referrer_policy": {"policy": "sometimes"}}, ValueError),
    ({"strict_transport_security": {"max_age": -1}}, ValueError),
    ({"cross_origin_opener_policy": {"policy": "nope"}}, ValueError),
    ({"content_security_policy": {"directives": {"script-src": ["a;b"]}}}, ValueError),
    ({"content_security_policy": {"directives": {"bad name!": ["x"]}}}, ValueError),
    ({"content_security_policy": {"directives": {"default-src": None}}}, ValueError),
    ({"x_permitted_cross_domain_policies": {"permitted_policies": "some"}}, ValueError),
])
def test_options_are_checked(options: Any, exc: type[Exception]) -> None:
    with pytest.raises(exc):
        helmet(**options)
